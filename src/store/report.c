/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/containerd-binary.h"
#include "engine/engine.h"
#include "store/image-store.h"
#include "store/namespaces.h"
#include "store/report.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* Each question to a daemon or a tool gets this long: status must answer
 * even when containerd or dockerd hangs. */
#define REPORT_TIMEOUT_MS 10000U

static cJSON *containerd_json(const ImageStoreInfo *i, const ContainerdConfig *cc, const ContainerdDump *dump) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject();
        bool system = i->containerd == CONTAINERD_SYSTEM;

        if (!o)
                return NULL;
        if (!cJSON_AddStringToObject(o, "kind", containerd_kind_to_string(i->containerd)) ||
            !json_add_string_or_null(o, "source", i->containerd_source) ||
            !json_add_string_or_null(o, "socket", i->containerd_socket) ||
            !json_add_string_or_null(o, "root", i->containerd_root) ||
            !json_add_string_or_null(o, "state", i->containerd_state) ||
            !json_add_string_or_null(o, "namespace", i->containerd_namespace) ||
            !json_add_string_or_null(o, "plugins_namespace", i->containerd_plugins_namespace) ||
            /* The files of containerd.service's containerd: about dockerd's
             * only when that is the system's. */
            !json_add_string_or_null(o, "config_file", system && cc ? cc->config_path : NULL) ||
            !cJSON_AddBoolToObject(o, "config_file_exists", system && cc && cc->config_exists) ||
            !json_add_string_or_null(o, "root_set_by", system && cc ? cc->root_dir_source : "dockerd") ||
            !cJSON_AddItemToObject(o, "imports", json_string_array(system && cc ? cc->imports : NULL)) ||
            !cJSON_AddItemToObject(o, "plugin_dirs", json_string_array(system && cc ? cc->plugin_dirs : NULL)) ||
            !json_add_string_or_null(o, "dump_root", system && dump ? dump->root_dir : NULL) ||
            !json_add_string_or_null(o, "error", system && cc ? cc->error : NULL))
                return NULL;
        return TAKE_PTR(o);
}

static cJSON *trees_json(const ImageStoreInfo *i) {
        _cleanup_json_ cJSON *a = cJSON_CreateArray();

        if (!a)
                return NULL;
        for (size_t k = 0; k < i->n_trees; k++) {
                const StoreTree *t = &i->trees[k];
                cJSON *o = cJSON_CreateObject();

                if (!o || !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        return NULL;
                }
                if (!cJSON_AddStringToObject(o, "what", t->what) || !cJSON_AddStringToObject(o, "path", t->path) ||
                    !cJSON_AddBoolToObject(o, "move", t->move) || !json_add_string_or_null(o, "move_to", t->move_to) ||
                    !cJSON_AddBoolToObject(o, "in_data_root", t->in_data_root) ||
                    !cJSON_AddBoolToObject(o, "exists", t->exists))
                        return NULL;
                if (t->measured ? !cJSON_AddNumberToObject(o, "bytes", (double) t->size.bytes) ||
                                          !cJSON_AddNumberToObject(o, "inodes", (double) t->size.inodes)
                                : !cJSON_AddNullToObject(o, "bytes") || !cJSON_AddNullToObject(o, "inodes"))
                        return NULL;
        }
        return TAKE_PTR(a);
}

static cJSON *count_json(size_t n) {
        return n == CONTAINERD_NS_UNKNOWN ? cJSON_CreateNull() : cJSON_CreateNumber((double) n);
}

/* The namespaces of other clients that hold something. */
static cJSON *namespaces_json(const ImageStoreInfo *i, const ContainerdNamespaces *l) {
        _cleanup_json_ cJSON *a = cJSON_CreateArray();

        if (!a)
                return NULL;
        for (size_t k = 0; k < l->n; k++) {
                const ContainerdNamespace *ns = &l->items[k];
                cJSON *o;

                if (streq_ptr(ns->name, i->containerd_namespace) || streq_ptr(ns->name, i->containerd_plugins_namespace) ||
                    !containerd_namespace_in_use(ns))
                        continue;
                o = cJSON_CreateObject();
                if (!o || !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        return NULL;
                }
                if (!cJSON_AddStringToObject(o, "name", ns->name) ||
                    !cJSON_AddItemToObject(o, "images", count_json(ns->images)) ||
                    !cJSON_AddItemToObject(o, "containers", count_json(ns->containers)) ||
                    !cJSON_AddItemToObject(o, "content", count_json(ns->content)))
                        return NULL;
        }
        return TAKE_PTR(a);
}

