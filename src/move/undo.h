/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/macro.h"

/* The "rollback" and "cleanup" commands, on the move the journal records.
 * Each is planned first (what it would do, or why it cannot), then, once
 * the command layer has its confirmation, executed. Like the move, this
 * never prints and never prompts. */

typedef enum UndoKind {
        UNDO_ROLLBACK, /* a finished move: Docker back to the old root (its data since stays behind) */
        UNDO_ABANDON,  /* an interrupted move: the host as it was before it */
        UNDO_CLEANUP,  /* a finished move: the old data root removed */
        _UNDO_KIND_MAX,
} UndoKind;

typedef enum UndoOutcome {
        UNDO_PLANNED,     /* it can run: the plan says what it does */
        UNDO_REFUSED,     /* nothing to undo, or not safely: the error says why; nothing was changed */
        UNDO_UNCHANGED,   /* already done: no move to roll back, or it was rolled back or cleaned up already,
                           * or the old data root was gone already; the plan says which */
        UNDO_ROLLED_BACK, /* Docker runs on the old data root with the configuration as before */
        UNDO_CLEANED,     /* the old data root is removed */
        UNDO_FAILED,      /* it failed, and changed nothing of Docker's: the error says why */
        UNDO_NEEDS_HUMAN, /* it failed half way: the advice says what to do */
        _UNDO_OUTCOME_MAX,
} UndoOutcome;

/* The word of the JSON "status". */
const char *undo_outcome_to_string(UndoOutcome o);

typedef struct Undo Undo;

Undo *undo_free(Undo *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(Undo *, undo_free);

/* Plans "rollback" (of a finished move, or abandoning an interrupted one)
 * or "cleanup". Returns UNDO_PLANNED, UNDO_UNCHANGED or UNDO_REFUSED with
 * *ret set, or a
 * negative errno with *ret_error. */
int undo_plan(UndoKind kind, Undo **ret, char **ret_error);

/* Carries out a plan that came back UNDO_PLANNED. Returns the outcome, or a
 * negative errno when the bookkeeping itself failed (out of memory). */
int undo_execute(Undo *u);

typedef struct UndoSummary {
        UndoKind kind;
        UndoOutcome outcome;
        const char *old_root;
        const char *new_root;
        const char *interrupted_at; /* UNDO_ABANDON: the phase the move reached */
        bool on_old;                /* UNDO_ABANDON: Docker runs on the old root already */
        uint64_t bytes, inodes;     /* UNDO_CLEANUP: of the old data root */
        char *const *plan;          /* what it does, one line each */
        const char *diff;           /* UNDO_ROLLBACK: the configuration change */
        char *const *warnings;
        const char *error;
        const char *advice;
} UndoSummary;

void undo_summary(const Undo *u, UndoSummary *ret);

/* What --json prints; exit_status is the command's, for error.code. */
cJSON *undo_report(const Undo *u, int exit_status);
