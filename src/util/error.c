/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

int error_set(char **ret_error, int error, const char *format, ...) {
        int saved_errno = errno;
        va_list ap;
        char *s;
        int r;

        if (!ret_error)
                return error;
        /* "%m" is glibc's strerror(errno): make it this error. */
        errno = error < 0 ? -error : error;
        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        errno = saved_errno;
        if (r < 0)
                return error; /* out of memory: the errno says what it can */
        free(*ret_error);
        *ret_error = s;
        return error;
}
