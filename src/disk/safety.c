/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disk/probe.h"
#include "disk/safety-internal.h"
#include "disk/usage.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* ext4's default is one inode per 16 KiB (mke2fs.conf inode_ratio). */
#define EXT4_BYTES_PER_INODE 16384ULL

void eligibility_done(Eligibility *e) {
        if (!e)
                return;
        e->refusals = strv_free(e->refusals);
        e->signatures = strv_free(e->signatures);
        e->mounts = strv_free(e->mounts);
        e->warnings = strv_free(e->warnings);
}

uint64_t disk_size_needed(uint64_t used_bytes) {
        uint64_t margin = used_bytes / 100 * SIZE_MARGIN_PERCENT;

        if (margin < SIZE_MARGIN_MIN)
                margin = SIZE_MARGIN_MIN;
        return used_bytes + margin;
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
        int kind_error, r;

        if (d->read_only) {
                r = strv_extendf(&e.refusals, "%s is read-only: attach it read-write", d->node);
                if (r < 0)
                        return r;
        }

        kind_error = blockdev_kind(sysroot, d, &kind);
        if (d->parent) {
                /* What kind of disk it is belongs to the whole disk. */
                _cleanup_blockdev_ BlockDev *parent = NULL;
                if (blockdev_load(sysroot, d->parent, &parent) >= 0)
                        kind_error = blockdev_kind(sysroot, parent, &kind);
        }
        e.kind = kind;
        if (kind == DISK_KIND_INSTANCE_STORE && !req->allow_instance_store) {
                r = strv_extendf(&e.refusals,
                                 "%s is an EC2 instance-store disk, whose data is lost when the instance stops: "
                                 "use an EBS volume, or pass --allow-instance-store",
                                 d->node);
                if (r < 0)
                        return r;
        }
        if (kind_error < 0 && !req->allow_instance_store) {
                /* Not refused: most such disks are EBS volumes, and the
                 * metadata may be off on purpose. */
                r = strv_extendf(&e.warnings,
                                 "%s: whether it is an EC2 instance-store disk could not be told (%s%s): if it is, "
                                 "the data put on it is lost when the instance stops; make sure it is an EBS volume "
                                 "(instance store shows as ephemeral0, ephemeral1, ... in the instance's block "
                                 "device mapping)",
                                 d->node,
                                 kind_error == -ECANCELED ? "AWS_EC2_METADATA_DISABLED turns the instance metadata off"
                                                          : "the instance metadata could not be read: ",
                                 kind_error == -ECANCELED ? "" : strerror(-kind_error));
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

        {
                _cleanup_strv_free_ char **under = NULL;

                r = blockdev_underlying(sysroot, d->name, &under);
                if (r < 0)
                        return r;
                STRV_FOREACH(u, under)
                        if (blockdev_name_is_ram(*u)) {
                                r = streq(*u, d->name)
                                            ? strv_extendf(&e.refusals,
                                                     "%s is a RAM disk: its data is lost at the next reboot; use a "
                                                     "persistent volume",
                                                     d->node)
                                            : strv_extendf(&e.refusals,
                                                     "%s is built on /dev/%s, a RAM disk: its data is lost at the "
                                                     "next reboot; use a persistent volume",
                                                     d->node, *u);
                                if (r < 0)
                                        return r;
                                break;
                        }
        }

        r = disk_check_in_use(sysroot, d, &e);
        if (r < 0)
                return r;
        /* What d writes through: a loop device over another device writes
         * that device's blocks, whatever else uses them. */
        r = disk_check_written(sysroot, d, &e);
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
                r = disk_check_in_use(sysroot, part, &e);
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
        if (strv_length(e.mounts) == 0 && strv_length(d->holders) == 0 && disk_held_exclusively(sysroot, d->node)) {
                r = strv_extendf(&e.refusals, "%s is in use (opened exclusively by another program): stop it first",
                           d->node);
                if (r < 0)
                        return r;
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

int disk_check_growable(const char *sysroot, const BlockDev *b, char ***ret_refusals) {
        _cleanup_(eligibility_done) Eligibility e = {};
        const char *what;
        int r;

        if (b->read_only) {
                r = strv_extendf(&e.refusals, "%s is read-only", b->node);
                if (r < 0)
                        return r;
        }
        r = usage_backs_system(sysroot, b->name, &what);
        if (r < 0)
                return r;
        if (r > 0) {
                r = strv_extendf(&e.refusals, "%s backs %s: this tool grows only a data volume", b->node, what);
                if (r < 0)
                        return r;
        }
        /* A holder or a loop device on it has its own idea of the size;
         * disk_check_written() looks at what uses the disk of a partition. */
        r = disk_check_in_use_stack(sysroot, b, &e);
        if (r < 0)
                return r;
        r = disk_check_written(sysroot, b, &e);
        if (r < 0)
                return r;
        *ret_refusals = TAKE_PTR(e.refusals);
        return 0;
}

static void digest_add(uint64_t *h, const char *s) {
        /* FNV-1a; a separator keeps "ab"+"c" apart from "a"+"bc". */
        for (const char *c = strempty(s); *c; c++) {
                *h ^= (unsigned char) *c;
                *h *= 1099511628211ULL;
        }
        *h ^= 0xff;
        *h *= 1099511628211ULL;
}

int disk_identity(const char *sysroot, const char *name, DiskIdentity *ret) {
        _cleanup_blockdev_ BlockDev *d = NULL;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *node = NULL;
        uint64_t h = 14695981039346656037ULL;
        struct stat st;
        int r;

        r = blockdev_load(sysroot, name, &d);
        if (r < 0)
                return r;
        node = sysroot_path(sysroot, d->node);
        if (!node)
                return -ENOMEM;
        if (stat(node, &st) < 0)
                return negative_errno();
        if (S_ISBLK(st.st_mode) && st.st_rdev != d->devnum)
                return -ESTALE;

        digest_add(&h, d->model);
        digest_add(&h, d->serial);
        digest_add(&h, d->volume_id);
        {
                _cleanup_(loop_backing_done) LoopBacking lb = {};
                _cleanup_free_ char *dir = NULL, *p = NULL, *seq = NULL, *lbs = NULL;

                /* The kernel numbers every attach of a loop device and every
                 * media change (diskseq): a name reused for another volume
                 * gets another number. */
                if (blockdev_sysfs_dir(sysroot, d->parent ?: d->name, &dir) >= 0 && (p = path_join(dir, "diskseq")) &&
                    read_full_file(p, 64, &seq, NULL) >= 0)
                        digest_add(&h, seq);
                if (blockdev_loop_backing(sysroot, d->parent ?: d->name, &lb) >= 0 &&
                    asprintf(&lbs, "%s %llu", lb.file, (unsigned long long) lb.devnum) >= 0)
                        digest_add(&h, lbs);
        }
        r = blockdev_names(d, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                _cleanup_strv_free_ char **sigs = NULL;
                _cleanup_free_ char *p = path_join("/dev", *n), *full = NULL;

                full = p ? sysroot_path(sysroot, p) : NULL;
                if (!full)
                        return -ENOMEM;
                digest_add(&h, *n);
                r = probe_signatures(full, &sigs);
                if (r < 0 && r != -ENOENT)
                        return r;
                STRV_FOREACH(x, sigs)
                        digest_add(&h, *x);
        }
        *ret = (DiskIdentity){ .known = true, .devnum = d->devnum, .size = d->size, .digest = h };
        return 0;
}

bool disk_identity_equal(const DiskIdentity *a, const DiskIdentity *b) {
        return a->known && b->known && a->devnum == b->devnum && a->size == b->size && a->digest == b->digest;
}
