/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A device that carries our filesystem already: found by its record, or by
 * its label where it is mounted, and mounted and persisted where that is
 * missing, never formatted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk/blockdev.h"
#include "disk/fstab.h"
#include "disk/mkfs.h"
#include "disk/prepare-internal.h"
#include "disk/probe.h"
#include "disk/resolve.h"
#include "disk/state.h"
#include "disk/target.h"
#include "disk/usage.h"
#include "util/error.h"
#include "util/path.h"
#include "util/step-log.h"
#include "util/strv.h"

void prepare_ours_done(Ours *o) {
        free(o->name);
        fs_info_done(&o->fs);
}

static int mounted_at(dev_t devnum, const char *dir) {
        _cleanup_strv_free_ char **targets = NULL;
        int r;

        r = usage_mount_points(NULL, devnum, &targets);
        if (r < 0)
                return r;
        return strv_contains(targets, dir);
}

int prepare_find_ours(const PrepareRequest *req, const char *mount, const char *label, const BlockDev *d, Ours *ret) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = blockdev_names(d, &names);
        if (r < 0)
                return r;

        STRV_FOREACH(n, names) {
                _cleanup_blockdev_ BlockDev *b = NULL;
                DiskRecord rec = {};
                FsInfo fs = {};
                bool recorded;

                if (blockdev_load(NULL, *n, &b) < 0 || probe_filesystem(b->node, &fs) < 0)
                        continue;
                if (!fs.uuid) {
                        fs_info_done(&fs);
                        continue;
                }
                recorded = disk_state_find_uuid(req->root, fs.uuid, &rec) >= 0;
                disk_record_done(&rec);

                /* Without the record (lost state, another --root), the label
                 * asked for plus being mounted where asked is proof enough:
                 * reusing it writes nothing to the device. */
                if (recorded || (fs.label && streq(fs.label, label) && mounted_at(b->devnum, mount) > 0)) {
                        ret->name = strdup(*n);
                        ret->fs = fs;
                        ret->recorded = recorded;
                        return ret->name ? 1 : -ENOMEM;
                }
                fs_info_done(&fs);
        }
        return 0;
}

/* The device carries our filesystem already: mount and persist what is
 * missing, never format. */
