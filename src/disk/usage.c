/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disk/usage.h"
#include "util/libmount-util.h"
#include "util/path.h"
#include "util/strv.h"

static int load_mountinfo(const char *sysroot, struct libmnt_table **ret, struct libmnt_iter **ret_iter) {
        _cleanup_free_ char *p = sysroot_path(sysroot, "/proc/self/mountinfo");

        if (!p)
                return -ENOMEM;
        return libmount_parse(p, LIBMOUNT_MOUNTINFO, ret, ret_iter);
}

int usage_mount_points(const char *sysroot, dev_t devnum, char ***ret_targets) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_strv_free_ char **l = NULL;
        struct libmnt_fs *fs;
        int r;

        r = load_mountinfo(sysroot, &tb, &it);
        if (r < 0)
                return r;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_target(fs);
                if (mnt_fs_get_devno(fs) != devnum || !t || strv_contains(l, t))
                        continue;
                r = strv_extend(&l, t);
                if (r < 0)
                        return r;
        }
        *ret_targets = TAKE_PTR(l);
        return 0;
}

/* The topmost mount on target (backwards: the last mount on a path is the
 * one that is visible). A path lookup only, no canonicalisation against
 * this host's mounts: the table may be a fixture. */
static int find_mount(const char *sysroot, const char *target, struct libmnt_table **ret_tb,
                      struct libmnt_fs **ret_fs) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_free_ char *norm = path_normalize(target);
        struct libmnt_fs *fs;
        int r;

        if (!norm)
                return -ENOMEM;
        r = load_mountinfo(sysroot, &tb, NULL);
        if (r < 0)
                return r;
        fs = mnt_table_find_target(tb, norm, MNT_ITER_BACKWARD);
        if (!fs || !mnt_fs_get_target(fs) || !streq(mnt_fs_get_target(fs), norm))
                return -ENOENT;
        *ret_fs = fs;
        *ret_tb = TAKE_PTR(tb);
        return 0;
}

int usage_mount_has_fs_option(const char *sysroot, const char *target, const char *option) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        struct libmnt_fs *fs;
        int r;

        r = find_mount(sysroot, target, &tb, &fs);
        if (r < 0)
                return r;
        return mnt_fs_get_fs_options(fs) && mnt_optstr_get_option(mnt_fs_get_fs_options(fs), option, NULL, NULL) == 0;
}

int usage_mount_source(const char *sysroot, const char *target, dev_t *ret_devnum, char **ret_fstype) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        struct libmnt_fs *fs;
        int r;

        r = find_mount(sysroot, target, &tb, &fs);
        if (r < 0)
                return r;
        if (ret_fstype) {
                const char *t = mnt_fs_get_fstype(fs);
                *ret_fstype = strdup(t ?: "");
                if (!*ret_fstype)
                        return -ENOMEM;
        }
        if (ret_devnum)
                *ret_devnum = mnt_fs_get_devno(fs);
        return 0;
}

int usage_mount_fsroot(const char *sysroot, const char *target, char **ret_root) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        struct libmnt_fs *fs;
        int r;

        r = find_mount(sysroot, target, &tb, &fs);
        if (r < 0)
                return r;
        *ret_root = strdup(mnt_fs_get_root(fs) ?: "/");
        return *ret_root ? 0 : -ENOMEM;
}

int usage_mount_device_of_path(const char *sysroot, const char *path, dev_t *ret_devnum) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        struct libmnt_fs *fs, *best = NULL;
        size_t best_len = 0;
        int r;

        r = load_mountinfo(sysroot, &tb, &it);
        if (r < 0)
                return r;
        /* Forward, keeping the last of equal length: the mount on top. */
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_target(fs);
                if (t && path_startswith_dir(path, t) && strlen(t) >= best_len) {
                        best = fs;
                        best_len = strlen(t);
                }
        }
        if (!best || mnt_fs_get_devno(best) == 0)
                return -ENOENT;
        *ret_devnum = mnt_fs_get_devno(best);
        return 0;
}

int usage_is_swap(const char *sysroot, const BlockDev *d) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_free_ char *p = sysroot_path(sysroot, "/proc/swaps");
        struct libmnt_fs *fs;
        int r;

        if (!p)
                return -ENOMEM;
        r = libmount_parse(p, LIBMOUNT_SWAPS, &tb, &it);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *src = mnt_fs_get_source(fs);
                _cleanup_free_ char *sp = NULL;
                struct stat st;

                if (!src)
                        continue;
                if (streq(src, d->node))
                        return 1;
                /* /proc/swaps may name the device by another path. */
                sp = sysroot_path(sysroot, src);
                if (sp && stat(sp, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == d->devnum)
                        return 1;
        }
        return 0;
}

int usage_backs_system(const char *sysroot, const char *name, const char **ret_what) {
        static const char *const system_mounts[] = { "/", "/boot" };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(system_mounts); i++) {
                _cleanup_strv_free_ char **under = NULL;
                _cleanup_free_ char *src = NULL;
                dev_t devnum;

                r = usage_mount_source(sysroot, system_mounts[i], &devnum, NULL);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                r = blockdev_name_from_devnum(sysroot, devnum, &src);
                if (r == -ENOENT) /* overlay, tmpfs, btrfs subvolume: no block device of ours */
                        continue;
                if (r < 0)
                        return r;
                r = blockdev_underlying(sysroot, src, &under);
                if (r < 0)
                        return r;

                /* name backs the system mount when it is one of the devices
                 * underneath, or when one of those is a partition of name. */
                STRV_FOREACH(u, under) {
                        _cleanup_blockdev_ BlockDev *b = NULL;
                        if (streq(*u, name) ||
                            (blockdev_load(sysroot, *u, &b) >= 0 && b->parent && streq(b->parent, name))) {
                                *ret_what = system_mounts[i];
                                return 1;
                        }
                }
        }
        return 0;
}
