/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing a partition over a grown disk, on an image file (no root): an
 * MBR partition ends at sector 2^32 - 1 at most, never wraps round to a
 * smaller size past 2 TiB. The
 * kernel's part (BLKPG) cannot be asked of a file, so a grow that writes
 * the label ends in that error here; what counts is the label it wrote. */
#include <fcntl.h>
#include <libfdisk.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/partition.h"
#include "tap.h"
#include "tree.h"
#include "util/macro.h"

#define TiB (1024ULL * 1024 * 1024 * 1024)

/* A sparse image of disk_bytes with an MBR and one Linux partition of
 * sectors sectors from sector 2048. */
static bool make_image(const char *path, uint64_t disk_bytes, uint64_t sectors) {
        struct fdisk_context *cxt = NULL;
        struct fdisk_partition *pa = NULL;
        bool done = false;
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || ftruncate(fd, (off_t) disk_bytes) < 0) {
                if (fd >= 0)
                        close(fd);
                return false;
        }
        close(fd);
        cxt = fdisk_new_context();
        pa = fdisk_new_partition();
        if (cxt && pa && fdisk_assign_device(cxt, path, 0) == 0 && fdisk_create_disklabel(cxt, "dos") == 0 &&
            fdisk_partition_set_start(pa, 2048) == 0 && fdisk_partition_set_size(pa, sectors) == 0 &&
            fdisk_partition_set_partno(pa, 0) == 0 && fdisk_add_partition(cxt, pa, NULL) == 0 &&
            fdisk_write_disklabel(cxt) == 0)
                done = true;
        fdisk_unref_partition(pa);
        fdisk_unref_context(cxt);
        return done;
}

/* The size in sectors of partition 1 as the image's label says, 0 on error. */
static uint64_t label_size(const char *path) {
        struct fdisk_context *cxt = fdisk_new_context();
        struct fdisk_partition *pa = NULL;
        uint64_t size = 0;

        if (cxt && fdisk_assign_device(cxt, path, 1) == 0 && fdisk_get_partition(cxt, 0, &pa) == 0)
                size = fdisk_partition_get_size(pa);
        fdisk_unref_partition(pa);
        fdisk_unref_context(cxt);
        return size;
}

int main(void) {
        char *dir = tree_new("test-partition");
        _cleanup_free_ char *img = NULL;
        uint64_t before = 0, after = 0;
        struct stat st0, st1;
        int r;

        if (asprintf(&img, "%s/disk.img", dir) < 0)
                abort();

        /* 1.5 TiB on a disk grown to 3 TiB: as far as an MBR goes. */
        ok(make_image(img, 3 * TiB, 3 * TiB / 2 / 512), "an MBR image: 1.5 TiB of 3 TiB");
        before = label_size(img);
        r = partition_grow(img, 1, NULL, NULL);
        after = label_size(img);
        ok(r < 0, "growing it writes the label, then the kernel's part fails on a file (%d)", r);
        ok(after == UINT32_MAX - 2048 + 1, "the label says it ends at sector 2^32 - 1, the last an MBR reaches (%llu sectors, was %llu)",
           (unsigned long long) after, (unsigned long long) before);

        /* Already at that size: nothing to grow, nothing written. */
        ok(make_image(img, 3 * TiB, UINT32_MAX - 2048 + 1), "an MBR image: a partition to sector 2^32 - 1 of 3 TiB");
        ok(stat(img, &st0) == 0, "its state");
        uint64_t old_bytes = 0, new_bytes = 0;
        ok_int(partition_grow(img, 1, &old_bytes, &new_bytes), 0, "full as an MBR goes: nothing to grow");
        ok(stat(img, &st1) == 0 && st1.st_mtim.tv_sec == st0.st_mtim.tv_sec &&
                   st1.st_mtim.tv_nsec == st0.st_mtim.tv_nsec && label_size(img) == UINT32_MAX - 2048 + 1,
           "nothing was written");
        ok(old_bytes == new_bytes && old_bytes == ((uint64_t) UINT32_MAX - 2048 + 1) * 512, "the sizes say so");

        unlink(img);
        tree_remove(dir);
        return tap_done();
}
