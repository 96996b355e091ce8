/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/docker-config.h"
#include "config/init-system.h"
#include "util/macro.h"

/* Stopping and starting dockerd through the init system that manages it:
 * systemd over D-Bus (sd-bus), the SysV script, OpenRC's rc-service,
 * upstart's initctl. Always the running host: there is nothing to stop in an
 * offline tree, so callers never use this with --root.
 *
 * Each call is bounded by its timeout. On failure the negative errno says
 * what kind, and *ret_error (when not NULL) is set to a sentence saying what
 * happened — the one output parameter that is written on failure, as it
 * exists to explain the failure. */

#define SERVICE_DEFAULT_TIMEOUT_MS (120U * 1000U)
#define SERVICE_DOCKER_PIDFILE "/var/run/docker.pid"

typedef enum ServiceState {
        SERVICE_UNKNOWN,
        SERVICE_ACTIVE, /* running, or on its way up or down */
        SERVICE_INACTIVE,
        SERVICE_FAILED,
} ServiceState;

const char *service_state_to_string(ServiceState s);
/* systemd's ActiveState → ServiceState. */
ServiceState service_state_from_active_state(const char *s);

/* Stops docker (systemd: docker.socket first, so that nothing activates the
 * daemon again, then docker.service; containerd.service too when asked) and
 * waits until it is down. Stopping what is already stopped is success. */
int service_stop_docker(InitSystem init, bool also_containerd, unsigned timeout_ms, char **ret_error);

/* Starts docker (and containerd first when asked) and waits until the daemon
 * answers on socket_path (NULL: the default socket): -ETIMEDOUT when it does
 * not in time; with an init script, -ESRCH as soon as the daemon it put in
 * the background has exited. */
int service_start_docker(InitSystem init, bool also_containerd, const char *socket_path, unsigned timeout_ms,
                         char **ret_error);

/* systemd: reloads unit files and drop-ins (daemon-reload). Other init
 * systems read their scripts on each start: a no-op. */
int service_daemon_reload(InitSystem init, unsigned timeout_ms, char **ret_error);

/* Whether docker runs: systemd from docker.service's ActiveState; SysV and
 * OpenRC from the script's "status", falling back to the pidfile; upstart from
 * "initctl status". */
int service_docker_state(InitSystem init, ServiceState *ret);

/* The SysV-style check on its own: whether the PID in pidfile is a live
 * dockerd. 1 alive, 0 not (missing or stale pidfile). */
int service_pidfile_alive(const char *pidfile, const char *comm, pid_t *ret_pid);

/* Runs an init system's tool (argv[0] searched in PATH) for at most
 * timeout_ms, its stdout and stderr captured together (the first 64 KiB) in
 * an anonymous file, not a pipe: a daemon the tool starts may inherit the
 * output and must not hold up the wait. On timeout the tool, and only it, is
 * killed: -ETIMEDOUT. *ret_status is its exit status (127: not found). */
int service_run_tool(char *const *argv, unsigned timeout_ms, char **ret_output, int *ret_status);

/* Docker's configuration under root (docker_config_load()), and on the
 * running host under systemd, what systemd has loaded for docker.service,
 * asked over D-Bus, to compare with the files (a unit changed without
 * daemon-reload). Without overlay only: planned contents are not what
 * systemd runs. init INIT_UNKNOWN means detect. */
int service_load_docker_config(const char *root, InitSystem init, const SourceSet *overlay, DockerConfig *ret);
