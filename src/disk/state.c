/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disk/state.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/process.h"

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
        _cleanup_free_ char *p = root_path(root, DISK_STATE_FILE), *data = NULL;
        cJSON *j;
        int r;

        if (!p)
                return -ENOMEM;
        r = read_full_file(p, 0, &data, NULL);
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
        j = cJSON_Parse(data);
        if (!j || !cJSON_IsArray(cJSON_GetObjectItem(j, "filesystems"))) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

static char *dup_str(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItem(o, key);
        return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
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
        _cleanup_free_ char *p = root_path(root, DISK_STATE_FILE), *dir = NULL, *s = NULL;
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

        s = cJSON_Print(j);
        dir = path_dirname(p);
        if (!s || !dir)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        return write_file_atomic(p, s, strlen(s), 0644);
}

int disk_lock(long timeout_sec, int *ret_fd) {
        _cleanup_free_ char *dir = path_dirname(DISK_LOCK_FILE);
        _cleanup_close_ int dfd = -1, fd = -1;
        unsigned long long deadline = now_ms() + (unsigned long long) (timeout_sec > 0 ? timeout_sec : 0) * 1000ULL;
        struct stat st;
        int r;

        if (!dir)
                return -ENOMEM;
        /* Neither the directory nor the file through a planted link: the
         * lock is created where it is named, or not at all. */
        r = mkdir_p_nofollow(dir, 0755, NULL, &dfd);
        if (r < 0)
                return r;
        fd = openat(dfd, path_basename(DISK_LOCK_FILE), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;

        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return negative_errno();
                if (now_ms() >= deadline)
                        return -EWOULDBLOCK;
                usleep(100 * 1000);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}
