/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "disk/blockdev.h"

/* Whether a device may be formatted, decided before a single byte is
 * written. Every reason is collected (not just the first), each phrased as
 * "what is wrong: what to do". */

typedef struct EligibilityRequest {
        bool wipe;                 /* signatures may be overwritten */
        bool allow_instance_store; /* EC2 instance-store disks may be used */
        uint64_t need_bytes;       /* 0: no size requirement */
        uint64_t need_inodes;      /* 0: no inode requirement */
        const char *fstype;        /* what will be made: NULL for ext4; xfs allocates inodes as needed */
} EligibilityRequest;

typedef struct Eligibility {
        char **refusals;   /* empty: eligible */
        char **signatures; /* what libblkid saw, on the disk and its partitions ("loop0p1: ext4 …") */
        char **mounts;     /* mount points of the device and its partitions */
        char **warnings;   /* what could not be checked, and what that risks; no refusal */
        DiskKind kind;     /* of the device's disk (blockdev_kind()) */
} Eligibility;

void eligibility_done(Eligibility *e);

/* Extra room asked for on top of the data: ext4 metadata and the journal,
 * and headroom so that Docker does not start on a full disk. */
#define SIZE_MARGIN_PERCENT 10
#define SIZE_MARGIN_MIN (1024ULL * 1024 * 1024)

/* The device size needed for used bytes of data (with the margin). */
uint64_t disk_size_needed(uint64_t used_bytes);

/* Checks d (a disk or a partition). Fails (negative errno) only when the
 * facts cannot be read; refusals are results, in ret->refusals. */
int disk_check_eligibility(const char *sysroot, const BlockDev *d, const EligibilityRequest *req, Eligibility *ret);

/* Whether the filesystem on b (a disk or a partition, mounted) may be grown
 * in place: b is not read-only, does not back / or /boot, nothing is built
 * on it (holders, loop devices) and it writes through nothing in use (the
 * checks of disk_check_eligibility() that do not concern its being in use by
 * the filesystem to grow). The reasons against, in *ret_refusals (empty:
 * growable). */
int disk_check_growable(const char *sysroot, const BlockDev *b, char ***ret_refusals);

/* What makes a device the one a check looked at: a plan confirmed at a
 * prompt may be acted on minutes later, and a kernel name can by then belong
 * to another volume (one detached, another attached), or the device can have
 * been written to. */
typedef struct DiskIdentity {
        bool known;
        dev_t devnum;
        uint64_t size;
        uint64_t digest; /* over model, serial, volume id, the kernel's disk sequence number, a loop
                          * device's backing file, the partitions and every signature found on the
                          * device and on them */
} DiskIdentity;

/* The identity of the device name as it is now, its node included:
 * -ESTALE when <sysroot>/dev/<name> is a block device with another number
 * than the kernel's device of that name. */
int disk_identity(const char *sysroot, const char *name, DiskIdentity *ret);

bool disk_identity_equal(const DiskIdentity *a, const DiskIdentity *b);
