/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The final pass from a record of changes: a change tracker (copy/tracker.h)
 * starts on a tree's source right before its pre-copy begins and is kept
 * across the steps; once Docker is stopped, the final pass synchronises only
 * the directories in which something changed, so that the time Docker is
 * down no longer grows with the tree. Whenever the record cannot be trusted
 * to hold every change, or there is none, the final pass walks the whole
 * tree as before, and the report says why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy/engine.h"
#include "move/move-internal.h"
#include "util/strv.h"
#include "util/test-hook.h"

void final_pass_done(FinalPass *f) {
        if (!f)
                return;
        copy_tracker_free(f->tracker);
        free(f->no_tracker);
        free(f->reason);
        free(f->summary);
        *f = (FinalPass){};
}

const char *final_pass_full_walk_reason(const Move *m) {
        if (m->req.copier == COPIER_RSYNC)
                return "the copier is rsync, which compares the whole tree";
        /* What changed before the interruption was recorded by a process
         * that is gone. */
        if (m->resume_phase != PHASE_NONE)
                return "the move resumes an interrupted one, whose record of changes is lost";
        if (!m->req.pre_copy)
                return "there was no pre-copy (--no-pre-copy)";
        return NULL;
}

static const char *tracker_error(int r) {
        switch (r) {
        case -EPERM:
                return "it needs CAP_SYS_ADMIN";
        case -EINVAL:
        case -ENOSYS:
                return "the kernel lacks fanotify's directory events (Linux 5.9 or later)";
        case -EXDEV:
        case -EOPNOTSUPP:
                return "the source's filesystem cannot report file handles";
        default:
                return strerror(-r);
        }
}

int final_pass_track(Move *m, MoveTree tree, const char *src) {
        FinalPass *f = &m->final_pass[tree];
        CopyTrackerFlags flags = 0;
        int r;

        /* A pre-copy run again records afresh. */
        f->tracker = copy_tracker_free(f->tracker);
        f->no_tracker = mfree(f->no_tracker);
        if (final_pass_full_walk_reason(m))
                return 0;
        /* The tests make the record overflow by leaving the queue unread. */
        if (test_hook_value(TEST_TRACKER_UNREAD_ENV))
                flags |= COPY_TRACKER_NO_THREAD;
        r = test_hook_fail("tracker-start");
        if (r >= 0)
                r = copy_tracker_start(src, flags, &f->tracker);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && asprintf(&f->no_tracker, "the change tracker could not start on %s: %s", src,
                              tracker_error(r)) < 0)
                return -ENOMEM;
        return 0;
}

/* Finishes the tree's tracker: its record when complete, NULL with
 * *ret_reason otherwise. */
static int take_record(FinalPass *f, CopyChanges **ret, char **ret_reason) {
        _cleanup_(copy_tracker_freep) CopyTracker *t = TAKE_PTR(f->tracker);
        _cleanup_(copy_changes_freep) CopyChanges *c = NULL;
        int r;

        *ret = NULL;
        *ret_reason = NULL;
        if (!t)
                return 0;
        r = copy_tracker_finish(t, &c);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return asprintf(ret_reason, "the record of changes could not be read: %s", strerror(-r)) < 0
                               ? -ENOMEM
                               : 0;
        if (!c->complete)
                return asprintf(ret_reason, "the record of changes is incomplete: %s", strna(c->reason)) < 0
                               ? -ENOMEM
                               : 0;
        *ret = TAKE_PTR(c);
        return 0;
}

/* What the report says of it. */
static char *describe(const FinalPass *f) {
        char *s = NULL;

        if (f->tracked) {
                if (asprintf(&s, "%zu changed director%s", f->dirs, f->dirs == 1 ? "y" : "ies") < 0)
                        return NULL;
        } else if (asprintf(&s, "full walk (%s)", strna(f->reason)) < 0)
                return NULL;
        return s;
}

int move_copy_final(Move *m, MoveTree tree, const char *src, const char *dst, const TreeSize *size,
                    char **ret_message) {
        FinalPass *f = &m->final_pass[tree];
        _cleanup_(copy_changes_freep) CopyChanges *changes = NULL;
        _cleanup_free_ char *why = NULL;
        const char *chosen = final_pass_full_walk_reason(m);
        CopyStats stats = {};
        bool rsync = false;
        int r;

        f->ran = f->tracked = false;
        f->dirs = 0;
        f->reason = mfree(f->reason);
        f->summary = mfree(f->summary);
        if (!chosen) {
                r = take_record(f, &changes, &why);
                if (r < 0)
                        return r;
                if (!changes && !why) {
                        why = strdup(f->no_tracker ?: "no record of changes was kept");
                        if (!why)
                                return -ENOMEM;
                }
        }

        r = move_copy_with(m, src, dst, COPY_PASS_FINAL, size, changes, &stats, &rsync, ret_message);
        f->ran = true;
        if (changes && !rsync && !stats.fell_back) {
                f->tracked = true;
                f->dirs = strv_length(changes->dirs);
        } else if (chosen)
                f->reason = strdup(chosen);
        else if (why)
                f->reason = TAKE_PTR(why);
        else if (rsync)
                f->reason = strdup("rsync made the pass, which compares the whole tree");
        else if (asprintf(&f->reason, "the record proved short: %s", strna(stats.fallback_reason)) < 0)
                f->reason = NULL;
        if (!f->tracked && !f->reason)
                return -ENOMEM;
        f->summary = describe(f);
        return f->summary ? r : -ENOMEM;
}

