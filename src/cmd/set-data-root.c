/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "config/containerd-config.h"
#include "config/data-root.h"
#include "config/docker-config.h"
#include "config/edit.h"
#include "engine/engine.h"
#include "move/journal.h"
#include "store/image-store.h"
#include "output/output.h"
#include "service/service.h"
#include "util/json-util.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/path.h"
#include "util/step-log.h"
#include "util/strv.h"

/* containerd's part of the change: its old and new root, and where it is
 * set; new_root NULL when containerd's root is left alone. */
typedef struct ContainerdChange {
        char *old_root;
        char *new_root;
        EditPlan plan;
        char **warnings;
} ContainerdChange;

static void containerd_change_done(ContainerdChange *x) {
        free(x->old_root);
        free(x->new_root);
        edit_plan_done(&x->plan);
        strv_free(x->warnings);
}

/* The report of --json, in the shape of the move's: the data roots, the
 * steps done, and the plan with its diff. */
static cJSON *result_json(const DockerConfig *c, const char *new_root, const EditPlan *p, char *const *backups,
                          const char *diff, const StepLog *steps, const char *status, const ContainerdChange *x) {
        cJSON *j = cJSON_CreateObject(), *plan, *files, *lines;

        if (!j)
                return NULL;
        cJSON_AddBoolToObject(j, "changed", streq(status, "changed"));
        cJSON_AddStringToObject(j, "status", status);
        cJSON_AddStringToObject(j, "old_data_root", c->data_root);
        cJSON_AddStringToObject(j, "new_data_root", new_root);
        cJSON_AddNullToObject(j, "device");
        cJSON_AddItemToObject(j, "steps", step_log_to_json(steps));
        plan = cJSON_AddObjectToObject(j, "plan");
        if (!plan)
                return j;
        lines = cJSON_AddArrayToObject(plan, "steps");
        if (lines && p->n > 0) {
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line, "Set the data root to %s in %s", new_root, p->place) >= 0)
                        cJSON_AddItemToArray(lines, cJSON_CreateString(line));
                STRV_FOREACH(n, p->notes)
                        cJSON_AddItemToArray(lines, cJSON_CreateString(*n));
        }
        json_add_string_or_null(plan, "diff", isempty(diff) ? NULL : diff);
        json_add_string_or_null(plan, "config_place", p->place);
        files = cJSON_AddArrayToObject(plan, "files");
        for (size_t i = 0; files && i < p->n; i++) {
                cJSON *f = cJSON_CreateObject();
                const char *backup = NULL;

                if (!f)
                        continue;
                STRV_FOREACH(b, backups)
                        if (startswith(*b, p->edits[i].path) && (*b)[strlen(p->edits[i].path)] == '=')
                                backup = *b + strlen(p->edits[i].path) + 1;
                cJSON_AddStringToObject(f, "path", p->edits[i].path);
                cJSON_AddBoolToObject(f, "created", !p->edits[i].old);
                json_add_string_or_null(f, "backup", isempty(backup) ? NULL : backup);
                cJSON_AddItemToArray(files, f);
        }
        cJSON_AddItemToObject(j, "warnings", json_string_array(c->warnings));
        if (x->new_root) {
                cJSON *ctd = cJSON_AddObjectToObject(j, "containerd");
                if (ctd) {
                        json_add_string_or_null(ctd, "old_root", x->old_root);
                        json_add_string_or_null(ctd, "new_root", x->new_root);
                        json_add_string_or_null(ctd, "place", x->plan.place);
                        cJSON_AddItemToObject(ctd, "notes", json_string_array(x->plan.notes));
                }
        } else
                cJSON_AddNullToObject(j, "containerd");
        return j;
}

static bool plan_touches_units(const EditPlan *p) {
        for (size_t i = 0; i < p->n; i++)
                if (path_startswith_dir(p->edits[i].path, "/etc/systemd") ||
                    path_startswith_dir(p->edits[i].path, "/run/systemd"))
                        return true;
        return false;
}

/* The steps of the change, in the order apply() takes them: the names of
 * its step log, and of what a dry run says it would do. */
typedef enum ChangeStep {
        CHANGE_CONFIGURE,     /* the files written */
        CHANGE_DAEMON_RELOAD, /* systemd told of a changed unit or drop-in */
        _CHANGE_STEP_MAX,
} ChangeStep;

