/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Locks between runs of this program: flock(2) on a file, so that a run that
 * is killed releases its lock with its last fd. */

/* The program-wide lock: one run at a time changes Docker's configuration
 * (move, set-data-root, rollback, cleanup). Under --root, inside the root. */
#define LOCK_PATH "/run/docker-relocate.lock"

/* The disk lock: cloud-init and an administrator must not partition or
 * format at the same time (prepare, grow, move --device). On the host
 * whatever --root says: it guards the host's block devices. */
#define DISK_LOCK_FILE "/run/docker-relocate/disk.lock"

/* Takes an exclusive flock on path, which is created (with its directory)
 * if missing and never followed through a symlink, waiting up to timeout_ms
 * (0: not at all): -EBUSY when another process holds it past that. Returns
 * the fd that holds the lock; closing it releases the lock. Take each lock
 * once per process: a second open of the same file would wait for the
 * first. */
int lock_file(const char *path, unsigned long long timeout_ms, int *ret_fd);
