/* SPDX-License-Identifier: GPL-2.0-or-later */
/* When a step of the move fails: whether it rolls back (decided here, from
 * the phases, for every step alike), the automatic rollback to the old data
 * root, and the one text that says what to do by hand when the host cannot
 * be put back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "move/move-internal.h"
#include "util/error.h"
#include "util/json-util.h"
#include "util/strv.h"
#include "util/test-hook.h"

bool failure_rolls_back(MovePhase step_phase, MovePhase reached) {
        /* From the stop on, until Docker is verified on the new root, Docker
         * may be down, or up on a root that is not yet proven: a failure
         * then puts the configuration back and starts Docker on the old
         * tree. Before the stop nothing of Docker was touched. A resumed run
         * that found the move past the stop (Docker stopped by the run it
         * resumes) is past it before its first step. */
        return (step_phase >= PHASE_STOPPED && step_phase <= PHASE_VERIFIED) ||
               (reached >= PHASE_STOPPED && reached < PHASE_VERIFIED);
}

int recovery_advice(const char *cause, const char *key, bool rollback_again, InitSystem init, AdviceThen then,
                    const char *root, char **ret) {
        _cleanup_free_ char *after = NULL;
        bool systemd = init == INIT_SYSTEMD;
        char *s;

        if (then == ADVICE_THEN_START_DOCKER &&
            asprintf(&after,
                     ", then start Docker (%s), check that 'docker info' shows Docker Root Dir: %s, and run "
                     "'docker-relocate rollback --resolved', which checks it too and closes the record",
                     systemd ? "systemctl start docker.socket docker.service" : "/etc/init.d/docker start",
                     strna(root)) < 0)
                return -ENOMEM;
        if (asprintf(&s,
                     "%s. %s the configuration back by hand: copy each \"backup\" listed under \"%s\" in %s over its "
                     "\"path\" (where the backup is null, the file did not exist before: delete it)%s%s%s.",
                     cause,
                     rollback_again ? "Fix the cause and run 'docker-relocate rollback --yes' again, or put"
                                    : "To put",
                     key, JOURNAL_PATH, systemd ? ", run 'systemctl daemon-reload'" : "", strempty(after),
                     then == ADVICE_THEN_MOVE_AGAIN ? ", then run the move again" : "") < 0)
                return -ENOMEM;
        free(*ret);
        *ret = s;
        return 0;
}

int config_restore(const cJSON *journal, const char *key, char **ret_error) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_strv_free_ char **changed = NULL;
        _cleanup_free_ char *list = NULL;
        int r;

        r = journal_get_undo(journal, key, &u);
        if (r == -ENOENT)
                return 0; /* nothing recorded: the configuration was not touched */
        if (r < 0)
                return error_set(ret_error, r, "the record \"%s\" in %s is unreadable: %m", key, JOURNAL_PATH);
        r = edit_undo_restore(&u, NULL, &changed);
        if (r == -EBUSY) {
                list = strv_join(changed, ", ");
                return error_set(ret_error, r,
                                 "%s changed since this tool wrote it (neither its old content nor the new); it was "
                                 "left as it is",
                                 strna(list));
        }
        if (r < 0)
                return error_set(ret_error, r, "restoring the configuration failed: %m");
        return 0;
}

int move_roll_back(Move *m) {
        _cleanup_free_ char *reason = NULL, *cause = NULL;
        int r;

        /* The rollback has a phase of its own, saved before anything is
         * undone. A run killed in the middle of it (Docker stopped, the
         * configuration half put back) leaves "rolling-back", and the next
         * run finishes the rollback: it never takes up the move again, whose
         * failure it does not know the cause of, nor leaves the host half
         * way between the two roots. Every step below can be done twice. */
        if (m->error && m->phase != PHASE_ROLLING_BACK)
                (void) json_set_string(m->journal, "rollback_reason", m->error);
        m->phase = PHASE_ROLLING_BACK;
        (void) journal_save_phase(m->journal, PHASE_ROLLING_BACK);
        test_hook_crash("rollback-begin");

        /* The daemon may be up on the new root (a failed verification). */
        r = docker_stop(m, &reason);
        test_hook_crash("rollback-stopped");
        /* Whatever point the apply reached: the journal recorded every file
         * before the first was written. */
        if (r >= 0)
                r = config_restore(m->journal, JOURNAL_CONFIG_UNDO, &reason);
        if (r >= 0)
                test_hook_crash("rollback-restored");
        if (r >= 0)
                r = docker_reload(m->cfg.init, &reason);
        if (r >= 0)
                r = docker_start(m, &reason);
        if (r >= 0)
                r = verify_docker(m->cfg.socket, m->old_root, &m->store, &m->content, &reason);
        if (r >= 0)
                r = verify_containerd(m, false, &reason);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                /* Containers that ran before run again. */
                r = containers_run_again(m, m->content.running, m->old_root);
                if (r < 0)
                        return r;
                test_hook_crash("rollback-started");
                r = selinux_undo(m);
                if (r < 0)
                        return r;
                (void) journal_save_phase(m->journal, PHASE_ROLLED_BACK);
                return m->outcome = MOVE_ROLLED_BACK;
        }

        (void) journal_save_phase(m->journal, PHASE_FAILED);
        if (asprintf(&cause, "Docker could not be brought back on %s (%s). The old data root %s is untouched",
                     m->old_root, strna(reason), m->old_root) < 0)
                return -ENOMEM;
        /* The failure that made the move roll back, and why that failed
         * (alone when there was none: a rollback that abandons a move). */
        if (m->error)
                (void) error_set(&m->error, r, "%s; rolling back failed: %s", m->error, strna(reason));
        else
                (void) error_set(&m->error, r, "Rolling back failed: %s", strna(reason));
        /* The journal says "failed": "rollback --yes" takes the rollback
         * up again from its record. */
        r = recovery_advice(cause, JOURNAL_CONFIG_UNDO, true, m->cfg.init, ADVICE_THEN_START_DOCKER, m->old_root,
                            &m->advice);
        if (r < 0)
                return r;
        return m->outcome = MOVE_NEEDS_HUMAN;
}

