/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Built only with -Dfault_injection=true (src/meson.build). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/test-hook.h"

void test_hook_crash(const char *format, ...) {
        const char *want = getenv(TEST_CRASH_ENV), *colon, *action;
        _cleanup_free_ char *point = NULL;
        va_list ap;
        int r;

        if (isempty(want))
                return;
        va_start(ap, format);
        r = vasprintf(&point, format, ap);
        va_end(ap);
        if (r < 0)
                return;
        colon = strchr(want, ':');
        action = colon ? colon + 1 : "kill";
        if (colon ? strlen(point) != (size_t) (colon - want) || strncmp(point, want, colon - want) != 0
                  : !streq(point, want))
                return;

        if (streq(action, "stop")) {
                fprintf(stderr, "%s=%s: stopping this process (test hook)\n", TEST_CRASH_ENV, point);
                (void) raise(SIGSTOP);
                return;
        }
        if (streq(action, "exit")) {
                fprintf(stderr, "%s=%s: exiting (test hook)\n", TEST_CRASH_ENV, point);
                /* As a fatal error would end it; no exit handlers, which
                 * under the sanitizers would report what is still held. */
                (void) fflush(NULL);
                _exit(EXIT_FAILURE);
        }
        /* Nothing flushed, nothing cleaned up: the state on disk is what a
         * crash at this point leaves. */
        fprintf(stderr, "%s=%s: killing this process (test hook)\n", TEST_CRASH_ENV, point);
        (void) raise(SIGKILL);
        _exit(EXIT_FAILURE);
}

int test_hook_fail(const char *point) {
        static const struct {
                const char *name;
                int errnum;
        } names[] = {
                { "EIO", EIO },       { "ENOSPC", ENOSPC }, { "ENOENT", ENOENT }, { "EPERM", EPERM },
                { "EACCES", EACCES }, { "EROFS", EROFS },   { "EBUSY", EBUSY },   { "ENOMEM", ENOMEM },
        };
        const char *want = getenv(TEST_FAIL_ENV), *colon;
        int errnum = 0;

        if (isempty(want) || !point)
                return 0;
        colon = strrchr(want, ':');
        if (!colon || strlen(point) != (size_t) (colon - want) || strncmp(point, want, colon - want) != 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(colon + 1, names[i].name))
                        errnum = names[i].errnum;
        if (errnum == 0)
                errnum = atoi(colon + 1);
        if (errnum <= 0)
                return 0;
        fprintf(stderr, "%s=%s: failing with %s (test hook)\n", TEST_FAIL_ENV, want, strerror(errnum));
        return -errnum;
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

const char *test_hook_value(const char *name) {
        const char *v = getenv(name);

        if (isempty(v))
                return NULL;
        fprintf(stderr, "%s=%s (test hook)\n", name, v);
        return v;
}
