/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "copy/copy.h"
#include "util/macro.h"
#include "util/step-log.h"

/* The move of Docker's data root (SPEC "The move"). The order of the steps
 * is the safety: nothing of Docker is touched until the target is ready and
 * the plan checked; from the moment Docker is stopped every failure restores
 * the configuration and starts Docker on the old tree, which is never
 * touched until the new one is verified (and then only on request).
 *
 * Where things are, in src/move/:
 *   plan.c      what the move decides before acting: target, configuration
 *               place, estimate, steps, refusals
 *   probe.c     what it learns of the host for that: journal, configuration,
 *               the daemon, sizes, the target
 *   steps.c     the move as a table of steps, and the one driver that runs it
 *               (resume, timing, journal, crash points)
 *   rollback.c  where a failure decides to roll back, the rollback, and the
 *               advice when it cannot
 *   containerd.c the system containerd's root as a second tree of the move
 *               (the containerd image store): its facts, plan and steps;
 *               and the check that dockerd's own containerd runs on the
 *               moved data root
 *   undo.c      the "rollback" and "cleanup" commands
 *   verify.c    what Docker holds, recorded and compared through the Engine
 *   daemon.c    stopping, starting and asking the daemon
 *   report.c    the JSON report
 *   journal.c   the write-ahead record of a move (state.json)
 *
 * The module never prints and never prompts: it returns an outcome (or a
 * negative errno with the text in ret_error, util/error.h), and src/cmd
 * reports it and decides the exit status. */

typedef struct Move Move;

/* How a move went so far. */
typedef enum MoveOutcome {
        MOVE_PLANNED,     /* the plan can run */
        MOVE_UNCHANGED,   /* a previous run made this very move: nothing to do */
        MOVE_REFUSED,     /* refused as unsafe; this run changed nothing (move_refusals()) */
        MOVE_FAILED,      /* failed before Docker was stopped; Docker was not touched */
        MOVE_DONE,        /* Docker runs on the new root, verified */
        MOVE_ROLLED_BACK, /* failed after Docker was stopped; it runs on the old root again, as before */
        MOVE_NEEDS_HUMAN, /* failed, and the host could not be put back: move_advice() says what to do */
        _MOVE_OUTCOME_MAX,
} MoveOutcome;

/* The outcome's name. */
const char *move_outcome_to_string(MoveOutcome o);
/* Its word in the JSON "status" and the journal's DOCKER_RELOCATE_STATUS,
 * the one vocabulary of every command's result (docker-relocate(8)). */
const char *move_outcome_status_to_string(MoveOutcome o);

/* Called as each step of the move begins (seconds < 0) and when it is done
 * (seconds >= 0); doing is what the step does, for the user (may be NULL). */
typedef void (*MoveStepFn)(const Move *m, const char *step, const char *doing, double seconds, void *userdata);

typedef struct MoveRequest {
        /* Target: a device to prepare (with mount, fs, label, ...) or a directory. */
        const char *device;
        const char *mount; /* default /mnt/docker-data */
        const char *fs;
        const char *label;
        bool partition;
        bool wipe;
        bool allow_instance_store;
        long wait_device_sec;
        const char *to;

        bool pre_copy;
        bool delete_old;
        bool force; /* swarm manager */
        Copier copier; /* what copies the trees (copy.h) */

        CopyProgressFn progress;
        MoveStepFn step;
        void *userdata; /* of progress and step */
} MoveRequest;

Move *move_free(Move *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Move *, move_free);

/* Everything decided before acting: takes the locks, reads the journal of an
 * earlier run and the configuration, asks the daemon, measures, checks the
 * target, plans the configuration change. Returns MOVE_PLANNED,
 * MOVE_UNCHANGED, MOVE_REFUSED or MOVE_FAILED (the volume could not be
 * checked), with *ret set; or a negative errno, with *ret_error. */
int move_plan(const MoveRequest *req, Move **ret, char **ret_error);

/* Runs a plan that came back MOVE_PLANNED (or MOVE_UNCHANGED: then nothing
 * is done). Returns MOVE_DONE, MOVE_UNCHANGED, MOVE_FAILED,
 * MOVE_ROLLED_BACK or MOVE_NEEDS_HUMAN, or a negative errno when the
 * bookkeeping itself failed (out of memory). */
int move_execute(Move *m);

/* What the report says, for the command layer's printing. */
typedef struct MoveSummary {
        MoveOutcome outcome;
        bool resuming; /* an interrupted move is resumed; resumed_at is where it stopped */
        const char *resumed_at;
        const char *old_root;
        const char *new_root;
        const char *device;
        const char *volume_id;
        uint64_t bytes, inodes; /* of the old data root */
        /* How Docker keeps its images (NULL when not known), and
         * containerd's root when it moves too (NULL otherwise). */
        const char *store, *driver, *driver_type, *containerd_kind;
        const char *old_containerd_root, *new_containerd_root;
        uint64_t containerd_bytes, containerd_inodes;
        bool free_known;
        uint64_t free_bytes, free_inodes;
        double estimate_sec;
        double downtime_sec;
        bool pre_copy, delete_old;
        const char *copier;
        char *const *disk_steps; /* the volume's own steps (--device) */
        char *const *plan_steps;
        const char *diff;
        char *const *notes; /* what else the configuration change does, or leaves as it is */
        char *const *warnings;
        char *const *refusals;
        const StepLog *steps;
        /* The final pass of the data root and of containerd's root, when it
         * ran in this run: "N changed directories" or "full walk (why)";
         * NULL otherwise. */
        const char *final_pass, *final_pass_containerd;
        const char *error;  /* why it failed */
        const char *advice; /* what a human should do */
} MoveSummary;

void move_summary(const Move *m, MoveSummary *ret);

/* The report: plan, steps with timings (of a plan that did not run, the
 * steps a run would take, 0 s each), outcome, error; what --json prints.
 * exit_status is the command's, for error.code. */
cJSON *move_report(const Move *m, int exit_status);
