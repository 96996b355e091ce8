/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>

#include "disk/blockdev.h"
#include "disk/mkfs.h"
#include "disk/mount.h"
#include "disk/usage.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/libmount-util.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif
#ifndef CIFS_SUPER_MAGIC
#define CIFS_SUPER_MAGIC 0xff534d42
#endif
#ifndef SMB2_SUPER_MAGIC
#define SMB2_SUPER_MAGIC 0xfe534d42
#endif
#ifndef EROFS_SUPER_MAGIC_V1
#define EROFS_SUPER_MAGIC_V1 0xE0F5E1E2
#endif
#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

int mount_dir_is_empty(const char *dir) {
        _cleanup_close_ int fd = -1;
        DIR *d;
        int r = 1;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 1;
                return errno == ELOOP ? -ENOTDIR : negative_errno();
        }
        d = fdopendir(fd);
        if (!d)
                return negative_errno();
        fd = -1; /* owned by d now */
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        r = 0;
                        break;
                }
        closedir(d);
        return r;
}

static int set_immutable(int fd, bool on) {
        int flags;

        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL ? -EOPNOTSUPP : negative_errno();
        if (!!(flags & FS_IMMUTABLE_FL) == on)
                return 0;
        if (on)
                flags |= FS_IMMUTABLE_FL;
        else
                flags &= ~FS_IMMUTABLE_FL;
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                return errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL ? -EOPNOTSUPP : negative_errno();
        return 0;
}

int mount_make_guarded_dir(const char *dir, char **ret_created) {
        _cleanup_free_ char *created = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = mount_dir_is_empty(dir);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOTEMPTY;

        /* Never through a link planted on the way since the plan. */
        r = mkdir_p_nofollow(dir, 0755, &created, &fd);
        if (r < 0)
                return r;
        /* Checked again through the fd: nothing may have slipped in between
         * the first look and the flag. */
        r = mount_dir_is_empty(dir);
        if (r == 0)
                r = -ENOTEMPTY;
        if (r >= 0)
                r = set_immutable(fd, true);
        if (ret_created)
                *ret_created = TAKE_PTR(created);
        return r;
}

int mount_remove_guarded_dir(const char *dir, const char *top) {
        _cleanup_free_ char *d = path_normalize(dir);
        int r;

        if (!d || !top)
                return -ENOMEM;
        if (!path_startswith_dir(d, top))
                return -EINVAL;
        {
                _cleanup_close_ int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        return errno == ENOENT ? 0 : negative_errno();
                r = set_immutable(fd, false);
                if (r < 0 && r != -EOPNOTSUPP)
                        return r;
        }
        /* Up to top, each only if empty: rmdir refuses anything else. */
        for (;;) {
                char *s;

                if (rmdir(d) < 0 && errno != ENOENT)
                        return negative_errno();
                if (streq(d, top))
                        return 0;
                s = strrchr(d, '/');
                if (!s || s == d)
                        return 0;
                *s = '\0';
        }
}

/* The errno of a failed libmount call on cxt (rc its return), with
 * libmount's explanation in *ret_error (util/error.h). */
static int context_error(struct libmnt_context *cxt, int rc, char **ret_error) {
        char buf[BUFSIZ] = "";
        int r;

        r = mnt_context_syscall_called(cxt) ? -mnt_context_get_syscall_errno(cxt) : (rc < 0 ? rc : -EIO);
        if (r == 0)
                r = -EIO;
        (void) mnt_context_get_excode(cxt, rc, buf, sizeof(buf));
        return buf[0] ? error_set(ret_error, r, "%s", buf) : r;
}

int mount_umount(const char *dir, char **ret_error) {
        _cleanup_(mnt_free_contextp) struct libmnt_context *cxt = NULL;
        int rc;

        cxt = mnt_new_context();
        if (!cxt)
                return -ENOMEM;
        if (mnt_context_set_target(cxt, dir) < 0)
                return -ENOMEM;
        mnt_context_disable_helpers(cxt, 1);
        rc = mnt_context_umount(cxt);
        if (rc == 0 && mnt_context_get_status(cxt) == 1)
                return 0;
        return context_error(cxt, rc, ret_error);
}

int mount_device(const char *node, const char *dir, const char *fstype, const char *options, char **ret_error) {
        _cleanup_(mnt_free_contextp) struct libmnt_context *cxt = NULL;
        int rc;

        cxt = mnt_new_context();
        if (!cxt)
                return -ENOMEM;
        if (mnt_context_set_source(cxt, node) < 0 || mnt_context_set_target(cxt, dir) < 0 ||
            mnt_context_set_fstype(cxt, fstype) < 0 || mnt_context_set_options(cxt, options ?: "defaults") < 0)
                return -ENOMEM;
        /* The fstab line comes later and is ours; do not let an old line for
         * the same path change what gets mounted now. */
        mnt_context_disable_helpers(cxt, 1);

        rc = mnt_context_mount(cxt);
        if (rc == 0 && mnt_context_get_status(cxt) == 1)
                return 0;

        return context_error(cxt, rc, ret_error);
}

