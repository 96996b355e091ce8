/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diff.h"
#include "util/macro.h"
#include "util/process.h"
#include "util/text-files.h"

int unified_diff(const char *path, const char *old, const char *new, char **ret) {
        _cleanup_(text_files_done) TextFiles t = {};
        _cleanup_free_ char *la = NULL, *lb = NULL, *out = NULL;
        const char *a, *b;
        int status = 0, r;

        /* In memory: nothing is left behind when this process is killed
         * while diff runs (files below /tmp were, the fault tests' SIGKILL
         * showed). */
        r = text_files_add(&t, "diff-old", strempty(old), strlen(strempty(old)), &a);
        if (r >= 0)
                r = text_files_add(&t, "diff-new", strempty(new), strlen(strempty(new)), &b);
        if (r < 0)
                return r;
        if (asprintf(&la, "%s%s", old ? "a" : "", old ? path : "/dev/null") < 0 ||
            asprintf(&lb, "%s%s", new ? "b" : "", new ? path : "/dev/null") < 0)
                return -ENOMEM;

        char *argv[] = { (char *) "diff", (char *) "-u", (char *) "--label", la, (char *) "--label", lb,
                         (char *) a, (char *) b, NULL };
        r = run_command(argv, 30 * 1000, &out, NULL, &status);
        if (r >= 0 && status > 1)
                r = -EIO;
        if (r >= 0)
                *ret = TAKE_PTR(out);
        return r;
}
