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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "disk/blockdev.h"
#include "disk/mkfs.h"
#include "disk/mount.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/libmount-util.h"
#include "util/macro.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif
#ifndef CIFS_SUPER_MAGIC
#define CIFS_SUPER_MAGIC 0xff534d42
#endif
#ifndef SMB2_SUPER_MAGIC
#define SMB2_SUPER_MAGIC 0xfe534d42
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

int mount_make_guarded_dir(const char *dir) {
        _cleanup_close_ int fd = -1;
        int flags, r;

        r = mount_dir_is_empty(dir);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOTEMPTY;

        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL ? -EOPNOTSUPP : negative_errno();
        if (flags & FS_IMMUTABLE_FL)
                return 0;
        /* Checked again through the fd: nothing may have slipped in between
         * the first look and the flag. */
        r = mount_dir_is_empty(dir);
        if (r <= 0)
                return r < 0 ? r : -ENOTEMPTY;
        flags |= FS_IMMUTABLE_FL;
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                return errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL ? -EOPNOTSUPP : negative_errno();
        return 0;
}

int mount_device(const char *node, const char *dir, const char *fstype, char **ret_error) {
        _cleanup_(mnt_free_contextp) struct libmnt_context *cxt = NULL;
        char buf[BUFSIZ] = "";
        int r, rc;

        cxt = mnt_new_context();
        if (!cxt)
                return -ENOMEM;
        if (mnt_context_set_source(cxt, node) < 0 || mnt_context_set_target(cxt, dir) < 0 ||
            mnt_context_set_fstype(cxt, fstype) < 0 || mnt_context_set_options(cxt, "defaults") < 0)
                return -ENOMEM;
        /* The fstab line comes later and is ours; do not let an old line for
         * the same path change what gets mounted now. */
        mnt_context_disable_helpers(cxt, 1);

        rc = mnt_context_mount(cxt);
        if (rc == 0 && mnt_context_get_status(cxt) == 1)
                return 0;

        r = mnt_context_syscall_called(cxt) ? -mnt_context_get_syscall_errno(cxt) : (rc < 0 ? rc : -EIO);
        if (r == 0)
                r = -EIO;
        (void) mnt_context_get_excode(cxt, rc, buf, sizeof(buf));
        return buf[0] ? error_set(ret_error, r, "%s", buf) : r;
}

int mount_check_data_fs(const char *dir, char **ret_reason) {
        struct statfs sfs;
        struct stat st;
        const char *why = NULL;
        char *s;

        if (statfs(dir, &sfs) < 0)
                return negative_errno();

        switch ((unsigned long) sfs.f_type) {
        case NFS_SUPER_MAGIC:
        case CIFS_SUPER_MAGIC:
        case SMB2_SUPER_MAGIC:
                why = "is on a network filesystem, which Docker's storage drivers do not support";
                break;
        case OVERLAYFS_SUPER_MAGIC:
                why = "is on overlayfs, which overlay2 cannot be stacked on";
                break;
        case FUSE_SUPER_MAGIC:
                why = "is on a FUSE filesystem, which Docker's storage drivers do not support";
                break;
        case XFS_SUPER_MAGIC: {
                _cleanup_free_ char *name = NULL, *node = NULL;
                int r;

                if (stat(dir, &st) < 0)
                        return negative_errno();
                if (blockdev_name_from_devnum(NULL, st.st_dev, &name) < 0 || asprintf(&node, "/dev/%s", name) < 0)
                        break; /* not a device we can look at */
                r = xfs_has_ftype(node);
                if (r == 0)
                        why = "is on xfs made without ftype=1, so overlay2 cannot work there; "
                              "recreate it with mkfs.xfs -n ftype=1";
                break;
        }
        default:
                break;
        }

        if (!why)
                return 0;
        if (asprintf(&s, "%s %s", dir, why) < 0)
                return -ENOMEM;
        *ret_reason = s;
        return 1;
}
