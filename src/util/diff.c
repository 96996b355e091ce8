/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/diff.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/process.h"

/* The text in a file of memory: nothing is written to disk, and nothing is
 * left behind when this process is killed while diff runs (files below /tmp
 * were, the fault tests' SIGKILL showed). */
static int memfd_with(const char *name, const char *text, int *ret_fd) {
        int fd = memfd_create(name, MFD_CLOEXEC), r;

        if (fd < 0)
                return negative_errno();
        r = write_all(fd, text, strlen(text));
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int unified_diff(const char *path, const char *old, const char *new, char **ret) {
        _cleanup_free_ char *a = NULL, *b = NULL, *la = NULL, *lb = NULL, *out = NULL;
        int fa = -1, fb = -1, status = 0, r;

        r = memfd_with("diff-old", strempty(old), &fa);
        if (r >= 0)
                r = memfd_with("diff-new", strempty(new), &fb);
        if (r < 0)
                goto finish;
        /* The fds are close-on-exec: diff opens them through this process's
         * /proc entry, which lives while it waits for diff. */
        if (asprintf(&a, "/proc/%d/fd/%d", (int) getpid(), fa) < 0 ||
            asprintf(&b, "/proc/%d/fd/%d", (int) getpid(), fb) < 0 ||
            asprintf(&la, "%s%s", old ? "a" : "", old ? path : "/dev/null") < 0 ||
            asprintf(&lb, "%s%s", new ? "b" : "", new ? path : "/dev/null") < 0) {
                r = -ENOMEM;
                goto finish;
        }

        char *argv[] = { (char *) "diff", (char *) "-u", (char *) "--label", la, (char *) "--label", lb, a, b, NULL };
        r = run_command(argv, 30 * 1000, &out, NULL, &status);
        if (r >= 0 && status > 1)
                r = -EIO;
        if (r >= 0)
                *ret = TAKE_PTR(out);
finish:
        if (fa >= 0)
                close(fa);
        if (fb >= 0)
                close(fb);
        return r;
}
