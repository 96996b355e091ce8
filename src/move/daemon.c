/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon, as the move needs it: what it says before the move, stopping
 * and starting it through its init system, checking a configuration with
 * dockerd itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "move/move-internal.h"
#include "service/service.h"
#include "util/error.h"
#include "util/process.h"

int docker_open(const char *socket, Engine **ret) {
        return engine_new(socket, ENGINE_TIMEOUT_MS, ret);
}

int daemon_probe(const char *socket, DaemonState *ret, char **ret_error) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_engine_info_ EngineInfo *info = NULL;
        _cleanup_free_ char *err = NULL, *root = NULL;
        int r;

        r = docker_open(socket, &e);
        if (r < 0)
                return error_set(ret_error, r, "Failed to set up the Engine API client: %m");
        if (engine_ping(e, NULL) < 0) {
                *ret = (DaemonState){};
                return 0;
        }
        r = engine_info(e, &info, &err);
        if (r < 0)
                return error_set(ret_error, r, "GET /info failed: %s", strna(err));
        root = move_realpath(strempty(info->docker_root_dir));
        if (!root)
                return -ENOMEM;
        *ret = (DaemonState){
                .running = true,
                .root_dir = TAKE_PTR(root),
                .live_restore = info->live_restore,
                .containerd_store = info->containerd_store,
                .swarm_manager = info->swarm_manager,
                .server_version = TAKE_PTR(info->server_version),
                .driver = TAKE_PTR(info->driver),
                .driver_type = TAKE_PTR(info->driver_type),
                .containerd_address = TAKE_PTR(info->containerd_address),
                .containerd_namespace = TAKE_PTR(info->containerd_namespace),
                .containerd_plugins_namespace = TAKE_PTR(info->containerd_plugins_namespace),
        };
        return 0;
}

int docker_stop(const Move *m, char **ret_error) {
        _cleanup_free_ char *err = NULL;
        bool ctd = m->store.containerd_moves;
        int r = service_stop_docker(m->cfg.init, ctd, SERVICE_TIMEOUT_MS, &err);

        if (r < 0)
                return error_set(ret_error, r, "Stopping Docker%s failed: %s", ctd ? " and containerd" : "",
                                 err ?: strerror(-r));
        return 0;
}

int docker_start(const Move *m, char **ret_error) {
        _cleanup_free_ char *err = NULL;
        bool ctd = m->store.containerd_moves;
        int r = service_start_docker(m->cfg.init, ctd, m->cfg.socket, SERVICE_TIMEOUT_MS, &err);

        if (r < 0)
                return error_set(ret_error, r, "Starting %sDocker failed: %s", ctd ? "containerd and " : "",
                                 err ?: strerror(-r));
        return 0;
}

int docker_reload(InitSystem init, char **ret_error) {
        _cleanup_free_ char *err = NULL;
        int r;

        if (init != INIT_SYSTEMD)
                return 0;
        r = service_daemon_reload(init, SERVICE_TIMEOUT_MS, &err);
        if (r < 0)
                return error_set(ret_error, r, "systemctl daemon-reload failed: %s", err ?: strerror(-r));
        return 0;
}

int docker_validate_config(const char *json_path, char **ret_error) {
        _cleanup_free_ char *help = NULL, *out = NULL, *err = NULL;
        char *argv_help[] = { (char *) "dockerd", (char *) "--help", NULL };
        char *argv[] = { (char *) "dockerd", (char *) "--validate", (char *) "--config-file", (char *) json_path,
                         NULL };
        int status = 0, r;

        /* dockerd >= 23 can check a configuration without starting. */
        r = run_command(argv_help, 20 * 1000, &help, NULL, &status);
        if (r < 0 || !help || !strstr(help, "--validate"))
                return 0;
        r = run_command(argv, 30 * 1000, &out, &err, &status);
        if (r < 0)
                return 0;
        if (status != 0)
                return error_set(ret_error, -EINVAL, "dockerd --validate rejects the new configuration: %s",
                                 strempty(err));
        return 0;
}

void docker_start_containers(const char *socket, char *const *ids) {
        _cleanup_engine_ Engine *e = NULL;

        if (docker_open(socket, &e) < 0)
                return;
        for (size_t i = 0; ids && ids[i]; i++)
                (void) engine_container_start(e, ids[i], NULL);
}
