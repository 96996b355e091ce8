/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "disk/probe.h"
#include "util/macro.h"
#include "util/strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe);

void fs_info_done(FsInfo *i) {
        if (!i)
                return;
        i->type = mfree(i->type);
        i->uuid = mfree(i->uuid);
        i->label = mfree(i->label);
}

static int new_probe(int fd, blkid_probe *ret) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;

        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
                                                      BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
                                                      BLKID_SUBLKS_BADCSUM);
        blkid_probe_enable_partitions(pr, 1);
        /* A GPT behind a damaged protective MBR still holds partitions. */
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
        *ret = TAKE_PTR(pr);
        return 0;
}

static const char *value(blkid_probe pr, const char *name) {
        const char *v = NULL;
        if (blkid_probe_lookup_value(pr, name, &v, NULL) < 0)
                return NULL;
        return v;
}

static const char *usage_name(const char *usage) {
        if (!usage)
                return "signature";
        if (streq(usage, "filesystem"))
                return "filesystem";
        if (streq(usage, "raid"))
                return "RAID/LVM member";
        return usage; /* "crypto", "other" */
}

/* "ext4 filesystem (UUID=…, LABEL=…)", "gpt partition table". */
static char *describe(blkid_probe pr) {
        const char *type = value(pr, "TYPE"), *pttype = value(pr, "PTTYPE");
        const char *uuid = value(pr, "UUID"), *label = value(pr, "LABEL");
        char ids[512] = "";
        char *s;

        if (!type) {
                if (asprintf(&s, "%s partition table", pttype ?: "unknown") < 0)
                        return NULL;
                return s;
        }

        if (uuid && label)
                snprintf(ids, sizeof(ids), " (UUID=%s, LABEL=%s)", uuid, label);
        else if (uuid || label)
                snprintf(ids, sizeof(ids), " (%s=%s)", uuid ? "UUID" : "LABEL", uuid ?: label);
        if (asprintf(&s, "%s %s%s", type, usage_name(value(pr, "USAGE")), ids) < 0)
                return NULL;
        return s;
}

int probe_signatures(const char *node, char ***ret_signatures) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        fd = open(node, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        r = new_probe(fd, &pr);
        if (r < 0)
                return r;

        /* blkid_do_probe() reports one probing function per call; looping
         * until it is done lists every signature, also the ones that
         * blkid_do_safeprobe() would call ambivalent. */
        while ((r = blkid_do_probe(pr)) == 0) {
                char *d = describe(pr);
                if (!d)
                        return -ENOMEM;
                if (strv_contains(l, d)) {
                        free(d);
                        continue;
                }
                r = strv_consume(&l, d);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return -EIO;

        *ret_signatures = TAKE_PTR(l);
        return 0;
}

int probe_filesystem(const char *node, FsInfo *ret) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        _cleanup_close_ int fd = -1;
        FsInfo i = {};
        const char *v;
        int r;

        fd = open(node, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE | BLKID_SUBLKS_LABEL |
                                                      BLKID_SUBLKS_UUID);
        blkid_probe_enable_partitions(pr, 1);

        r = blkid_do_safeprobe(pr);
        if (r == -2)
                return -ENOTUNIQ;
        if (r < 0)
                return -EIO;
        if (r == 1)
                return -ENOENT;

        v = value(pr, "TYPE");
        if (!v)
                return -ENOENT; /* a partition table, not a filesystem */
        i.type = strdup(v);
        if ((v = value(pr, "UUID")))
                i.uuid = strdup(v);
        if ((v = value(pr, "LABEL")))
                i.label = strdup(v);
        if (!i.type || (value(pr, "UUID") && !i.uuid) || (value(pr, "LABEL") && !i.label)) {
                fs_info_done(&i);
                return -ENOMEM;
        }
        *ret = i;
        return 0;
}

int probe_wipe_all(const char *node) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        _cleanup_close_ int fd = -1;
        bool pt = false;
        int r;

        fd = open(node, O_RDWR | O_CLOEXEC | O_NOCTTY | O_EXCL);
        if (fd < 0)
                return negative_errno();
        r = new_probe(fd, &pr);
        if (r < 0)
                return r;

        while ((r = blkid_do_probe(pr)) == 0) {
                if (value(pr, "PTTYPE"))
                        pt = true;
                /* Erases the magic of what was just found and steps back, so
                 * the next round probes the same place again. */
                if (blkid_do_wipe(pr, 0) < 0)
                        return -EIO;
        }
        if (r < 0)
                return -EIO;
        if (fsync(fd) < 0)
                return negative_errno();
        /* The kernel still shows the old partitions until told. */
        if (pt)
                (void) ioctl(fd, BLKRRPART, NULL);
        return 0;
}
