/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd-util.h"
#include "output/output.h"
#include "util/json-util.h"
#include "util/lock.h"
#include "util/log.h"

static char *failure;
static cJSON *report;

int cmd_fail_internal(int exit_status, int error, const char *file, int line, const char *format, ...) {
        va_list ap, aq;
        char *s;

        va_start(ap, format);
        va_copy(aq, ap);
        /* "%m" is glibc's strerror(errno). */
        errno = error < 0 ? -error : error;
        if (vasprintf(&s, format, aq) >= 0) {
                free(failure);
                failure = s;
        }
        va_end(aq);
        (void) log_internalv(LOG_LEVEL_ERR, error, file, line, format, ap);
        va_end(ap);
        return exit_status;
}

const char *cmd_failure(void) {
        return failure;
}

int cmd_confirm(bool yes, const char *question) {
        char answer[16] = "";

        if (yes)
                return 1;
        if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
                return -ENOTTY;
        fprintf(stderr, "%s [y/N] ", question);
        fflush(stderr);
        if (!fgets(answer, sizeof(answer), stdin))
                return 0;
        return answer[0] == 'y' || answer[0] == 'Y';
}

int cmd_lock_disk(int *ret_fd) {
        int r = lock_file(DISK_LOCK_FILE, 60 * 1000, ret_fd);

        if (r == -EBUSY)
                return cmd_fail(EXIT_FAIL, 0,
                                "Another docker-relocate is preparing or growing a disk (lock %s held for 60 s).",
                                DISK_LOCK_FILE);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to take the lock %s: %m", DISK_LOCK_FILE);
        return 0;
}

void cmd_set_report(cJSON *r) {
        cJSON_Delete(report);
        report = r;
}

cJSON *cmd_take_report(void) {
        return TAKE_PTR(report);
}

int cmd_report_undo(const Undo *u, bool json, int exit_status) {
        cJSON *j;

        if (!json)
                return exit_status;
        j = undo_report(u, exit_status);
        if (!j)
                return cmd_oom();
        cmd_set_report(j);
        return exit_status;
}
