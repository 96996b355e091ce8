/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Partition tables through libfdisk. Nodes are real paths (no sysroot): these
 * functions write to devices. */

/* Writes a new GPT with one Linux filesystem partition over the whole disk
 * and has the kernel read it. The caller has checked the disk is blank (or
 * wiped it). */
int partition_create_single(const char *disk_node);

/* Waits up to timeout_ms for partition n of disk to show up in sysfs and
 * /dev: "udevadm settle" where udev runs, polling otherwise (no udev in
 * containers, early boot). Returns the partition's kernel name. */
int partition_wait(const char *sysroot, const char *disk_name, unsigned n, unsigned long timeout_ms,
                   char **ret_name);

/* Moves the end of partition partno (1-based) to the end of the disk
 * (relocating the GPT backup header first when the disk grew) and tells the
 * kernel with BLKPG_RESIZE_PARTITION, which works while the partition is
 * mounted. Returns 1 when it grew, 0 when it already ended at the last usable
 * sector (or, on an MBR, at the 2^32 - 1 sectors it can hold), with the
 * sizes in bytes before and after. -EXFULL when another partition follows
 * it; -EOVERFLOW, with nothing written, when the label would not hold the
 * new size. Never smaller than it was. */
int partition_grow(const char *disk_node, unsigned partno, uint64_t *ret_old_bytes, uint64_t *ret_new_bytes);
