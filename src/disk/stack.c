/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk/blockdev.h"
#include "disk/stack.h"
#include "disk/usage.h"
#include "util/path.h"
#include "util/strv.h"

int blockdev_users(const char *sysroot, const char *name, char ***ret_users) {
        _cleanup_strv_free_ char **users = NULL, **disks = NULL;
        _cleanup_blockdev_ BlockDev *d = NULL;
        int r;

        r = blockdev_load(sysroot, name, &d);
        if (r < 0)
                return r;
        r = strv_extend_strv(&users, d->holders);
        if (r < 0)
                return r;

        r = blockdev_list_disks(sysroot, &disks);
        if (r < 0)
                return r;
        STRV_FOREACH(n, disks) {
                _cleanup_(loop_backing_done) LoopBacking b = {};

                if (streq(*n, name) || strv_contains(users, *n))
                        continue;
                r = blockdev_loop_backing(sysroot, *n, &b);
                if (r == -ENXIO || r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                /* Without the kernel's numbers (a fixture tree), the mount
                 * table says which filesystem holds a backing file. */
                if (!b.is_node && b.devnum == 0)
                        (void) usage_mount_device_of_path(sysroot, b.file, &b.devnum);
                if (b.devnum != 0 && b.devnum == d->devnum) {
                        r = strv_extend(&users, *n);
                        if (r < 0)
                                return r;
                }
        }
        strv_sort(users);
        *ret_users = TAKE_PTR(users);
        return 0;
}

int blockdev_lower(const char *sysroot, const char *name, char ***ret_lower) {
        _cleanup_(loop_backing_done) LoopBacking b = {};
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *lower = NULL;
        int r;

        r = blockdev_loop_backing(sysroot, name, &b);
        if (r >= 0 && b.is_node && blockdev_name_from_devnum(sysroot, b.devnum, &lower) >= 0) {
                r = strv_extend(&l, lower);
                if (r < 0)
                        return r;
        } else if (r < 0 && r != -ENXIO && r != -ENOENT)
                return r;
        *ret_lower = TAKE_PTR(l);
        return 0;
}
