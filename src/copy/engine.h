/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "copy/copy.h"
#include "util/macro.h"

/* The copy engine: Docker's data root copied by a pool of threads, each
 * walking directories with getdents64 and statx and copying file data in
 * the kernel (a reflink where both sides share a filesystem that can,
 * copy_file_range, or sendfile), holes kept with SEEK_DATA/SEEK_HOLE.
 * Everything rsync -aHAXS --numeric-ids keeps is kept: hard links (of any
 * file type), every xattr namespace (trusted.overlay.*, security.capability,
 * ACLs, which are xattrs), device nodes (overlay whiteouts are 0/0 character
 * devices), fifos, sockets, symlinks, numeric owners, nanosecond mtimes
 * (directories' set after their contents), empty directories. It never
 * leaves the source's filesystem. rsync is the reference it is tested
 * against (tests/unit/test-copy-engine.c, tests/root/runtime-copy-engine.sh).
 *
 * The target follows copy_tree()'s protocol (copy.h): it must be missing,
 * empty or marked as a copy of the same source (COPY_MARKER), or the copy is
 * refused with -ENOTEMPTY before a byte is written. */

/* How file data moves. AUTO tries a reflink (FICLONE), then
 * copy_file_range(), then sendfile(), each dropped for the rest of the copy
 * the first time the filesystems refuse it; the others force one way (for
 * tests and the benchmark). */
typedef enum CopyDataMethod {
        COPY_DATA_AUTO,
        COPY_DATA_READ_WRITE,
        COPY_DATA_SENDFILE,
        COPY_DATA_COPY_FILE_RANGE,
} CopyDataMethod;

/* What changed in the source since a point in time, as a change tracker
 * (tracker.h) recorded it. */
typedef struct CopyChanges {
        /* CLOCK_REALTIME in ns when recording began, less a margin; 0 when
         * the clock cannot be trusted (it stepped back meanwhile). Any entry
         * changed since has a ctime at or after it. */
        int64_t since_ns;
        /* The directories in which something was created, deleted, renamed,
         * written or had its attributes changed, and directories whose own
         * attributes changed: relative to the source root ("." for the root
         * itself), sorted, each once. */
        char **dirs;
        /* The directories placed (created, or moved into place: mkdir,
         * rename onto a name) since recording began, as they are named now: relative,
         * sorted, each once, none below another (what is made inside one is
         * new too). Whatever lies at or below such a path may be another
         * directory's in the target, listed or not: the final pass walks it
         * whole and copies its files again. NULL for none. */
        char **placed;
        /* false when the record cannot be trusted to hold every change (the
         * event queue overflowed, the tracker failed); reason says why. */
        bool complete;
        char *reason;
} CopyChanges;

CopyChanges *copy_changes_free(CopyChanges *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(CopyChanges *, copy_changes_free);

typedef struct CopyOptions {
        /* LIVE: files that vanish meanwhile are counted, not errors, and
         * mount points below the source are made but not entered; into a
         * target that held more than the marker when it began (an earlier
         * copy), what the source lacks is deleted as well. FINAL:
         * the target becomes the exact image of the source: what the source
         * lacks is deleted from the target; a vanished file (-EAGAIN) or a
         * mount point (-EBUSY) is an error. */
        CopyPass pass;
        /* Worker threads; 0 for the default: COPY_ENGINE_THREADS, of which
         * fewer work at once while the machine's CPUs are saturated
         * (pace.h). A count given here works all the time. */
        unsigned threads;
        /* Called from the calling thread, about every 250 ms and once at the
         * end with percent 100. */
        CopyProgressFn progress;
        void *userdata;
        /* The size of the source (copy_measure_tree()), for the percentage
         * and the ETA; 0: unknown, the percentage stays 0 until the end. */
        uint64_t expected_bytes;
        uint64_t expected_inodes;
        /* Final pass after a pre-copy into the same target. NULL: every
         * entry of both trees is compared (size, mtime, type, owner, mode,
         * xattrs, link target), as rsync's final pass does. Complete
         * changes: only the directories listed are synchronised, new
         * subdirectories in them copied whole, and the placed ones walked
         * whole, each file copied again; should the record prove
         * short (a file with more names than the listed directories hold),
         * the engine falls back to the whole tree by itself and says so in
         * CopyStats. Incomplete changes are refused (-EINVAL): pass NULL
         * instead. */
        const CopyChanges *changes;
        CopyDataMethod data_method;
        /* Called from the calling thread before the copy begins and after
         * each progress report, with the same userdata: a negative errno ends the copy with that error
         * and *ret_message (taken; may stay NULL) as its message. The copy
         * watch (copy/watch.h) stops a copy this way once its target can no
         * longer be written. The workers stop at their next entry; one
         * blocked inside the kernel on a dead device is waited for. */
        int (*check)(const CopyProgress *p, void *userdata, char **ret_message);
} CopyOptions;

/* The default worker count: the walk waits on the disk far more than on the
 * CPU, and a device with a queue answers many reads at once (on a virtio
 * disk, cold: 16 readers take 1.6 times as long as 64; more gain nothing;
 * docs/PERFORMANCE.md). While the machine's CPUs are saturated, fewer of
 * them work at once (copy/pace.h). */
#define COPY_ENGINE_THREADS 64

typedef struct CopyStats {
        uint64_t entries;  /* source entries examined */
        uint64_t copied;   /* target entries created or replaced */
        uint64_t updated;  /* target entries whose attributes alone were fixed */
        uint64_t linked;   /* hard links made */
        uint64_t deleted;  /* target entries removed (trees count once) */
        uint64_t vanished; /* source entries gone before they were copied (live pass) */
        uint64_t bytes;    /* file data written */
        uint64_t skipped;  /* entries found unchanged */
        unsigned threads;
        /* The fewest of them allowed to work at once during the copy. */
        unsigned threads_lowest;
        /* A changes-only final pass that had to walk the whole tree after
         * all; fallback_reason says why (static text). */
        bool fell_back;
        const char *fallback_reason;
        /* How the data moved in the end (static text: "reflink",
         * "copy_file_range", "sendfile", "read/write"). */
        const char *data_method;
} CopyStats;

/* Copies the contents of src into dst (src's own attributes included), see
 * above. On failure the returned errno says what kind: -ENOSPC or -EDQUOT
 * (target full), -EOPNOTSUPP (the target refuses an xattr or ACL of the
 * source), -EIO (an I/O error), -EAGAIN (files vanished during the final
 * pass), -EBUSY (a mount point below the source during the final pass),
 * -ENOTEMPTY (dst is not ours), -EINVAL (dst inside src, or an incomplete
 * record of changes), -EPERM (an owner or an attribute only root
 * may set); *ret_message, when given, a sentence naming the path. Stats
 * are written when ret_stats is given, on failure too (what was done). */
int copy_engine_run(
        const char *src, const char *dst, const CopyOptions *opts, CopyStats *ret_stats, char **ret_message);
