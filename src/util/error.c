/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

int error_setv(char **ret_error, int error, const char *format, va_list ap) {
        int saved_errno = errno;
        char *s;
        int r;

        if (!ret_error)
                return error;
        /* "%m" is glibc's strerror(errno): make it this error. */
        errno = error < 0 ? -error : error;
        r = vasprintf(&s, format, ap);
        errno = saved_errno;
        if (r < 0)
                return error; /* out of memory: the errno says what it can */
        free(*ret_error);
        *ret_error = s;
        return error;
}

int error_set(char **ret_error, int error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        error = error_setv(ret_error, error, format, ap);
        va_end(ap);
        return error;
}
