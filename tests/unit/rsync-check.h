/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* rsync as the reference of a copy: what "rsync -n -aHAXS --checksum -i
 * --delete" from the source would still change in the target. */

#include <stdio.h>
#include <stdlib.h>

#include "copy/copy.h"
#include "tap.h"
#include "util/macro.h"
#include "util/process.h"

/* What rsync would still change: "" for a faithful copy. */
static inline char *rsync_diff(const char *src, const char *dst) {
        _cleanup_free_ char *s = NULL, *d = NULL, *out = NULL, *err = NULL;
        int status = -1;

        if (asprintf(&s, "%s/", src) < 0 || asprintf(&d, "%s/", dst) < 0)
                abort();
        /* --modify-window=-1: times to the nanosecond, not the second. */
        char *argv[] = { "rsync", "-n", "-x", "-aHAXS", "--numeric-ids", "--checksum", "--modify-window=-1", "-i",
                "--delete", "--exclude=/" COPY_MARKER, s, d, NULL };
        if (run_command(argv, 120000, &out, &err, &status) < 0 || status != 0) {
                char *m = NULL;
                if (asprintf(&m, "rsync failed (%d): %s", status, strna(err)) < 0)
                        abort();
                return m;
        }
        return TAKE_PTR(out);
}

#define ok_same(src, dst, ...)                                                                                        \
        do {                                                                                                          \
                _cleanup_free_ char *_diff_ = rsync_diff((src), (dst));                                               \
                ok_streq(_diff_, "", __VA_ARGS__);                                                                    \
        } while (0)
