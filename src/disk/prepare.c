/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Makes a block device ready to hold the data root (disk_prepare()): the
 * device and the mount point resolved and checked, then a volume of ours
 * reused (prepare-reuse.c) or a new filesystem made (prepare-new.c), with
 * the checks and steps both ways share here (the mount point, what must be
 * writable, the mount, the fstab line, the record). Taking a run back is
 * prepare-undo.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/blockdev.h"
#include "disk/fstab.h"
#include "disk/mkfs.h"
#include "disk/mount.h"
#include "disk/prepare-internal.h"
#include "disk/resolve.h"
#include "disk/safety.h"
#include "disk/state.h"
#include "disk/target.h"
#include "disk/usage.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/precheck.h"
#include "util/step-log.h"
#include "util/strv.h"
#include "util/test-hook.h"

void prepare_result_done(PrepareResult *r) {
        if (!r)
                return;
        free(r->disk);
        free(r->fs_node);
        free(r->resolved_by);
        free(r->volume_id);
        free(r->ec2_name);
        free(r->uuid);
        free(r->fstype);
        free(r->label);
        free(r->mount);
        free(r->fstab_backup);
        free(r->advice);
        step_log_done(&r->steps);
        strv_free(r->refusals);
        strv_free(r->warnings);
        free(r->done.made_dir);
        free(r->done.fstab_written);
        *r = (PrepareResult){};
}

/* Whether files this run writes besides the device can be written: it must
 * not format a disk and only then find that /etc/fstab is read-only (or,
 * bound over, on a read-only mount), immutable, or that its own state file
 * is a planted link. */
int prepare_check_writes(const PrepareRequest *req, bool fstab, bool state, PrepareResult *res) {
        int r;

        if (fstab) {
                _cleanup_free_ char *full = NULL, *why = NULL;

                /* Written where a link /etc/fstab points (fstab_write()). */
                r = fstab_locate(req->root, NULL, &full);
                if (r < 0)
                        return r;
                r = precheck_replace(full, false, &why);
                if (r < 0)
                        return r;
                if (r > 0 &&
                    (r = strv_extendf(&res->refusals, "the volume's line cannot be added to /etc/fstab: %s", why)) < 0)
                        return r;
        }
        if (state) {
                _cleanup_free_ char *full = root_path(req->root, DISK_STATE_FILE), *why = NULL;

                if (!full)
                        return -ENOMEM;
                r = precheck_replace(full, false, &why);
                if (r < 0)
                        return r;
                if (r > 0 && (r = strv_extendf(&res->refusals, "the new filesystem cannot be recorded: %s", why)) < 0)
                        return r;
        }
        return 0;
}

/* Checks the mount point for a filesystem that is not mounted there yet. */
int prepare_check_mount_point(const PrepareRequest *req, const char *mount, PrepareResult *res) {
        _cleanup_free_ char *fstab = fstab_path(req->root), *conflict = NULL;
        dev_t devnum;
        int r;

        if (!fstab)
                return -ENOMEM;
        {
                _cleanup_free_ char *why = NULL;

                r = target_check_place(mount, req->protect, &why);
                if (r < 0)
                        return r;
                if (r > 0)
                        return strv_extendf(&res->refusals, "%s", why);
        }

        r = usage_mount_source(NULL, mount, &devnum, NULL);
        if (r >= 0) {
                _cleanup_free_ char *name = NULL;
                (void) blockdev_name_from_devnum(NULL, devnum, &name);
                return strv_extendf(&res->refusals,
                                    "%s is already a mount point (of %s): unmount it or choose another", mount,
                                    name ? name : "another filesystem");
        }
        if (r != -ENOENT)
                return r;

        r = mount_dir_is_empty(mount);
        if (r == -ENOTDIR)
                return strv_extendf(&res->refusals, "%s exists and is not a directory: choose another mount point",
                                    mount);
        if (r < 0)
                return r;
        if (r == 0)
                return strv_extendf(&res->refusals,
                                    "%s is not empty: mounting over it would hide its content; move it away or choose "
                                    "an empty directory",
                                    mount);

        r = fstab_check_target(fstab, mount, &conflict);
        if (r == -EEXIST)
                return strv_extendf(&res->refusals,
                                    "/etc/fstab already mounts something on %s (\"%s\"): remove that line or choose "
                                    "another mount point",
                                    mount, strna(conflict));
        if (r == -EBADMSG)
                return strv_extendf(&res->refusals, FSTAB_LOSES_FMT, strna(conflict));
        if (r < 0)
                return r;

        /* The directory is made at the act, after the device is written:
         * whether it can be is known now. */
        if (!dir_exists(mount)) {
                _cleanup_free_ char *why = NULL;

                r = precheck_mkdir(mount, false, &why);
                if (r < 0)
                        return r;
                if (r > 0)
                        return strv_extendf(&res->refusals, "the mount point %s cannot be made: %s", mount, why);
        }
        return 0;
}

