/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "rollback" of a finished move: Docker (and containerd) back on the old
 * data root, the configuration put back byte for byte where nobody changed
 * it since the move, or only data-root set back where somebody did. The
 * common ground of the undo commands (loading the journal, refusing,
 * abandoning, cleanup) is undo.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/mount.h"
#include "move/move-internal.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"

/* The configuration of before a finished move, byte for byte: when every
 * file the move changed still holds what it wrote, the plan puts each back
 * from its backup (and deletes those it created), checked to give Docker
 * (and containerd) their old roots. Returns 1 with that plan in m->edit,
 * or 0 with the reason why not in *ret_why. The files are read as they were
 * before a killed rollback began to write them, as the rollback puts them
 * back first. */
static int plan_revert(Undo *u, const char *want, char **ret_why, char **ret_error) {
        _cleanup_(edit_undo_done) EditUndo eu = {};
        _cleanup_(source_set_done) SourceSet overlay = {};
        _cleanup_(edit_plan_done) EditPlan p = {};
        _cleanup_strv_free_ char **why = NULL;
        _cleanup_free_ char *refusal = NULL;
        Move *m = u->m;
        bool recorded = false;
        int r;

        r = journal_get_undo(m->journal, JOURNAL_CONFIG_UNDO, &eu);
        if (r == -ENOENT || (r >= 0 && eu.n == 0))
                return error_set(ret_why, 0, "the journal holds no record of the files the move changed");
        if (r < 0)
                return error_set(ret_error, r, "Failed to read the record \"%s\" in %s: %m", JOURNAL_CONFIG_UNDO,
                                 JOURNAL_PATH);
        if (m->config_interrupted) {
                r = config_overlay_before(m->journal, JOURNAL_ROLLBACK_UNDO, &overlay, &recorded, ret_error);
                if (r < 0)
                        return r;
        }
        r = edit_undo_plan_revert(&eu, NULL, recorded ? &overlay : NULL, &p, &why);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read the files the move changed: %m");
        if (r == 0) {
                _cleanup_free_ char *list = strv_join(why, "; ");

                return list ? error_set(ret_why, 0, "%s", list) : -ENOMEM;
        }
        edit_plan_done(&m->edit);
        m->edit = p;
        p = (EditPlan){};
        r = edit_plan_verify(&m->edit, &m->cfg, want, &refusal);
        if (r >= 0)
                r = plan_containerd_back(m, true, &refusal, ret_error);
        if (r < 0)
                edit_plan_done(&m->edit);
        if (r == -ECANCELED)
                return error_set(ret_why, 0, "putting them back would not do: %s", strna(refusal));
        if (r < 0)
                return r;
        r = undo_plan_files_back(u, "Put back the configuration files the move changed, exactly as they were before it:",
                            &eu);
        return r < 0 ? r : 1;
}

/* A finished move: Docker back to the old root, with the configuration of
 * before the move; when a file was changed since, data-root set back in
 * its one place, the rest as it is now. */
int undo_plan_rollback(Undo *u, char **ret_error) {
        _cleanup_free_ char *refusal = NULL, *named_real = NULL, *why = NULL;
        const char *named;
        Move *m = u->m;
        int r;

        if (!streq_ptr(m->cfg.data_root, m->new_root))
                return undo_refuse(u,
                              "Docker's configuration no longer points at %s (it says %s): it was changed since the "
                              "move; not rolling back.",
                              m->new_root, strna(m->cfg.data_root));
        if (access(m->old_root, F_OK) < 0)
                return undo_refuse(u, "The old data root %s is gone: nothing to roll back to.", m->old_root);
        /* A removal that failed or was killed halfway left a part of it. */
        if (json_get_string(m->journal, JOURNAL_REMOVING_OLD))
                return undo_refuse(u,
                              "The removal of %s began after the move (cleanup or --delete-old) and did not "
                              "finish: what is left of it cannot be Docker's data again; not rolling back. "
                              "'docker-relocate cleanup' finishes the removal.",
                              json_get_string(m->journal, JOURNAL_REMOVING_OLD));

        /* Named as before the move, when that name led to it through a
         * symlink that still does. */
        named = json_get_string(m->journal, JOURNAL_OLD_ROOT_NAMED);
        named_real = named ? move_realpath(named) : NULL;
        if (named && !named_real)
                return -ENOMEM;
        if (!named_real || !streq(named_real, m->old_root))
                named = NULL;
        r = plan_revert(u, named ?: m->old_root, &why, ret_error);
        if (r < 0)
                return r;
        if (r == 0) {
                r = strv_extendf(&u->plan,
                                 "The configuration is not put back byte for byte as it was before the move (%s): "
                                 "Docker's data root is set back where it is set now%s, and every other change "
                                 "made since is kept.",
                                 strna(why), with_containerd(m) ? " (and containerd's root)" : "");
                if (r < 0)
                        return r;
                r = edit_plan_set_data_root(&m->cfg, named ?: m->old_root, &m->edit, &refusal);
                if (r >= 0)
                        r = edit_plan_verify(&m->edit, &m->cfg, named ?: m->old_root, &refusal);
                /* containerd's root goes back with it. */
                if (r >= 0)
                        r = plan_containerd_back(m, false, &refusal, ret_error);
        }
        if (r == -ECANCELED)
                return undo_refuse(u, "%s", strempty(refusal));
        if (r < 0)
                return error_set(ret_error, r, "Failed to plan the configuration change: %m");
        r = edit_plan_diff(&m->edit, &m->diff);
        if (r < 0)
                return error_set(ret_error, r, "Failed to compute the diff: %m");
        r = strv_extendf(&u->plan, "Docker goes back to %s (from %s)%s%s%s.", m->old_root, m->new_root,
                         named ? ", named " : "", strempty(named), named ? " again, through its symlink" : "");
        if (r >= 0 && with_containerd(m))
                r = strv_extendf(&u->plan, "containerd goes back to %s (from %s), stopped and started with Docker.",
                                 m->store.old_containerd_root, m->store.new_containerd_root);
        if (r >= 0)
                r = strv_extendf(&u->plan,
                                 "Images, containers and volumes created since the move exist only on %s and are not "
                                 "carried back.",
                                 with_containerd(m) ? "the new roots" : m->new_root);
        if (r >= 0)
                r = plan_selinux_undo(m, &u->plan);
        return r < 0 ? r : UNDO_PLANNED;
}

