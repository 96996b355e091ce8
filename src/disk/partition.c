/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libfdisk.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "disk/blockdev.h"
#include "disk/partition.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/process.h"

/* "Linux filesystem data" */
#define GPT_LINUX_FS_GUID "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct fdisk_context *, fdisk_unref_context);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fdisk_partition *, fdisk_unref_partition);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fdisk_parttype *, fdisk_unref_parttype);

static int open_context(const char *node, bool readonly, struct fdisk_context **ret) {
        _cleanup_(fdisk_unref_contextp) struct fdisk_context *cxt = NULL;
        int r;

        cxt = fdisk_new_context();
        if (!cxt)
                return -ENOMEM;
        r = fdisk_assign_device(cxt, node, readonly);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(cxt);
        return 0;
}

static int blkpg_partition(const char *disk_node, int op, unsigned partno, uint64_t start_bytes,
                           uint64_t size_bytes) {
        _cleanup_close_ int fd = -1;
        struct blkpg_partition p = {
                .start = (long long) start_bytes,
                .length = (long long) size_bytes,
                .pno = (int) partno,
        };
        struct blkpg_ioctl_arg a = {
                .op = op,
                .datalen = sizeof(p),
                .data = &p,
        };

        fd = open(disk_node, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (ioctl(fd, BLKPG, &a) < 0)
                return negative_errno();
        return 0;
}

/* Asks the kernel to read the new table, from a plain (not exclusive) open:
 * the kernel refuses while libfdisk's descriptor is open, and may answer
 * EBUSY for a moment after it closed. */
static int reread_partitions(const char *disk_node) {
        _cleanup_close_ int fd = -1;

        fd = open(disk_node, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        for (unsigned i = 0;; i++) {
                if (ioctl(fd, BLKRRPART, NULL) >= 0)
                        return 0;
                if (errno != EBUSY || i >= 50)
                        return negative_errno();
                usleep(100 * 1000);
        }
}

int partition_create_single(const char *disk_node) {
        _cleanup_(fdisk_unref_contextp) struct fdisk_context *cxt = NULL;
        _cleanup_(fdisk_unref_partitionp) struct fdisk_partition *pa = NULL;
        _cleanup_(fdisk_unref_parttypep) struct fdisk_parttype *type = NULL;
        _cleanup_(fdisk_unref_partitionp) struct fdisk_partition *written = NULL;
        _cleanup_free_ char *pname = NULL;
        uint64_t start, size;
        int r;

        r = open_context(disk_node, false, &cxt);
        if (r < 0)
                return r;

        /* Stale signatures in the new partition's area would make libblkid
         * see two things at once later on. */
        fdisk_enable_wipe(cxt, 1);

        r = fdisk_create_disklabel(cxt, "gpt");
        if (r < 0)
                return r;

        type = fdisk_label_parse_parttype(fdisk_get_label(cxt, NULL), GPT_LINUX_FS_GUID);
        pa = fdisk_new_partition();
        if (!type || !pa)
                return -ENOMEM;
        r = fdisk_partition_set_type(pa, type);
        if (r < 0)
                return r;
        r = fdisk_partition_set_partno(pa, 0);
        if (r < 0)
                return r;
        /* libfdisk's defaults: first aligned sector to the last usable one. */
        fdisk_partition_start_follow_default(pa, 1);
        fdisk_partition_end_follow_default(pa, 1);

        r = fdisk_add_partition(cxt, pa, NULL);
        if (r < 0)
                return r;
        r = fdisk_write_disklabel(cxt);
        if (r < 0)
                return r;
        /* Where the partition ended up, for the kernel below. */
        r = fdisk_get_partition(cxt, 0, &written);
        if (r < 0)
                return r;
        start = fdisk_partition_get_start(written) * fdisk_get_sector_size(cxt);
        size = fdisk_partition_get_size(written) * fdisk_get_sector_size(cxt);

        r = fdisk_deassign_device(cxt, 0);
        if (r < 0)
                return r;
        r = reread_partitions(disk_node);
        if (r < 0)
                return r;

        /* A kernel built without GPT support (minimal VM kernels) reads the
         * table and finds nothing; tell it about the partition directly,
         * as partx -a does. */
        pname = blockdev_partition_name(path_basename(disk_node), 1);
        if (!pname)
                return -ENOMEM;
        for (unsigned i = 0; i < 10; i++) {
                _cleanup_free_ char *dir = NULL;
                if (blockdev_sysfs_dir(NULL, pname, &dir) >= 0)
                        return 0;
                usleep(100 * 1000);
        }
        return blkpg_partition(disk_node, BLKPG_ADD_PARTITION, 1, start, size);
}

static bool udev_running(void) {
        return access("/run/udev/control", F_OK) == 0;
}

int partition_wait(const char *sysroot, const char *disk_name, unsigned n, unsigned long timeout_ms,
                   char **ret_name) {
        _cleanup_free_ char *name = blockdev_partition_name(disk_name, n), *dev = NULL, *node = NULL;
        unsigned long long deadline = now_ms() + timeout_ms;

        if (!name)
                return -ENOMEM;
        dev = path_join("/dev", name);
        node = dev ? sysroot_path(sysroot, dev) : NULL;
        if (!node)
                return -ENOMEM;

        if (udev_running() && root_is_host(sysroot)) {
                char *argv[] = { (char *) "udevadm", (char *) "settle", (char *) "--timeout=30", NULL };
                _cleanup_free_ char *out = NULL, *err = NULL;
                int status;
                (void) run_command(argv, 35 * 1000, &out, &err, &status);
        }

        for (;;) {
                _cleanup_free_ char *dir = NULL;

                /* devtmpfs makes the node as the kernel adds the partition;
                 * udev only adds links and permissions. */
                if (blockdev_sysfs_dir(sysroot, name, &dir) >= 0 && file_exists(node)) {
                        *ret_name = TAKE_PTR(name);
                        return 0;
                }
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                usleep(100 * 1000);
        }
}

int partition_grow(const char *disk_node, unsigned partno, uint64_t *ret_old_bytes, uint64_t *ret_new_bytes) {
        _cleanup_(fdisk_unref_contextp) struct fdisk_context *cxt = NULL;
        _cleanup_(fdisk_unref_partitionp) struct fdisk_partition *pa = NULL, *grown = NULL, *after = NULL;
        unsigned long ssz;
        uint64_t old_size, new_size, start, want, last;
        size_t nparts;
        int r;

        if (partno == 0)
                return -EINVAL;

        /* Opened read-write, libfdisk moves a GPT backup header that is no
         * longer at the end of the grown disk to the end, and with it the
         * last usable sector. */
        r = open_context(disk_node, false, &cxt);
        if (r < 0)
                return r;
        if (!fdisk_has_label(cxt))
                return -ENOMEDIUM;
        ssz = fdisk_get_sector_size(cxt);

        r = fdisk_get_partition(cxt, partno - 1, &pa);
        if (r < 0)
                return r;
        if (!fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa))
                return -EINVAL;
        start = fdisk_partition_get_start(pa);
        old_size = fdisk_partition_get_size(pa);

        /* Only the last partition can grow into the new space. */
        nparts = fdisk_get_npartitions(cxt);
        for (size_t i = 0; i < nparts; i++) {
                _cleanup_(fdisk_unref_partitionp) struct fdisk_partition *o = NULL;
                if (i == partno - 1 || fdisk_get_partition(cxt, i, &o) < 0 || !fdisk_partition_is_used(o))
                        continue;
                if (fdisk_partition_get_start(o) > start)
                        return -EXFULL;
        }

        /* An MBR keeps a partition's sectors in 32 bits: past sector
         * 2^32 - 1 (2 TiB of 512 bytes) the size would wrap round to a
         * smaller one, under a mounted filesystem. As far as it can go,
         * to that sector as growpart does, and never smaller than it is. */
        last = fdisk_get_last_lba(cxt);
        if (fdisk_is_labeltype(cxt, FDISK_DISKLABEL_DOS) && last > UINT32_MAX)
                last = UINT32_MAX;
        want = last >= start ? last - start + 1 : 0;
        if (start + old_size - 1 >= fdisk_get_last_lba(cxt) || want <= old_size) {
                if (ret_old_bytes)
                        *ret_old_bytes = old_size * ssz;
                if (ret_new_bytes)
                        *ret_new_bytes = old_size * ssz;
                return 0;
        }

        grown = fdisk_new_partition();
        if (!grown)
                return -ENOMEM;
        r = fdisk_partition_set_start(grown, start);
        if (r < 0)
                return r;
        r = fdisk_partition_set_size(grown, want);
        if (r < 0)
                return r;
        r = fdisk_set_partition(cxt, partno - 1, grown);
        if (r < 0)
                return r;
        /* What the label would say, read back before it is written. */
        r = fdisk_get_partition(cxt, partno - 1, &after);
        if (r < 0)
                return r;
        if (fdisk_partition_get_start(after) != start || fdisk_partition_get_size(after) < old_size)
                return -EOVERFLOW;
        fdisk_unref_partition(after);
        after = NULL;
        r = fdisk_write_disklabel(cxt);
        if (r < 0)
                return r;

        r = fdisk_get_partition(cxt, partno - 1, &after);
        if (r < 0)
                return r;
        new_size = fdisk_partition_get_size(after);

        r = fdisk_deassign_device(cxt, 0);
        if (r < 0)
                return r;

        /* BLKRRPART refuses a disk with a mounted partition; BLKPG changes
         * just this one, in bytes. */
        r = blkpg_partition(disk_node, BLKPG_RESIZE_PARTITION, partno, start * ssz, new_size * ssz);
        if (r < 0)
                return r;

        if (ret_old_bytes)
                *ret_old_bytes = old_size * ssz;
        if (ret_new_bytes)
                *ret_new_bytes = new_size * ssz;
        return 1;
}