int prepare_reuse(const PrepareRequest *req, const char *mount, Ours *ours, PrepareResult *res, char **ret_error) {
        _cleanup_blockdev_ BlockDev *b = NULL;
        _cleanup_strv_free_ char **targets = NULL;
        int r;

        res->reused = true;
        r = blockdev_load(NULL, ours->name, &b);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read /dev/%s: %s", ours->name, strerror(-r));
        if (free_and_strdup(&res->fs_node, b->node) < 0 || free_and_strdup(&res->uuid, ours->fs.uuid) < 0 ||
            free_and_strdup(&res->fstype, ours->fs.type) < 0 || free_and_strdup(&res->label, ours->fs.label) < 0)
                return -ENOMEM;

        /* A copy of the volume (attached from a snapshot of it) carries
         * the same UUID: which of the two a mount by UUID takes, at boot
         * or here, is chance, and the fstab line of the one would be
         * taken over for the other. */
        {
                _cleanup_free_ char *spec = NULL, *only = NULL;
                ResolveHow how;

                if (asprintf(&spec, "UUID=%s", ours->fs.uuid) < 0)
                        return -ENOMEM;
                r = disk_resolve(NULL, spec, &only, &how);
                if (r == -ENOTUNIQ)
                        return strv_extendf(
                                &res->refusals,
                                "%s carries UUID=%s, and so does another block device (a copy of the volume, "
                                "from a snapshot?): which one a mount by UUID takes is chance. Give the copy a "
                                "new UUID (tune2fs -U random, xfs_admin -U generate) or detach it, and run again",
                                b->node, ours->fs.uuid);
        }

        if (req->fstype && !streq(req->fstype, ours->fs.type))
                return strv_extendf(
                        &res->refusals,
                        "%s carries the %s filesystem this tool made (UUID=%s), not %s: to start over, unmount "
                        "it, run wipefs -a on it and prepare again",
                        b->node, ours->fs.type, ours->fs.uuid, req->fstype);

        if (streq(ours->fs.type, "xfs")) {
                r = xfs_has_ftype(b->node);
                if (r == 0)
                        return strv_extendf(
                                &res->refusals,
                                "%s holds xfs without ftype=1, on which overlay2 cannot work: to start over, "
                                "unmount it, run wipefs -a on it and prepare again",
                                b->node);
                if (r < 0)
                        r = strv_extendf(&res->warnings, "Could not check ftype of the xfs on %s: %s", b->node,
                                         strerror(-r));
                if (r < 0)
                        return r;
        }

        r = usage_mount_points(NULL, b->devnum, &targets);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read the mount table: %s", strerror(-r));

        if (!strv_contains(targets, mount)) {
                if (strv_length(targets) > 0)
                        return strv_extendf(
                                &res->refusals,
                                "%s (our %s filesystem, UUID=%s) is mounted on %s, not on %s: unmount it, or "
                                "pass --mount %s",
                                b->node, ours->fs.type, ours->fs.uuid, targets[0], mount, targets[0]);
                r = prepare_check_mount_point(req, mount, res);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to check the mount point %s: %s", mount, strerror(-r));
        } else {
                /* Mounted where asked already: the place is checked all the
                 * same (an earlier run may have put it anywhere). */
                _cleanup_free_ char *why = NULL;

                r = target_check_place(mount, req->protect, &why);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to check the mount point %s: %s", mount, strerror(-r));
                if (r > 0 && (r = strv_extendf(&res->refusals, "%s", why)) < 0)
                        return r;
        }
        if (strv_length(res->refusals) > 0)
                return 0;

        /* What the fstab line and the record will need, known before the
         * mount: a line of the administrator's for this UUID elsewhere is a
         * refusal now, not a failure after mounting. */
        {
                _cleanup_free_ char *fstab = fstab_path(req->root), *content = NULL,
                                    *conflict = NULL;
                DiskRecord rec = {};
                bool fstab_changes, record_changes;

                if (!fstab)
                        return -ENOMEM;
                r = fstab_edit(fstab, ours->fs.uuid, mount, ours->fs.type, &content, &conflict);
                if (r == -EEXIST)
                        return strv_extendf(&res->refusals,
                                            "/etc/fstab has a line that conflicts with UUID=%s on %s (\"%s\"): remove "
                                            "it, or pass the --mount it names",
                                            ours->fs.uuid, mount, strna(conflict));
                if (r == -EBADMSG)
                        return strv_extendf(&res->refusals, FSTAB_LOSES_FMT, strna(conflict));
                if (r < 0)
                        return error_set(ret_error, r, "Failed to read /etc/fstab: %s", strerror(-r));
                fstab_changes = r > 0;
                r = disk_state_find_uuid(req->root, ours->fs.uuid, &rec);
                record_changes = !(r >= 0 && rec.mount && streq(rec.mount, mount));
                disk_record_done(&rec);
                r = prepare_check_writes(req, fstab_changes, record_changes, res);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to check what the volume needs written: %s",
                                         strerror(-r));
                if (strv_length(res->refusals) > 0)
                        return 0;
        }

        if (!strv_contains(targets, mount)) {
                res->changed = true;
                if (req->dry_run)
                        r = step_log_add(&res->steps, "mount %s (our %s filesystem, UUID=%s) on %s", b->node,
                                         ours->fs.type, ours->fs.uuid, mount);
                else
                        r = prepare_do_mount(req, b->node, mount, ours->fs.type, res, ret_error);
                if (r < 0)
                        return r;
        }

        r = prepare_do_record(req, b, &ours->fs, mount, res, ret_error);
        if (r < 0)
                return r;
        return prepare_do_fstab(req, ours->fs.uuid, mount, ours->fs.type, res, ret_error);
}
