/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
