/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "disk/ebs.h"
#include "util/macro.h"

/* Block devices as sysfs shows them. Every function takes a sysroot: NULL for
 * the running host, otherwise a directory whose sys/, dev/ and proc/ stand in
 * for the real ones (fixture trees in the unit tests). Names are kernel names
 * ("nvme1n1", "loop0p1"); nodes are "/dev/<name>" inside sysroot. */

typedef struct BlockDev {
        char *name;
        char *node;         /* "/dev/<name>", inside sysroot */
        dev_t devnum;
        uint64_t size;      /* bytes */
        bool read_only;
        bool removable;
        char *parent;       /* whole disk of a partition; NULL for a disk */
        unsigned partno;    /* partition number, 0 for a disk */
        char *model;        /* trimmed; NULL if sysfs has none */
        char *serial;
        char *backing_file; /* of a loop device */
        char **partitions;  /* kernel names of a disk's partitions, sorted */
        char **holders;     /* kernel names in holders/ (dm, md) */
        DiskKind kind;      /* from the model (NVMe); an xvd disk's is OTHER, see blockdev_kind() */
        char *volume_id;    /* EBS volume id "vol-…" from the NVMe serial */
        char *ec2_name;     /* EC2 device name "sdf", from NVMe identify or the xvd name */
} BlockDev;

BlockDev *blockdev_free(BlockDev *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(BlockDev *, blockdev_free);
#define _cleanup_blockdev_ _cleanup_(blockdev_freep)

/* Prefixes path (absolute) with sysroot. */
char *sysroot_path(const char *sysroot, const char *path);

/* Reads everything about one device (disk or partition). -ENOENT if the
 * kernel does not know the name. */
int blockdev_load(const char *sysroot, const char *name, BlockDev **ret);
/* The kind of disk d is: d->kind, but on an EC2 Xen instance, where an xvd
 * disk's model says nothing, the instance metadata's block device mapping
 * tells instance store from EBS. That may take seconds where the metadata
 * does not answer, so only what needs the kind asks (once per process).
 * On failure *ret is d->kind and the error says why the metadata could not
 * tell (see disk/imds.h). */
int blockdev_kind(const char *sysroot, const BlockDev *d, DiskKind *ret);

/* The device's own kernel name, then its partitions' (where a filesystem
 * of a disk may sit). */
int blockdev_names(const BlockDev *d, char ***ret_names);

/* The whole disks in /sys/block, sorted by name. */
int blockdev_list_disks(const char *sysroot, char ***ret_names);

/* The kernel name of the device with this number, -ENOENT if none. */
int blockdev_name_from_devnum(const char *sysroot, dev_t devnum, char **ret_name);

/* The kernel's name for partition n of a disk: "nvme0n1" → "nvme0n1p1",
 * "loop0" → "loop0p1", "xvdf" → "xvdf1" (a 'p' when the disk name ends in a
 * digit). */
char *blockdev_partition_name(const char *disk, unsigned n);

/* Every device that device name is built on, transitively: itself, the disk
 * of a partition, the slaves of dm/md devices (and their disks), and the
 * backing device of a loop device over a device node (disk/stack.h). */
int blockdev_underlying(const char *sysroot, const char *name, char ***ret_names);

/* Whether a kernel name is a RAM disk (zramN, the brd disks ramN): its
 * blocks are memory, lost at the next reboot. */
bool blockdev_name_is_ram(const char *name);

typedef struct LoopBacking {
        char *file;   /* the backing file as the kernel names it (loop/backing_file) */
        dev_t devnum; /* the backing device node's own number when is_node, else the
                       * device of the filesystem holding the file; 0 when unknown
                       * (tmpfs, a fixture without it) */
        bool is_node; /* the backing file is a block device node: the loop device's
                       * blocks are that device's */
} LoopBacking;

void loop_backing_done(LoopBacking *b);

/* How the loop device name reaches its data. On the host the kernel's
 * numbers (LOOP_GET_STATUS64) are used, which hold also when the path no
 * longer resolves here (a file on a filesystem unmounted lazily, or mounted
 * in another namespace); in a fixture tree a node is found by its name,
 * and a file's filesystem is not known (devnum 0: disk/stack.h asks the
 * mount table). -ENXIO when name is no attached loop device. */
int blockdev_loop_backing(const char *sysroot, const char *name, LoopBacking *ret);

/* The device's /sys/class/block directory inside sysroot. */
int blockdev_sysfs_dir(const char *sysroot, const char *name, char **ret_dir);
