/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "config/data-root.h"
#include "config/docker-config.h"
#include "config/edit.h"
#include "output/output.h"
#include "service/service.h"
#include "util/json-util.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/path.h"
#include "util/strv.h"

static cJSON *result_json(const DockerConfig *c, const char *new_root, const EditPlan *p, char *const *backups,
                          const char *diff, const char *status, bool changed) {
        cJSON *j = cJSON_CreateObject(), *files;

        if (!j)
                return NULL;
        cJSON_AddBoolToObject(j, "changed", changed);
        cJSON_AddStringToObject(j, "status", status);
        cJSON_AddStringToObject(j, "old_data_root", c->data_root);
        cJSON_AddStringToObject(j, "new_data_root", new_root);
        json_add_string_or_null(j, "place", p->place);
        files = cJSON_AddArrayToObject(j, "files");
        for (size_t i = 0; files && i < p->n; i++) {
                cJSON *f = cJSON_CreateObject();
                if (!f)
                        continue;
                cJSON_AddStringToObject(f, "path", p->edits[i].path);
                cJSON_AddBoolToObject(f, "created", !p->edits[i].old);
                STRV_FOREACH(b, backups)
                        if (startswith(*b, p->edits[i].path) && (*b)[strlen(p->edits[i].path)] == '=') {
                                const char *bp = *b + strlen(p->edits[i].path) + 1;
                                json_add_string_or_null(f, "backup", isempty(bp) ? NULL : bp);
                        }
                cJSON_AddItemToArray(files, f);
        }
        json_add_string_or_null(j, "diff", diff);
        cJSON_AddItemToObject(j, "notes", json_string_array(p->notes));
        cJSON_AddItemToObject(j, "warnings", json_string_array(c->warnings));
        return j;
}

static bool plan_touches_units(const EditPlan *p) {
        for (size_t i = 0; i < p->n; i++)
                if (path_startswith_dir(p->edits[i].path, "/etc/systemd") ||
                    path_startswith_dir(p->edits[i].path, "/run/systemd"))
                        return true;
        return false;
}

static void print_change(const char *verb, const char *new_root, const EditPlan *p) {
        output_printf("%s the data root to %s in %s.\n", verb, new_root, p->place);
        STRV_FOREACH(n, p->notes)
                output_printf("  %s\n", *n);
}

/* Writes the plan (every file backed up first), and says what it wrote. */
static int apply(const Options *o, const DockerConfig *c, const char *new_root, const EditPlan *p,
                 char ***ret_backups) {
        _cleanup_strv_free_ char **backups = NULL;
        int r;

        r = edit_plan_apply(p, o->root, &backups);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to write the configuration (restored what was written): %m");
        print_change("Set", new_root, p);
        STRV_FOREACH(b, backups) {
                const char *eq = strchr(*b, '=');
                if (eq && eq[1])
                        output_printf("  Backup of %.*s: %s\n", (int) (eq - *b), *b, eq + 1);
                else if (eq)
                        output_printf("  Created %.*s\n", (int) (eq - *b), *b);
        }
        /* A changed unit or drop-in means nothing to systemd until it
         * reloads; a stale definition would be what the next restart runs. */
        if (root_is_host(o->root) && c->init == INIT_SYSTEMD && plan_touches_units(p)) {
                _cleanup_free_ char *err = NULL;
                r = service_daemon_reload(c->init, 60 * 1000, &err);
                if (r < 0)
                        log_warning("systemctl daemon-reload failed (%s): run it before restarting Docker.",
                                    strna(err));
        }
        if (root_is_host(o->root))
                output_printf("No data was moved. Docker uses the new data root after its next restart.\n");
        *ret_backups = TAKE_PTR(backups);
        return EXIT_OK;
}

int verb_set_data_root(const Options *o) {
        _cleanup_free_ char *new_root = NULL, *refusal = NULL, *diff = NULL;
        _cleanup_(docker_config_done) DockerConfig c = {};
        _cleanup_(edit_plan_done) EditPlan p = {};
        _cleanup_strv_free_ char **backups = NULL;
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_close_ int lock_fd = -1;
        const char *status = "unchanged";
        int r;

        if (!path_is_absolute(o->args[0]))
                return cmd_fail(EXIT_USAGE, 0, "The data root must be an absolute path: %s", o->args[0]);
        new_root = path_normalize(o->args[0]);
        if (!new_root)
                return cmd_oom();

        /* A directory that can never hold Docker's data (/, /proc/..., a
         * tmpfs, a file): refused before anything is read or written. */
        r = data_root_check(o->root, new_root, &refusal);
        if (r == -ECANCELED)
                return cmd_fail(EXIT_REFUSED, 0, "%s", refusal);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to check %s: %m", new_root);

        /* On the host, never while a move is rewriting the same files. */
        if (root_is_host(o->root)) {
                r = lock_file(LOCK_PATH, 0, &lock_fd);
                if (r == -EBUSY)
                        return cmd_fail(EXIT_REFUSED, 0, "Another docker-relocate run holds %s; nothing was changed.",
                                        LOCK_PATH);
                if (r < 0)
                        return cmd_fail(EXIT_FAIL, r, "Failed to take the lock %s: %m", LOCK_PATH);
        }

        r = service_load_docker_config(o->root, INIT_UNKNOWN, NULL, &c);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to read Docker's configuration: %m");
        r = edit_plan_set_data_root(&c, new_root, &p, &refusal);
        if (r >= 0)
                r = edit_plan_verify(&p, &c, new_root, &refusal);
        if (r == -ECANCELED)
                return cmd_fail(EXIT_REFUSED, 0, "%s", refusal);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to plan the change of the data root: %m");

        if (p.n == 0)
                output_printf("The data root is already %s (set in %s); nothing to change.\n", new_root,
                              c.data_root_source);
        else {
                r = edit_plan_diff(&p, &diff);
                if (r < 0)
                        return cmd_fail(EXIT_FAIL, r, "Failed to compute the diff: %m");
                if (o->dry_run) {
                        print_change("Would set", new_root, &p);
                        output_printf("%s", diff);
                        status = "dry-run";
                } else {
                        r = apply(o, &c, new_root, &p, &backups);
                        if (r != EXIT_OK)
                                return r;
                        status = "changed";
                }
        }

        STRV_FOREACH(w, c.warnings)
                log_warning("%s", *w);
        if (!o->json)
                return EXIT_OK;
        j = result_json(&c, new_root, &p, backups, diff, status, streq(status, "changed"));
        if (!j || output_json(j) < 0)
                return cmd_oom();
        return EXIT_OK;
}
