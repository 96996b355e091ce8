/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "disk/blockdev.h"
#include "disk/stack.h"
#include "disk/usage.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/strv.h"

void loop_backing_done(LoopBacking *b) {
        if (!b)
                return;
        b->file = mfree(b->file);
}

static int read_backing_file(const char *sysroot, const char *name, char **ret) {
        _cleanup_free_ char *dir = NULL, *p = NULL, *s = NULL;
        size_t n;
        int r;

        r = blockdev_sysfs_dir(sysroot, name, &dir);
        if (r < 0)
                return r == -ENOENT ? -ENXIO : r;
        p = path_join(dir, "loop/backing_file");
        if (!p)
                return -ENOMEM;
        /* Present only while the loop device is attached. */
        r = read_full_file(p, 8192, &s, &n);
        if (r == -ENOENT)
                return -ENXIO;
        if (r < 0)
                return r;
        while (n > 0 && s[n - 1] == '\n')
                s[--n] = '\0';
        if (n == 0)
                return -ENXIO;
        *ret = TAKE_PTR(s);
        return 0;
}

int blockdev_loop_backing(const char *sysroot, const char *name, LoopBacking *ret) {
        _cleanup_free_ char *file = NULL;
        LoopBacking b = {};
        int r;

        r = read_backing_file(sysroot, name, &file);
        if (r < 0)
                return r;

        if (root_is_host(sysroot)) {
                _cleanup_free_ char *node = path_join("/dev", name);
                _cleanup_close_ int fd = -1;
                struct loop_info64 info = {};

                if (!node)
                        return -ENOMEM;
                fd = open(node, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (fd >= 0 && ioctl(fd, LOOP_GET_STATUS64, &info) >= 0) {
                        /* lo_rdevice is the backing file's st_rdev: set for
                         * a device node (a loop device takes only block
                         * devices and regular files). */
                        b.is_node = info.lo_rdevice != 0;
                        b.devnum = (dev_t) (b.is_node ? info.lo_rdevice : info.lo_device);
                        b.file = TAKE_PTR(file);
                        *ret = b;
                        return 0;
                }
        }

        /* By the path, inside sysroot: a device node, or a file on a
         * mounted filesystem. */
        {
                _cleanup_free_ char *full = sysroot_path(sysroot, file);
                _cleanup_free_ char *dir = NULL;
                struct stat st;
                const char *dev = startswith(file, "/dev/");

                if (!full)
                        return -ENOMEM;
                if (stat(full, &st) >= 0 && S_ISBLK(st.st_mode)) {
                        b.is_node = true;
                        b.devnum = st.st_rdev;
                } else if (dev && !strchr(dev, '/') && blockdev_sysfs_dir(sysroot, dev, &dir) >= 0) {
                        /* Fixture trees hold plain files for nodes. */
                        _cleanup_blockdev_ BlockDev *d = NULL;
                        if (blockdev_load(sysroot, dev, &d) >= 0) {
                                b.is_node = true;
                                b.devnum = d->devnum;
                        }
                } else if (usage_mount_device_of_path(sysroot, file, &b.devnum) < 0)
                        b.devnum = 0;
        }
        b.file = TAKE_PTR(file);
        *ret = b;
        return 0;
}

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
