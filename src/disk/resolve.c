/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/blockdev.h"
#include "disk/ebs.h"
#include "disk/probe.h"
#include "disk/resolve.h"
#include "util/log.h"
#include "util/path.h"
#include "util/process.h"
#include "util/string-table.h"
#include "util/strv.h"

static const char *const resolve_how_table[] = {
        [RESOLVE_KERNEL_NAME] = "kernel name",
        [RESOLVE_VOLUME_ID] = "EBS volume id (NVMe serial)",
        [RESOLVE_EC2_NAME] = "EC2 device name",
        [RESOLVE_SYMLINK] = "device link",
        [RESOLVE_TAG] = "filesystem tag",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(resolve_how, ResolveHow);

/* Collects the names of all whole disks whose attribute matches. */
static int match_disks(const char *sysroot, bool (*match)(const BlockDev *d, const char *want), const char *want,
                       char ***ret) {
        _cleanup_strv_free_ char **disks = NULL, **found = NULL;
        int r;

        r = blockdev_list_disks(sysroot, &disks);
        if (r < 0)
                return r;
        STRV_FOREACH(n, disks) {
                _cleanup_blockdev_ BlockDev *d = NULL;
                if (blockdev_load(sysroot, *n, &d) < 0)
                        continue;
                if (match(d, want)) {
                        r = strv_extend(&found, *n);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(found);
        return 0;
}

static bool match_volume_id(const BlockDev *d, const char *want) {
        return d->volume_id && streq(d->volume_id, want);
}

static bool match_ec2_name(const BlockDev *d, const char *want) {
        return d->ec2_name && streq(d->ec2_name, want);
}

static int one_of(char **found, char **ret_name) {
        size_t n = strv_length(found);

        if (n == 0)
                return -ENOENT;
        if (n > 1)
                return -ENOTUNIQ;
        *ret_name = strdup(found[0]);
        return *ret_name ? 0 : -ENOMEM;
}

static bool is_kernel_device(const char *sysroot, const char *name) {
        _cleanup_free_ char *dir = NULL;
        return blockdev_sysfs_dir(sysroot, name, &dir) >= 0;
}

static int resolve_tag(const char *sysroot, const char *key, const char *want, char **ret_name) {
        _cleanup_strv_free_ char **disks = NULL, **found = NULL;
        int r;

        r = blockdev_list_disks(sysroot, &disks);
        if (r < 0)
                return r;
        STRV_FOREACH(n, disks) {
                _cleanup_blockdev_ BlockDev *d = NULL;
                _cleanup_strv_free_ char **names = NULL;

                if (blockdev_load(sysroot, *n, &d) < 0)
                        continue;
                r = blockdev_names(d, &names);
                if (r < 0)
                        return r;
                STRV_FOREACH(m, names) {
                        _cleanup_free_ char *node = NULL, *p = path_join("/dev", *m);
                        FsInfo fs = {};
                        const char *v;

                        node = p ? sysroot_path(sysroot, p) : NULL;
                        if (!node)
                                return -ENOMEM;
                        if (probe_filesystem(node, &fs) < 0)
                                continue;
                        v = streq(key, "UUID") ? fs.uuid : fs.label;
                        if (v && streq(v, want))
                                r = strv_extend(&found, *m);
                        fs_info_done(&fs);
                        if (r < 0)
                                return r;
                }
        }
        return one_of(found, ret_name);
}

/* Follows a path below /dev (a by-id link, a node) to its kernel name, by
 * device number: a node's name need not be the kernel's. */
static int resolve_path(const char *sysroot, const char *spec, char **ret_name) {
        _cleanup_free_ char *chased = NULL, *full = NULL;
        struct stat st;
        int r;

        r = chase_path(sysroot, spec, &chased);
        if (r < 0)
                return r;
        full = sysroot_path(sysroot, chased);
        if (!full)
                return -ENOMEM;
        if (stat(full, &st) < 0)
                return negative_errno();
        if (S_ISBLK(st.st_mode))
                return blockdev_name_from_devnum(sysroot, st.st_rdev, ret_name);

        /* Fixture trees hold plain files: the name is what counts there. */
        if (startswith(chased, "/dev/") && is_kernel_device(sysroot, chased + 5))
                return (*ret_name = strdup(chased + 5)) ? 0 : -ENOMEM;
        return -ENOTBLK;
}

int disk_resolve(const char *sysroot, const char *spec, char **ret_name, ResolveHow *ret_how) {
        _cleanup_strv_free_ char **found = NULL;
        _cleanup_free_ char *id = NULL, *ec2 = NULL, *name = NULL;
        const char *bare, *v;
        bool kernel;
        int r;

        if (isempty(spec))
                return -EINVAL;

        if ((v = startswith(spec, "UUID=")) || (v = startswith(spec, "LABEL="))) {
                if (isempty(v))
                        return -EINVAL;
                r = resolve_tag(sysroot, startswith(spec, "UUID=") ? "UUID" : "LABEL", v, &name);
                if (r < 0)
                        return r;
                *ret_how = RESOLVE_TAG;
                *ret_name = TAKE_PTR(name);
                return 0;
        }

        if (ebs_volume_id_normalize(spec, &id) >= 0) {
                r = match_disks(sysroot, match_volume_id, id, &found);
                if (r < 0)
                        return r;
                r = one_of(found, &name);
                if (r < 0)
                        return r;
                *ret_how = RESOLVE_VOLUME_ID;
                *ret_name = TAKE_PTR(name);
                return 0;
        }

        bare = startswith(spec, "/dev/") ?: spec;
        if (strchr(bare, '/')) {
                /* /dev/disk/by-id/…, /dev/mapper/…: a link to follow. */
                if (!path_is_absolute(spec))
                        return -EINVAL;
                r = resolve_path(sysroot, spec, &name);
                if (r < 0)
                        return r;
                *ret_how = RESOLVE_SYMLINK;
                *ret_name = TAKE_PTR(name);
                return 0;
        }

        kernel = is_kernel_device(sysroot, bare);

        if (ec2_name_normalize(bare, &ec2) >= 0) {
                r = match_disks(sysroot, match_ec2_name, ec2, &found);
                if (r < 0)
                        return r;
                /* "sdf" meant for an NVMe volume must never fall through to
                 * some other disk that happens to be called sdf, and the
                 * reverse: refuse to choose. */
                if (kernel && strv_length(found) > 0 &&
                    !(strv_length(found) == 1 && streq(found[0], bare)))
                        return -ENOTUNIQ;
                if (!kernel) {
                        r = one_of(found, &name);
                        if (r < 0)
                                return r;
                        *ret_how = RESOLVE_EC2_NAME;
                        *ret_name = TAKE_PTR(name);
                        return 0;
                }
        }

        if (!kernel) {
                /* A /dev path the kernel does not call that, e.g. a link
                 * made by hand. Never for EC2 names: a /dev/sdf link left
                 * from before a reboot may name another volume now. */
                if (startswith(spec, "/dev/") && !ec2) {
                        r = resolve_path(sysroot, spec, &name);
                        if (r >= 0) {
                                *ret_how = RESOLVE_SYMLINK;
                                *ret_name = TAKE_PTR(name);
                                return 0;
                        }
                }
                return -ENOENT;
        }

        name = strdup(bare);
        if (!name)
                return -ENOMEM;
        *ret_how = RESOLVE_KERNEL_NAME;
        *ret_name = TAKE_PTR(name);
        return 0;
}

int disk_resolve_wait(const char *sysroot, const char *spec, long timeout_sec, char **ret_name,
                      ResolveHow *ret_how) {
        unsigned long long start = now_ms();
        unsigned long long deadline = start + (unsigned long long) (timeout_sec > 0 ? timeout_sec : 0) * 1000ULL;
        bool waited = false;
        int r;

        for (;;) {
                _cleanup_free_ char *name = NULL;
                ResolveHow how;

                r = disk_resolve(sysroot, spec, &name, &how);
                if (r >= 0 && timeout_sec > 0) {
                        /* A node without media (an unattached loop device, a
                         * volume whose size the kernel has not read yet) is
                         * not there yet either. */
                        _cleanup_blockdev_ BlockDev *d = NULL;
                        if (blockdev_load(sysroot, name, &d) >= 0 && d->size == 0)
                                r = -ENOENT;
                }
                if (r >= 0) {
                        /* Say so in the log, which is all a boot-time run
                         * (cloud-init, a unit) leaves behind. */
                        if (waited)
                                log_info("%s appeared as /dev/%s after %.1f s.", spec, name,
                                         (double) (now_ms() - start) / 1000.0);
                        *ret_name = TAKE_PTR(name);
                        *ret_how = how;
                        return 0;
                }
                if (r != -ENOENT)
                        return r;
                if (timeout_sec <= 0)
                        return -ENOENT;
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                if (!waited)
                        log_info("Waiting up to %ld s for %s to be attached...", timeout_sec, spec);
                waited = true;
                /* New NVMe namespaces show up within a second or two of the
                 * attach; polling sysfs needs no udev. */
                usleep(250 * 1000);
        }
}