int mount_resume_itable_init(const char *dir) {
        static const struct {
                unsigned long st, ms;
        } flags[] = {
                { ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },         { ST_NODEV, MS_NODEV },
                { ST_NOEXEC, MS_NOEXEC },     { ST_SYNCHRONOUS, MS_SYNCHRONOUS }, { ST_MANDLOCK, MS_MANDLOCK },
                { ST_NOATIME, MS_NOATIME },   { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
        };
        unsigned long ms = MS_REMOUNT;
        struct statvfs sv;
        int r;

        r = usage_mount_has_fs_option(NULL, dir, MOUNT_DEFER_ITABLE_INIT);
        if (r <= 0)
                return r == -ENOENT ? 0 : r;
        /* A remount sets the mount's flags to those it is given: the ones
         * it has, so that only the filesystem's option changes. */
        if (statvfs(dir, &sv) < 0)
                return negative_errno();
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (sv.f_flag & flags[i].st)
                        ms |= flags[i].ms;
        if (mount(NULL, dir, NULL, ms, "init_itable") < 0)
                return negative_errno();
        return 1;
}

/* Filesystems that cannot keep a data root: whatever is written there is
 * gone at the next reboot (or never reaches a disk), or Docker's storage
 * drivers cannot work on them. */
static const char *fs_type_unfit(unsigned long type) {
        switch (type) {
        case TMPFS_MAGIC:
                return "is on tmpfs, which lives in memory: everything on it is lost at the next reboot";
        case RAMFS_MAGIC:
                return "is on ramfs, which lives in memory: everything on it is lost at the next reboot";
        case NFS_SUPER_MAGIC:
        case CIFS_SUPER_MAGIC:
        case SMB2_SUPER_MAGIC:
        case V9FS_MAGIC:
        case CEPH_SUPER_MAGIC:
        case AFS_SUPER_MAGIC:
        case AFS_FS_MAGIC:
        case CODA_SUPER_MAGIC:
                return "is on a network filesystem, which Docker's storage drivers do not support";
        case OVERLAYFS_SUPER_MAGIC:
                return "is on overlayfs, which overlay2 cannot be stacked on";
        case FUSE_SUPER_MAGIC:
                return "is on a FUSE filesystem, which Docker's storage drivers do not support";
        case SQUASHFS_MAGIC:
        case ISOFS_SUPER_MAGIC:
        case CRAMFS_MAGIC:
        case EROFS_SUPER_MAGIC_V1:
                return "is on a read-only filesystem image";
        case PROC_SUPER_MAGIC:
        case SYSFS_MAGIC:
        case DEVPTS_SUPER_MAGIC:
        case CGROUP_SUPER_MAGIC:
        case CGROUP2_SUPER_MAGIC:
        case DEBUGFS_MAGIC:
        case TRACEFS_MAGIC:
        case SECURITYFS_MAGIC:
        case PSTOREFS_MAGIC:
        case EFIVARFS_MAGIC:
        case BPF_FS_MAGIC:
        case HUGETLBFS_MAGIC:
        case NSFS_MAGIC:
                return "is on a kernel pseudo-filesystem, which holds no files of its own";
        default:
                return NULL;
        }
}

int mount_check_data_fs(const char *dir, char **ret_reason) {
        _cleanup_free_ char *name = NULL, *ram = NULL;
        struct statfs sfs;
        struct stat st;
        const char *why = NULL;
        char *s;

        if (statfs(dir, &sfs) < 0)
                return negative_errno();
        if (stat(dir, &st) < 0)
                return negative_errno();

        why = fs_type_unfit((unsigned long) sfs.f_type);
        if (!why && (sfs.f_flags & ST_RDONLY))
                why = "is on a filesystem mounted read-only";
        if (!why && blockdev_name_from_devnum(NULL, st.st_dev, &name) >= 0) {
                _cleanup_strv_free_ char **under = NULL;

                /* ext4 on zram is in memory all the same. */
                if (blockdev_underlying(NULL, name, &under) >= 0)
                        STRV_FOREACH(u, under)
                                if (blockdev_name_is_ram(*u)) {
                                        if (asprintf(&ram, "is on /dev/%s, a RAM disk: everything on it is lost "
                                                           "at the next reboot",
                                                     *u) < 0)
                                                return -ENOMEM;
                                        why = ram;
                                        break;
                                }
                if (!why && (unsigned long) sfs.f_type == XFS_SUPER_MAGIC) {
                        _cleanup_free_ char *node = path_join("/dev", name);

                        if (!node)
                                return -ENOMEM;
                        if (xfs_has_ftype(node) == 0)
                                why = "is on xfs made without ftype=1, so overlay2 cannot work there; "
                                      "recreate it with mkfs.xfs -n ftype=1";
                }
        }

        if (!why)
                return 0;
        if (asprintf(&s, "%s %s", dir, why) < 0)
                return -ENOMEM;
        *ret_reason = s;
        return 1;
}