static const char *const change_step_names[_CHANGE_STEP_MAX] = {
        [CHANGE_CONFIGURE] = "configure",
        [CHANGE_DAEMON_RELOAD] = "daemon-reload",
};

static bool change_step_wanted(ChangeStep s, const Options *o, const DockerConfig *c, const EditPlan *p) {
        if (p->n == 0)
                return false;
        if (s == CHANGE_DAEMON_RELOAD)
                /* A changed unit or drop-in means nothing to systemd until
                 * it reloads; a stale definition would be what the next
                 * restart runs. */
                return root_is_host(o->root) && c->init == INIT_SYSTEMD && plan_touches_units(p);
        return true;
}

/* The steps apply() would take, untimed. */
static int plan_change_steps(const Options *o, const DockerConfig *c, const EditPlan *p, StepLog *steps) {
        for (ChangeStep s = 0; s < _CHANGE_STEP_MAX; s++)
                if (change_step_wanted(s, o, c, p) && step_log_add(steps, "%s", change_step_names[s]) < 0)
                        return -ENOMEM;
        return 0;
}

static void print_change(const char *verb, const char *new_root, const EditPlan *p, const ContainerdChange *x) {
        /* The plan holds containerd's edits after Docker's: when it holds
         * nothing else, Docker's data root was already the new one. */
        if (p->n > x->plan.n) {
                output_printf("%s the data root to %s in %s.\n", verb, new_root, p->place);
                STRV_FOREACH(n, p->notes)
                        if (!strv_contains(x->plan.notes, *n))
                                output_printf("  %s\n", *n);
        }
        if (!x->new_root || x->plan.n == 0)
                return;
        output_printf("%s containerd's root, which holds Docker's images, to %s in %s.\n", verb, x->new_root,
                      x->plan.place);
        STRV_FOREACH(n, x->plan.notes)
                output_printf("  %s\n", *n);
}

/* The image store, as the running Engine says, or (offline) as the files
 * say. */
static int detect_store(const Options *o, const DockerConfig *c, const ContainerdConfig *cc, ImageStoreInfo *ret) {
        _cleanup_engine_info_ EngineInfo *info = NULL;
        _cleanup_free_ char *version = NULL;

        if (root_is_host(o->root)) {
                _cleanup_engine_ Engine *e = NULL;

                if (engine_new(c->socket, 10 * 1000, &e) >= 0)
                        (void) engine_info(e, &info, NULL);
                if (!info)
                        (void) image_store_dockerd_version(c, 10 * 1000, &version);
        }
        return image_store_detect(c, cc, info, version, false, ret);
}

/* containerd's root, when Docker's images live in the system containerd's:
 * beside the new data root (or where --containerd-root says), set in its
 * one place and verified, its files added to the plan. */
