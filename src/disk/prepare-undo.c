/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Taking back what disk_prepare() did to the host, for a move that failed
 * after it: the fstab line, the mount, the mount point; the filesystem
 * stays. */
#include <errno.h>
#include <string.h>

#include "disk/fstab.h"
#include "disk/mount.h"
#include "disk/prepare.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/strv.h"

/* Puts /etc/fstab back as it was before this run added its line: the backup
 * itself when the file is still what the run wrote (byte for byte as it
 * was), else the file without that line. */
static int undo_fstab(const char *root, const PrepareResult *res, char ***report) {
        _cleanup_free_ char *path = NULL, *now = NULL, *old = NULL, *content = NULL, *backup = NULL;
        int r;

        r = fstab_locate(root, NULL, &path);
        if (r < 0)
                return r;
        r = read_full_file(path, 0, &now, NULL);
        if (r < 0 && r != -ENOENT)
                return r;

        if (now && streq(now, res->done.fstab_written) && res->fstab_backup) {
                backup = root_path(root, res->fstab_backup);
                if (!backup)
                        return -ENOMEM;
                r = read_full_file(backup, 0, &old, NULL);
                if (r < 0)
                        return r;
                content = TAKE_PTR(old);
        } else {
                r = fstab_remove_ours(path, res->uuid, res->mount, &content);
                if (r <= 0)
                        return r;
        }
        r = fstab_write(root, content, NULL);
        if (r < 0)
                return r;
        return strv_extendf(report, "removed the line for UUID=%s on %s from /etc/fstab", res->uuid, res->mount);
}

int disk_prepare_undo(const char *root, PrepareResult *res, char ***report) {
        int r, ret = 0;

        if (res->done.fstab_written) {
                r = undo_fstab(root, res, report);
                if (r < 0) {
                        if (strv_extendf(report,
                                         "could not remove the line for UUID=%s from /etc/fstab (%s): remove it by "
                                         "hand%s%s",
                                         res->uuid, strerror(-r), res->fstab_backup ? ", or copy back " : "",
                                         strempty(res->fstab_backup)) < 0)
                                return -ENOMEM;
                        ret = ret ?: r;
                } else
                        res->done.fstab_written = mfree(res->done.fstab_written);
        }

        if (res->done.mounted) {
                _cleanup_free_ char *msg = NULL;

                r = mount_umount(res->mount, &msg);
                if (r < 0) {
                        if (strv_extendf(report, "could not unmount %s (%s): unmount it by hand (umount %s)%s%s",
                                    res->mount, msg ?: strerror(-r), res->mount,
                                    res->done.made_dir ? ", then remove " : "", strempty(res->done.made_dir)) < 0)
                                return -ENOMEM;
                        return ret ?: r;
                }
                res->done.mounted = false;
                if (strv_extendf(report, "unmounted %s from %s", strna(res->fs_node), res->mount) < 0)
                        return -ENOMEM;
        }

        if (res->done.made_dir) {
                r = mount_remove_guarded_dir(res->mount, res->done.made_dir);
                if (r < 0) {
                        if (strv_extendf(report,
                                    "could not remove the mount point %s (%s): chattr -i and rmdir it by hand",
                                    res->done.made_dir, strerror(-r)) < 0)
                                return -ENOMEM;
                        ret = ret ?: r;
                } else {
                        if (strv_extendf(report, "removed the mount point %s", res->done.made_dir) < 0)
                                return -ENOMEM;
                        res->done.made_dir = mfree(res->done.made_dir);
                        res->done.guarded = false;
                }
        }

        if (res->done.device == PREPARE_DEVICE_FORMATTED && res->done.recorded && res->uuid &&
                strv_extendf(report,
                        "the %s filesystem made on %s (UUID=%s) is left on the device, with whatever was copied onto "
                        "it: the next move or prepare with that device reuses it; wipefs -a %s discards it",
                        strna(res->fstype), strna(res->fs_node), res->uuid, strna(res->fs_node)) < 0)
                return -ENOMEM;
        return ret;
}
