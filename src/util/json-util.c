/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/strv.h"

cJSON *json_string_array(char *const *l) {
        cJSON *a = cJSON_CreateArray();
        if (!a)
                return NULL;
        STRV_FOREACH(s, l) {
                cJSON *i = cJSON_CreateString(*s);
                if (!i) {
                        cJSON_Delete(a);
                        return NULL;
                }
                cJSON_AddItemToArray(a, i);
        }
        return a;
}

const char *json_get_string(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

int json_get_strv(const cJSON *o, const char *key, char ***ret) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *i;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!cJSON_IsArray(a))
                return -ENOENT;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        cJSON_ArrayForEach(i, a) {
                if (!cJSON_IsString(i))
                        return -EBADMSG;
                r = strv_extend(&l, i->valuestring);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int json_set(cJSON *o, const char *key, cJSON *v) {
        if (!v)
                return -ENOMEM;
        if (cJSON_GetObjectItemCaseSensitive(o, key) ? !cJSON_ReplaceItemInObjectCaseSensitive(o, key, v)
                                                     : !cJSON_AddItemToObject(o, key, v)) {
                cJSON_Delete(v);
                return -ENOMEM;
        }
        return 0;
}

int json_set_string(cJSON *o, const char *key, const char *value) {
        return json_set(o, key, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

int json_parse_file(const char *path, cJSON **ret) {
        _cleanup_free_ char *data = NULL;
        cJSON *o;
        int r;

        r = read_full_file(path, 0, &data, NULL);
        if (r < 0)
                return r;
        o = cJSON_Parse(data);
        if (!cJSON_IsObject(o)) {
                cJSON_Delete(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

int json_write_file_beneath(const char *root, const char *path, const cJSON *o, mode_t dir_mode, mode_t mode) {
        _cleanup_free_ char *s = cJSON_Print(o);

        if (!s)
                return -ENOMEM;
        return write_file_beneath(root, path, s, strlen(s), mode, dir_mode);
}

int json_write_file(const char *path, const cJSON *o, mode_t dir_mode, mode_t mode) {
        _cleanup_free_ char *dir = path_dirname(path), *s = NULL;
        int r;

        if (!dir)
                return -ENOMEM;
        r = mkdir_p(dir, dir_mode);
        if (r < 0)
                return r;
        s = cJSON_Print(o);
        if (!s)
                return -ENOMEM;
        return write_file_atomic(path, s, strlen(s), mode);
}
