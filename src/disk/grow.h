/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/step-log.h"

/* After the volume under a mounted filesystem was enlarged (EBS "modify
 * volume", losetup -c): grow its partition, if it has one, to the end of the
 * disk, then the filesystem, online (resize2fs for ext4, xfs_growfs for xfs).
 * Nothing to grow is not an error: changed stays false.
 *
 * Only a filesystem this tool made is grown by its mount point: its UUID must
 * be recorded (disk/state.h). Any other is grown only when its device is
 * named, and then only after the checks prepare makes of a device that do
 * not concern its being in use by that very filesystem (disk/safety.h). A
 * bind mount (a directory of a filesystem shown elsewhere), the root
 * filesystem, a device with holders or loop devices on it are refused. */

typedef struct GrowResult {
        char *mount;
        char *fs_node;
        char *disk;
        char *fstype;
        bool changed;
        bool partition_grown;
        uint64_t partition_old, partition_new; /* bytes, 0 without a partition */
        uint64_t fs_old, fs_new;               /* filesystem size (statvfs), bytes */
        StepLog steps;                         /* dry run: what it would do, not timed */
        bool refused;                          /* refused as unsafe: nothing was done (refusals say why) */
        char **refusals;
        char *advice; /* on a failure: the state left and what to do */
} GrowResult;

void grow_result_done(GrowResult *r);

/* what: the mount point of a filesystem this tool made, or a device (as in
 * disk/resolve.h) whose mounted filesystem to grow; NULL for the mount point
 * recorded last (disk/state.h, under root). *result is always filled in;
 * release it with grow_result_done(). A refusal is a result (r == 0,
 * result->refused). ret_error as in util/error.h: what failed;
 * result->advice then says what it left (a partition grown under a
 * filesystem that was not) and what to do. */
int disk_grow(const char *root, const char *what, bool dry_run, GrowResult *result, char **ret_error);
