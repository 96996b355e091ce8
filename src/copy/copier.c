/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The move's copy: the engine (engine.h) or rsync (copy_tree()), chosen by
 * the caller, each watched the same way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy-internal.h"
#include "copy/copy.h"
#include "copy/engine.h"
#include "copy/watch.h"
#include "util/macro.h"
#include "util/process.h"
#include "util/string-table.h"
#include "util/test-hook.h"

static const char *const copier_table[_COPIER_MAX] = {
        [COPIER_ENGINE] = "engine",
        [COPIER_RSYNC] = "rsync",
};

DEFINE_STRING_TABLE_LOOKUP(copier, Copier);

typedef struct Watched {
        const CopyRequest *req;
        CopyWatch *watch;
        unsigned long long next_check;
} Watched;

static void on_progress(const CopyProgress *p, void *userdata) {
        Watched *w = userdata;

        if (w->req->progress)
                w->req->progress(p, w->req->userdata);
}

/* Once a second, as for rsync: is the target still there, and writable,
 * and does the copy move on? Entries count as progress too: a final pass
 * over an unchanged tree writes nothing for a while. */
static int on_check(const CopyProgress *p, void *userdata, char **ret_message) {
        Watched *w = userdata;
        const char *cause = NULL;
        unsigned long long now = now_ms();
        int r;

        if (now < w->next_check)
                return 0;
        w->next_check = now + 1000;
        r = copy_watch_check(w->watch, p->bytes + p->files, NULL, &cause);
        if (r == -EINTR) {
                if (asprintf(ret_message, "interrupted by %s; the copy was stopped", cause) < 0)
                        *ret_message = NULL;
        } else if (r < 0 && asprintf(ret_message, "cannot write %s: %s; the copy was stopped", w->watch->dst, cause) < 0)
                *ret_message = NULL;
        return r;
}

static int run_engine(const CopyRequest *req, const char *src, const char *dst, char **ret_message) {
        _cleanup_(copy_watch_done) CopyWatch watch = {};
        Watched w = { .req = req, .watch = &watch };
        CopyOptions o = {
                .pass = req->pass,
                .progress = on_progress,
                .userdata = &w,
                .expected_bytes = req->expected_bytes,
                .expected_inodes = req->expected_inodes,
                .check = on_check,
                .changes = req->changes,
        };
        int r;

        /* The target made and marked first, so that it can be watched from
         * the start (the engine finds it claimed). */
        r = copy_claim_target(src, dst, ret_message);
        if (r < 0) {
                if (ret_message && !*ret_message &&
                    asprintf(ret_message, "Cannot use %s as the target: %s", dst, strerror(-r)) < 0)
                        *ret_message = NULL;
                return r;
        }
        /* No process of its own: the watch goes by what the engine reports. */
        r = copy_watch_init(&watch, dst, 0);
        if (r < 0)
                return r;
        r = copy_engine_run(src, dst, &o, req->stats, ret_message);
        if (r < 0)
                return r;
        r = test_hook_fail(req->pass == COPY_PASS_LIVE ? "copy-live" : "copy-final");
        if (r < 0 && ret_message) {
                free(*ret_message);
                if (asprintf(ret_message, "Cannot write %s: %s", dst, strerror(-r)) < 0)
                        *ret_message = NULL;
        }
        return r;
}

int copy_tree_by(const CopyRequest *req, const char *src, const char *dst, char **ret_fallback,
                 char **ret_message) {
        _cleanup_free_ char *msg = NULL;
        int r;

        if (ret_fallback)
                *ret_fallback = NULL;
        if (ret_message)
                *ret_message = NULL;
        if (req->copier == COPIER_RSYNC)
                return copy_tree(src, dst, req->pass, req->progress, req->userdata, ret_message);

        test_hook_crash("copy-%s-begin", req->pass == COPY_PASS_LIVE ? "live" : "final");
        r = run_engine(req, src, dst, &msg);
        if (r != -ENOSYS || !find_executable("rsync", NULL)) {
                if (ret_message)
                        *ret_message = TAKE_PTR(msg);
                return r;
        }
        /* The kernel lacks a call the engine is built on: rsync does what
         * the engine could not start. */
        if (ret_fallback && asprintf(ret_fallback,
                                     "The copy engine cannot run on this kernel, which lacks a system call it needs "
                                     "(%s); rsync copied %s instead.",
                                     msg ?: strerror(ENOSYS), src) < 0)
                *ret_fallback = NULL;
        return copy_tree(src, dst, req->pass, req->progress, req->userdata, ret_message);
}
