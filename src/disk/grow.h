/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/step-log.h"

/* After the volume under a mounted filesystem was enlarged (EBS "modify
 * volume", losetup -c): grow its partition, if it has one, to the end of the
 * disk, then the filesystem, online (resize2fs for ext4, xfs_growfs for xfs).
 * Nothing to grow is not an error: changed stays false. */

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
} GrowResult;

void grow_result_done(GrowResult *r);

/* dir: the mount point; NULL for the one recorded last (disk/state.h, under
 * root). *result is always filled in; release it with grow_result_done().
 * ret_error as in util/error.h: what failed and what to do. */
int disk_grow(const char *root, const char *dir, bool dry_run, GrowResult *result, char **ret_error);
