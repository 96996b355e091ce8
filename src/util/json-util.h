/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <cjson/cJSON.h>
#include <sys/types.h>

#include "util/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);
#define _cleanup_json_ _cleanup_(cJSON_Deletep)

/* Adds a string, or JSON null for NULL. Returns the item or NULL on OOM. */
static inline cJSON *json_add_string_or_null(cJSON *o, const char *key, const char *s) {
        return s ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key);
}

/* A JSON array of the strings of a strv. */
cJSON *json_string_array(char *const *l);

/* The string member key of o; NULL when o is no object, key is missing or
 * is no string. */
const char *json_get_string(const cJSON *o, const char *key);

/* The strings of the array member key of o, as a strv (empty, not NULL,
 * when there are none). -ENOENT when key is missing or no array, -EBADMSG
 * when an element is no string. */
int json_get_strv(const cJSON *o, const char *key, char ***ret);

/* Sets member key of o to v, replacing a member of that name. Takes v,
 * also on failure. */
int json_set(cJSON *o, const char *key, cJSON *v);
/* Sets member key to a string, or null for NULL. */
int json_set_string(cJSON *o, const char *key, const char *value);

/* Reads the JSON object in the file at path: -ENOENT when there is none,
 * -EBADMSG when it holds anything but an object. */
int json_parse_file(const char *path, cJSON **ret);
/* Writes o to path atomically (util/fileio.h), creating its directory with
 * dir_mode and a new file with mode. */
int json_write_file(const char *path, const cJSON *o, mode_t dir_mode, mode_t mode);

/* The same for path inside root (NULL: the host), reached without following
 * a symlink below root (util/fileio.h, write_file_beneath()): for the
 * program's own state, where a planted link must not redirect a write. */
int json_write_file_beneath(const char *root, const char *path, const cJSON *o, mode_t dir_mode, mode_t mode);
