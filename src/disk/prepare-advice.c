/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a failed disk_prepare() left on the host, in words, and what to do:
 * derived from the record of what the run did (PrepareDone), never written
 * by the step that failed, so that every failure after a change says it,
 * and none before one does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "disk/prepare.h"
#include "util/macro.h"
#include "util/strv.h"

static bool changed_anything(const PrepareDone *d) {
        return d->device != PREPARE_DEVICE_UNTOUCHED || d->made_dir || d->guarded || d->mounted || d->fstab_written;
}

/* The device, as the run left it. */
static int device_state(const PrepareResult *res, char **ret) {
        const char *disk = strna(res->disk), *fs = strna(res->fs_node);

        switch (res->done.device) {
        case PREPARE_DEVICE_UNTOUCHED:
                return asprintf(ret, "The %s filesystem on %s (UUID=%s) is as it was", strna(res->fstype), fs,
                        strna(res->uuid));
        case PREPARE_DEVICE_WIPING:
                return asprintf(ret, "Signatures on %s may be partly wiped", disk);
        case PREPARE_DEVICE_WIPED:
                return asprintf(ret, "Every signature on %s was wiped, nothing was written after", disk);
        case PREPARE_DEVICE_PARTITIONING:
                return asprintf(ret, "%s may hold a partial partition table", disk);
        case PREPARE_DEVICE_PARTITIONED:
                return asprintf(ret,
                        "%s holds a new partition table with one partition and nothing on it (a loop device "
                        "shows its partitions only when attached with losetup -P)",
                        disk);
        case PREPARE_DEVICE_FORMATTING:
                return asprintf(ret, "%s may hold part of a filesystem", fs);
        case PREPARE_DEVICE_FORMATTED:
                return asprintf(ret, "An %s filesystem (UUID=%s) was made on %s %s", strna(res->fstype),
                        strna(res->uuid), fs,
                        res->done.recorded ? "and recorded as this tool's"
                                           : "but is not recorded as this tool's, so a new run will not "
                                             "reuse it");
        }
        return -EINVAL;
}

/* The mount point, the mount and the fstab line. */
static int mount_state(const PrepareResult *res, char **ret) {
        const PrepareDone *d = &res->done;
        const char *mount = strna(res->mount);

        if (d->mounted)
                return asprintf(ret, "it is mounted on %s %s", mount,
                        d->fstab_written ? "and has its line in /etc/fstab"
                                         : "but has no line in /etc/fstab, so it will not be mounted at the "
                                           "next boot");
        if (d->fstab_written)
                return asprintf(ret, "it is not mounted, but /etc/fstab has its line (on %s)", mount);
        /* A reused filesystem may have a line for another mount point. */
        if (d->made_dir || d->guarded)
                return asprintf(ret, "it is not mounted%s; %s was made %s",
                        d->device != PREPARE_DEVICE_UNTOUCHED ? " or in /etc/fstab" : "", mount,
                        d->guarded ? "an empty, immutable mount point" : "as an empty directory");
        return asprintf(ret, "nothing is mounted or in /etc/fstab");
}

/* Whether a new run would refuse the device without --wipe: it carries
 * someone else's signatures still, or a filesystem of no record. */
static bool needs_wipe(const PrepareDone *d) {
        switch (d->device) {
        case PREPARE_DEVICE_UNTOUCHED:
        case PREPARE_DEVICE_WIPED:
                return false;
        case PREPARE_DEVICE_FORMATTED:
                return !d->recorded;
        default:
                return true;
        }
}

/* What to do: run again, and how; or take back by hand what stays. */
static int what_to_do(const PrepareResult *res, const char *again, char **ret) {
        const PrepareDone *d = &res->done;
        bool dir = d->made_dir || d->guarded;
        const char *mount = strna(res->mount), *reuse = "";

        if (d->device == PREPARE_DEVICE_UNTOUCHED || (d->device == PREPARE_DEVICE_FORMATTED && d->recorded))
                reuse = d->mounted ? (d->fstab_written ? " (it reuses the filesystem)"
                                                       : " (it reuses the filesystem and adds the line)")
                        : dir      ? " (it reuses the filesystem and the mount point)"
                                   : " (it reuses the filesystem)";
        if (d->mounted)
                return asprintf(ret, "fix the cause and run %s again%s%s, or unmount %s", again,
                        needs_wipe(d) ? " with --wipe" : "", reuse, mount);
        if (dir)
                return asprintf(ret,
                        "fix the cause and run %s again%s%s; to give the mount point up, chattr -i and "
                        "rmdir %s",
                        again, needs_wipe(d) ? " with --wipe" : "", reuse, mount);
        return asprintf(ret, "fix the cause and run %s again%s%s", again, needs_wipe(d) ? " with --wipe" : "", reuse);
}

int disk_prepare_advice(const PrepareResult *res, const char *again, char **ret) {
        _cleanup_free_ char *device = NULL, *mount = NULL, *todo = NULL, *advice = NULL;

        if (!changed_anything(&res->done)) {
                *ret = NULL;
                return 0;
        }
        if (device_state(res, &device) < 0 || mount_state(res, &mount) < 0 || what_to_do(res, again, &todo) < 0 ||
                asprintf(&advice, "%s; %s: %s.", device, mount, todo) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(advice);
        return 0;
}
