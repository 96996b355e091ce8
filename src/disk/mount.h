/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Mount points: creating them so that nothing can fill them while the volume
 * is missing, mounting through libmount, and vetting a directory as a home
 * for the data root. These act on the running host. */

/* 1 when dir is missing or an empty directory, 0 when it holds anything,
 * -ENOTDIR when it is not a directory. */
int mount_dir_is_empty(const char *dir);

/* Creates dir (and parents) if needed, never through a symlink, and sets
 * FS_IMMUTABLE_FL on it while it is empty: when the volume is not mounted,
 * Docker (or anything) then fails to write there instead of filling the root
 * filesystem with a new, empty data root. -ENOTEMPTY if dir holds anything.
 * -EOPNOTSUPP when the filesystem has no such flag (the directory is still
 * made). *ret_created (may be NULL) gets the topmost directory made, NULL
 * when dir existed; it is set also on -EOPNOTSUPP. */
int mount_make_guarded_dir(const char *dir, char **ret_created);

/* Undoes mount_make_guarded_dir(): clears the flag of dir and removes it and
 * its parents up to top (what it reported as created), each only if empty. */
int mount_remove_guarded_dir(const char *dir, const char *top);

/* Mounts node on dir with libmount, with options (NULL: "defaults").
 * ret_error (util/error.h) gets libmount's explanation. */
int mount_device(const char *node, const char *dir, const char *fstype, const char *options, char **ret_error);

/* The option that mounts a new ext4 filesystem without its background
 * zeroing of the inode tables (ext4lazyinit), which takes about a tenth of
 * the device's bandwidth until it ends, tens of minutes on a large volume:
 * a copy onto it is slowed while it runs. */
#define MOUNT_DEFER_ITABLE_INIT "noinit_itable"

/* Starts the zeroing a mount with MOUNT_DEFER_ITABLE_INIT deferred: dir
 * remounted with "init_itable", its other options as they are. 0 when dir
 * is not mounted so (nothing to do), 1 when remounted. */
int mount_resume_itable_init(const char *dir);

/* Unmounts what is mounted on dir (the topmost mount), with libmount.
 * ret_error (util/error.h) gets libmount's explanation. */
int mount_umount(const char *dir, char **ret_error);

/* Whether the filesystem that dir is on may hold a data root: not one that
 * keeps nothing across a reboot (tmpfs, ramfs, a filesystem on a RAM disk),
 * not NFS (or another network filesystem), not overlay or FUSE, not a
 * read-only image or mount, not a kernel pseudo-filesystem, not xfs without
 * ftype=1. Returns 0 when fine, 1 with the reason in *ret_reason when not. */
int mount_check_data_fs(const char *dir, char **ret_reason);