int prepare_do_mount(const PrepareRequest *req, const char *node, const char *mount, const char *fstype,
                     PrepareResult *res, char **ret_error) {
        _cleanup_free_ char *msg = NULL, *created = NULL;
        bool defer = req->defer_itable_init && streq(fstype, "ext4");
        int r;

        r = test_hook_fail("prepare-mount-point");
        if (r >= 0)
                r = mount_make_guarded_dir(mount, &created);
        if (created) {
                free(res->done.made_dir);
                res->done.made_dir = TAKE_PTR(created);
        }
        res->done.guarded = r >= 0;
        if (r == -EOPNOTSUPP) {
                r = strv_extendf(
                        &res->warnings,
                        "%s could not be made immutable (the filesystem has no such flag): if the volume is ever "
                        "missing at boot, the directory underneath can fill up",
                        mount);
                if (r < 0)
                        return r;
        } else if (r < 0)
                return error_set(ret_error, r, "Failed to create the mount point %s: %s", mount, strerror(-r));
        else {
                r = step_log_add(&res->steps, "made %s an empty, immutable mount point", mount);
                if (r < 0)
                        return r;
        }

        r = test_hook_fail("prepare-mount");
        if (r >= 0)
                r = mount_device(node, mount, fstype, defer ? MOUNT_DEFER_ITABLE_INIT : NULL, &msg);
        if (r < 0)
                return error_set(ret_error, r, "Failed to mount %s on %s: %s", node, mount, msg ? msg : strerror(-r));
        res->done.mounted = true;
        return step_log_add(&res->steps, "mounted %s on %s%s", node, mount,
                            defer ? " (" MOUNT_DEFER_ITABLE_INIT ": the inode tables are zeroed after the copy)" : "");
}

int prepare_do_fstab(const PrepareRequest *req, const char *uuid, const char *mount, const char *fstype,
                     PrepareResult *res, char **ret_error) {
        _cleanup_free_ char *fstab = fstab_path(req->root), *content = NULL, *conflict = NULL;
        int r;

        if (!fstab)
                return -ENOMEM;
        r = fstab_edit(fstab, uuid, mount, fstype, &content, &conflict);
        if (r == -EEXIST)
                return error_set(ret_error, r,
                                 "/etc/fstab has a line that conflicts with UUID=%s on %s (\"%s\"): remove it and run "
                                 "prepare again",
                                 uuid, mount, strna(conflict));
        if (r == -EBADMSG)
                return error_set(ret_error, r, FSTAB_LOSES_FMT, strna(conflict));
        if (r < 0)
                return error_set(ret_error, r, "Failed to read /etc/fstab: %s", strerror(-r));
        if (r == 0)
                return 0;

        res->changed = true;
        if (req->dry_run)
                return step_log_add(&res->steps, "add to /etc/fstab: UUID=%s %s %s " FSTAB_OPTIONS " 0 2", uuid, mount,
                                    fstype);

        r = test_hook_fail("prepare-fstab");
        if (r >= 0)
                r = fstab_write(req->root, content, &res->fstab_backup);
        if (r < 0)
                return error_set(ret_error, r, "Failed to write /etc/fstab: %s", strerror(-r));
        free(res->done.fstab_written);
        res->done.fstab_written = TAKE_PTR(content);
        return step_log_add(&res->steps, "added to /etc/fstab: UUID=%s %s %s " FSTAB_OPTIONS " 0 2%s%s%s", uuid, mount,
                            fstype, res->fstab_backup ? " (backup: " : "", strempty(res->fstab_backup),
                            res->fstab_backup ? ")" : "");
}

