/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/diff.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/process.h"

int unified_diff(const char *path, const char *old, const char *new, char **ret) {
        char tmpl[] = "/tmp/docker-relocate-diff-XXXXXX";
        _cleanup_free_ char *a = NULL, *b = NULL, *la = NULL, *lb = NULL, *out = NULL;
        int status = 0, r;

        if (!mkdtemp(tmpl))
                return negative_errno();
        a = path_join(tmpl, "a");
        b = path_join(tmpl, "b");
        if (!a || !b || asprintf(&la, "%s%s", old ? "a" : "", old ? path : "/dev/null") < 0 ||
            asprintf(&lb, "%s%s", new ? "b" : "", new ? path : "/dev/null") < 0) {
                r = -ENOMEM;
                goto finish;
        }
        r = write_file_atomic(a, strempty(old), strlen(strempty(old)), 0600);
        if (r >= 0)
                r = write_file_atomic(b, strempty(new), strlen(strempty(new)), 0600);
        if (r < 0)
                goto finish;

        char *argv[] = { (char *) "diff", (char *) "-u", (char *) "--label", la, (char *) "--label", lb, a, b, NULL };
        r = run_command(argv, 30 * 1000, &out, NULL, &status);
        if (r >= 0 && status > 1)
                r = -EIO;
        if (r >= 0)
                *ret = TAKE_PTR(out);
finish:
        if (a)
                (void) unlink(a);
        if (b)
                (void) unlink(b);
        (void) rmdir(tmpl);
        return r;
}
