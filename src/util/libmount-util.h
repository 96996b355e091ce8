/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libmount.h>

#include "util/macro.h"

/* Cleanup helpers for libmount objects. */
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_fs *, mnt_unref_fs);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_context *, mnt_free_context);

typedef enum LibmountFormat {
        LIBMOUNT_MOUNTINFO, /* /proc/self/mountinfo (or a fixture of it) */
        LIBMOUNT_FSTAB,     /* comments kept, so that the file is written back as the administrator left
                             * it; a missing file is an empty table */
        LIBMOUNT_SWAPS,     /* /proc/swaps */
} LibmountFormat;

/* Parses the table file at path into a new table, and when ret_iter is not
 * NULL makes a forward iterator over it (as systemd's libmount_parse()).
 * Errors are negative errno values. */
int libmount_parse(const char *path, LibmountFormat format, struct libmnt_table **ret_table,
                   struct libmnt_iter **ret_iter);
