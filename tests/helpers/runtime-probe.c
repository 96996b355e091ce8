/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-only: drives the service, engine and copy modules from root tests and
 * prints what they return as JSON, so that the shell can compare it with
 * what docker, stat and getfattr report. Not installed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/init-system.h"
#include "copy/copy.h"
#include "copy/rebase.h"
#include "engine/engine.h"
#include "service/service.h"
#include "service/systemd.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/strv.h"

static int print_json(cJSON *o) {
        _cleanup_free_ char *s = NULL;

        if (!o)
                return 1;
        s = cJSON_Print(o);
        if (!s)
                return 1;
        printf("%s\n", s);
        return 0;
}

static int fail(int r, const char *what, const char *detail) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject();

        cJSON_AddNumberToObject(o, "errno", -r);
        cJSON_AddStringToObject(o, "error", strerror(-r));
        cJSON_AddStringToObject(o, "what", what);
        json_add_string_or_null(o, "message", detail);
        print_json(o);
        return 1;
}

static unsigned probe_timeout_ms(void) {
        const char *s = getenv("RUNTIME_PROBE_TIMEOUT_MS");
        return s ? (unsigned) strtoul(s, NULL, 10) : 90000U;
}

static InitSystem parse_init(const char *s) {
        static const InitSystem all[] = { INIT_SYSTEMD, INIT_SYSV, INIT_OPENRC, INIT_UPSTART };

        if (streq(s, "detect"))
                return detect_init_system(NULL);
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (streq(s, init_system_to_string(all[i])))
                        return all[i];
        return INIT_UNKNOWN;
}

static int engine_cmd(const char *cmd, const char *sock, char **args) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = engine_new(sock, 10000, &e);
        if (r < 0)
                return fail(r, "engine_new", NULL);

        if (streq(cmd, "engine-ping")) {
                r = engine_ping(e, &err);
                return r < 0 ? fail(r, cmd, err) : 0;
        }
        if (streq(cmd, "engine-info")) {
                _cleanup_engine_info_ EngineInfo *i = NULL;
                _cleanup_json_ cJSON *o = NULL;
                r = engine_info(e, &i, &err);
                if (r < 0)
                        return fail(r, cmd, err);
                o = engine_info_to_json(i);
                return print_json(o);
        }
        if (streq(cmd, "engine-images") || streq(cmd, "engine-volumes")) {
                _cleanup_strv_free_ char **l = NULL;
                _cleanup_json_ cJSON *o = NULL;
                r = streq(cmd, "engine-images") ? engine_list_images(e, &l, &err) : engine_list_volumes(e, &l, &err);
                if (r < 0)
                        return fail(r, cmd, err);
                o = json_string_array(l);
                return print_json(o);
        }
        if (streq(cmd, "engine-containers")) {
                _cleanup_engine_containers_ EngineContainers *l = NULL;
                _cleanup_json_ cJSON *o = NULL;
                r = engine_list_containers(e, true, &l, &err);
                if (r < 0)
                        return fail(r, cmd, err);
                o = engine_containers_to_json(l);
                return print_json(o);
        }
        if ((streq(cmd, "engine-stop") || streq(cmd, "engine-start")) && args[0]) {
                r = streq(cmd, "engine-stop") ? engine_container_stop(e, args[0], 10, &err)
                                              : engine_container_start(e, args[0], &err);
                return r < 0 ? fail(r, cmd, err) : 0;
        }
        fprintf(stderr, "unknown engine command %s\n", cmd);
        return 2;
}

typedef struct ProgressLog {
        unsigned calls;
        CopyProgress last;
        bool monotonic;
} ProgressLog;

static void on_progress(const CopyProgress *p, void *userdata) {
        ProgressLog *l = userdata;

        if (l->calls > 0 && p->bytes < l->last.bytes)
                l->monotonic = false;
        l->calls++;
        l->last = *p;
}