/* A failure before Docker was stopped: nothing to undo but this run's own
 * record, and the files that an earlier, killed run had begun to write (the
 * journal about to say rolled-back, its record of them would be lost). */
static int move_abort(Move *m) {
        _cleanup_free_ char *why = NULL, *cause = NULL;
        int r;

        if (m->config_interrupted) {
                r = config_restore(m->journal, JOURNAL_CONFIG_UNDO, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        /* The journal stays as it is: the next run tries
                         * again. */
                        (void) error_set(&m->error, r, "%s; %s", strna(m->error), strna(why));
                        if (asprintf(&cause,
                                     "An earlier, interrupted move left Docker's configuration half rewritten, and "
                                     "it could not be put back (%s)",
                                     m->error) < 0)
                                return -ENOMEM;
                        r = recovery_advice(cause, JOURNAL_CONFIG_UNDO, false, m->cfg.init, ADVICE_THEN_MOVE_AGAIN,
                                            NULL, &m->advice);
                        if (r < 0)
                                return r;
                        return m->outcome = MOVE_NEEDS_HUMAN;
                }
                m->config_interrupted = false;
        }
        /* Before the journal is opened, m->journal is an earlier move's. */
        if (m->phase != PHASE_NONE) {
                /* A resumed run that began again from the live copy may
                 * fail with the rules of the run it resumes in place. */
                r = selinux_undo(m);
                if (r < 0)
                        return r;
                /* The run it resumes may have stopped the containers that
                 * ran before Docker was started again (a reboot, a human):
                 * with the journal closed, no later run would start them. */
                if (m->resume_phase != PHASE_NONE && docker_runs_on(m->cfg.socket, m->old_root)) {
                        _cleanup_(docker_content_done) DockerContent recorded = {};

                        if (journal_get_content(m->journal, &recorded) >= 0 &&
                            containers_run_again(m, recorded.running, m->old_root) == -ENOMEM)
                                return -ENOMEM;
                }
                (void) journal_save_phase(m->journal, PHASE_ROLLED_BACK);
        }
        return m->outcome = MOVE_FAILED;
}

int move_finish_rollback(Move *m) {
        const char *why = json_get_string(m->journal, "rollback_reason");

        m->phase = PHASE_ROLLING_BACK;
        if (!m->content.images)
                (void) journal_get_content(m->journal, &m->content);
        if (m->req.step)
                m->req.step(m, "roll-back", "Finishing the interrupted rollback", -1, m->req.userdata);
        (void) error_set(&m->error, 0,
                         "The earlier move to %s failed%s%s%s, and its rollback was interrupted; this run finished "
                         "the rollback",
                         m->new_root, why ? " (" : "", strempty(why), why ? ")" : "");
        if (!m->error)
                return -ENOMEM;
        return move_roll_back(m);
}

int move_fail(Move *m, MovePhase step_phase) {
        if (failure_rolls_back(step_phase, m->phase)) {
                if (m->req.step)
                        m->req.step(m, "roll-back", m->error, -1, m->req.userdata);
                /* A resumed run that failed before it read what the run it
                 * resumes recorded. */
                if (!m->content.images)
                        (void) journal_get_content(m->journal, &m->content);
                return move_roll_back(m);
        }
        /* Verified on the new root: the move stands; what failed after it
         * is finished by running it again. */
        if (m->phase >= PHASE_VERIFIED)
                return m->outcome = MOVE_FAILED;
        return move_abort(m);
}
