/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* What the command line said, handed to the verb that runs. */
typedef struct Options {
        const char *root; /* --root SYSROOT, NULL for the running host */
        bool json;
        bool dry_run;
        bool yes;
        bool force;

        /* Disk options (prepare, move --device). */
        const char *device;
        const char *mount;
        const char *fs;
        const char *label;
        bool partition;
        bool wipe;
        bool allow_instance_store;
        long wait_device_sec; /* -1: not given */

        /* move */
        const char *to;
        int pre_copy; /* -1: default, 0: --no-pre-copy, 1: --pre-copy */
        bool delete_old;
        int copier; /* Copier (copy/copy.h); -1: not given */

        /* rollback */
        bool resolved;

        /* set-data-root */
        const char *containerd_root;

        /* Positional arguments after the verb. */
        char **args;
        int n_args;
} Options;

/* Each verb returns an exit status of output.h (>= 0) or a negative errno
 * after it has logged the error. */
int verb_status(const Options *o);
int verb_disks(const Options *o);
int verb_prepare(const Options *o);
int verb_move(const Options *o);
int verb_set_data_root(const Options *o);
int verb_rollback(const Options *o);
int verb_cleanup(const Options *o);
int verb_grow(const Options *o);
