/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon, as the move needs it: what it says before the move, stopping
 * and starting it through its init system, checking a configuration with
 * dockerd itself. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "move/move-internal.h"
#include "service/service.h"
#include "util/error.h"
#include "util/process.h"
#include "util/strv.h"

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

/* Threads at a time for the containers' stops and starts: each holds a
 * connection to the daemon and mostly waits on it. */
#define CONTAINERS_AT_ONCE 64U

typedef struct ContainerJob {
        const char *socket;
        const char *id;
        bool stop;
        int r;
        char *error;
        pthread_t thread;
} ContainerJob;

/* Its own grace period, as "docker stop" gives it, but no longer than a
 * service stop: one that asks to wait for ever (-1), or for hours, must not
 * hold every other container down as long. */
unsigned container_grace_sec(int stop_timeout) {
        if (stop_timeout < 0 || (unsigned) stop_timeout > SERVICE_TIMEOUT_MS / 1000)
                return SERVICE_TIMEOUT_MS / 1000;
        return (unsigned) stop_timeout;
}

static void *container_job(void *p) {
        ContainerJob *j = p;
        _cleanup_engine_ Engine *e = NULL;
        int timeout = 0;

        /* A connection of its own: one Engine handle is not for several
         * threads at once. */
        j->r = docker_open(j->socket, &e);
        if (j->r < 0)
                return NULL;
        if (!j->stop) {
                j->r = engine_container_start(e, j->id, &j->error);
                return NULL;
        }
        j->r = engine_container_stop_timeout(e, j->id, &timeout, &j->error);
        if (j->r < 0)
                return NULL;
        j->r = engine_container_stop(e, j->id, container_grace_sec(timeout), &j->error);
        return NULL;
}

/* The jobs, all at once (CONTAINERS_AT_ONCE at a time); a job whose
 * thread cannot be made runs in this one. */
static void run_container_jobs(ContainerJob *jobs, size_t n) {
        for (size_t b = 0; b < n; b += CONTAINERS_AT_ONCE) {
                size_t end = n - b < CONTAINERS_AT_ONCE ? n : b + CONTAINERS_AT_ONCE;
                bool started[CONTAINERS_AT_ONCE] = {};

                for (size_t i = b; i < end; i++)
                        if (pthread_create(&jobs[i].thread, NULL, container_job, jobs + i) == 0)
                                started[i - b] = true;
                        else
                                (void) container_job(jobs + i);
                for (size_t i = b; i < end; i++)
                        if (started[i - b])
                                (void) pthread_join(jobs[i].thread, NULL);
        }
}

static ContainerJob *container_jobs_new(const char *socket, char *const *ids, bool stop, size_t *ret_n) {
        size_t n = strv_length((char **) ids);
        ContainerJob *jobs = calloc(n ?: 1, sizeof(ContainerJob));

        if (!jobs)
                return NULL;
        for (size_t i = 0; i < n; i++)
                jobs[i] = (ContainerJob){ .socket = socket, .id = ids[i], .stop = stop };
        *ret_n = n;
        return jobs;
}

static void container_jobs_free(ContainerJob *jobs, size_t n) {
        for (size_t i = 0; jobs && i < n; i++)
                free(jobs[i].error);
        free(jobs);
}

int docker_stop_containers(const char *socket, char *const *ids, char **ret_error) {
        ContainerJob *jobs;
        size_t n = 0;
        int r = 0;

        jobs = container_jobs_new(socket, ids, true, &n);
        if (!jobs)
                return -ENOMEM;
        run_container_jobs(jobs, n);
        for (size_t i = 0; i < n && r >= 0; i++)
                if (jobs[i].r < 0)
                        r = error_set(ret_error, jobs[i].r, "Stopping container %s failed: %s", jobs[i].id,
                                      jobs[i].error ?: strerror(-jobs[i].r));
        container_jobs_free(jobs, n);
        return r;
}

int docker_start_containers_all(const char *socket, char *const *ids, char ***ret_errors) {
        ContainerJob *jobs;
        size_t n = 0;
        char **errors;
        int failed = 0;

        jobs = container_jobs_new(socket, ids, false, &n);
        errors = calloc(n + 1, sizeof(char *));
        if (!jobs || !errors) {
                free(errors);
                container_jobs_free(jobs, n);
                return -ENOMEM;
        }
        run_container_jobs(jobs, n);
        /* One may need another first (its network namespace, say): those
         * that failed get one more try each, now that the others run. */
        for (size_t i = 0; i < n; i++)
                if (jobs[i].r < 0) {
                        jobs[i].error = mfree(jobs[i].error);
                        (void) container_job(jobs + i);
                }
        for (size_t i = 0; i < n; i++)
                if (jobs[i].r < 0) {
                        failed++;
                        errors[i] = jobs[i].error ? TAKE_PTR(jobs[i].error) : strdup(strerror(-jobs[i].r));
                }
        container_jobs_free(jobs, n);
        if (ret_errors)
                *ret_errors = errors;
        else {
                for (size_t i = 0; i < n; i++)
                        free(errors[i]);
                free(errors);
        }
        return failed;
}
