/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/blockdev.h"
#include "disk/fstab.h"
#include "disk/mkfs.h"
#include "disk/mount.h"
#include "disk/partition.h"
#include "disk/prepare.h"
#include "disk/probe.h"
#include "disk/resolve.h"
#include "disk/safety.h"
#include "disk/state.h"
#include "disk/target.h"
#include "disk/usage.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/precheck.h"
#include "util/process.h"
#include "util/step-log.h"
#include "util/strv.h"
#include "util/test-hook.h"

#define PARTITION_WAIT_MS (30UL * 1000)

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
        step_log_done(&r->steps);
        strv_free(r->refusals);
        strv_free(r->warnings);
        free(r->made_dir);
        free(r->fstab_written);
        *r = (PrepareResult){};
}

static int set_str(char **dst, const char *s) {
        char *c = NULL;

        if (s && !(c = strdup(s)))
                return -ENOMEM;
        free(*dst);
        *dst = c;
        return 0;
}

/* A filesystem of ours on the device or one of its partitions. */
typedef struct Ours {
        char *name; /* kernel name of the node holding it */
        FsInfo fs;
        bool recorded;
} Ours;

static void ours_done(Ours *o) {
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

static int find_ours(const PrepareRequest *req, const char *mount, const char *label, const BlockDev *d,
                     Ours *ret) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = strv_extend(&names, d->name);
        if (r >= 0)
                r = strv_extend_strv(&names, d->partitions);
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

/* Whether files this run writes besides the device can be written: it must
 * not format a disk and only then find that /etc/fstab is read-only (or,
 * bound over, on a read-only mount), immutable, or that its own state file
 * is a planted link. */
static int check_writes(const PrepareRequest *req, bool fstab, bool state, PrepareResult *res) {
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
static int check_mount_point(const PrepareRequest *req, const char *mount, PrepareResult *res) {
        _cleanup_free_ char *fstab = root_path(req->root, "/etc/fstab"), *conflict = NULL;
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

static int do_mount(const char *node, const char *mount, const char *fstype, PrepareResult *res, char **ret_error) {
        _cleanup_free_ char *msg = NULL, *created = NULL;
        int r;

        r = mount_make_guarded_dir(mount, &created);
        if (created) {
                free(res->made_dir);
                res->made_dir = TAKE_PTR(created);
        }
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

        r = mount_device(node, mount, fstype, &msg);
        if (r < 0)
                return error_set(ret_error, r, "Failed to mount %s on %s: %s", node, mount, msg ? msg : strerror(-r));
        res->mounted = true;
        return step_log_add(&res->steps, "mounted %s on %s", node, mount);
}

static int do_fstab(const PrepareRequest *req, const char *uuid, const char *mount, const char *fstype,
                    PrepareResult *res, char **ret_error) {
        _cleanup_free_ char *fstab = root_path(req->root, "/etc/fstab"), *content = NULL, *conflict = NULL;
        int r;

        if (!fstab)
                return -ENOMEM;
        r = fstab_edit(fstab, uuid, mount, fstype, &content, &conflict);
        if (r == -EEXIST)
                return error_set(ret_error, r,
                                 "/etc/fstab has a line that conflicts with UUID=%s on %s (\"%s\"): remove it and run "
                                 "prepare again",
                                 uuid, mount, strna(conflict));
        if (r < 0)
                return error_set(ret_error, r, "Failed to read /etc/fstab: %s", strerror(-r));
        if (r == 0)
                return 0;

        res->changed = true;
        if (req->dry_run)
                return step_log_add(&res->steps, "add to /etc/fstab: UUID=%s %s %s " FSTAB_OPTIONS " 0 2", uuid, mount,
                                    fstype);

        r = fstab_write(req->root, content, &res->fstab_backup);
        if (r < 0)
                return error_set(ret_error, r, "Failed to write /etc/fstab: %s", strerror(-r));
        free(res->fstab_written);
        res->fstab_written = TAKE_PTR(content);
        return step_log_add(&res->steps, "added to /etc/fstab: UUID=%s %s %s " FSTAB_OPTIONS " 0 2%s%s%s", uuid, mount,
                            fstype, res->fstab_backup ? " (backup: " : "", strempty(res->fstab_backup),
                            res->fstab_backup ? ")" : "");
}

static int do_record(const PrepareRequest *req, const BlockDev *fsdev, const FsInfo *fs, const char *mount,
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
        if (same)
                return 0;
        if (req->dry_run)
                return 0; /* bookkeeping, not a change worth reporting */
        r = disk_state_record(req->root, &want);
        if (r < 0)
                return error_set(ret_error, r, "Failed to record the filesystem in " DISK_STATE_FILE ": %s",
                                 strerror(-r));
        return 0;
}

/* The device carries our filesystem already: mount and persist what is
 * missing, never format. */
static int prepare_reuse(const PrepareRequest *req, const char *mount, Ours *ours, PrepareResult *res,
                         char **ret_error) {
        _cleanup_blockdev_ BlockDev *b = NULL;
        _cleanup_strv_free_ char **targets = NULL;
        int r;

        res->reused = true;
        r = blockdev_load(NULL, ours->name, &b);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read /dev/%s: %s", ours->name, strerror(-r));
        if (set_str(&res->fs_node, b->node) < 0 || set_str(&res->uuid, ours->fs.uuid) < 0 ||
            set_str(&res->fstype, ours->fs.type) < 0 || set_str(&res->label, ours->fs.label) < 0)
                return -ENOMEM;

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
                r = check_mount_point(req, mount, res);
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
                _cleanup_free_ char *fstab = root_path(req->root, "/etc/fstab"), *content = NULL,
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
                if (r < 0)
                        return error_set(ret_error, r, "Failed to read /etc/fstab: %s", strerror(-r));
                fstab_changes = r > 0;
                r = disk_state_find_uuid(req->root, ours->fs.uuid, &rec);
                record_changes = !(r >= 0 && rec.mount && streq(rec.mount, mount));
                disk_record_done(&rec);
                r = check_writes(req, fstab_changes, record_changes, res);
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
                        r = do_mount(b->node, mount, ours->fs.type, res, ret_error);
                if (r < 0)
                        return r;
        }

        r = do_record(req, b, &ours->fs, mount, res, ret_error);
        if (r < 0)
                return r;
        return do_fstab(req, ours->fs.uuid, mount, ours->fs.type, res, ret_error);
}

static int prepare_new(const PrepareRequest *req, const char *mount, const char *fstype, const char *label,
                       const BlockDev *d, PrepareResult *res, char **ret_error) {
        _cleanup_(eligibility_done) Eligibility e = {};
        _cleanup_blockdev_ BlockDev *fsdev = NULL;
        _cleanup_free_ char *err = NULL, *partname = NULL;
        FsInfo fs = {};
        EligibilityRequest ereq = {
                .wipe = req->wipe,
                .allow_instance_store = req->allow_instance_store,
                .need_bytes = req->need_bytes,
                .need_inodes = req->need_inodes,
                .fstype = fstype,
        };
        int r;

        if (req->partition && d->parent) {
                r = strv_extendf(&res->refusals, "%s is a partition: --partition needs a whole disk", d->node);
                if (r < 0)
                        return r;
        }

        r = disk_check_eligibility(NULL, d, &ereq, &e);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check %s: %s", d->node, strerror(-r));
        r = strv_extend_strv(&res->refusals, e.refusals);
        if (r < 0)
                return r;
        r = check_mount_point(req, mount, res);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check the mount point %s: %s", mount, strerror(-r));
        r = check_writes(req, true, true, res);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check what the volume needs written: %s", strerror(-r));
        if (strv_length(res->refusals) > 0)
                return 0;

        if (set_str(&res->fstype, fstype) < 0 || set_str(&res->label, label) < 0)
                return -ENOMEM;
        res->changed = true;

        if (req->dry_run) {
                _cleanup_free_ char *pn = blockdev_partition_name(d->name, 1);
                if (!pn)
                        return -ENOMEM;
                if (strv_length(e.signatures) > 0 &&
                    (r = step_log_add(&res->steps, "wipe every signature on %s", d->node)) < 0)
                        return r;
                if (req->partition &&
                    (r = step_log_add(&res->steps, "write a GPT with one partition over %s (/dev/%s)", d->node, pn)) <
                            0)
                        return r;
                if ((r = step_log_add(&res->steps, "make an %s filesystem labelled %s on %s%s", fstype, label,
                                      req->partition ? "/dev/" : d->node, req->partition ? pn : "")) < 0 ||
                    (r = step_log_add(&res->steps, "make %s an empty, immutable mount point", mount)) < 0 ||
                    (r = step_log_add(&res->steps, "mount it on %s", mount)) < 0 ||
                    (r = step_log_add(&res->steps, "add to /etc/fstab: UUID=<new> %s %s " FSTAB_OPTIONS " 0 2", mount,
                                      fstype)) < 0)
                        return r;
                return 0;
        }

        /* From here on the device is written to. The checks above are the
         * safety: past them, everything on it is meant to go, if it is
         * still the device they looked at. */
        test_hook_pause("prepare-checked");
        {
                DiskIdentity now = {};

                r = disk_identity(NULL, d->name, &now);
                if (r < 0 || !disk_identity_equal(&res->identity, &now))
                        return error_set(ret_error, r < 0 ? r : -ESTALE,
                                         "%s changed between its checks and the first write (%s); nothing was "
                                         "written: run again to check it anew",
                                         d->node, r < 0 ? strerror(-r) : "another device, size or content");
        }
        if (strv_length(e.signatures) > 0) {
                STRV_FOREACH(p, d->partitions) {
                        _cleanup_free_ char *node = path_join("/dev", *p);
                        if (!node)
                                return -ENOMEM;
                        r = probe_wipe_all(node);
                        if (r < 0 && r != -ENOENT)
                                return error_set(ret_error, r,
                                                 "Failed to wipe signatures on %s: %s; nothing else was changed", node,
                                                 strerror(-r));
                }
                r = probe_wipe_all(d->node);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to wipe signatures on %s: %s; nothing else was changed",
                                         d->node, strerror(-r));
                r = step_log_add(&res->steps, "wiped every signature on %s (%zu found)", d->node,
                                 strv_length(e.signatures));
                if (r < 0)
                        return r;
        }

        if (req->partition) {
                r = partition_create_single(d->node);
                if (r < 0)
                        return error_set(
                                ret_error, r,
                                "Failed to partition %s: %s. The disk may now hold a partial partition table; "
                                "run prepare again with --wipe",
                                d->node, strerror(-r));
                r = partition_wait(NULL, d->name, 1, PARTITION_WAIT_MS, &partname);
                if (r < 0)
                        return error_set(ret_error, r,
                                         "The partition on %s did not appear (%s): for a loop device, attach it with "
                                         "losetup -P; then run prepare again with --wipe",
                                         d->node, strerror(-r));
                r = step_log_add(&res->steps, "wrote a GPT with one partition over %s (/dev/%s)", d->node, partname);
                if (r < 0)
                        return r;
        }

        r = blockdev_load(NULL, partname ? partname : d->name, &fsdev);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read /dev/%s: %s", partname ? partname : d->name,
                                 strerror(-r));

        res->formatted = true;
        r = mkfs_make(fsdev->node, fstype, label, &fs, &err);
        if (r < 0)
                return error_set(ret_error, r,
                                 "Failed to make %s on %s: %s%s%s. Nothing is mounted or persisted; fix the cause and "
                                 "run prepare again with --wipe",
                                 fstype, fsdev->node,
                                 r == -EPROTO ? "the result is not what was asked for" : strerror(-r), err ? ": " : "",
                                 err ? err : "");
        if (set_str(&res->fs_node, fsdev->node) < 0 || set_str(&res->uuid, fs.uuid) < 0) {
                fs_info_done(&fs);
                return -ENOMEM;
        }
        r = step_log_add(&res->steps, "made an %s filesystem on %s (UUID=%s, LABEL=%s%s)", fstype, fsdev->node,
                         fs.uuid, label, streq(fstype, "xfs") ? ", ftype=1" : "");
        if (r < 0) {
                fs_info_done(&fs);
                return r;
        }

        /* Recorded before mounting, so that if anything after this fails a
         * re-run reuses this filesystem instead of refusing it. */
        r = do_record(req, fsdev, &fs, mount, res, ret_error);
        if (r >= 0)
                r = do_mount(fsdev->node, mount, fstype, res, ret_error);
        if (r < 0) {
                fs_info_done(&fs);
                if (ret_error && *ret_error)
                        (void) error_set(ret_error, r,
                                         "%s. The filesystem (UUID=%s) was made and recorded: fix the cause and run "
                                         "prepare again, it will be reused",
                                         *ret_error, res->uuid);
                return r;
        }
        r = do_fstab(req, fs.uuid, mount, fstype, res, ret_error);
        fs_info_done(&fs);
        return r;
}

