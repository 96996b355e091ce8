/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "util/macro.h"

/* systemd over the system bus (sd-bus): the backend of service.h for
 * systemd, and what systemd itself has loaded for a unit. ret_error as in
 * util/error.h. */

/* Stops (starts) the units in one transaction each, in order, and waits for
 * the jobs. */
int systemd_stop_units(char *const *units, unsigned timeout_ms, char **ret_error);
int systemd_start_units(char *const *units, unsigned timeout_ms, char **ret_error);
/* daemon-reload. */
int systemd_reload(unsigned timeout_ms, char **ret_error);
/* The unit's ActiveState ("active", "inactive", "activating", ...). */
int systemd_unit_active_state(const char *unit, char **ret);

typedef struct SystemdExecCommand {
        char *path;
        char **argv;
        bool ignore_failure; /* "-" prefix */
} SystemdExecCommand;

typedef struct SystemdEnvironmentFile {
        char *path;
        bool optional; /* "-" prefix: a missing file is fine */
} SystemdEnvironmentFile;

/* What systemd itself runs for a unit: the merged result of the fragment and
 * all drop-ins, which is what the configuration detector must reason about. */
typedef struct SystemdUnitInfo {
        char *fragment_path;
        char **drop_in_paths;
        SystemdExecCommand *exec_start;
        size_t n_exec_start;
        char **environment;
        SystemdEnvironmentFile *environment_files;
        size_t n_environment_files;
        char *active_state;
        char *load_state;
        bool need_daemon_reload; /* the files changed since systemd loaded them */
} SystemdUnitInfo;

SystemdUnitInfo *systemd_unit_info_free(SystemdUnitInfo *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(SystemdUnitInfo *, systemd_unit_info_free);
#define _cleanup_systemd_unit_info_ _cleanup_(systemd_unit_info_freep)

/* Reads the unit's properties from systemd over D-Bus (unit NULL:
 * docker.service). -ENOENT when systemd does not know the unit. */
int systemd_read_unit(const char *unit, SystemdUnitInfo **ret, char **ret_error);

/* Decoders of the D-Bus property values, from the message's current
 * position (exported for tests). */
int systemd_parse_exec_commands(sd_bus_message *m, SystemdExecCommand **ret, size_t *ret_n);
int systemd_parse_environment_files(sd_bus_message *m, SystemdEnvironmentFile **ret, size_t *ret_n);
void systemd_exec_commands_free(SystemdExecCommand *c, size_t n);
void systemd_environment_files_free(SystemdEnvironmentFile *f, size_t n);
