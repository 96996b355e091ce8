/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The readers of the Engine API's answers (/info, /images/json,
 * /containers/json, /volumes, a container's inspect, an error body): any
 * body a daemon, or something on its socket, could send. */
#include "engine/engine.h"
#include "fuzz.h"
#include "util/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_string(data, size), *s = NULL;
        char **l = NULL;
        EngineInfo *info = NULL;
        EngineContainers *c = NULL;

        if (engine_parse_info(text, &info) >= 0) {
                cJSON *j = engine_info_to_json(info);
                cJSON_Delete(j);
                engine_info_free(info);
        }
        if (engine_parse_images(text, &l) >= 0)
                l = strv_free(l);
        if (engine_parse_volumes(text, &l) >= 0)
                l = strv_free(l);
        if (engine_parse_containers(text, &c) >= 0) {
                char **ids = NULL;
                cJSON *j = engine_containers_to_json(c);
                cJSON_Delete(j);
                if (engine_containers_ids(c, "running", &ids) >= 0)
                        strv_free(ids);
                engine_containers_free(c);
        }
        if (engine_parse_restart_policy(text, &s) >= 0)
                free(s);
        free(engine_parse_error_message(text));
        free(text);
        return 0;
}