static int plan_containerd(const Options *o, const DockerConfig *c, const char *new_root, EditPlan *p,
                           ContainerdChange *x) {
        _cleanup_(containerd_config_done) ContainerdConfig cc = {};
        _cleanup_(image_store_info_done) ImageStoreInfo i = {};
        _cleanup_free_ char *refusal = NULL;
        const char *data_root = c->data_root_resolved ?: c->data_root;
        int r;

        r = containerd_config_load(o->root, c->init, NULL, &cc);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to read containerd's configuration: %m");
        r = detect_store(o, c, &cc, &i);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to work out Docker's image store: %m");
        if (o->containerd_root && i.containerd != CONTAINERD_SYSTEM)
                return cmd_fail(EXIT_REFUSED, 0,
                                "Docker uses its own containerd (%s), whose root follows the data root: "
                                "--containerd-root does not apply; nothing was changed.",
                                containerd_kind_to_string(i.containerd));
        if (!o->containerd_root && !image_store_system_containerd_root(&i, data_root)) {
                if (i.store == IMAGE_STORE_UNKNOWN && i.containerd == CONTAINERD_SYSTEM &&
                    strv_extendf(&x->warnings,
                                 "Which image store Docker uses is not known (%s): if it is the containerd store, its "
                                 "images are in containerd's root %s; give --containerd-root to set that too.",
                                 strna(i.store_source), strna(cc.root_dir)) < 0)
                        return cmd_oom();
                return EXIT_OK;
        }
        if (o->containerd_root && !path_is_absolute(o->containerd_root))
                return cmd_fail(EXIT_USAGE, 0, "containerd's root must be an absolute path: %s", o->containerd_root);
        x->old_root = strdup(cc.root_dir);
        x->new_root = o->containerd_root ? path_normalize(o->containerd_root) : image_store_containerd_beside(new_root);
        if (!x->old_root || !x->new_root)
                return cmd_oom();
        /* The same places that can never hold the data root can never hold
         * containerd's (/, /proc/..., a tmpfs, a file). */
        r = data_root_check(o->root, x->new_root, &refusal);
        if (r == -ECANCELED)
                return cmd_fail(EXIT_REFUSED, 0, "Refusing containerd's root %s: %s Nothing was changed.", x->new_root,
                                refusal);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to check %s: %m", x->new_root);
        refusal = mfree(refusal);
        if (streq(x->new_root, new_root))
                return cmd_fail(EXIT_USAGE, 0, "containerd's root cannot be the data root itself (%s).", new_root);
        r = containerd_plan_set_root(&cc, x->new_root, &x->plan, &refusal);
        if (r >= 0)
                r = containerd_plan_verify(&x->plan, &cc, x->new_root, &refusal);
        if (r == -ECANCELED)
                return cmd_fail(EXIT_REFUSED, 0, "%s", refusal);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to plan the change of containerd's root: %m");
        for (size_t k = 0; k < x->plan.n; k++) {
                r = edit_plan_add(p, x->plan.edits[k].path, x->plan.edits[k].old, x->plan.edits[k].new,
                                  x->plan.edits[k].mode);
                if (r < 0)
                        return cmd_oom();
        }
        if (strv_extend_strv(&p->notes, x->plan.notes) < 0)
                return cmd_oom();
        return EXIT_OK;
}

/* Writes the plan (every file backed up first), and says what it wrote. */
static int apply(const Options *o, const DockerConfig *c, const char *new_root, const EditPlan *p,
                 const ContainerdChange *x, StepLog *steps, char ***ret_backups) {
        _cleanup_strv_free_ char **backups = NULL;
        int r;

        step_log_begin(steps);
        r = edit_plan_apply(p, o->root, &backups);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to write the configuration (restored what was written): %m");
        if (step_log_add(steps, "%s", change_step_names[CHANGE_CONFIGURE]) < 0)
                return cmd_oom();
        print_change("Set", new_root, p, x);
        STRV_FOREACH(b, backups) {
                const char *eq = strchr(*b, '=');
                if (eq && eq[1])
                        output_printf("  Backup of %.*s: %s\n", (int) (eq - *b), *b, eq + 1);
                else if (eq)
                        output_printf("  Created %.*s\n", (int) (eq - *b), *b);
        }
        if (change_step_wanted(CHANGE_DAEMON_RELOAD, o, c, p)) {
                _cleanup_free_ char *err = NULL;
                r = service_daemon_reload(c->init, 60 * 1000, &err);
                if (r >= 0 && step_log_add(steps, "%s", change_step_names[CHANGE_DAEMON_RELOAD]) < 0)
                        return cmd_oom();
                if (r < 0)
                        log_warning("systemctl daemon-reload failed (%s): run it before restarting Docker.",
                                    strna(err));
        }
        if (root_is_host(o->root))
                output_printf("No data was moved. Docker uses the new data root after its next restart%s.\n",
                              x->new_root ? ", containerd its new root after its own" : "");
        *ret_backups = TAKE_PTR(backups);
        return EXIT_OK;
}

/* A move (or a rollback) the journal records as under way owns the data
 * root setting: it puts the files back as it recorded them, and a change
 * made meanwhile would be undone by it, or make it refuse. */
