/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "engine/engine-internal.h"
#include "util/curl-util.h"
#include "util/error.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/process.h"
#include "util/strv.h"

/* Answers beyond this are not what the API sends for the calls made here; a
 * bound keeps a confused peer from filling memory. */
#define ENGINE_MAX_ANSWER (64U * 1024U * 1024U)

int engine_new(const char *socket_path, unsigned timeout_ms, Engine **ret) {
        Engine *e;

        if (curl_util_init() < 0)
                return -ENOMEM;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->socket_path = strdup(socket_path ?: ENGINE_DEFAULT_SOCKET);
        e->timeout_ms = timeout_ms ?: ENGINE_DEFAULT_TIMEOUT_MS;
        e->curl = curl_easy_init();
        if (!e->socket_path || !e->curl) {
                engine_free(e);
                return -ENOMEM;
        }
        *ret = e;
        return 0;
}

Engine *engine_free(Engine *e) {
        if (!e)
                return NULL;
        if (e->curl)
                curl_easy_cleanup(e->curl);
        free(e->socket_path);
        free(e);
        return NULL;
}

const char *engine_socket_path(const Engine *e) {
        return e->socket_path;
}

int engine_socket_from_host(const char *host, char **ret) {
        const char *p;
        char *s;

        if (isempty(host))
                return -EINVAL;
        if ((p = startswith(host, "unix://"))) {
                if (!isempty(p) && p[0] != '/')
                        return -EINVAL;
                s = strdup(isempty(p) ? ENGINE_DEFAULT_SOCKET : p);
        } else if (startswith(host, "fd://"))
                /* Socket activation: docker.socket listens on the default
                 * path (Debian's and upstream's unit). */
                s = strdup(ENGINE_DEFAULT_SOCKET);
        else if (host[0] == '/')
                s = strdup(host);
        else
                return -EPROTONOSUPPORT;
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int engine_request(Engine *e, const char *method, const char *path, unsigned timeout_ms, char **ret_body,
                   long *ret_status, char **ret_error) {
        _cleanup_free_ char *url = NULL;
        struct curl_slist *headers = NULL;
        CurlAnswer a = { .max = ENGINE_MAX_ANSWER };
        long status = 0;
        CURLcode c;
        int r;

        if (asprintf(&url, "http://localhost%s", path) < 0)
                return -ENOMEM;

        curl_util_setup(e->curl, url, e->timeout_ms, timeout_ms ?: e->timeout_ms, &a);
        (void) curl_easy_setopt(e->curl, CURLOPT_UNIX_SOCKET_PATH, e->socket_path);
        if (streq(method, "POST")) {
                (void) curl_easy_setopt(e->curl, CURLOPT_POST, 1L);
                (void) curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, "");
                (void) curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE, 0L);
                headers = curl_slist_append(NULL, "Content-Type: application/json");
                (void) curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, headers);
        }

        c = curl_easy_perform(e->curl);
        curl_slist_free_all(headers);
        if (c != CURLE_OK) {
                free(a.data);
                r = curl_util_errno(e->curl, c);
                if (a.too_large)
                        return error_set(ret_error, r, "%s %s: answer larger than %u bytes", method, path,
                                         ENGINE_MAX_ANSWER);
                return error_set(ret_error, r, "%s %s on %s: %s", method, path, e->socket_path, curl_easy_strerror(c));
        }
        (void) curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);

        if (status < 200 || (status >= 300 && status != 304)) {
                _cleanup_free_ char *msg = engine_parse_error_message(a.data);
                free(a.data);
                return error_set(ret_error, curl_util_http_errno(status), "%s %s: HTTP %ld%s%s", method, path, status,
                                 msg ? ": " : "", strempty(msg));
        }

        if (!a.data && !(a.data = strdup(""))) /* 204/304 carry no body */
                return -ENOMEM;
        *ret_body = a.data;
        if (ret_status)
                *ret_status = status;
        return 0;
}

int engine_ping(Engine *e, char **ret_error) {
        _cleanup_free_ char *body = NULL;
        int r;

        r = engine_request(e, "GET", "/_ping", 0, &body, NULL, ret_error);
        if (r < 0)
                return r;
        if (!streq(body, "OK"))
                return error_set(ret_error, -EPROTO, "GET /_ping: unexpected answer");
        return 0;
}

