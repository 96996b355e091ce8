/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* What libblkid sees on a device node: every signature (filesystem, swap,
 * LVM, RAID, partition table), and the filesystem with its identity. */

/* One human-readable description per signature found, e.g.
 * "ext4 filesystem (UUID=…, LABEL=…)", "gpt partition table",
 * "LVM2_member raid/lvm member". An empty list: a blank device. */
int probe_signatures(const char *node, char ***ret_signatures);

typedef struct FsInfo {
        char *type;  /* "ext4", "xfs", … */
        char *uuid;
        char *label; /* NULL without one */
} FsInfo;

void fs_info_done(FsInfo *i);

/* The one filesystem on node. -ENOENT when there is none, -ENOTUNIQ when
 * libblkid finds conflicting signatures. */
int probe_filesystem(const char *node, FsInfo *ret);

/* Erases every signature libblkid finds (wipefs -a). The device is opened
 * O_EXCL so that a device mounted in the meantime is not touched. */
int probe_wipe_all(const char *node);
