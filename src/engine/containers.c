/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The containers, through the Engine API: listed, inspected for what a move
 * must keep (restart policy, stop timeout), stopped and started. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine-internal.h"
#include "util/error.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/strv.h"

EngineContainers *engine_containers_free(EngineContainers *l) {
        if (!l)
                return NULL;
        for (size_t k = 0; k < l->n; k++) {
                free(l->items[k].id);
                free(l->items[k].name);
                free(l->items[k].state);
                free(l->items[k].restart_policy);
        }
        free(l->items);
        free(l);
        return NULL;
}

static int cmp_container(const void *a, const void *b) {
        return strcmp(((const EngineContainer *) a)->id, ((const EngineContainer *) b)->id);
}

int engine_parse_containers(const char *json, EngineContainers **ret) {
        _cleanup_json_ cJSON *o = cJSON_Parse(json ?: "");
        _cleanup_engine_containers_ EngineContainers *l = NULL;
        const cJSON *item;
        int n;

        if (!cJSON_IsArray(o))
                return -EPROTO;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        n = cJSON_GetArraySize(o);
        if (n > 0 && !(l->items = calloc(n, sizeof(EngineContainer))))
                return -ENOMEM;

        cJSON_ArrayForEach(item, o) {
                EngineContainer *c = &l->items[l->n];
                const cJSON *names = cJSON_GetObjectItemCaseSensitive(item, "Names");
                const cJSON *first = cJSON_GetArrayItem(names, 0);
                const char *id = json_get_string(item, "Id"), *state = json_get_string(item, "State"), *name = NULL;

                if (!id || !state)
                        return -EPROTO;
                if (cJSON_IsString(first))
                        name = first->valuestring[0] == '/' ? first->valuestring + 1 : first->valuestring;
                l->n++; /* counted before filling, so a failure frees what was set */
                if (!(c->id = strdup(id)) || !(c->state = strdup(state)) || !(c->name = strdup(name ?: "")))
                        return -ENOMEM;
        }
        if (l->n > 1)
                qsort_safe(l->items, l->n, sizeof(EngineContainer), cmp_container);
        *ret = TAKE_PTR(l);
        return 0;
}

int engine_parse_restart_policy(const char *json, char **ret) {
        _cleanup_json_ cJSON *o = cJSON_Parse(json ?: "");
        const cJSON *hc, *rp;
        const char *name;
        char *s;

        if (!cJSON_IsObject(o))
                return -EPROTO;
        hc = cJSON_GetObjectItemCaseSensitive(o, "HostConfig");
        rp = cJSON_GetObjectItemCaseSensitive(hc, "RestartPolicy");
        if (!cJSON_IsObject(rp))
                return -EPROTO;
        name = json_get_string(rp, "Name");
        /* Older engines write "" for no policy. */
        s = strdup(isempty(name) ? "no" : name);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* moby's default when a container sets no StopTimeout. */
#define ENGINE_DEFAULT_STOP_TIMEOUT 10

int engine_parse_stop_timeout(const char *json, int *ret) {
        _cleanup_json_ cJSON *o = cJSON_Parse(json ?: "");
        const cJSON *cfg, *t;

        if (!cJSON_IsObject(o))
                return -EPROTO;
        cfg = cJSON_GetObjectItemCaseSensitive(o, "Config");
        if (!cJSON_IsObject(cfg))
                return -EPROTO;
        t = cJSON_GetObjectItemCaseSensitive(cfg, "StopTimeout");
        if (!t || cJSON_IsNull(t)) {
                *ret = ENGINE_DEFAULT_STOP_TIMEOUT;
                return 0;
        }
        if (!cJSON_IsNumber(t))
                return -EPROTO;
        *ret = t->valuedouble < 0 ? -1 : t->valuedouble > 86400 ? 86400 : (int) t->valuedouble;
        return 0;
}

static bool valid_id(const char *id) {
        /* Ids and names only: nothing that could change the request path. */
        if (isempty(id))
                return false;
        for (const char *p = id; *p; p++)
                if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
                      strchr("_.-", *p)))
                        return false;
        return true;
}

