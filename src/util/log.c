/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/journald.h"
#include "util/log.h"

static int max_level = LOG_LEVEL_INFO;
static char last_error[1024];

const char *log_last_error(void) {
        return last_error[0] ? last_error : NULL;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_internal(int level, int error, const char *file, int line, const char *format, ...) {
        int saved_errno = errno;
        va_list ap;

        if (error < 0)
                error = -error;

        if (level <= LOG_LEVEL_ERR) {
                /* Remembered for the "error" member of the JSON result. */
                errno = error;
                va_start(ap, format);
                vsnprintf(last_error, sizeof(last_error), format, ap);
                va_end(ap);
        }

        if (level <= max_level) {
                const char *prefix = level <= LOG_LEVEL_ERR       ? "error: "
                                     : level == LOG_LEVEL_WARNING ? "warning: "
                                                                  : "";

                fprintf(stderr, "%s", prefix);
                if (level >= LOG_LEVEL_DEBUG)
                        fprintf(stderr, "(%s:%d) ", file, line);
                /* %m in the format prints strerror(errno): make it our error. */
                errno = error;
                va_start(ap, format);
                vfprintf(stderr, format, ap);
                va_end(ap);
                fputc('\n', stderr);

                /* The same line, with its priority, to the journal when
                 * there is one. */
                if (journald_enabled()) {
                        char message[2048];

                        errno = error;
                        va_start(ap, format);
                        vsnprintf(message, sizeof(message), format, ap);
                        va_end(ap);
                        journald_log(level, error, file, line, message);
                }
        }

        errno = saved_errno;
        return -error;
}
