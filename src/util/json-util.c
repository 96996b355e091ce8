/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/json-util.h"
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
