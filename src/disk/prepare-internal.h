/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The insides of disk_prepare(), shared by its files and nobody else: the
 * command with the checks and steps both ways share (prepare.c), a volume
 * that carries our filesystem already (prepare-reuse.c), a new filesystem
 * (prepare-new.c). Taking a run back (prepare-undo.c) needs only
 * disk/prepare.h. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "disk/blockdev.h"
#include "disk/prepare.h"
#include "disk/probe.h"

/* A filesystem of ours on the device or one of its partitions. */
typedef struct Ours {
        char *name; /* kernel name of the node holding it */
        FsInfo fs;
        bool recorded;
} Ours;

/* prepare.c: the checks and steps both ways share */
/* Whether /etc/fstab (fstab) and the state file (state) can be written: a
 * refusal in res->refusals where not. */
int prepare_check_writes(const PrepareRequest *req, bool fstab, bool state, PrepareResult *res);
int prepare_check_mount_point(const PrepareRequest *req, const char *mount, PrepareResult *res);
/* Makes mount a guarded mount point and mounts node on it (ext4 with
 * MOUNT_DEFER_ITABLE_INIT when req asks for it). */
int prepare_do_mount(const PrepareRequest *req, const char *node, const char *mount, const char *fstype,
                     PrepareResult *res, char **ret_error);
/* Adds the volume's line to /etc/fstab where it is missing (dry_run: the
 * step only). */
int prepare_do_fstab(const PrepareRequest *req, const char *uuid, const char *mount, const char *fstype,
                     PrepareResult *res, char **ret_error);
/* Records fs as ours, mounted on mount, where it is not yet (dry_run:
 * nothing). */
int prepare_do_record(const PrepareRequest *req, const BlockDev *fsdev, const FsInfo *fs, const char *mount,
                      PrepareResult *res, char **ret_error);

/* prepare-reuse.c: a volume that carries our filesystem already */
void prepare_ours_done(Ours *o);
/* Our filesystem on d or one of its partitions: 1 with it in *ret, 0 when
 * there is none. */
int prepare_find_ours(const PrepareRequest *req, const char *mount, const char *label, const BlockDev *d, Ours *ret);
int prepare_reuse(const PrepareRequest *req, const char *mount, Ours *ours, PrepareResult *res, char **ret_error);

/* prepare-new.c: a new filesystem on d (or on one partition over it) */
int prepare_new(const PrepareRequest *req, const char *mount, const char *fstype, const char *label,
                const BlockDev *d, PrepareResult *res, char **ret_error);
