/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "copy/copy.h"
#include "util/macro.h"

/* The move of Docker's data root (SPEC "The move"). The order of the steps
 * is the safety: nothing of Docker is touched until the target is ready and
 * the plan checked; from the moment Docker is stopped every failure restores
 * the configuration and starts Docker on the old tree, which is never
 * touched until the new one is verified (and then only on request). */

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
        bool force;  /* swarm manager */

        CopyProgressFn progress;
        void *progress_userdata;
} MoveRequest;

typedef struct Move Move;

Move *move_free(Move *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Move *, move_free);

/* Everything decided before acting: the current configuration, what the
 * daemon reports, the target, sizes and space, the config diff, refusals.
 * Returns an exit status of output.h (EXIT_OK when the plan can run, or when
 * the move is already done; EXIT_REFUSED with reasons) or a negative errno.
 * *ret is set in every case but a negative return. */
int move_plan(const MoveRequest *req, Move **ret);

/* What a human should do, or NULL: for a plan refused while Docker is down
 * because of the interrupted move it was to resume, how to get it back. */
const char *move_advice(const Move *m);

/* True when a previous run already finished this very move. */
bool move_already_done(const Move *m);

/* Runs the plan. Returns an exit status of output.h. */
int move_execute(Move *m);

/* The report: plan, steps with timings, result, error; what --json prints. */
cJSON *move_report(const Move *m);

/* For the human output. */
void move_print_plan(const Move *m);
void move_print_result(const Move *m);

/* rollback and cleanup of a finished move. */
int move_undo(bool yes, bool dry_run, cJSON **ret_report);
int move_cleanup(bool yes, bool dry_run, cJSON **ret_report);
