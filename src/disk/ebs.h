/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Identity of AWS block devices, independent of udev: the EBS volume id is the
 * NVMe serial number ("vol0abc…"), the EC2 device name given at attach time
 * ("sdf", "/dev/xvdf") is in the vendor-specific area of the NVMe Identify
 * Controller data on Nitro instances, and on Xen instances the kernel name is
 * the EC2 name with "sd" spelled "xvd". Xen disks have no model that would
 * tell instance store from EBS: only the instance metadata knows
 * (disk/imds.h). */

#define NVME_IDENTIFY_SIZE 4096
#define AMAZON_NVME_VENDOR_ID 0x1d0f
#define EBS_MODEL "Amazon Elastic Block Store"
#define INSTANCE_STORE_MODEL "Amazon EC2 NVMe Instance Storage"

typedef enum DiskKind {
        DISK_KIND_OTHER,
        DISK_KIND_EBS,
        DISK_KIND_INSTANCE_STORE,
} DiskKind;

const char *disk_kind_to_string(DiskKind k);

/* From a model string as sysfs or the identify data show it (trailing blanks
 * allowed). */
DiskKind disk_kind_from_model(const char *model);

typedef struct NvmeIdentity {
        uint16_t vendor_id;    /* PCI vendor id (bytes 0..1) */
        char serial[21];       /* bytes 4..23, trimmed */
        char model[41];        /* bytes 24..63, trimmed */
        char ec2_name[33];     /* EC2 device name from the vendor area, normalised ("sdf"); "" if none */
} NvmeIdentity;

/* Parses Identify Controller data (exactly NVME_IDENTIFY_SIZE bytes).
 * -EINVAL for a short buffer. The EC2 name is only taken from Amazon
 * controllers (vendor id 0x1d0f); a name that does not look like an EC2
 * device name is ignored rather than trusted. */
int nvme_identify_parse(const void *data, size_t size, NvmeIdentity *ret);

/* Sends Identify Controller (admin opcode 0x06, CNS 1) to an NVMe block device
 * node and parses the answer. A regular file in place of the node (fixture
 * trees) is read as the raw 4096-byte answer instead. */
int nvme_identify_read(const char *node, NvmeIdentity *ret);

/* "vol-0abc…", "vol0abc…" (any case) → "vol-0abc…". -EINVAL unless it is a
 * volume id: "vol", optional '-', then 8 or 17 hex digits. */
int ebs_volume_id_normalize(const char *s, char **ret);

/* An EC2 device name in any spelling ("/dev/sdf", "sdf", "xvdf", "/dev/xvdf",
 * "sdba") → its canonical "sd…" form. -EINVAL if it is not one. */
int ec2_name_normalize(const char *s, char **ret);

/* Whether s is spelled like an EC2 device name (see ec2_name_normalize()). */
bool ec2_name_valid(const char *s);