static int copy_cmd(const char *pass, const char *src, const char *dst) {
        _cleanup_free_ char *msg = NULL;
        _cleanup_json_ cJSON *o = cJSON_CreateObject();
        ProgressLog log = { .monotonic = true };
        int r;

        r = copy_tree(src, dst, streq(pass, "final") ? COPY_PASS_FINAL : COPY_PASS_LIVE, on_progress, &log, &msg);
        cJSON_AddNumberToObject(o, "errno", r < 0 ? -r : 0);
        json_add_string_or_null(o, "message", msg);
        cJSON_AddNumberToObject(o, "progress_calls", log.calls);
        cJSON_AddBoolToObject(o, "progress_monotonic", log.monotonic);
        cJSON_AddNumberToObject(o, "last_percent", log.last.percent);
        cJSON_AddNumberToObject(o, "last_bytes", (double) log.last.bytes);
        print_json(o);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
        const char *cmd = argc > 1 ? argv[1] : "";
        int r;

        if (startswith(cmd, "engine-") && argc > 2)
                return engine_cmd(cmd, argv[2], argv + 3);

        if (streq(cmd, "service-stop") && argc > 2) {
                _cleanup_free_ char *err = NULL;
                r = service_stop_docker(parse_init(argv[2]), argc > 3 && streq(argv[3], "containerd"),
                                        probe_timeout_ms(), &err);
                return r < 0 ? fail(r, cmd, err) : 0;
        }
        if (streq(cmd, "service-start") && argc > 3) {
                _cleanup_free_ char *err = NULL;
                r = service_start_docker(parse_init(argv[2]), argc > 4 && streq(argv[4], "containerd"), argv[3],
                                         probe_timeout_ms(), &err);
                return r < 0 ? fail(r, cmd, err) : 0;
        }
        if (streq(cmd, "service-state") && argc > 2) {
                ServiceState s;
                r = service_docker_state(parse_init(argv[2]), &s);
                if (r < 0)
                        return fail(r, cmd, NULL);
                printf("%s\n", service_state_to_string(s));
                return 0;
        }
        if (streq(cmd, "service-reload") && argc > 2) {
                _cleanup_free_ char *err = NULL;
                r = service_daemon_reload(parse_init(argv[2]), probe_timeout_ms(), &err);
                return r < 0 ? fail(r, cmd, err) : 0;
        }
        if (streq(cmd, "service-unit")) {
                _cleanup_systemd_unit_info_ SystemdUnitInfo *i = NULL;
                _cleanup_free_ char *err = NULL;
                _cleanup_json_ cJSON *o = cJSON_CreateObject();
                cJSON *a;
                r = systemd_read_unit(argc > 2 ? argv[2] : NULL, &i, &err);
                if (r < 0)
                        return fail(r, cmd, err);
                json_add_string_or_null(o, "fragment_path", i->fragment_path);
                json_add_string_or_null(o, "load_state", i->load_state);
                json_add_string_or_null(o, "active_state", i->active_state);
                cJSON_AddItemToObject(o, "drop_in_paths", json_string_array(i->drop_in_paths));
                cJSON_AddItemToObject(o, "environment", json_string_array(i->environment));
                a = cJSON_AddArrayToObject(o, "exec_start");
                for (size_t k = 0; k < i->n_exec_start; k++) {
                        cJSON *c = cJSON_CreateObject();
                        cJSON_AddStringToObject(c, "path", i->exec_start[k].path);
                        cJSON_AddItemToObject(c, "argv", json_string_array(i->exec_start[k].argv));
                        cJSON_AddBoolToObject(c, "ignore_failure", i->exec_start[k].ignore_failure);
                        cJSON_AddItemToArray(a, c);
                }
                a = cJSON_AddArrayToObject(o, "environment_files");
                for (size_t k = 0; k < i->n_environment_files; k++) {
                        cJSON *c = cJSON_CreateObject();
                        cJSON_AddStringToObject(c, "path", i->environment_files[k].path);
                        cJSON_AddBoolToObject(c, "optional", i->environment_files[k].optional);
                        cJSON_AddItemToArray(a, c);
                }
                return print_json(o);
        }
        if (streq(cmd, "copy") && argc > 4)
                return copy_cmd(argv[2], argv[3], argv[4]);
        if (streq(cmd, "unmark") && argc > 2) {
                r = copy_unmark(argv[2]);
                return r < 0 ? fail(r, cmd, NULL) : 0;
        }
        if (streq(cmd, "rebase") && argc > 3) {
                _cleanup_json_ cJSON *o = cJSON_CreateObject();
                unsigned files = 0, paths = 0;
                r = rebase_container_configs(argv[2], argv[3], &files, &paths);
                if (r < 0)
                        return fail(r, cmd, NULL);
                cJSON_AddNumberToObject(o, "files", files);
                cJSON_AddNumberToObject(o, "paths", paths);
                return print_json(o);
        }
        if (streq(cmd, "mounts-below") && argc > 2) {
                _cleanup_strv_free_ char **l = NULL;
                _cleanup_json_ cJSON *o = NULL;
                r = copy_mounts_below(argc > 3 ? argv[3] : NULL, argv[2], &l);
                if (r < 0)
                        return fail(r, cmd, NULL);
                o = json_string_array(l);
                return print_json(o);
        }
        if (streq(cmd, "measure") && argc > 2) {
                _cleanup_json_ cJSON *o = cJSON_CreateObject();
                TreeSize s;
                r = copy_measure_tree(argv[2], &s);
                if (r < 0)
                        return fail(r, cmd, NULL);
                cJSON_AddNumberToObject(o, "bytes", (double) s.bytes);
                cJSON_AddNumberToObject(o, "apparent_bytes", (double) s.apparent_bytes);
                cJSON_AddNumberToObject(o, "inodes", (double) s.inodes);
                return print_json(o);
        }

        fprintf(stderr,
                "usage: runtime-probe engine-ping|engine-info|engine-images|engine-volumes|engine-containers SOCK\n"
                "       runtime-probe engine-stop|engine-start SOCK ID\n"
                "       runtime-probe service-stop INIT [containerd] | service-start INIT SOCK [containerd]\n"
                "       runtime-probe service-state INIT | service-reload INIT | service-unit [UNIT]\n"
                "       runtime-probe copy live|final SRC DST | mounts-below DIR [MOUNTINFO]\n"
                "       runtime-probe measure DIR | unmark DIR\n"
                "       runtime-probe rebase NEW_ROOT OLD_ROOT\n");
        return 2;
}