/* GET /containers/ID/json: the body, and the path for messages. */
static int container_inspect(Engine *e, const char *id, char **ret_path, char **ret_body, char **ret_error) {
        _cleanup_free_ char *body = NULL, *path = NULL;
        int r;

        if (!valid_id(id))
                return -EINVAL;
        if (asprintf(&path, "/containers/%s/json", id) < 0)
                return -ENOMEM;
        r = engine_get(e, path, &body, ret_error);
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(path);
        *ret_body = TAKE_PTR(body);
        return 0;
}

int engine_container_restart_policy(Engine *e, const char *id, char **ret, char **ret_error) {
        _cleanup_free_ char *body = NULL, *path = NULL;
        int r;

        r = container_inspect(e, id, &path, &body, ret_error);
        if (r < 0)
                return r;
        r = engine_parse_restart_policy(body, ret);
        if (r == -EPROTO)
                return error_set(ret_error, r, "GET %s: answer has no HostConfig.RestartPolicy", path);
        return r;
}

int engine_container_stop_timeout(Engine *e, const char *id, int *ret, char **ret_error) {
        _cleanup_free_ char *body = NULL, *path = NULL;
        int r;

        r = container_inspect(e, id, &path, &body, ret_error);
        if (r < 0)
                return r;
        r = engine_parse_stop_timeout(body, ret);
        if (r == -EPROTO)
                return error_set(ret_error, r, "GET %s: answer has no Config", path);
        return r;
}

int engine_list_containers(Engine *e, bool with_restart_policy, EngineContainers **ret, char **ret_error) {
        _cleanup_engine_containers_ EngineContainers *l = NULL;
        _cleanup_free_ char *body = NULL;
        int r;

        r = engine_get(e, "/containers/json?all=1", &body, ret_error);
        if (r < 0)
                return r;
        r = engine_parse_containers(body, &l);
        if (r == -EPROTO)
                return error_set(ret_error, r, "GET /containers/json: answer is not a list of containers");
        if (r < 0)
                return r;

        for (size_t k = 0; with_restart_policy && k < l->n; k++) {
                r = engine_container_restart_policy(e, l->items[k].id, &l->items[k].restart_policy, ret_error);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

cJSON *engine_containers_to_json(const EngineContainers *l) {
        _cleanup_json_ cJSON *a = cJSON_CreateArray();

        if (!a)
                return NULL;
        for (size_t k = 0; k < l->n; k++) {
                cJSON *c = cJSON_CreateObject();
                if (!c)
                        return NULL;
                if (!cJSON_AddItemToArray(a, c)) {
                        cJSON_Delete(c);
                        return NULL;
                }
                if (!cJSON_AddStringToObject(c, "id", l->items[k].id) ||
                    !cJSON_AddStringToObject(c, "name", l->items[k].name) ||
                    !cJSON_AddStringToObject(c, "state", l->items[k].state) ||
                    !json_add_string_or_null(c, "restart_policy", l->items[k].restart_policy))
                        return NULL;
        }
        return TAKE_PTR(a);
}

int engine_containers_ids(const EngineContainers *l, const char *state, char ***ret) {
        _cleanup_strv_free_ char **ids = calloc(1, sizeof(char *));

        if (!ids)
                return -ENOMEM;
        for (size_t k = 0; k < l->n; k++) {
                if (state && !streq(l->items[k].state, state))
                        continue;
                if (strv_extend(&ids, l->items[k].id) < 0)
                        return -ENOMEM;
        }
        /* The list is sorted by id already. */
        *ret = TAKE_PTR(ids);
        return 0;
}

static int container_action(Engine *e, const char *id, const char *action, unsigned timeout_ms, const char *query,
                            char **ret_error) {
        _cleanup_free_ char *path = NULL, *body = NULL;

        if (!valid_id(id))
                return -EINVAL;
        if (asprintf(&path, "/containers/%s/%s%s", id, action, strempty(query)) < 0)
                return -ENOMEM;
        return engine_request(e, "POST", path, timeout_ms, &body, NULL, ret_error);
}

int engine_container_stop(Engine *e, const char *id, unsigned timeout_sec, char **ret_error) {
        char query[32];

        snprintf(query, sizeof(query), "?t=%u", timeout_sec);
        /* The Engine waits up to t seconds before it kills; the request must
         * outlive that. */
        return container_action(e, id, "stop", (timeout_sec * 1000U) + e->timeout_ms, query, ret_error);
}

int engine_container_start(Engine *e, const char *id, char **ret_error) {
        return container_action(e, id, "start", 0, NULL, ret_error);
}
