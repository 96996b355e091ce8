/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* The filesystems this tool made, so that a re-run recognises them and reuses
 * them instead of refusing (or, worse, reformatting): a JSON file
 *
 *   <root>/var/lib/docker-relocate/disks.json
 *   { "filesystems": [ { "uuid": …, "fstype": …, "label": …, "device": …,
 *                        "volume_id": …, "mount": …, "partition": bool,
 *                        "created": "2024-…Z" } ] }
 *
 * The UUID is the identity; device and volume_id are informational (the
 * kernel name may change between boots). */

#define DISK_STATE_FILE "/var/lib/docker-relocate/disks.json"

typedef struct DiskRecord {
        char *uuid;
        char *fstype;
        char *label;
        char *device;
        char *volume_id;
        char *mount;
        bool partition;
} DiskRecord;

void disk_record_done(DiskRecord *r);

/* The record of uuid; -ENOENT when none (or no state file). */
int disk_state_find_uuid(const char *root, const char *uuid, DiskRecord *ret);

/* The most recent record (for grow's default mount point); -ENOENT if none. */
int disk_state_find_last(const char *root, DiskRecord *ret);

/* Adds or replaces (by UUID) a record, atomically. */
int disk_state_record(const char *root, const DiskRecord *rec);
