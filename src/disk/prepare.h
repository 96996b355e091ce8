/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "disk/safety.h"
#include "util/step-log.h"

/* Makes a block device ready to hold the data root: resolve it, refuse it if
 * unsafe, optionally partition (one GPT partition), mkfs, mount on a guarded
 * (immutable) mount point, persist in fstab, and record the filesystem as
 * ours (disk/state.h). Docker is not touched.
 *
 * Idempotent: a filesystem this tool made (its UUID is recorded; or it carries
 * the asked-for label and is mounted where asked) is reused, never
 * reformatted; the missing steps (mount, fstab line) are done, and a second
 * run changes nothing (changed == false).
 *
 * Library use (the move orchestrator): fill a PrepareRequest, call
 * disk_prepare(), then
 *   r < 0               failure (*ret_error says what happened and what to do)
 *   result->refused     refused as unsafe, nothing written (result->refusals) → exit 3
 *   otherwise           done (or planned, with dry_run): result->changed, ->steps
 *
 * The mount point is resolved once, the way the kernel does (disk/target.h),
 * and that canonical path (result->mount) is what is mounted on, written to
 * /etc/fstab and recorded; a caller builds every later path on it. Every
 * precondition of a write (the mount point can be made, /etc/fstab and the
 * state file can be replaced) is checked before the device is touched, and
 * the device is checked again, by its identity, right before the first
 * write. */

#define DEFAULT_FSTYPE "ext4"
#define DEFAULT_LABEL "docker-data"

typedef struct PrepareRequest {
        const char *device;        /* DEVICE as the user wrote it (see disk/resolve.h) */
        const char *mount;         /* absolute mount point */
        const char *fstype;        /* "ext4"/"xfs"; NULL: ext4 for a new filesystem, any for a reused one */
        const char *label;         /* NULL: DEFAULT_LABEL */
        bool partition;            /* one GPT partition instead of the whole disk */
        bool wipe;                 /* allow overwriting signatures */
        bool allow_instance_store;
        uint64_t need_bytes;       /* device size needed (see disk_size_needed()); 0: none */
        uint64_t need_inodes;      /* 0: none (ext4 only; xfs makes inodes as needed) */
                                   /* Both bind a new filesystem only: a reused one may hold the
                                    * data already; the caller checks its free space. */
        long wait_device_sec;      /* wait this long for the device to appear; <= 0: don't */
        bool dry_run;              /* plan only: steps are what would be done */
        const char *protect[4];    /* trees the mount point stays out of, neither inside nor above
                                    * (disk/target.h): what a move copies, NULL-terminated; besides
                                    * TARGET_PROTECTED_TREES */
        bool mount_planned;        /* mount is the canonical path a plan showed: refused if it now
                                    * resolves elsewhere (a symlink changed since) */
        const DiskIdentity *expect; /* the device as a plan saw it (result->identity of its dry run):
                                    * refused when the device is no longer that one; NULL: none */
        const char *root;          /* where fstab, state and backups live; NULL: the host */
        bool defer_itable_init;    /* a copy follows: an ext4 filesystem is mounted with
                                    * MOUNT_DEFER_ITABLE_INIT (disk/mount.h), for the caller to
                                    * resume with mount_resume_itable_init() once it is done */
} PrepareRequest;

/* How far this run got with the device itself, in the order of the writes;
 * a state ending in -ING is a write that began and did not finish. */
typedef enum PrepareDevice {
        PREPARE_DEVICE_UNTOUCHED,    /* nothing written to it (a reused filesystem, or not there yet) */
        PREPARE_DEVICE_WIPING,       /* signatures may be partly wiped */
        PREPARE_DEVICE_WIPED,        /* every signature wiped, nothing written after */
        PREPARE_DEVICE_PARTITIONING, /* the partition table may be partly written */
        PREPARE_DEVICE_PARTITIONED,  /* a new GPT with one partition, nothing on it */
        PREPARE_DEVICE_FORMATTING,   /* it may hold part of a filesystem */
        PREPARE_DEVICE_FORMATTED,    /* the new filesystem (uuid) is on it */
} PrepareDevice;

/* What a run did to the host, so far: what a failure leaves, and what
 * disk_prepare_undo() takes back. disk_prepare_advice() says it in words. */
typedef struct PrepareDone {
        PrepareDevice device;
        bool recorded;       /* the filesystem made is recorded as ours (a re-run reuses it) */
        char *made_dir;      /* the topmost directory made for the mount point */
        bool guarded;        /* the mount point was made immutable */
        bool mounted;        /* the filesystem was mounted on mount */
        char *fstab_written; /* the fstab content written, with the volume's line */
} PrepareDone;

typedef struct PrepareResult {
        bool refused;      /* refused as unsafe: nothing was written */
        bool changed;      /* something changed (dry_run: would change) */
        bool reused;       /* an existing filesystem of ours was reused */
        char *disk;        /* whole-disk node, "/dev/nvme1n1" */
        char *fs_node;     /* node holding the filesystem, "/dev/nvme1n1p1" or the disk */
        char *resolved_by; /* how DEVICE was resolved (resolve_how_to_string()) */
        char *volume_id;   /* EBS volume id, when known */
        char *ec2_name;    /* EC2 device name, when known */
        char *uuid;
        char *fstype;
        char *label;
        char *mount;
        char *fstab_backup; /* backup of fstab taken before changing it, path inside root */
        StepLog steps;      /* steps done, in order (dry_run: planned, not timed) */
        char **refusals;    /* why it was refused */
        char **warnings;
        char *advice;          /* set exactly when a failed run had changed the host: disk_prepare_advice() of done */
        DiskIdentity identity; /* the device as this run saw it, for a later run to insist on */
        PrepareDone done;      /* what this run did to the host */
} PrepareResult;

void prepare_result_done(PrepareResult *r);

/* *result is always filled in (also on failure and refusal) and must be
 * released with prepare_result_done(). ret_error as in util/error.h: what
 * failed. result->advice is set on a failure exactly when the run had
 * changed the host by then (result->done: a wiped, partitioned or formatted
 * device, a mount point, a mount): what it left and what to do, for
 * "prepare" to run again. A failure with advice is one a human must look
 * at (exit 5); one without changed nothing (exit 1). */
int disk_prepare(const PrepareRequest *req, PrepareResult *result, char **ret_error);

/* The state result->done leaves the host in, and what to do: fix the cause
 * and run again (again: the command that takes it up, "prepare" or "the
 * move"), with --wipe where a new run would refuse the device, or what a
 * new run reuses. *ret is NULL when nothing was changed. */
int disk_prepare_advice(const PrepareResult *result, const char *again, char **ret);

/* Takes back what disk_prepare() did to the host in the run that filled
 * result, for a move that failed after it: the fstab line it added (the
 * file put back as it was when nothing else changed it since), the mount,
 * the mount point directories it made. The filesystem stays on the device,
 * and its record with it, so that the next run reuses it instead of asking
 * for --wipe; a volume the run found mounted stays as it was. root is the
 * request's. One line for each thing done, and for what could not be
 * undone with what to do, is appended to *report; result->done is left
 * saying what is still there. Returns 0, or the first error (the rest is
 * still tried). */
int disk_prepare_undo(const char *root, PrepareResult *result, char ***report);