int image_store_report(const DockerConfig *c, cJSON **ret) {
        _cleanup_(containerd_config_done) ContainerdConfig cc = {};
        _cleanup_(containerd_dump_done) ContainerdDump dump = {};
        _cleanup_(containerd_namespaces_done) ContainerdNamespaces ns = {};
        _cleanup_(image_store_info_done) ImageStoreInfo i = {};
        _cleanup_engine_info_ EngineInfo *info = NULL;
        _cleanup_free_ char *version = NULL, *err = NULL;
        _cleanup_json_ cJSON *o = NULL;
        bool live = root_is_host(c->root), have_cc, have_dump = false, have_ns = false;
        struct stat st;
        int r;

        r = containerd_config_load(c->root, c->init, NULL, &cc);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                log_debug("Cannot read containerd's configuration: %s", strerror(-r));
        have_cc = r >= 0;

        if (live) {
                _cleanup_engine_ Engine *e = NULL;
                _cleanup_free_ char *why = NULL;

                if (engine_new(c->socket, REPORT_TIMEOUT_MS, &e) >= 0 && engine_info(e, &info, &why) < 0)
                        log_debug("No Engine answers on %s: %s", c->socket, strna(why));
                if (!info && image_store_dockerd_version(c, REPORT_TIMEOUT_MS, &version) < 0)
                        log_debug("Cannot ask dockerd for its version.");
                if (have_cc) {
                        r = containerd_config_dump(cc.binary, cc.config_path, REPORT_TIMEOUT_MS, &dump, &err);
                        if (r == -ENOMEM)
                                return r;
                        have_dump = r >= 0;
                        if (r < 0)
                                log_debug("containerd config dump: %s", err ? err : strerror(-r));
                }
        }

        r = image_store_detect(c, have_cc ? &cc : NULL, info, version, true, &i);
        if (r < 0)
                return r;
        if (have_dump && i.containerd == CONTAINERD_SYSTEM) {
                r = containerd_config_check_dump(&cc, &dump, &i.warnings);
                if (r < 0)
                        return r;
        }
        if (have_cc && i.containerd == CONTAINERD_SYSTEM && (cc.error || cc.warnings)) {
                if (cc.error && (r = strv_extend(&i.warnings, cc.error)) < 0)
                        return r;
                if ((r = strv_extend_strv(&i.warnings, cc.warnings)) < 0)
                        return r;
        }
        /* ctr waits for a socket that is not there as long as it is let. */
        if (live && i.containerd_socket && i.containerd != CONTAINERD_EMBEDDED &&
            stat(i.containerd_socket, &st) == 0 && S_ISSOCK(st.st_mode)) {
                err = mfree(err);
                r = containerd_namespaces_list(i.containerd_socket, REPORT_TIMEOUT_MS, &ns, &err);
                if (r == -ENOMEM)
                        return r;
                have_ns = r >= 0;
                if (r < 0)
                        log_debug("Cannot list containerd's namespaces: %s", err ? err : strerror(-r));
        }

        o = cJSON_CreateObject();
        if (!o)
                return -ENOMEM;
        if (!cJSON_AddStringToObject(o, "store", image_store_to_string(i.store)) ||
            !json_add_string_or_null(o, "source", i.store_source) || !json_add_string_or_null(o, "driver", i.driver) ||
            !json_add_string_or_null(o, "driver_type", i.driver_type) ||
            !json_add_string_or_null(o, "engine_version", i.engine_version) ||
            !cJSON_AddItemToObject(o, "containerd", containerd_json(&i, have_cc ? &cc : NULL, have_dump ? &dump : NULL)) ||
            !cJSON_AddItemToObject(o, "trees", trees_json(&i)) ||
            !cJSON_AddItemToObject(o, "other_namespaces", have_ns ? namespaces_json(&i, &ns) : cJSON_CreateNull()) ||
            !cJSON_AddItemToObject(o, "warnings", json_string_array(i.warnings)))
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}