int engine_wait_ready(Engine *e, unsigned timeout_ms, char **ret_error) {
        _cleanup_free_ char *last = NULL;
        unsigned long long deadline = now_ms() + timeout_ms;
        unsigned saved = e->timeout_ms;
        int r;

        for (;;) {
                unsigned long long now = now_ms();

                /* No single ping may outlast the whole wait. */
                if (now < deadline && deadline - now < e->timeout_ms)
                        e->timeout_ms = (unsigned) (deadline - now) ?: 1;
                r = engine_ping(e, &last);
                e->timeout_ms = saved;
                if (r >= 0)
                        return 0;
                if (now_ms() >= deadline)
                        return error_set(ret_error, -ETIMEDOUT, "no answer on %s within %u ms (last: %s)",
                                         e->socket_path, timeout_ms, strna(last));
                usleep(100 * 1000);
        }
}

/* cJSON only reads; an answer that does not parse, or has the wrong shape,
 * is -EPROTO. */
static int strdup_or_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

EngineInfo *engine_info_free(EngineInfo *i) {
        if (!i)
                return NULL;
        free(i->server_version);
        free(i->docker_root_dir);
        free(i->driver);
        strv_free(i->driver_status);
        free(i->swarm_state);
        free(i->driver_type);
        free(i->containerd_address);
        free(i->containerd_namespace);
        free(i->containerd_plugins_namespace);
        free(i);
        return NULL;
}

int engine_parse_info(const char *json, EngineInfo **ret) {
        _cleanup_json_ cJSON *o = cJSON_Parse(json ?: "");
        _cleanup_engine_info_ EngineInfo *i = NULL;
        const cJSON *ds, *swarm, *v;
        int r;

        if (!cJSON_IsObject(o))
                return -EPROTO;
        /* Without the root directory the answer is of no use to a move. */
        if (!json_get_string(o, "DockerRootDir"))
                return -EPROTO;

        i = calloc(1, sizeof(*i));
        if (!i)
                return -ENOMEM;
        if ((r = strdup_or_null(json_get_string(o, "ServerVersion"), &i->server_version)) < 0 ||
            (r = strdup_or_null(json_get_string(o, "DockerRootDir"), &i->docker_root_dir)) < 0 ||
            (r = strdup_or_null(json_get_string(o, "Driver"), &i->driver)) < 0)
                return r;

        ds = cJSON_GetObjectItemCaseSensitive(o, "DriverStatus");
        if (cJSON_IsArray(ds)) {
                const cJSON *pair;
                cJSON_ArrayForEach(pair, ds) {
                        const cJSON *k = cJSON_GetArrayItem(pair, 0), *val = cJSON_GetArrayItem(pair, 1);
                        if (!cJSON_IsArray(pair) || !cJSON_IsString(k) || !cJSON_IsString(val))
                                return -EPROTO;
                        if ((r = strv_extend(&i->driver_status, k->valuestring)) < 0 ||
                            (r = strv_extend(&i->driver_status, val->valuestring)) < 0)
                                return r;
                        /* Engine 24+ with the containerd image store reports
                         * its snapshotter here; the images then live in
                         * containerd's root, not under DockerRootDir. */
                        if (streq(k->valuestring, "driver-type") && !i->driver_type) {
                                if ((r = strdup_or_null(val->valuestring, &i->driver_type)) < 0)
                                        return r;
                                if (streq(val->valuestring, "io.containerd.snapshotter.v1"))
                                        i->containerd_store = true;
                        }
                }
        }

        v = cJSON_GetObjectItemCaseSensitive(o, "Containerd");
        if (cJSON_IsObject(v)) {
                const cJSON *ns = cJSON_GetObjectItemCaseSensitive(v, "Namespaces");
                if ((r = strdup_or_null(json_get_string(v, "Address"), &i->containerd_address)) < 0 ||
                    (r = strdup_or_null(json_get_string(ns, "Containers"), &i->containerd_namespace)) < 0 ||
                    (r = strdup_or_null(json_get_string(ns, "Plugins"), &i->containerd_plugins_namespace)) < 0)
                        return r;
        }

        v = cJSON_GetObjectItemCaseSensitive(o, "LiveRestoreEnabled");
        i->live_restore = cJSON_IsTrue(v);

        swarm = cJSON_GetObjectItemCaseSensitive(o, "Swarm");
        if (cJSON_IsObject(swarm)) {
                if ((r = strdup_or_null(json_get_string(swarm, "LocalNodeState"), &i->swarm_state)) < 0)
                        return r;
                i->swarm_manager = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(swarm, "ControlAvailable"));
        }

        *ret = TAKE_PTR(i);
        return 0;
}

