/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The insides of docker_config_load(), shared by its files and nobody else:
 * the command line and environment the init system gives dockerd
 * (docker-config-cmdline.c), and what dockerd makes of them with its JSON
 * file (docker-config.c). */

#include "config/docker-config.h"

/* systemd: docker.service with its drop-ins, Environment= and
 * EnvironmentFile=, and its last ExecStart=; with loaded (may be NULL), what
 * systemd has loaded compared with the files. */
int docker_config_load_systemd(DockerConfig *c, const LoadedUnit *loaded);

/* SysV, OpenRC, upstart: the script's plain assignments, the environment
 * files it sources, and the variables it expands after the program. */
int docker_config_load_script(DockerConfig *c, const char *script);

/* What of the command line is not known here (a specifier of the running
 * system, config/unit.h) and could change the data root or the file
 * dockerd reads: unprovable, and said. */
int docker_config_check_unknown(DockerConfig *c);
