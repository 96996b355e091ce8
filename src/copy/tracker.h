/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "copy/engine.h"
#include "util/macro.h"

/* The change tracker: what changed below a directory from a point in time
 * on, so that the final pass after a pre-copy synchronises only those
 * directories instead of walking the whole tree again while Docker is down.
 *
 * It is a fanotify group marking the directory's whole filesystem
 * (FAN_MARK_FILESYSTEM, kernel 5.9 or later for directory events with
 * FAN_REPORT_DFID_NAME; CAP_SYS_ADMIN): every create, delete, rename, write,
 * close after writing (writes through mmap show only there) and attribute
 * change reports the directory it happened in, as a file handle. Writes
 * through a container's overlay mount land on this filesystem and are seen
 * too. A thread reads the queue as it fills and keeps each directory once;
 * at the end the handles are opened (open_by_handle_at) and named. A
 * directory created or moved onto a name (FAN_CREATE, FAN_MOVED_TO with
 * FAN_ONDIR) is kept too, as its parent's handle and its name: the record's
 * placed directories (CopyChanges.placed), which the final pass walks whole.
 *
 * Start it before the pre-copy begins. The record is complete unless (and
 * CopyChanges.complete is false, with the reason, when): the kernel's queue
 * overflowed (16384 events by default: the thread fell behind), reading the
 * queue failed, more than COPY_TRACKER_MAX_DIRS directories changed (the
 * record would cost more memory than a full pass costs time: some 12 MiB at
 * that count), the source directory was replaced meanwhile, a directory
 * made or moved in came without its name or cannot be named. A file given a
 * new name in a directory the record lists while its other names lie
 * elsewhere is not seen by the record; the engine notices it by link count
 * and walks the whole tree then (CopyOptions.changes). When the system
 * clock stepped back meanwhile, since_ns is 0: ctimes say nothing then. */

#define COPY_TRACKER_MAX_DIRS (1U << 18)

typedef enum CopyTrackerFlags {
        /* No thread of its own: the queue is read only by
         * copy_tracker_drain() and copy_tracker_finish(), so a caller that
         * does not call it often enough loses the record to an overflow
         * (which is what the tests use this for). */
        COPY_TRACKER_NO_THREAD = 1 << 0,
} CopyTrackerFlags;

typedef struct CopyTracker CopyTracker;

/* Starts recording changes below root. -EPERM without CAP_SYS_ADMIN,
 * -EINVAL or -ENOSYS where the kernel lacks what is needed (then copy with a
 * full final pass), -EXDEV or -EOPNOTSUPP when root's filesystem cannot
 * report file handles. */
int copy_tracker_start(const char *root, CopyTrackerFlags flags, CopyTracker **ret);

/* Reads what the kernel has queued into the record (for COPY_TRACKER_NO_THREAD). */
int copy_tracker_drain(CopyTracker *t);

/* Stops recording and returns the changed directories (see CopyChanges in
 * engine.h): call it once Docker is stopped, right before the final pass.
 * Mount points that were below root at the start are listed too: what they
 * hid is visible now. */
int copy_tracker_finish(CopyTracker *t, CopyChanges **ret);

CopyTracker *copy_tracker_free(CopyTracker *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(CopyTracker *, copy_tracker_free);
