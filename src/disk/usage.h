/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "disk/blockdev.h"

/* Who uses a block device: mounts (<sysroot>/proc/self/mountinfo) and swap
 * (<sysroot>/proc/swaps), both read through libmount. sysroot is as in
 * blockdev.h. */

/* Every mount point of the device with this number (a device may be mounted
 * more than once). An empty list when it is not mounted. */
int usage_mount_points(const char *sysroot, dev_t devnum, char ***ret_targets);

/* The device mounted on target (the topmost mount there). -ENOENT when target
 * is not a mount point. ret_fstype may be NULL. */
int usage_mount_source(const char *sysroot, const char *target, dev_t *ret_devnum, char **ret_fstype);

/* Whether the filesystem mounted on target (the topmost mount there) has
 * option among its superblock options ("noinit_itable" of ext4): 1 or 0.
 * -ENOENT when target is not a mount point. */
int usage_mount_has_fs_option(const char *sysroot, const char *target, const char *option);

/* The directory of its filesystem that the mount on target shows: "/" for
 * the filesystem itself, another path for a bind mount of a directory of
 * it. -ENOENT when target is not a mount point. */
int usage_mount_fsroot(const char *sysroot, const char *target, char **ret_root);

/* The device of the filesystem that holds path, by the mount table (the
 * longest mount point above path): -ENOENT when none, or not a device. */
int usage_mount_device_of_path(const char *sysroot, const char *path, dev_t *ret_devnum);

/* Whether the device is an active swap area. */
int usage_is_swap(const char *sysroot, const BlockDev *d);

/* Whether the device named name (disk or partition), or anything on it, is
 * what "/" or "/boot" is mounted from, also through dm/md stacking. Returns 1
 * and the mount point ("/" or "/boot") in *ret_what, 0 when it backs neither. */
int usage_backs_system(const char *sysroot, const char *name, const char **ret_what);