static int refuse_open_journal(const char *root) {
        _cleanup_json_ cJSON *j = NULL;
        const char *target;
        MovePhase p;
        int r;

        r = journal_load(root, &j);
        if (r == -ENOENT)
                return EXIT_OK;
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to read the journal %s: %m", JOURNAL_PATH);
        p = journal_phase(j);
        target = strna(json_get_string(j, "new_data_root"));
        if (p >= PHASE_PLANNED && p <= PHASE_VERIFIED)
                return cmd_fail(EXIT_REFUSED, 0,
                                "The move to %s was interrupted at '%s' (%s): finish it by running the move again "
                                "with the same target, or abandon it with 'docker-relocate rollback --yes', then "
                                "set the data root. Nothing was changed.",
                                target, move_phase_to_string(p), JOURNAL_PATH);
        if (p == PHASE_UNDOING || p == PHASE_ROLLING_BACK)
                return cmd_fail(EXIT_REFUSED, 0,
                                "A rollback of the move to %s was interrupted (%s): finish it with "
                                "'docker-relocate rollback --yes' first. Nothing was changed.",
                                target, JOURNAL_PATH);
        if (p == PHASE_FAILED)
                return cmd_fail(EXIT_REFUSED, 0,
                                "The move to %s failed and its rollback failed too (%s): run 'docker-relocate "
                                "rollback --yes' to try it again, or put Docker back by hand and run "
                                "'docker-relocate rollback --resolved'. Nothing was changed.",
                                target, JOURNAL_PATH);
        return EXIT_OK;
}

/* The newest backups of each file stay, and any the journal names. Best
 * effort: a backup left over is no harm. */
static void prune_backups(const char *root, const EditPlan *p) {
        _cleanup_json_ cJSON *j = NULL;

        (void) journal_load(root, &j);
        (void) journal_prune_backups(root, j, p);
}

int verb_set_data_root(const Options *o) {
        _cleanup_free_ char *new_root = NULL, *refusal = NULL, *diff = NULL;
        _cleanup_(docker_config_done) DockerConfig c = {};
        _cleanup_(edit_plan_done) EditPlan p = {};
        _cleanup_(step_log_done) StepLog steps = {};
        _cleanup_(containerd_change_done) ContainerdChange x = {};
        _cleanup_strv_free_ char **backups = NULL;
        _cleanup_close_ int lock_fd = -1;
        const char *status = "unchanged";
        cJSON *j;
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

        r = refuse_open_journal(o->root);
        if (r != EXIT_OK)
                return r;

        r = service_load_docker_config(o->root, INIT_UNKNOWN, NULL, &c);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to read Docker's configuration: %m");
        /* The snap and rootless Docker keep their data root elsewhere: a
         * file written here would configure a Docker that does not run. */
        r = docker_installs_refusal(&c.installs, c.install, c.service_file, new_root, NULL, &refusal);
        if (r == -ECANCELED)
                return cmd_fail(EXIT_REFUSED, 0, "%s Nothing was changed.", refusal);
        if (r < 0)
                return cmd_oom();
        r = edit_plan_set_data_root(&c, new_root, &p, &refusal);
        if (r >= 0)
                r = edit_plan_verify(&p, &c, new_root, &refusal);
        if (r == -ECANCELED)
                return cmd_fail(EXIT_REFUSED, 0, "%s", refusal);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to plan the change of the data root: %m");
        r = plan_containerd(o, &c, new_root, &p, &x);
        if (r != EXIT_OK)
                return r;

        if (p.n == 0)
                output_printf("The data root is already %s (set in %s)%s%s%s; nothing to change.\n", new_root,
                              c.data_root_source, x.new_root ? ", containerd's root " : "", strempty(x.new_root),
                              x.new_root ? " already" : "");
        else {
                r = edit_plan_diff(&p, &diff);
                if (r < 0)
                        return cmd_fail(EXIT_FAIL, r, "Failed to compute the diff: %m");
                if (o->dry_run) {
                        print_change("Would set", new_root, &p, &x);
                        output_printf("%s", diff);
                        if (plan_change_steps(o, &c, &p, &steps) < 0)
                                return cmd_oom();
                        status = "planned";
                } else {
                        r = apply(o, &c, new_root, &p, &x, &steps, &backups);
                        if (r != EXIT_OK)
                                return r;
                        prune_backups(o->root, &p);
                        status = "changed";
                }
        }

        STRV_FOREACH(w, c.warnings)
                log_warning("%s", *w);
        STRV_FOREACH(w, x.warnings)
                log_warning("%s", *w);
        if (!o->json)
                return EXIT_OK;
        j = result_json(&c, new_root, &p, backups, diff, &steps, status, &x);
        if (!j)
                return cmd_oom();
        cmd_set_report(j);
        return EXIT_OK;
}
