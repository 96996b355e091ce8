/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The move as a table of steps, and the one driver that runs it: resuming
 * an interrupted move (a step whose phase the journal reached is skipped),
 * timing each step, writing the journal's phase after it, and the crash
 * points of the tests between steps. Whether a failure rolls back is
 * decided by failure_rolls_back() (rollback.c) from the phases, for every
 * step alike. A dry run names the steps a run would take by walking the
 * same tables with the same tests (steps_plan()).
 *
 * A new step is a row and a small function (steps-move.c, steps-finish.c,
 * containerd-steps.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "move/move-internal.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/json-util.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"

typedef struct Step {
        const char *name; /* in the step log and the journal's "steps" */
        const char *done; /* the crash point right after it (util/test-hook.h) */
        MovePhase phase;  /* the journal phase the move reaches with it; PHASE_NONE: none of its own,
                           * and it runs on every run, a resumed one too */
        int (*run)(Move *m, char **ret_error);
        bool (*wanted)(const Move *m); /* NULL: in every move */
        const char *doing;             /* what the user is told as it begins; NULL: nothing */
} Step;

static bool with_device(const Move *m) {
        return m->req.device;
}

static bool with_pre_copy(const Move *m) {
        return m->req.pre_copy;
}

static bool with_delete_old(const Move *m) {
        return m->req.delete_old;
}

static bool with_containerd_pre_copy(const Move *m) {
        return with_containerd(m) && with_pre_copy(m);
}

static bool with_containerd_delete_old(const Move *m) {
        return with_containerd(m) && with_delete_old(m);
}

/* Until Docker was verified on the new root; a resumed run past that has
 * nothing left to check before the start. */
static bool before_start(const Move *m) {
        return m->phase < PHASE_VERIFIED;
}

/* containerd's stop is checked before its root is copied; once the
 * configuration is written, a resumed run may find it started again with
 * Docker (a run killed after the start, a reboot), as it should be. */
static bool with_containerd_before_configured(const Move *m) {
        return with_containerd(m) && m->phase < PHASE_CONFIGURED;
}

/* Made ready before anything is recorded: a failure here touched nothing
 * but the target. */
/* clang-format off */
static const Step target_steps[] = {
        /* name                 crash point    phase reached      function                 wanted */
        { "prepare",            "prepared",    PHASE_NONE,        step_prepare,            with_device,
          "Preparing the volume" },
};

/* The move, recorded in the journal from its first step on. A failure rolls
 * back from "stop" to "start-verify" (failure_rolls_back()). The rows of
 * containerd's root (containerd.c) run where the system containerd's root
 * holds Docker's images and moves too; several rows may reach one phase. */
static const Step move_steps[] = {
        /* name                    crash point               phase reached      function                     wanted */
        { "pre-copy",              "pre-copied",             PHASE_PRECOPIED,   step_pre_copy,               with_pre_copy,
          "Copying while Docker runs (pre-copy)" },
        { "pre-copy-containerd",   "pre-copied-containerd",  PHASE_PRECOPIED,   step_pre_copy_containerd,    with_containerd_pre_copy,
          "Copying containerd's root while it runs (pre-copy)" },
        { "record",                "recorded",               PHASE_NONE,        step_record },
        { "stop",                  "stopped",                PHASE_STOPPED,     step_stop,                   NULL,
          "Stopping the running containers and Docker" },
        { "check-stopped",         "checked-stopped",        PHASE_NONE,        step_check_stopped,          with_containerd_before_configured },
        { "copy",                  "copied",                 PHASE_COPIED,      step_copy,                   NULL,
          "Copying with Docker stopped (final pass)" },
        { "copy-containerd",       "copied-containerd",      PHASE_COPIED,      step_copy_containerd,        with_containerd,
          "Copying containerd's root with containerd stopped (final pass)" },
        { "selinux-label",         "selinux-labelled",       PHASE_COPIED,      step_selinux_label,          with_selinux,
          "Labelling the new trees for SELinux" },
        { "configure",             "configured",             PHASE_CONFIGURED,  step_configure },
        { "check-before-start",    "checked-before-start",   PHASE_NONE,        step_check_before_start,     before_start },
        { "start-verify",          "verified",               PHASE_VERIFIED,    step_start_verify,           NULL,
          "Starting Docker on the new data root" },
        { "restart-containers",    "restarted",              PHASE_DONE,        step_restart_containers },
        { "delete-old",            "deleted-old",            PHASE_CLEANED,     step_delete_old,             with_delete_old },
        { "delete-old-containerd", "deleted-old-containerd", PHASE_CLEANED,     step_delete_old_containerd,  with_containerd_delete_old },
};
/* clang-format on */

static void announce(const Move *m, const char *step, const char *doing, double seconds) {
        if (m->req.step)
                m->req.step(m, step, doing, seconds, m->req.userdata);
}

/* Done by this run or the one it resumes: the journal is past the step's
 * phase, or at it with the step among its steps (several steps reach one
 * phase: a run killed between them did the first only). */
static bool step_done_before(const Move *m, const Step *s) {
        if (s->phase == PHASE_NONE)
                return false;
        return m->phase > s->phase || (m->phase == s->phase && journal_has_step(m->journal, s->name, m->steps_from));
}

/* Whether this run takes the step: the move wants it, and neither this run
 * nor the one it resumes did it. */
static bool step_wanted(const Move *m, const Step *s) {
        return (!s->wanted || s->wanted(m)) && !step_done_before(m, s);
}

/* The journal's phase with the step done: its own, if it has one, once the
 * journal is opened. */
static void step_reached(Move *m, const Step *s) {
        if (m->phase != PHASE_NONE && s->phase != PHASE_NONE)
                m->phase = s->phase;
}

/* Runs one step. Returns 0 to go on, or the outcome the move ended with. */
static int run_step(Move *m, const Step *s) {
        _cleanup_free_ char *error = NULL;
        double seconds;
        int r;

        if (!step_wanted(m, s))
                return 0;
        /* Asked to stop (a SIGINT, SIGTERM or SIGHUP, interrupt.h): here,
         * between two steps, while the move can still be taken back. Once
         * Docker is verified on the new root what is left is quick, and
         * the move is finished instead. */
        if (interrupt_pending() && m->phase < PHASE_VERIFIED) {
                char *why;

                if (asprintf(&why, "Interrupted by %s before the step \"%s\"",
                             interrupt_signal_name(interrupt_pending()), s->name) < 0)
                        return -ENOMEM;
                free(m->error);
                m->error = why;
                return move_fail(m, m->phase);
        }

        announce(m, s->name, s->doing, -1);
        step_log_begin(&m->steps);
        r = s->run(m, &error);
        if (r == -ECANCELED && m->phase == PHASE_NONE && m->disk.refused) {
                /* The volume, checked again as it was to be prepared, is
                 * refused (it changed since the plan looked at it): not a
                 * byte was written, and nothing else was done yet. */
                free(m->error);
                m->error = error ? TAKE_PTR(error) : NULL;
                if (strv_extend_strv(&m->refusals, m->disk.refusals) < 0)
                        return -ENOMEM;
                return m->outcome = MOVE_REFUSED;
        }
        if (r < 0) {
                free(m->error);
                m->error = error ? TAKE_PTR(error) : strdup(strerror(-r));
                return move_fail(m, s->phase);
        }
        if (r == STEP_SKIPPED)
                return 0;

        r = step_log_add(&m->steps, "%s", s->name);
        if (r < 0)
                return r;
        seconds = m->steps.seconds[m->steps.n - 1];
        step_reached(m, s);
        /* Before the journal is opened, m->journal is an earlier move's. */
        if (m->phase != PHASE_NONE) {
                /* The record of the steps is best effort: a journal that
                 * cannot be written now still says where the move is. */
                (void) journal_add_step(m->journal, s->name, seconds);
                (void) journal_save_phase(m->journal, m->phase);
        }
        announce(m, s->name, NULL, seconds);
        test_hook_crash("%s", s->done);
        test_hook_pause(s->done);
        return 0;
}

static int run_steps(Move *m, const Step *table, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int r = run_step(m, table + i);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* The journal of this move, at PHASE_PLANNED; a resumed move has its own. */
static int journal_open(Move *m) {
        cJSON *j = NULL;
        int r;

        if (m->phase != PHASE_NONE)
                return 0;
        r = journal_new(init_system_to_string(m->cfg.init), m->cfg.socket, m->old_root, m->new_root, m->device,
                        m->target_mount, &j);
        /* How Docker keeps its images, and where containerd's root goes,
         * known to any run that finds this journal. */
        if (r >= 0 && m->store.store)
                r = journal_set_store(j, &m->store);
        if (r >= 0 && m->link.kind == DATA_ROOT_SYMLINK)
                r = json_set(j, JOURNAL_OLD_ROOT_NAMED, cJSON_CreateString(m->link.path));
        if (r < 0) {
                cJSON_Delete(j);
                return r;
        }
        cJSON_Delete(m->journal);
        m->journal = j;
        r = journal_save(NULL, m->journal);
        if (r < 0) {
                (void) error_set(&m->error, r, "Cannot write the journal %s: %m", JOURNAL_PATH);
                return move_fail(m, PHASE_NONE);
        }
        m->phase = PHASE_PLANNED;
        test_hook_crash("journal-opened");
        return 0;
}

/* Where a run of the plan begins: at the phase the run it resumes reached,
 * unless the host changed since. */
static void run_begin(Move *m) {
        m->phase = m->resume_phase;
        /* Docker came back on the old root since the run this one resumes
         * stopped it (a reboot, a human): start over from a live copy. */
        if (m->daemon.running && m->phase >= PHASE_STOPPED && m->phase < PHASE_CONFIGURED) {
                m->phase = PHASE_PLANNED;
                /* The steps the journal lists so far are of the run that
                 * stopped Docker, not of this one. */
                m->steps_from = journal_n_steps(m->journal);
        }

        /* Killed after Docker was verified on the new root: it may have
         * been stopped, or put back on the old root, since (a reboot, a
         * human). Started and verified again before the move is called
         * done and before --delete-old may touch the old root; should that
         * fail, the move rolls back as at its first start. */
        if (m->phase == PHASE_VERIFIED && !(m->daemon.running && streq_ptr(m->daemon.root_dir, m->new_root)))
                m->phase = PHASE_CONFIGURED;
}

/* The names of the steps of table a run takes, from m->phase on. */
static int plan_table(Move *m, const Step *table, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const Step *s = table + i;
                int r;

                if (!step_wanted(m, s))
                        continue;
                r = step_log_add(&m->planned_steps, "%s", s->name);
                if (r < 0)
                        return r;
                step_reached(m, s);
        }
        return 0;
}

int steps_plan(Move *m) {
        MovePhase phase = m->phase;
        size_t from = m->steps_from;
        int r;

        step_log_done(&m->planned_steps);
        /* move_finish_rollback() takes none of the move's steps. */
        if (m->resume_phase == PHASE_ROLLING_BACK)
                return 0;
        /* The run, walked without acting: each step a run would take, by
         * the same rows and the same tests, the phase moved on as each is
         * done. A step may still find at its turn that it has nothing to
         * do (STEP_SKIPPED); the plan cannot know that. */
        run_begin(m);
        r = plan_table(m, target_steps, ELEMENTSOF(target_steps));
        if (r >= 0 && m->phase == PHASE_NONE) {
                /* journal_open(): a new journal, whatever steps an earlier
                 * move's lists. */
                m->phase = PHASE_PLANNED;
                m->steps_from = journal_n_steps(m->journal);
        }
        if (r >= 0)
                r = plan_table(m, move_steps, ELEMENTSOF(move_steps));
        m->phase = phase;
        m->steps_from = from;
        return r;
}

int steps_run(Move *m) {
        int r;

        m->t_run = now_ms();
        if (m->resume_phase == PHASE_ROLLING_BACK) {
                r = move_finish_rollback(m);
                return move_resume_itable_init(m) < 0 ? -ENOMEM : r;
        }
        run_begin(m);

        r = run_steps(m, target_steps, ELEMENTSOF(target_steps));
        if (r == 0)
                r = journal_open(m);
        if (r == 0)
                r = run_steps(m, move_steps, ELEMENTSOF(move_steps));
        if (move_resume_itable_init(m) < 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        return m->outcome = r == 0 ? MOVE_DONE : r;
}