int engine_info(Engine *e, EngineInfo **ret, char **ret_error) {
        _cleanup_free_ char *body = NULL;
        int r;

        r = engine_get(e, "/info", &body, ret_error);
        if (r < 0)
                return r;
        r = engine_parse_info(body, ret);
        if (r == -EPROTO)
                return error_set(ret_error, r, "GET /info: answer is not an Engine info object");
        return r;
}

cJSON *engine_info_to_json(const EngineInfo *i) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject(), *ds = NULL;

        if (!o)
                return NULL;
        ds = cJSON_CreateObject();
        if (!ds)
                return NULL;
        for (size_t k = 0; i->driver_status && i->driver_status[k] && i->driver_status[k + 1]; k += 2)
                if (!cJSON_AddStringToObject(ds, i->driver_status[k], i->driver_status[k + 1]))
                        return NULL;
        if (!json_add_string_or_null(o, "server_version", i->server_version) ||
            !json_add_string_or_null(o, "docker_root_dir", i->docker_root_dir) ||
            !json_add_string_or_null(o, "driver", i->driver) ||
            !cJSON_AddItemToObject(o, "driver_status", TAKE_PTR(ds)) ||
            !cJSON_AddBoolToObject(o, "live_restore", i->live_restore) ||
            !json_add_string_or_null(o, "swarm_state", i->swarm_state) ||
            !cJSON_AddBoolToObject(o, "swarm_manager", i->swarm_manager) ||
            !cJSON_AddBoolToObject(o, "containerd_store", i->containerd_store) ||
            !json_add_string_or_null(o, "driver_type", i->driver_type) ||
            !json_add_string_or_null(o, "containerd_address", i->containerd_address) ||
            !json_add_string_or_null(o, "containerd_namespace", i->containerd_namespace) ||
            !json_add_string_or_null(o, "containerd_plugins_namespace", i->containerd_plugins_namespace))
                return NULL;
        return TAKE_PTR(o);
}

/* An array of objects, each with a string field key: collected and sorted. */
static int parse_string_field_list(const cJSON *arr, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const cJSON *item;
        int r;

        if (!cJSON_IsArray(arr))
                return -EPROTO;
        cJSON_ArrayForEach(item, arr) {
                const char *s = json_get_string(item, key);
                if (!s)
                        return -EPROTO;
                r = strv_extend(&l, s);
                if (r < 0)
                        return r;
        }
        return strv_sort_take(&l, ret);
}

int engine_parse_images(const char *json, char ***ret) {
        _cleanup_json_ cJSON *o = cJSON_Parse(json ?: "");
        return parse_string_field_list(o, "Id", ret);
}

int engine_parse_volumes(const char *json, char ***ret) {
        _cleanup_json_ cJSON *o = cJSON_Parse(json ?: "");
        const cJSON *v;

        if (!cJSON_IsObject(o))
                return -EPROTO;
        v = cJSON_GetObjectItemCaseSensitive(o, "Volumes");
        /* An Engine without volumes answers "Volumes": null. */
        if (cJSON_IsNull(v)) {
                char **l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                *ret = l;
                return 0;
        }
        return parse_string_field_list(v, "Name", ret);
}

int engine_list_images(Engine *e, char ***ret, char **ret_error) {
        _cleanup_free_ char *body = NULL;
        int r;

        r = engine_get(e, "/images/json?all=1", &body, ret_error);
        if (r < 0)
                return r;
        r = engine_parse_images(body, ret);
        if (r == -EPROTO)
                return error_set(ret_error, r, "GET /images/json: answer is not a list of images");
        return r;
}

int engine_list_volumes(Engine *e, char ***ret, char **ret_error) {
        _cleanup_free_ char *body = NULL;
        int r;

        r = engine_get(e, "/volumes", &body, ret_error);
        if (r < 0)
                return r;
        r = engine_parse_volumes(body, ret);
        if (r == -EPROTO)
                return error_set(ret_error, r, "GET /volumes: answer is not a list of volumes");
        return r;
}

char *engine_parse_error_message(const char *json) {
        _cleanup_json_ cJSON *o = NULL;
        const char *m;

        if (isempty(json))
                return NULL;
        o = cJSON_Parse(json);
        m = json_get_string(o, "message");
        return m ? strdup(m) : NULL;
}
