/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "disk/blockdev.h"

/* How block devices are stacked on each other, beyond partitions: what a
 * device writes through (a loop device over a block device node) and what
 * is built on it (dm and md holders, loop devices backed by its node or by a
 * file on a filesystem it holds). The kernel's holders/ and slaves/ show
 * device-mapper and md, but not loop devices: a loop device does not claim
 * its backing device, so a mounted filesystem can sit on a loop device whose
 * backing device looks unused. sysroot is as in blockdev.h. */

/* What is built directly on name: its holders (dm, md) and every loop device
 * backed by it, by its node or by a file on a filesystem it holds. Sorted
 * kernel names; an empty list when nothing is. */
int blockdev_users(const char *sysroot, const char *name, char ***ret_users);

/* What writing to name writes to, one level down, besides a partition's
 * disk: the backing device of a loop device over a block device node. */
int blockdev_lower(const char *sysroot, const char *name, char ***ret_lower);
