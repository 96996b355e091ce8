/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Checks made in a plan, before the first write, that a later write will be
 * possible: a run must not format a disk and only then find that it cannot
 * write /etc/fstab or its journal. Each returns 0 when the write can be
 * done, 1 with the reason in *ret_reason ("<path> is …: what to do"), and a
 * negative errno when it cannot tell. Paths are on the running host. */

/* path (a regular file, or missing) can be created, or replaced by a rename
 * in its directory, as write_file_atomic() does: its directory exists or can
 * be made (precheck_mkdir()), on a writable filesystem, and may be written;
 * or, when path is a mount point (a file bound over it, as in containers: a
 * rename over it fails with EBUSY, so it is written in place), the file
 * itself may be written on its own mount. Not immutable or append-only, not
 * a directory, FIFO or other non-regular file. With follow, a symlink is
 * followed to the file it names (/etc/fstab may be a link); without, path
 * or its directory being a symlink is a reason: the write must not land
 * where a planted link points (the directories above are the system's). */
int precheck_replace(const char *path, bool follow, char **ret_reason);

/* dir exists as a directory that may be written into, or can be made with
 * its missing parents: the nearest existing ancestor is a writable directory
 * (not immutable, not on a read-only filesystem). Without follow, dir being
 * a symlink is a reason. */
int precheck_mkdir(const char *dir, bool follow, char **ret_reason);

/* One write a plan will do, for precheck_writes(). */
typedef struct PrecheckWrite {
        const char *what;  /* for the message: "the journal" */
        const char *path;  /* NULL: skipped */
        bool dir;          /* a directory to make (precheck_mkdir()), else a file to replace */
        bool follow;       /* see precheck_replace() / precheck_mkdir() */
} PrecheckWrite;

/* Checks each of the n writes; appends "<what> cannot be written: <why>"
 * to *refusals for each that cannot be done. Negative on errors of its own. */
int precheck_writes(const PrecheckWrite *w, size_t n, char ***refusals);
