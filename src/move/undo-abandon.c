/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "rollback" of an interrupted move: the host back to what it was before
 * it, neither data root touched. The common ground of the undo commands is
 * undo.c. */
#include <errno.h>
#include <unistd.h>

#include "move/move-internal.h"
#include "util/error.h"
#include "util/strv.h"

/* An interrupted move (PHASE_PLANNED..PHASE_VERIFIED), for when it cannot be
 * resumed (its target or volume is gone) or is no longer wanted: the host
 * goes back to what it was before it. Every file of its write-ahead record
 * is put back, and Docker, when the move had stopped it (or started it on
 * the new root), is started on the old root and verified against the
 * recorded content, as a failing move rolls back. Neither data root is
 * touched: the old one is Docker's again, and the partial copy is left for
 * the user to delete. */
int undo_plan_abandon(Undo *u, char **ret_error) {
        _cleanup_(edit_undo_done) EditUndo eu = {};
        _cleanup_engine_ Engine *e = NULL;
        Move *m = u->m;
        size_t running;
        int r;

        r = journal_get_undo(m->journal, JOURNAL_CONFIG_UNDO, &eu);
        if (r < 0 && r != -ENOENT)
                return error_set(ret_error, r, "Failed to read the record \"%s\" in %s: %m", JOURNAL_CONFIG_UNDO,
                                 JOURNAL_PATH);
        u->has_undo = r >= 0 && eu.n > 0;
        r = journal_get_content(m->journal, &m->content);
        if (r == -ENOMEM)
                return r;
        u->running = docker_open(m->cfg.socket, &e) >= 0 && engine_ping(e, NULL) >= 0;
        /* With containerd's root moving too, containerd has to be on its
         * old root as well. */
        u->on_old = u->running && docker_runs_on(m->cfg.socket, m->old_root) && verify_containerd(m, false, NULL) >= 0;
        if (!u->on_old && access(m->old_root, F_OK) < 0)
                return undo_refuse(u,
                              "The old data root %s is gone: Docker cannot be started on it again; not abandoning "
                              "the interrupted move.",
                              m->old_root);

        if (u->has_undo) {
                r = undo_plan_files_back(u, "Put back the configuration files it changed:", &eu);
                if (r >= 0 && m->cfg.init == INIT_SYSTEMD)
                        r = strv_extend(&u->plan, "Reload systemd");
        } else
                r = strv_extend(&u->plan, "No configuration file was changed by it.");
        if (r >= 0 && u->on_old)
                r = strv_extendf(&u->plan, "Docker runs on %s: it is left running.", m->old_root);
        if (r >= 0 && !u->on_old && u->running)
                r = strv_extendf(&u->plan, "Stop Docker (it does not run on %s).", m->old_root);
        if (r >= 0 && !u->on_old && with_containerd(m))
                r = strv_extendf(&u->plan, "Start containerd on %s with it.", m->store.old_containerd_root);
        if (r >= 0 && !u->on_old)
                r = strv_extendf(&u->plan, "Start Docker on %s and verify %s.", m->old_root,
                                 m->content.images
                                         ? "its images, containers and volumes against those recorded before the move"
                                         : "its data root (no content was recorded)");
        running = strv_length(m->content.running);
        if (r >= 0 && running > 0)
                r = strv_extendf(&u->plan, "Start the %zu containers that were running before the move.", running);
        if (r >= 0)
                r = plan_selinux_undo(m, &u->plan);
        return r < 0 ? r : UNDO_PLANNED;
}

int undo_execute_abandon(Undo *u) {
        _cleanup_free_ char *reason = NULL;
        Move *m = u->m;
        int r;

        m->changed = true;
        if (!u->on_old) {
                /* Docker is down (or up on the new root): exactly what a move
                 * that fails after the stop undoes. */
                r = move_roll_back(m);
                if (r < 0)
                        return r;
                if (r != MOVE_ROLLED_BACK) {
                        u->error = m->error ? strdup(m->error) : NULL;
                        u->advice = m->advice ? strdup(m->advice) : NULL;
                        return u->outcome = UNDO_NEEDS_HUMAN;
                }
                undo_step(u, "roll-back");
                return u->outcome = UNDO_ROLLED_BACK;
        }

        /* The daemon never left the old root (or came back to it): only the
         * files, if any, are in the way. */
        r = config_restore(m->journal, JOURNAL_CONFIG_UNDO, &reason);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && u->has_undo)
                r = docker_reload(m->cfg.init, &reason);
        if (r < 0) {
                (void) error_set(&u->error, r, "Putting back the configuration failed: %s", strna(reason));
                r = recovery_advice(u->error, JOURNAL_CONFIG_UNDO, true, m->cfg.init, ADVICE_THEN_NOTHING, NULL,
                                    &u->advice);
                if (r < 0)
                        return r;
                return u->outcome = UNDO_NEEDS_HUMAN;
        }
        undo_step(u, "configure");
        r = containers_run_again(m, m->content.running, m->old_root);
        if (r < 0)
                return r;
        if (r > 0)
                undo_step(u, "restart-containers");
        r = selinux_undo(m);
        if (r < 0)
                return r;
        (void) journal_save_phase(m->journal, PHASE_ROLLED_BACK);
        return u->outcome = UNDO_ROLLED_BACK;
}
