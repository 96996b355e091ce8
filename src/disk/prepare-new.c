/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A new filesystem: the device checked as safe to write, then wiped,
 * partitioned if asked, formatted, recorded, mounted and persisted. */
#include <errno.h>
#include <string.h>

#include "disk/blockdev.h"
#include "disk/fstab.h"
#include "disk/mkfs.h"
#include "disk/partition.h"
#include "disk/prepare-internal.h"
#include "disk/probe.h"
#include "disk/safety.h"
#include "util/error.h"
#include "util/path.h"
#include "util/step-log.h"
#include "util/strv.h"
#include "util/test-hook.h"

#define PARTITION_WAIT_MS (30UL * 1000)

int prepare_new(const PrepareRequest *req, const char *mount, const char *fstype, const char *label,
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
        if (r >= 0)
                r = strv_extend_strv(&res->warnings, e.warnings);
        if (r < 0)
                return r;
        r = prepare_check_mount_point(req, mount, res);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check the mount point %s: %s", mount, strerror(-r));
        r = prepare_check_writes(req, true, true, res);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check what the volume needs written: %s", strerror(-r));
        if (strv_length(res->refusals) > 0)
                return 0;

        if (free_and_strdup(&res->fstype, fstype) < 0 || free_and_strdup(&res->label, label) < 0)
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
                res->done.device = PREPARE_DEVICE_WIPING;
                STRV_FOREACH(p, d->partitions) {
                        _cleanup_free_ char *node = path_join("/dev", *p);
                        if (!node)
                                return -ENOMEM;
                        r = probe_wipe_all(node);
                        if (r < 0 && r != -ENOENT)
                                return error_set(
                                        ret_error, r, "Failed to wipe signatures on %s: %s", node, strerror(-r));
                }
                r = probe_wipe_all(d->node);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to wipe signatures on %s: %s", d->node, strerror(-r));
                res->done.device = PREPARE_DEVICE_WIPED;
                r = step_log_add(&res->steps, "wiped every signature on %s (%zu found)", d->node,
                                 strv_length(e.signatures));
                if (r < 0)
                        return r;
        }

        if (req->partition) {
                res->done.device = PREPARE_DEVICE_PARTITIONING;
                r = partition_create_single(d->node);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to partition %s: %s", d->node, strerror(-r));
                res->done.device = PREPARE_DEVICE_PARTITIONED;
                r = step_log_add(&res->steps, "wrote a GPT with one partition over %s", d->node);
                if (r < 0)
                        return r;
                r = partition_wait(NULL, d->name, 1, PARTITION_WAIT_MS, &partname);
                if (r < 0)
                        return error_set(
                                ret_error, r, "The partition on %s did not appear: %s", d->node, strerror(-r));
        }

        r = test_hook_fail("prepare-read");
        if (r >= 0)
                r = blockdev_load(NULL, partname ? partname : d->name, &fsdev);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read /dev/%s: %s", partname ? partname : d->name,
                                 strerror(-r));

        if (free_and_strdup(&res->fs_node, fsdev->node) < 0)
                return -ENOMEM;
        res->done.device = PREPARE_DEVICE_FORMATTING;
        r = mkfs_make(fsdev->node, fstype, label, &fs, &err);
        if (r < 0)
                return error_set(ret_error, r, "Failed to make %s on %s: %s%s%s", fstype, fsdev->node,
                                 r == -EPROTO ? "the result is not what was asked for" : strerror(-r), err ? ": " : "",
                                 err ? err : "");
        res->done.device = PREPARE_DEVICE_FORMATTED;
        if (free_and_strdup(&res->uuid, fs.uuid) < 0) {
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
        r = prepare_do_record(req, fsdev, &fs, mount, res, ret_error);
        if (r >= 0)
                r = prepare_do_mount(req, fsdev->node, mount, fstype, res, ret_error);
        if (r < 0) {
                fs_info_done(&fs);
                return r;
        }
        r = prepare_do_fstab(req, fs.uuid, mount, fstype, res, ret_error);
        fs_info_done(&fs);
        return r;
}
