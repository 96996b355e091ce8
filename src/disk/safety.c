/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/probe.h"
#include "disk/safety.h"
#include "disk/usage.h"
#include "util/macro.h"
#include "util/strv.h"

/* ext4's default is one inode per 16 KiB (mke2fs.conf inode_ratio). */
#define EXT4_BYTES_PER_INODE 16384ULL

void eligibility_done(Eligibility *e) {
        if (!e)
                return;
        e->refusals = strv_free(e->refusals);
        e->signatures = strv_free(e->signatures);
        e->mounts = strv_free(e->mounts);
}

uint64_t disk_size_needed(uint64_t used_bytes) {
        uint64_t margin = used_bytes / 100 * SIZE_MARGIN_PERCENT;

        if (margin < SIZE_MARGIN_MIN)
                margin = SIZE_MARGIN_MIN;
        return used_bytes + margin;
}

/* Checks one node (the device, or one of its partitions) for use. */
static int check_in_use(const char *sysroot, const BlockDev *b, Eligibility *e) {
        _cleanup_strv_free_ char **targets = NULL;
        int r;

        r = usage_mount_points(sysroot, b->devnum, &targets);
        if (r < 0)
                return r;
        STRV_FOREACH(t, targets) {
                r = strv_extendf(&e->refusals, "%s is mounted on %s: unmount it first (--wipe does not override this)",
                                 b->node, *t);
                if (r >= 0)
                        r = strv_extend(&e->mounts, *t);
                if (r < 0)
                        return r;
        }

        r = usage_is_swap(sysroot, b);
        if (r < 0)
                return r;
        if (r > 0) {
                r = strv_extendf(&e->refusals, "%s is in use as swap: swapoff it and remove it from /etc/fstab first",
                                 b->node);
                if (r < 0)
                        return r;
        }

        if (strv_length(b->holders) > 0) {
                _cleanup_free_ char *h = strv_join(b->holders, ", ");
                if (!h)
                        return -ENOMEM;
                r = strv_extendf(&e->refusals,
                                 "%s is held by %s (device-mapper, LVM or RAID): remove that device first "
                                 "(--wipe does not override this)",
                                 b->node, h);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_signatures(const char *sysroot, const BlockDev *b, Eligibility *e) {
        _cleanup_strv_free_ char **sigs = NULL;
        _cleanup_free_ char *node = sysroot_path(sysroot, b->node);
        int r;

        if (!node)
                return -ENOMEM;
        r = probe_signatures(node, &sigs);
        if (r < 0)
                /* What cannot be read cannot be known to be blank. */
                return strv_extendf(&e->refusals,
                                    "%s cannot be probed for signatures (%s): run as root, or check the "
                                    "device",
                                    b->node, strerror(-r));
        STRV_FOREACH(s, sigs) {
                char *t;
                if (asprintf(&t, "%s: %s", b->node, *s) < 0)
                        return -ENOMEM;
                r = strv_consume(&e->signatures, t);
                if (r < 0)
                        return r;
        }
        return 0;
}

int disk_check_eligibility(const char *sysroot, const BlockDev *d, const EligibilityRequest *req,
                           Eligibility *ret) {
        _cleanup_(eligibility_done) Eligibility e = {};
        const char *what;
        DiskKind kind;
        int r;

        if (d->read_only) {
                r = strv_extendf(&e.refusals, "%s is read-only: attach it read-write", d->node);
                if (r < 0)
                        return r;
        }

        kind = d->kind;
        if (d->parent) {
                /* What kind of disk it is belongs to the whole disk. */
                _cleanup_blockdev_ BlockDev *parent = NULL;
                if (blockdev_load(sysroot, d->parent, &parent) >= 0)
                        kind = parent->kind;
        }
        if (kind == DISK_KIND_INSTANCE_STORE && !req->allow_instance_store) {
                r = strv_extendf(&e.refusals,
                                 "%s is an EC2 instance-store disk, whose data is lost when the instance stops: "
                                 "use an EBS volume, or pass --allow-instance-store",
                                 d->node);
                if (r < 0)
                        return r;
        }

        r = usage_backs_system(sysroot, d->name, &what);
        if (r < 0)
                return r;
        if (r > 0) {
                r = strv_extendf(&e.refusals, "%s backs %s: choose another device", d->node, what);
                if (r < 0)
                        return r;
        }

        r = check_in_use(sysroot, d, &e);
        if (r < 0)
                return r;
        r = check_signatures(sysroot, d, &e);
        if (r < 0)
                return r;

        STRV_FOREACH(p, d->partitions) {
                _cleanup_blockdev_ BlockDev *part = NULL;

                r = blockdev_load(sysroot, *p, &part);
                if (r == -ENOENT) /* went away meanwhile */
                        continue;
                if (r < 0)
                        return r;
                r = check_in_use(sysroot, part, &e);
                if (r < 0)
                        return r;
                r = check_signatures(sysroot, part, &e);
                if (r < 0)
                        return r;
        }

        /* Whatever the tables above do not show (a VM or a database using
         * the raw device): the kernel refuses an exclusive open of a block
         * device that someone holds. Asked only when nothing else explains
         * it already. */
        if (strv_length(e.mounts) == 0 && strv_length(d->holders) == 0) {
                _cleanup_free_ char *node = sysroot_path(sysroot, d->node);
                _cleanup_close_ int fd = -1;

                if (!node)
                        return -ENOMEM;
                fd = open(node, O_RDONLY | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (fd < 0 && errno == EBUSY) {
                        r = strv_extendf(&e.refusals,
                                         "%s is in use (opened exclusively by another program): stop it first",
                                         d->node);
                        if (r < 0)
                                return r;
                }
        }

        if (strv_length(e.signatures) > 0 && !req->wipe) {
                _cleanup_free_ char *s = strv_join(e.signatures, "; ");
                if (!s)
                        return -ENOMEM;
                r = strv_extendf(&e.refusals,
                                 "%s is not blank (%s): if nothing on it is needed, pass --wipe to overwrite it",
                                 d->node, s);
                if (r < 0)
                        return r;
        }

        if (d->size == 0) {
                r = strv_extendf(&e.refusals, "%s has no media (size 0)", d->node);
                if (r < 0)
                        return r;
        } else if (req->need_bytes > 0 && d->size < req->need_bytes) {
                r = strv_extendf(&e.refusals,
                                 "%s is too small: %llu bytes, but %llu are needed (the data plus a margin): "
                                 "attach a larger volume",
                                 d->node, (unsigned long long) d->size, (unsigned long long) req->need_bytes);
                if (r < 0)
                        return r;
        }
        if (d->size > 0 && req->need_inodes > 0 && (!req->fstype || streq(req->fstype, "ext4")) &&
            d->size / EXT4_BYTES_PER_INODE < req->need_inodes) {
                r = strv_extendf(&e.refusals,
                                 "%s is too small for %llu inodes (ext4 makes about %llu): attach a larger volume",
                                 d->node, (unsigned long long) req->need_inodes,
                                 (unsigned long long) (d->size / EXT4_BYTES_PER_INODE));
                if (r < 0)
                        return r;
        }

        *ret = e;
        e = (Eligibility){};
        return 0;
}
