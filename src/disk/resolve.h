/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Turns what a user or user-data calls a disk into the kernel's name for it,
 * without trusting udev symlinks (on Nitro the NVMe index changes between
 * boots; /dev/sdf links may be missing or stale):
 *
 *   /dev/nvme1n1, nvme1n1, /dev/loop3   the kernel name itself
 *   vol-0abc…, vol0abc…                  EBS volume id = NVMe serial
 *   sdf, /dev/sdf, xvdf, /dev/xvdf       EC2 name: NVMe identify data (Nitro),
 *                                        or the xvd disk of that name (Xen)
 *   /dev/disk/by-id/…, other links       followed to the node they name (never a
 *                                        link spelled like an EC2 name)
 *   UUID=…, LABEL=…                      libblkid probe of every device
 *
 * A name that is a real kernel device ("sdf" on a host with SCSI disks) is
 * that device; if an NVMe volume also claims that EC2 name, resolution fails
 * with -ENOTUNIQ rather than guess. sysroot is as in blockdev.h. */

typedef enum ResolveHow {
        RESOLVE_KERNEL_NAME,
        RESOLVE_VOLUME_ID,
        RESOLVE_EC2_NAME,
        RESOLVE_SYMLINK,
        RESOLVE_TAG,
} ResolveHow;

const char *resolve_how_to_string(ResolveHow h);

/* -ENOENT when nothing matches (yet), -EINVAL for a spec of no known form,
 * -ENOTUNIQ when two devices match. */
int disk_resolve(const char *sysroot, const char *spec, char **ret_name, ResolveHow *ret_how);

/* Like disk_resolve(), but while the answer is -ENOENT, or the device has
 * no media yet (size 0), retries for up to timeout_sec seconds (a volume
 * attached after boot): -ETIMEDOUT then. */
int disk_resolve_wait(const char *sysroot, const char *spec, long timeout_sec, char **ret_name,
                      ResolveHow *ret_how);
