/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/test-hook.h"

void test_hook_crash(const char *format, ...) {
        const char *want = getenv(TEST_CRASH_ENV);
        _cleanup_free_ char *point = NULL;
        va_list ap;
        int r;

        if (isempty(want))
                return;
        va_start(ap, format);
        r = vasprintf(&point, format, ap);
        va_end(ap);
        if (r < 0 || !streq(point, want))
                return;
        /* Nothing flushed, nothing cleaned up: the state on disk is what a
         * crash at this point leaves. */
        fprintf(stderr, "%s=%s: killing this process (test hook)\n", TEST_CRASH_ENV, point);
        (void) raise(SIGKILL);
        _exit(EXIT_FAILURE);
}

void test_hook_pause(const char *point) {
        const char *want = getenv(TEST_PAUSE_ENV), *file;
        size_t l = strlen(point);
        int fd;

        if (isempty(want) || strncmp(want, point, l) != 0 || want[l] != ':')
                return;
        file = want + l + 1;
        fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return;
        close(fd);
        fprintf(stderr, "%s=%s: waiting until %s is removed (test hook)\n", TEST_PAUSE_ENV, point, file);
        for (unsigned i = 0; i < 1200 && access(file, F_OK) == 0; i++)
                usleep(100 * 1000);
}
