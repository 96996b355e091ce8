/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <cjson/cJSON.h>

#include "util/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);
#define _cleanup_json_ _cleanup_(cJSON_Deletep)

/* Adds a string, or JSON null for NULL. Returns the item or NULL on OOM. */
static inline cJSON *json_add_string_or_null(cJSON *o, const char *key, const char *s) {
        return s ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key);
}

/* A JSON array of the strings of a strv. */
cJSON *json_string_array(char *const *l);
