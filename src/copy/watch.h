/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Watching a running copy for a target that can no longer be written. When
 * the volume goes away under rsync (detached, or its filesystem aborted and
 * turned read-only), rsync does not stop: it reports each file it fails to
 * create and goes on with the next, for as long as the tree lasts, while
 * Docker stays down. The copy has to end at the first sign instead, so the
 * move can roll back. */

/* How long a copy may go without any sign of progress: no progress line with
 * more bytes, no change of the target's free blocks or inodes, no byte read
 * or written by rsync. Generous: a final pass over a large unchanged tree
 * only compares metadata for a while. */
#define COPY_STALL_SEC 600U /* ten minutes */

typedef struct CopyWatch {
        char *dst;
        char *block;                 /* /sys/dev/block/MAJ:MIN of the target's filesystem, or NULL */
        pid_t pid;                   /* rsync; 0: the copy engine, in this process */
        uint64_t mark[5];            /* the progress signature last seen */
        unsigned long long last_ms;  /* when it last changed */
        unsigned long long stall_ms; /* how long it may stay unchanged */
} CopyWatch;

/* Starts watching dst (which exists) for rsync's pid; 0 for the copy engine
 * (its threads' I/O is not told apart from the watch's own: what it reports
 * as done is its progress). */
int copy_watch_init(CopyWatch *w, const char *dst, pid_t pid);
void copy_watch_done(CopyWatch *w);

/* Checks the target and rsync's progress; bytes is what rsync reported
 * transferred so far, stderr_text what it said on stderr. 0 while the copy
 * may go on; otherwise a negative errno (-EROFS: the target turned
 * read-only; -ENODEV: its block device is gone; -EIO, -ENOSPC: rsync could
 * not write the target; -ETIMEDOUT: no progress for the stall limit;
 * -EINTR: the move was interrupted, interrupt.h) and *ret_cause, a static
 * phrase saying why (for -EINTR the signal's name). */
int copy_watch_check(CopyWatch *w, uint64_t bytes, const char *stderr_text, const char **ret_cause);

/* Whether rsync reported errnum ("...: <strerror> (<errnum>)" at a line's
 * end, or the English text anywhere). */
bool copy_reports_errno(const char *text, int errnum, const char *english);

/* Ends rsync and every process it started (rsync forks its receiver and
 * generator), reaps rsync and waits, bounded, until the others are gone.
 * *ret_status as wait_command() gives it. */
int copy_kill(pid_t pid, int *ret_status);
