/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/journald.h"
#include "util/log.h"

static int max_level = LOG_LEVEL_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_internalv(int level, int error, const char *file, int line, const char *format, va_list ap) {
        int saved_errno = errno;
        va_list aq;

        if (error < 0)
                error = -error;

        if (level <= max_level) {
                const char *prefix = level <= LOG_LEVEL_ERR       ? "error: "
                                     : level == LOG_LEVEL_WARNING ? "warning: "
                                                                  : "";

                fprintf(stderr, "%s", prefix);
                if (level >= LOG_LEVEL_DEBUG)
                        fprintf(stderr, "(%s:%d) ", file, line);
                /* %m in the format prints strerror(errno): make it our error. */
                errno = error;
                va_copy(aq, ap);
                vfprintf(stderr, format, aq);
                va_end(aq);
                fputc('\n', stderr);

                /* The same line, with its priority, to the journal when
                 * there is one. */
                if (journald_enabled()) {
                        char message[2048];

                        errno = error;
                        va_copy(aq, ap);
                        vsnprintf(message, sizeof(message), format, aq);
                        va_end(aq);
                        journald_log(level, error, file, line, message);
                }
        }

        errno = saved_errno;
        return -error;
}

int log_internal(int level, int error, const char *file, int line, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = log_internalv(level, error, file, line, format, ap);
        va_end(ap);
        return r;
}
