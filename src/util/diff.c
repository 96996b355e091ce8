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
#include "util/path.h"
#include "util/process.h"

/* The text in a file of memory, and the name diff opens it by: nothing is
 * written to disk, and nothing is left behind when this process is killed
 * while diff runs (files below /tmp were, the fault tests' SIGKILL showed).
 * The fd is close-on-exec: diff opens it through this process's /proc
 * entry, which lives while it waits for diff. -ENOENT without /proc. */
static int text_in_memory(const char *name, const char *text, int *ret_fd, char **ret_path) {
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC);
        _cleanup_free_ char *p = NULL;
        int r;

        if (fd < 0)
                return negative_errno();
        r = write_all(fd, text, strlen(text));
        if (r < 0)
                return r;
        if (asprintf(&p, "/proc/%d/fd/%d", (int) getpid(), fd) < 0)
                return -ENOMEM;
        if (access(p, R_OK) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        *ret_path = TAKE_PTR(p);
        return 0;
}

int unified_diff(const char *path, const char *old, const char *new, char **ret) {
        char tmpl[] = "/tmp/docker-relocate-diff-XXXXXX";
        _cleanup_free_ char *a = NULL, *b = NULL, *la = NULL, *lb = NULL, *out = NULL;
        _cleanup_close_ int fa = -1, fb = -1;
        bool in_tmp = false;
        int status = 0, r;

        r = text_in_memory("diff-old", strempty(old), &fa, &a);
        if (r >= 0)
                r = text_in_memory("diff-new", strempty(new), &fb, &b);
        if (r < 0 && r != -ENOMEM) {
                /* No /proc (a chroot that builds an image), or no memfds
                 * (a system call filter): files, removed below. */
                a = mfree(a);
                if (!mkdtemp(tmpl))
                        return negative_errno();
                in_tmp = true;
                a = path_join(tmpl, "a");
                b = path_join(tmpl, "b");
                r = a && b ? write_file_atomic(a, strempty(old), strlen(strempty(old)), 0600) : -ENOMEM;
                if (r >= 0)
                        r = write_file_atomic(b, strempty(new), strlen(strempty(new)), 0600);
        }
        if (r < 0)
                goto finish;
        if (asprintf(&la, "%s%s", old ? "a" : "", old ? path : "/dev/null") < 0 ||
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
        if (in_tmp) {
                if (a)
                        (void) unlink(a);
                if (b)
                        (void) unlink(b);
                (void) rmdir(tmpl);
        }
        return r;
}