int disk_prepare(const PrepareRequest *req, PrepareResult *res, char **ret_error) {
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
        if (set_str(&res->mount, mount) < 0)
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

        if (set_str(&res->resolved_by, resolve_how_to_string(how)) < 0 ||
            set_str(&res->fs_node, d->node) < 0)
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
                    (set_str(&res->volume_id, parent->volume_id) < 0 || set_str(&res->ec2_name, parent->ec2_name) < 0))
                        return -ENOMEM;
        } else if (set_str(&res->disk, d->node) < 0 || set_str(&res->volume_id, d->volume_id) < 0 ||
                   set_str(&res->ec2_name, d->ec2_name) < 0)
                return -ENOMEM;

        r = find_ours(req, mount, label, d, &ours);
        if (r < 0)
                return error_set(ret_error, r, "Failed to probe %s: %s", d->node, strerror(-r));
        if (r > 0) {
                r = prepare_reuse(req, mount, &ours, res, ret_error);
                ours_done(&ours);
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

        if (now && streq(now, res->fstab_written) && res->fstab_backup) {
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

        if (res->fstab_written) {
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
                        res->fstab_written = mfree(res->fstab_written);
        }

        if (res->mounted) {
                _cleanup_free_ char *msg = NULL;

                r = mount_umount(res->mount, &msg);
                if (r < 0) {
                        if (strv_extendf(report, "could not unmount %s (%s): unmount it by hand (umount %s)%s%s",
                                         res->mount, msg ?: strerror(-r), res->mount,
                                         res->made_dir ? ", then remove " : "", strempty(res->made_dir)) < 0)
                                return -ENOMEM;
                        return ret ?: r;
                }
                res->mounted = false;
                if (strv_extendf(report, "unmounted %s from %s", strna(res->fs_node), res->mount) < 0)
                        return -ENOMEM;
        }

        if (res->made_dir) {
                r = mount_remove_guarded_dir(res->mount, res->made_dir);
                if (r < 0) {
                        if (strv_extendf(report,
                                         "could not remove the mount point %s (%s): chattr -i and rmdir it by hand",
                                         res->made_dir, strerror(-r)) < 0)
                                return -ENOMEM;
                        ret = ret ?: r;
                } else {
                        if (strv_extendf(report, "removed the mount point %s", res->made_dir) < 0)
                                return -ENOMEM;
                        res->made_dir = mfree(res->made_dir);
                }
        }

        if (res->formatted && res->uuid &&
            strv_extendf(report,
                         "the %s filesystem made on %s (UUID=%s) is left on the device, with whatever was copied onto "
                         "it: the next move or prepare with that device reuses it; wipefs -a %s discards it",
                         strna(res->fstype), strna(res->fs_node), res->uuid, strna(res->fs_node)) < 0)
                return -ENOMEM;
        return ret;
}
