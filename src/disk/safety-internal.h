/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The safety checks' insides, shared by their files and nobody else: the
 * rules a device must pass (safety.c), and what already uses a device or
 * would be written through it (in-use.c). Each check adds its findings to
 * e->refusals (and e->mounts); it fails (negative errno) only when the facts
 * cannot be read. */

#include <stdbool.h>

#include "disk/blockdev.h"
#include "disk/safety.h"

/* Whether someone holds node (inside sysroot) the way a mount, a VM or a
 * database holds a device: the kernel refuses an exclusive open then. */
bool disk_held_exclusively(const char *sysroot, const char *node);

/* b (the device, or one of its partitions): mounted, swap, or anything
 * built on it (disk_check_in_use_stack()). */
int disk_check_in_use(const char *sysroot, const BlockDev *b, Eligibility *e);

/* What is built on b: holders (device-mapper, LVM, RAID), loop devices. */
int disk_check_in_use_stack(const char *sysroot, const BlockDev *b, Eligibility *e);

/* What else uses the devices that writing to b writes through (the disk of
 * a partition, the backing device of a loop device, and on down). */
int disk_check_written(const char *sysroot, const BlockDev *b, Eligibility *e);