int prepare_do_record(const PrepareRequest *req, const BlockDev *fsdev, const FsInfo *fs, const char *mount,
                      PrepareResult *res, char **ret_error) {
        DiskRecord rec = {}, want = {
                .uuid = fs->uuid,
                .fstype = fs->type,
                .label = fs->label,
                .device = res->disk,
                .volume_id = res->volume_id,
                .mount = (char *) mount,
                .partition = fsdev->parent != NULL,
        };
        bool same;
        int r;

        r = disk_state_find_uuid(req->root, fs->uuid, &rec);
        same = r >= 0 && rec.mount && streq(rec.mount, mount);
        disk_record_done(&rec);
        if (same || req->dry_run) { /* dry run: bookkeeping, not a change worth reporting */
                res->done.recorded = same;
                return 0;
        }
        r = test_hook_fail("prepare-record");
        if (r >= 0)
                r = disk_state_record(req->root, &want);
        if (r < 0)
                return error_set(ret_error, r, "Failed to record the filesystem in " DISK_STATE_FILE ": %s",
                                 strerror(-r));
        res->done.recorded = true;
        return 0;
}

static int prepare_run(const PrepareRequest *req, PrepareResult *res, char **ret_error) {
        _cleanup_blockdev_ BlockDev *d = NULL;
        _cleanup_free_ char *name = NULL, *mount = NULL;
        const char *label = req->label ?: DEFAULT_LABEL, *fstype = req->fstype ?: DEFAULT_FSTYPE;
        Ours ours = {};
        ResolveHow how;
        int r;

        *res = (PrepareResult){};
        if (!req->dry_run)
                step_log_begin(&res->steps);

        if (!req->device || !req->mount || !path_is_absolute(req->mount))
                return error_set(ret_error, -EINVAL, "A device and an absolute mount point are needed.");
        if (!mkfs_supported(fstype))
                return error_set(ret_error, -EINVAL, "Unsupported filesystem '%s': ext4 or xfs.", fstype);
        if (mkfs_label_valid(fstype, label) < 0)
                return error_set(ret_error, -EINVAL, "Invalid label '%s' for %s: at most %d plain characters.", label,
                                 fstype, streq(fstype, "xfs") ? 12 : 16);
        /* The one path every later step uses: resolved once, here. */
        {
                _cleanup_free_ char *why = NULL, *norm = path_normalize(req->mount);

                if (!norm)
                        return -ENOMEM;
                r = target_resolve("--mount", req->mount, &mount, &why);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to resolve the mount point %s: %s", req->mount,
                                         strerror(-r));
                if (r > 0) {
                        res->refused = true;
                        return strv_extendf(&res->refusals, "%s", why);
                }
                if (req->mount_planned && !streq(mount, norm)) {
                        res->refused = true;
                        return strv_extendf(&res->refusals,
                                            "the mount point %s now resolves to %s: a symbolic link on the way changed "
                                            "since the plan; nothing was written, run again to see a new plan",
                                            req->mount, mount);
                }
                if (!streq(mount, norm) &&
                    strv_extendf(&res->warnings,
                                 "--mount %s is %s once symbolic links are resolved: the mount, /etc/fstab and the "
                                 "data root use that path",
                                 req->mount, mount) < 0)
                        return -ENOMEM;
        }
        if (free_and_strdup(&res->mount, mount) < 0)
                return -ENOMEM;

        /* A run killed while it wrote /etc/fstab in place: its backup back
         * first, before this run reads the file. */
        if (!req->dry_run) {
                _cleanup_free_ char *backup = NULL;

                r = fstab_recover(req->root, &backup);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to finish the interrupted write of /etc/fstab (%s): %s",
                                         FSTAB_PENDING, strerror(-r));
                if (r > 0 && strv_extendf(&res->warnings,
                                          "/etc/fstab was put back from %s: an earlier run was stopped while it "
                                          "wrote the file in place",
                                          backup) < 0)
                        return -ENOMEM;
        }

        r = disk_resolve_wait(NULL, req->device, req->wait_device_sec, &name, &how);
        if (r == -ETIMEDOUT)
                return error_set(ret_error, r,
                                 "Device %s did not appear within %ld s: check that the volume is attached to "
                                 "this instance",
                                 req->device, req->wait_device_sec);
        if (r == -ENOENT)
                return error_set(ret_error, r, "No device matches %s%s", req->device,
                                 req->wait_device_sec > 0
                                         ? ""
                                         : " (to wait for a volume being attached, use --wait-device SECONDS)");
        if (r == -ENOTUNIQ)
                return error_set(ret_error, r,
                                 "%s matches more than one device: name the device by its /dev path or volume id",
                                 req->device);
        if (r == -EINVAL)
                return error_set(ret_error, r, "%s is not a device name, EBS volume id, UUID= or LABEL=", req->device);
        if (r < 0)
                return error_set(ret_error, r, "Failed to resolve %s: %s", req->device, strerror(-r));

        r = blockdev_load(NULL, name, &d);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read /dev/%s: %s", name, strerror(-r));

        if (free_and_strdup(&res->resolved_by, resolve_how_to_string(how)) < 0 ||
            free_and_strdup(&res->fs_node, d->node) < 0)
                return -ENOMEM;

        /* Which device this is, for the last look before writing and for a
         * plan's later act. */
        r = disk_identity(NULL, d->name, &res->identity);
        if (r == -ESTALE)
                return error_set(ret_error, r, "%s is not the kernel's device %s (another device number): check /dev",
                                 d->node, d->name);
        if (r < 0)
                res->identity = (DiskIdentity){};
        if (req->expect && !disk_identity_equal(req->expect, &res->identity)) {
                const DiskIdentity *x = req->expect, *y = &res->identity;

                res->refused = true;
                return strv_extendf(&res->refusals,
                                    "%s is not the device the plan looked at any more (%s): nothing was written; run "
                                    "again to see a new plan",
                                    d->node,
                                    !y->known               ? "it cannot be read"
                                    : x->devnum != y->devnum ? "another device now has that name"
                                    : x->size != y->size     ? "its size changed"
                                                             : "its signatures or identity changed");
        }
        if (d->parent) {
                _cleanup_blockdev_ BlockDev *parent = NULL;
                if (asprintf(&res->disk, "/dev/%s", d->parent) < 0)
                        return -ENOMEM;
                if (blockdev_load(NULL, d->parent, &parent) >= 0 &&
                    (free_and_strdup(&res->volume_id, parent->volume_id) < 0 ||
                     free_and_strdup(&res->ec2_name, parent->ec2_name) < 0))
                        return -ENOMEM;
        } else if (free_and_strdup(&res->disk, d->node) < 0 || free_and_strdup(&res->volume_id, d->volume_id) < 0 ||
                   free_and_strdup(&res->ec2_name, d->ec2_name) < 0)
                return -ENOMEM;

        r = prepare_find_ours(req, mount, label, d, &ours);
        if (r < 0)
                return error_set(ret_error, r, "Failed to probe %s: %s", d->node, strerror(-r));
        if (r > 0) {
                r = prepare_reuse(req, mount, &ours, res, ret_error);
                prepare_ours_done(&ours);
                if (r < 0)
                        return r;
        } else {
                r = prepare_new(req, mount, fstype, label, d, res, ret_error);
                if (r < 0)
                        return r;
        }

        if (strv_length(res->refusals) > 0) {
                res->refused = true;
                res->changed = false;
                step_log_done(&res->steps);
        }
        return 0;
}

int disk_prepare(const PrepareRequest *req, PrepareResult *res, char **ret_error) {
        int r;

        r = prepare_run(req, res, ret_error);
        /* What is left is said from what was done, whichever step failed. */
        if (r < 0 && disk_prepare_advice(res, "prepare", &res->advice) < 0)
                return -ENOMEM;
        return r;
}
