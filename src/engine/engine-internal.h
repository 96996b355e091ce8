/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The Engine API client's insides, shared by its files and nobody else: the
 * connection, its requests and the daemon-wide answers (engine.c), the
 * containers' list, inspection, stop and start (containers.c). */

#include <curl/curl.h>

#include "engine/engine.h"

struct Engine {
        char *socket_path;
        unsigned timeout_ms;
        CURL *curl;
};

/* One request. method "GET" or "POST" (an empty body). On a 2xx or an
 * accepted 304 *ret_body is the answer (NUL-terminated, maybe empty) and
 * *ret_status the HTTP status (ret_status may be NULL). timeout_ms 0 → the
 * Engine's own. */
int engine_request(Engine *e, const char *method, const char *path, unsigned timeout_ms, char **ret_body,
                   long *ret_status, char **ret_error);

/* GET path, with the Engine's timeout. */
static inline int engine_get(Engine *e, const char *path, char **ret, char **ret_error) {
        return engine_request(e, "GET", path, 0, ret, NULL, ret_error);
}
