/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disk/state.h"
#include "util/json-util.h"
#include "util/path.h"

void disk_record_done(DiskRecord *r) {
        if (!r)
                return;
        r->uuid = mfree(r->uuid);
        r->fstype = mfree(r->fstype);
        r->label = mfree(r->label);
        r->device = mfree(r->device);
        r->volume_id = mfree(r->volume_id);
        r->mount = mfree(r->mount);
}

static int load(const char *root, cJSON **ret) {
        _cleanup_free_ char *p = root_path(root, DISK_STATE_FILE);
        cJSON *j;
        int r;

        if (!p)
                return -ENOMEM;
        r = json_parse_file(p, &j);
        if (r == -ENOENT) {
                j = cJSON_CreateObject();
                if (!j || !cJSON_AddArrayToObject(j, "filesystems")) {
                        cJSON_Delete(j);
                        return -ENOMEM;
                }
                *ret = j;
                return 0;
        }
        if (r < 0)
                return r;
        if (!cJSON_IsArray(cJSON_GetObjectItem(j, "filesystems"))) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

static char *dup_str(const cJSON *o, const char *key) {
        const char *v = json_get_string(o, key);
        return v ? strdup(v) : NULL;
}

static int to_record(const cJSON *o, DiskRecord *ret) {
        DiskRecord d = {
                .uuid = dup_str(o, "uuid"),
                .fstype = dup_str(o, "fstype"),
                .label = dup_str(o, "label"),
                .device = dup_str(o, "device"),
                .volume_id = dup_str(o, "volume_id"),
                .mount = dup_str(o, "mount"),
                .partition = cJSON_IsTrue(cJSON_GetObjectItem(o, "partition")),
        };
        if (!d.uuid) {
                disk_record_done(&d);
                return -EBADMSG;
        }
        *ret = d;
        return 0;
}

int disk_state_find_uuid(const char *root, const char *uuid, DiskRecord *ret) {
        _cleanup_json_ cJSON *j = NULL;
        const cJSON *o;
        int r;

        r = load(root, &j);
        if (r < 0)
                return r;
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "filesystems")) {
                const cJSON *u = cJSON_GetObjectItem(o, "uuid");
                if (cJSON_IsString(u) && streq(u->valuestring, uuid))
                        return to_record(o, ret);
        }
        return -ENOENT;
}

int disk_state_find_last(const char *root, DiskRecord *ret) {
        _cleanup_json_ cJSON *j = NULL;
        const cJSON *a, *last;
        int r;

        r = load(root, &j);
        if (r < 0)
                return r;
        a = cJSON_GetObjectItem(j, "filesystems");
        last = cJSON_GetArrayItem(a, cJSON_GetArraySize(a) - 1);
        if (!last)
                return -ENOENT;
        return to_record(last, ret);
}

int disk_state_record(const char *root, const DiskRecord *rec) {
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *p = root_path(root, DISK_STATE_FILE);
        cJSON *a, *o, *old;
        char stamp[32];
        struct tm tm;
        time_t t = time(NULL);
        int i = 0, r;

        if (!p)
                return -ENOMEM;
        r = load(root, &j);
        if (r < 0)
                return r;
        a = cJSON_GetObjectItem(j, "filesystems");

        /* Replace by UUID: the same filesystem seen again (new kernel name,
         * other mount point) is one record. */
        cJSON_ArrayForEach(old, a) {
                const cJSON *u = cJSON_GetObjectItem(old, "uuid");
                if (cJSON_IsString(u) && streq(u->valuestring, rec->uuid)) {
                        cJSON_DeleteItemFromArray(a, i);
                        break;
                }
                i++;
        }

        o = cJSON_CreateObject();
        if (!o)
                return -ENOMEM;
        cJSON_AddItemToArray(a, o);
        if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;
        if (!json_add_string_or_null(o, "uuid", rec->uuid) || !json_add_string_or_null(o, "fstype", rec->fstype) ||
            !json_add_string_or_null(o, "label", rec->label) || !json_add_string_or_null(o, "device", rec->device) ||
            !json_add_string_or_null(o, "volume_id", rec->volume_id) ||
            !json_add_string_or_null(o, "mount", rec->mount) || !cJSON_AddBoolToObject(o, "partition", rec->partition) ||
            !cJSON_AddStringToObject(o, "created", stamp))
                return -ENOMEM;

        return json_write_file(p, j, 0755, 0644);
}
