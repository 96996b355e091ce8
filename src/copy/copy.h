/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* Copying Docker's data root: rsync is the engine, as it is the one tool that
 * keeps hard links, ACLs, xattrs (overlay's trusted.overlay.* among them),
 * device nodes (overlay whiteouts are 0/0 character devices) and holes. */

typedef enum CopyPass {
        /* While Docker runs: -x so container mounts below the root are not
         * descended into; files that vanish meanwhile are expected. */
        COPY_PASS_LIVE,
        /* With Docker stopped: --delete makes the target the exact image of
         * the source; anything short of a complete transfer is an error. */
        COPY_PASS_FINAL,
} CopyPass;

typedef struct CopyProgress {
        uint64_t bytes;        /* transferred so far */
        unsigned percent;      /* of the whole transfer, 0..100 */
        double rate;           /* bytes per second, as rsync reports it */
        unsigned eta_sec;      /* rsync's estimate of the time left */
        uint64_t files;        /* entries done so far (the copy engine; 0 from rsync) */
} CopyProgress;

typedef void (*CopyProgressFn)(const CopyProgress *p, void *userdata);

/* The file copy_tree() keeps at the top of a target it copies into, naming
 * the source. rsync neither copies nor deletes it. */
#define COPY_MARKER ".docker-relocate-copy"

/* Copies the contents of src into dst (src "/var/lib/docker" or
 * "/var/lib/docker/" alike: the directory itself, its attributes included,
 * becomes dst). dst's parent must exist.
 *
 * The final pass deletes from dst whatever src lacks, so dst must be ours:
 * missing, empty (a filesystem's lost+found aside, which is never copied nor
 * deleted), or marked by an earlier copy_tree() of the same src. Anything
 * else is refused with -ENOTEMPTY before a byte is written: a mistyped
 * target never loses its files. The marker is written before rsync starts,
 * so an interrupted pass can be resumed; copy_unmark() removes it once the
 * copy is verified.
 *
 * progress, when not NULL, is called
 * for each progress line of rsync, and once more with percent 100 when the
 * copy completed (rsync itself stops short of 100% when hard links or
 * unchanged files were not transferred). On failure the returned errno says what
 * kind (-ENOSPC: target filesystem full; -EOPNOTSUPP: the target cannot hold
 * xattrs or ACLs; -ENOENT: rsync is not installed; -EIO: an I/O error;
 * -ECANCELED: rsync was interrupted; -EAGAIN: files vanished during the final
 * pass; -ENOTEMPTY: dst holds something that is not a copy of src) and
 * *ret_message, when given, a sentence with rsync's last error lines.
 *
 * A target that can no longer be written ends the copy at once, rather than
 * when rsync has failed on every file left (copy/watch.h): its filesystem
 * turned read-only (-EROFS), its block device gone (-ENODEV), rsync reporting
 * a read-only, full or failing target (-EROFS, -ENOSPC, -EIO), or no progress
 * at all for COPY_STALL_SEC (-ETIMEDOUT). rsync and its children are killed
 * and reaped before copy_tree() returns; the message names dst and the
 * cause. */
int copy_tree(const char *src, const char *dst, CopyPass pass, CopyProgressFn progress, void *userdata,
              char **ret_message);

/* Which program copies a tree for the move. */
typedef enum Copier {
        /* The copy engine of this project (engine.h): a pool of threads,
         * the data copied in the kernel; rsync where it cannot run. */
        COPIER_ENGINE,
        /* rsync -aHAXS --numeric-ids, through copy_tree(). */
        COPIER_RSYNC,
        _COPIER_MAX,
        _COPIER_INVALID = -EINVAL,
} Copier;

const char *copier_to_string(Copier c);
Copier copier_from_string(const char *s);

typedef struct CopyRequest {
        Copier copier;
        CopyPass pass;
        CopyProgressFn progress;
        void *userdata;
        /* The source's size (copy_measure_tree()), for the engine's
         * percentage and ETA; 0: unknown. */
        uint64_t expected_bytes; /* apparent */
        uint64_t expected_inodes;
        /* The engine's final pass: only what a change tracker recorded
         * (CopyOptions.changes in engine.h); NULL: the whole tree. rsync
         * ignores it. */
        const struct CopyChanges *changes;
        /* When not NULL, the engine's statistics of the pass (CopyStats in
         * engine.h), written as copy_engine_run() writes them; left as they
         * are when rsync made the pass. */
        struct CopyStats *stats;
} CopyRequest;

/* One pass of the copy of src into dst by the copier asked for, with
 * copy_tree()'s protocol and errors: the same target rules and marker, the
 * same progress callback (percent 100 at the end), and the same watch on
 * the target (copy/watch.h: read-only, device gone, full, no progress),
 * which ends the copy at the first sign. The engine's final pass deletes
 * from dst what src lacks, as rsync --delete does.
 *
 * Where the engine cannot run at all (the kernel lacks a system call it
 * needs, statx() before Linux 4.11: -ENOSYS, before it wrote anything),
 * rsync makes the pass instead, and *ret_fallback (when given) is a
 * sentence saying so and why; NULL otherwise. */
int copy_tree_by(const CopyRequest *req, const char *src, const char *dst, char **ret_fallback,
                 char **ret_message);

/* Removes the marker from a finished copy (missing is fine). */
int copy_unmark(const char *dst);

/* The argv copy_tree runs (for the plan and for tests). */
char **copy_rsync_argv(const char *src, const char *dst, CopyPass pass);

/* One line of "rsync --info=progress2" ("  1,234,567  45%  12.34MB/s  0:00:01
 * (xfr#3, to-chk=10/20)"); -EINVAL for anything else. */
int copy_parse_progress_line(const char *line, CopyProgress *ret);

/* rsync's exit status → 0 or a negative errno, given the pass and rsync's
 * stderr. *ret_message (static text) explains it. */
int copy_map_rsync_exit(int status, CopyPass pass, const char *stderr_text, const char **ret_message);

/* Mount points strictly below dir, from a mountinfo file (NULL:
 * /proc/self/mountinfo), deepest last, sorted. A container's overlay "merged"
 * or shm mount below the old root means Docker still has it in use. */
int copy_mounts_below(const char *mountinfo, const char *dir, char ***ret);

typedef struct TreeSize {
        uint64_t bytes;          /* allocated (st_blocks), hard links once */
        uint64_t apparent_bytes; /* st_size, hard links once */
        uint64_t inodes;         /* hard links once */
} TreeSize;

/* Measures the tree at dir the way the copy sees it: on dir's filesystem only
 * (like -x), each inode once however many links it has. */
int copy_measure_tree(const char *dir, TreeSize *ret);
