/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config/daemon-json.h"
#include "config/dockerd-flags.h"
#include "config/envfile.h"
#include "config/init-system.h"
#include "config/install-kind.h"
#include "config/source.h"
#include "config/text.h"
#include "config/unit.h"

#define DOCKER_DEFAULT_DATA_ROOT "/var/lib/docker"
#define DOCKER_DEFAULT_CONFIG_FILE "/etc/docker/daemon.json"
#define DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"

/* The variables init scripts and sysconfig files pass to dockerd
 * (DOCKER_OPTS, OPTIONS, other_args, ...), NULL-terminated. */
extern const char *const docker_script_vars[];

/* The variables openrc-run sets to the service's name, "docker", before it
 * sources /etc/conf.d/docker and the init script, NULL-terminated. */
extern const char *const openrc_name_vars[];

typedef enum DataRootVia {
        DATA_ROOT_DEFAULT,
        DATA_ROOT_DAEMON_JSON,
        DATA_ROOT_FLAG,
} DataRootVia;

const char *data_root_via_to_string(DataRootVia v);

/* dockerd's effective configuration, worked out the way systemd (or the init
 * script) and dockerd would: the command line with the origin of each word,
 * the JSON file it reads, and from both the data root, with every conflict
 * that would stop dockerd and every warning an administrator should see. */
typedef struct DockerConfig {
        const char *root;
        InitSystem init;
        SourceSet sources;

        char *service_file;   /* unit file or init script that starts dockerd */
        char **dropins;       /* systemd drop-ins applied */
        char *exec_file;      /* where the effective command line is written */
        UnitInfo unit;        /* systemd only */
        Env env;              /* the variables the command line is expanded with */
        char **env_files;     /* environment files that are read and exist */
        WordList argv;        /* dockerd's command line, with origins */
        DockerFlags flags;
        bool from_bus;         /* what systemd loaded was given (live host) */
        char **bus_exec_start; /* the ExecStart= systemd has loaded, unexpanded */

        char *json_path;      /* the JSON file dockerd reads, inside root, symlinks resolved */
        char *json_path_named; /* the same as dockerd names it (--config-file or the default) */
        bool json_path_from_flag;
        bool json_exists;
        bool json_valid;
        uint32_t json_src;
        DaemonJson json;
        char *json_error;     /* "FILE:LINE:COL: why" when invalid */

        char *data_root;
        char *data_root_source; /* file path, or "default" */
        DataRootVia via;
        char *data_root_resolved; /* after symlinks, inside root */

        char *storage_driver;
        bool containerd_snapshotter;
        bool live_restore;
        char *socket;

        DockerInstalls installs; /* the snap, rootless Docker: found beside (or instead of) the system's */
        InstallKind install;     /* the kind move and set-data-root act on (docker_installs_kind()) */

        Env script_env;       /* SysV, OpenRC, upstart: the script's own plain assignments, in effect
                               * before it sources its environment files */

        char **conflicts;
        char **warnings;
        char **unprovable;    /* files that cannot be read the way their readers read them:
                               * "FILE[:LINE:COL]: why" (config/proof.h refuses on these) */
} DockerConfig;

void docker_config_done(DockerConfig *c);

/* What systemd itself has loaded for docker.service: the service layer asks
 * systemd over D-Bus (service_load_docker_config()) and hands it to the
 * loader, which reads files only. */
typedef struct LoadedUnit {
        const char *fragment_path;
        bool need_daemon_reload; /* the files changed since systemd loaded them */
        char *const *exec_start; /* the argv of the ExecStart= in effect, unexpanded; NULL: none */
} LoadedUnit;

/* Works out the configuration under root (NULL: the running host) from its
 * files. init INIT_UNKNOWN means detect. Configuration problems (invalid
 * JSON, conflicts) are findings in the result, not errors; errors are I/O and
 * OOM. When overlay is not NULL its planned file contents stand in for the
 * disk. With loaded (systemd only; may be NULL), what systemd runs is
 * compared with the files, and reported. */
int docker_config_load(const char *root, InitSystem init, const SourceSet *overlay, DockerConfig *ret);
int docker_config_load_full(const char *root, InitSystem init, const SourceSet *overlay, const LoadedUnit *loaded,
                            DockerConfig *ret);

/* The dockerd the service runs, under c->root, for asking it its version
 * and "dockerd --validate": under systemd the ExecStart= program
 * (unit_exec_program()), under an init script the DOCKERD= it sets, when
 * that is an absolute path. *ret is NULL when that is not known (the one
 * in PATH is asked then). */
int docker_config_dockerd(const DockerConfig *c, char **ret);

/* The flag occurrences that set the data root (data-root, graph), in order. */
size_t docker_config_data_root_flags(const DockerConfig *c, const DockerFlag **ret, size_t max);
