/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where a data root may be put: the mount point of a new volume (prepare,
 * move --device) or a directory on a mounted filesystem (move --to). Every
 * check runs in the plan, on the one canonical path that every later step
 * uses (the mount, the fstab line, the copy target, the configuration),
 * before anything is written. These look at the running host.
 *
 * A path is taken as the kernel reads it (util/path.h): symlinks resolved
 * where they are met, so that a link to the data root or to /proc is caught
 * by what it leads to. The one spelling that is refused as such is a ".."
 * after a symlink, which the kernel and a shell's "cd" read differently: the
 * user may have meant either place. */

/* Trees a data root or its mount point stay out of, whatever the caller
 * passes: Docker's default data root, the system containerd's root (where
 * the containerd image store keeps images) and this tool's own state. */
#define TARGET_PROTECTED_TREES "/var/lib/docker", "/var/lib/containerd", "/var/lib/docker-relocate"

/* The canonical form of path, which the user gave as option what
 * ("--mount"). 0 with *ret_path; 1 with the reason in *ret_reason when the
 * path cannot be used as it is written (it reads two ways, or cannot be
 * resolved); negative on other errors. */
int target_resolve(const char *what, const char *path, char **ret_path, char **ret_reason);

/* Whether path (canonical) may be a mount point for the data volume, or
 * hold a data root: not a system directory (/, /var, /var/lib, /home, /tmp,
 * /mnt, …), not inside what belongs to the operating system or the kernel
 * (/etc, /usr, /boot, /proc, /sys, /dev, /run, …), and neither inside nor
 * above any of trees (what a move copies: the current data root, …; NULL
 * for none) or TARGET_PROTECTED_TREES. 0 when fine, 1 with the reason in
 * *ret_reason. */
int target_check_place(const char *path, const char *const *trees, char **ret_reason);

/* Everything about a --to directory that does not depend on the data to
 * move: resolved (target_resolve()), placed (target_check_place()) and on a
 * filesystem that keeps a data root (mount_check_data_fs(): not tmpfs, not
 * read-only, …). 0 with *ret_path (canonical); 1 with *ret_reason. */
int target_check_dir(const char *path, const char *const *trees, char **ret_path, char **ret_reason);