static int rollback_fail(Undo *u, int r, const char *reason) {
        Move *m = u->m;

        (void) error_set(&u->error, r, "%s", strna(reason));
        r = recovery_advice(u->error, JOURNAL_ROLLBACK_UNDO, true, m->cfg.init, ADVICE_THEN_START_DOCKER, m->new_root,
                            &u->advice);
        if (r < 0)
                return r;
        return u->outcome = UNDO_NEEDS_HUMAN;
}

/* The containers the rollback of a finished move stops and starts again on
 * the old root: those running now, recorded in the journal with the phase
 * PHASE_UNDOING before the first is stopped, so that a rollback killed after
 * it stopped them (Docker down, their state lost with it) still starts them
 * on the next run; that run takes them from the record. *ret_engine is the
 * daemon when it answers (NULL otherwise). */
static int rollback_running(Move *m, Engine **ret_engine, char ***ret) {
        _cleanup_(docker_content_done) DockerContent now = {};
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_strv_free_ char **running = NULL;
        int r;

        if (docker_open(m->cfg.socket, &e) < 0 || engine_ping(e, NULL) < 0)
                e = engine_free(e);
        if (journal_phase(m->journal) == PHASE_UNDOING) {
                r = json_get_strv(m->journal, JOURNAL_ROLLBACK_RUNNING, &running);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (!running && e && content_record(e, &now, NULL) >= 0)
                running = TAKE_PTR(now.running);
        r = json_set(m->journal, JOURNAL_ROLLBACK_RUNNING, json_string_array(running));
        if (r >= 0)
                r = journal_save_phase(m->journal, PHASE_UNDOING);
        if (r < 0)
                return r;
        *ret_engine = TAKE_PTR(e);
        *ret = TAKE_PTR(running);
        return 0;
}

int undo_execute_rollback(Undo *u) {
        _cleanup_strv_free_ char **running = NULL;
        _cleanup_free_ char *reason = NULL, *why = NULL;
        _cleanup_engine_ Engine *e = NULL;
        Move *m = u->m;
        int r;

        /* What runs on the old tree after the rollback is what it held. We
         * cannot verify more than that the daemon comes up there, and start
         * again the containers that run now and exist there. */
        m->changed = true;
        r = rollback_running(m, &e, &running);
        if (r < 0) {
                (void) error_set(&reason, r, "Recording the running containers in %s failed: %m", JOURNAL_PATH);
                return rollback_fail(u, r, reason);
        }
        if (e)
                STRV_FOREACH(id, running)
                        (void) engine_container_stop(e, *id, 10, NULL);
        test_hook_crash("undo-containers-stopped");
        r = docker_stop(m, &reason);
        if (r < 0)
                return rollback_fail(u, r, reason);
        undo_step(u, "stop");
        if (m->config_interrupted) {
                /* A killed rollback wrote some files: back to the
                 * configuration of the move first, which the plan was made
                 * from. */
                r = config_restore(m->journal, JOURNAL_ROLLBACK_UNDO, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        (void) error_set(&reason, r,
                                         "Putting back the configuration the interrupted rollback had begun to write "
                                         "failed: %s",
                                         strna(why));
                        return rollback_fail(u, r, reason);
                }
        }
        /* Write-ahead, as the move's own change: the record how to undo
         * each file, before the first is written. */
        r = journal_apply_plan(NULL, m->journal, JOURNAL_ROLLBACK_UNDO, &m->edit);
        if (r < 0) {
                (void) error_set(&reason, r, "Writing the configuration failed: %m");
                return rollback_fail(u, r, reason);
        }
        r = docker_reload(m->cfg.init, &reason);
        if (r < 0)
                return rollback_fail(u, r, reason);
        undo_step(u, "configure");
        r = docker_start(m, &reason);
        if (r >= 0 && !docker_runs_on(m->cfg.socket, m->old_root))
                r = error_set(&reason, -EPROTO, "Docker did not come up on %s.", m->old_root);
        if (r >= 0)
                r = verify_containerd(m, false, &reason);
        if (r < 0)
                return rollback_fail(u, r, reason);
        undo_step(u, "start-verify");

        r = containers_run_again(m, running, m->old_root);
        if (r < 0)
                return r;
        if (r > 0)
                undo_step(u, "restart-containers");
        r = selinux_undo(m);
        if (r < 0)
                return r;
        (void) journal_save_phase(m->journal, PHASE_UNDONE);
        return u->outcome = UNDO_ROLLED_BACK;
}
