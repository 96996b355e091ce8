/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <cjson/cJSON.h>

#include "util/macro.h"

/* What a command did, step by step, with how long each step took: one record
 * for prepare, grow and move, and one shape in their JSON reports:
 *
 *   "steps": [ { "name": "mounted /dev/nvme1n1 on /mnt/docker-data", "seconds": 0.052 }, ... ]
 *
 * seconds to the millisecond; 0 for a step that was not timed (a dry run
 * lists what it would do). */
typedef struct StepLog {
        char **names;
        double *seconds;
        size_t n;
        unsigned long long mark_ms; /* when the step under way began; 0: steps are not timed */
} StepLog;

void step_log_done(StepLog *l);

/* A step begins now: the next step_log_add() is timed from here. */
void step_log_begin(StepLog *l);

/* Appends a step done, timed since step_log_begin() or the step before it
 * (0 when the log is not timed); the next step is timed from now. */
int step_log_add(StepLog *l, const char *format, ...) _printf_(2, 3);

cJSON *step_log_to_json(const StepLog *l);
