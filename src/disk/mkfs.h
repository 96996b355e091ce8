/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "disk/probe.h"

/* Filesystem creation. There is no library for mkfs, so this runs
 * mkfs.ext4 / mkfs.xfs, then checks with libblkid that the device now holds
 * exactly what was asked for. */

/* Whether fstype is one this tool makes ("ext4", "xfs"). */
int mkfs_supported(const char *fstype);

/* Checks a label against the filesystem's limit (ext4 16 bytes, xfs 12). */
int mkfs_label_valid(const char *fstype, const char *label);

/* Makes fstype with label on node; xfs gets ftype=1 (overlay2 needs d_type).
 * On success *ret holds what libblkid reads back. -EPROTO when the result
 * is not what was asked for; ret_stderr (may be NULL) gets mkfs's message
 * on failure. */
int mkfs_make(const char *node, const char *fstype, const char *label, FsInfo *ret, char **ret_stderr);

/* For xfs: whether the filesystem on node (unmounted or mounted) has
 * ftype=1, by "xfs_db -r -c version". 1 yes, 0 no. */
int xfs_has_ftype(const char *node);
