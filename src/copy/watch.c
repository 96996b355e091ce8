/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "copy/watch.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/macro.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"

int copy_watch_init(CopyWatch *w, const char *dst, pid_t pid) {
        const char *stall = test_hook_value(TEST_COPY_STALL_ENV), *device = test_hook_value(TEST_COPY_DEVICE_ENV);
        struct stat st;

        *w = (CopyWatch){ .pid = pid, .last_ms = now_ms(), .stall_ms = COPY_STALL_SEC * 1000ULL };
        if (stall && strtoul(stall, NULL, 10) > 0)
                w->stall_ms = strtoul(stall, NULL, 10) * 1000ULL;
        w->dst = strdup(dst);
        if (!w->dst)
                return -ENOMEM;
        if (stat(dst, &st) < 0)
                return negative_errno();
        if (device) {
                w->block = strdup(device);
                return w->block ? 0 : -ENOMEM;
        }
        /* A filesystem on a block device: the device's sysfs node goes away
         * with the device (a detached volume). Others have no device. */
        if (major(st.st_dev) != 0) {
                if (asprintf(&w->block, "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev)) < 0) {
                        w->block = NULL;
                        return -ENOMEM;
                }
                if (!file_exists(w->block))
                        w->block = mfree(w->block);
        }
        return 0;
}

void copy_watch_done(CopyWatch *w) {
        w->dst = mfree(w->dst);
        w->block = mfree(w->block);
}

bool copy_reports_errno(const char *text, int errnum, const char *english) {
        char tag[16];
        int n;

        if (!text)
                return false;
        if (strstr(text, english))
                return true;
        n = snprintf(tag, sizeof(tag), " (%d)", errnum);
        for (const char *p = strstr(text, tag); p; p = strstr(p + 1, tag))
                if (p[n] == '\n' || p[n] == '\r' || p[n] == '\0')
                        return true;
        return false;
}

/* What rsync itself has read and written so far ("rchar", "wchar"): it moves
 * while rsync reads the source or talks to its receiver, even when no
 * progress line comes. */
static void process_io(pid_t pid, uint64_t *ret_read, uint64_t *ret_written) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        const char *p;

        *ret_read = *ret_written = 0;
        if (pid <= 0)
                return;
        if (asprintf(&path, "/proc/%d/io", (int) pid) < 0 || read_full_file(path, 64 * 1024, &data, NULL) < 0)
                return;
        p = strstr(data, "rchar: ");
        if (p)
                *ret_read = strtoull(p + 7, NULL, 10);
        p = strstr(data, "wchar: ");
        if (p)
                *ret_written = strtoull(p + 7, NULL, 10);
}

int copy_watch_check(CopyWatch *w, uint64_t bytes, const char *stderr_text, const char **ret_cause) {
        static const struct {
                int errnum;
                const char *english;
                const char *cause;
        } fatal[] = {
                { EROFS, "Read-only file system", "the target filesystem is read-only" },
                { EIO, "Input/output error", "input/output error" },
                { ENOSPC, "No space left on device", "target filesystem full" },
        };
        struct statvfs sv;
        uint64_t mark[ELEMENTSOF(w->mark)] = { bytes };
        unsigned long long now = now_ms();

        /* A SIGINT, SIGTERM or SIGHUP asked the move to stop: a long
         * copy is where it most likely came, and the copy stops now. */
        if (interrupt_pending()) {
                *ret_cause = interrupt_signal_name(interrupt_pending());
                return -EINTR;
        }
        /* rsync goes on with the next file after each one it cannot write;
         * on a target that is gone every next file fails the same way. */
        for (size_t i = 0; i < ELEMENTSOF(fatal); i++)
                if (copy_reports_errno(stderr_text, fatal[i].errnum, fatal[i].english)) {
                        *ret_cause = fatal[i].cause;
                        return -fatal[i].errnum;
                }
        if (w->block && !file_exists(w->block)) {
                *ret_cause = "the target's block device is gone";
                return -ENODEV;
        }
        if (statvfs(w->dst, &sv) < 0) {
                int r = negative_errno();
                *ret_cause = "the target can no longer be reached";
                return r == -ENOENT ? -ENODEV : r;
        }
        /* ext4 remounts itself read-only when it aborts on an error. */
        if (sv.f_flag & ST_RDONLY) {
                *ret_cause = "the target filesystem turned read-only";
                return -EROFS;
        }

        mark[1] = sv.f_bfree;
        mark[2] = sv.f_ffree;
        process_io(w->pid, &mark[3], &mark[4]);
        if (memcmp(mark, w->mark, sizeof(mark)) != 0) {
                memcpy(w->mark, mark, sizeof(mark));
                w->last_ms = now;
        } else if (now - w->last_ms >= w->stall_ms) {
                *ret_cause = "the copy made no progress for ten minutes";
                return -ETIMEDOUT;
        }
        return 0;
}

/* rsync's children and theirs, from /proc/PID/task/PID/children (rsync
 * runs no threads). */
static int collect_descendants(pid_t pid, char ***pids) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        char *saveptr = NULL;
        int r;

        if (asprintf(&path, "/proc/%d/task/%d/children", (int) pid, (int) pid) < 0)
                return -ENOMEM;
        if (read_full_file(path, 64 * 1024, &data, NULL) < 0)
                return 0; /* gone already */
        for (char *t = strtok_r(data, " \n", &saveptr); t; t = strtok_r(NULL, " \n", &saveptr)) {
                r = strv_extend(pids, t);
                if (r < 0)
                        return r;
                r = collect_descendants((pid_t) atoi(t), pids);
                if (r < 0)
                        return r;
        }
        return 0;
}

int copy_kill(pid_t pid, int *ret_status) {
        _cleanup_strv_free_ char **children = NULL;
        int r;

        /* The children first: once rsync is gone they are no longer found
         * under it. */
        (void) collect_descendants(pid, &children);
        STRV_FOREACH(c, children)
                (void) kill((pid_t) atoi(*c), SIGKILL);
        (void) kill(pid, SIGKILL);
        r = wait_command(pid, 30 * 1000, ret_status);
        if (r < 0)
                return r;

        /* The children are init's to reap now; wait until they are. */
        for (unsigned long long deadline = now_ms() + 10 * 1000; now_ms() < deadline; usleep(50 * 1000)) {
                bool alive = false;
                STRV_FOREACH(c, children)
                        if (kill((pid_t) atoi(*c), 0) == 0)
                                alive = true;
                if (!alive)
                        return 0;
        }
        return -EBUSY;
}
