/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/image-store.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"

#define DOCKER_DEFAULT_EXEC_ROOT "/var/run/docker"
#define SNAPSHOTTER_DRIVER_TYPE "io.containerd.snapshotter.v1"

/* Graph drivers: their name as storage-driver and the directory of the
 * data root that holds their layers. */
static const char *const graph_drivers[] = {
        "overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs", "aufs", "devicemapper", "overlay",
};

const char *image_store_to_string(ImageStore s) {
        switch (s) {
        case IMAGE_STORE_GRAPH_DRIVER:
                return "graph-driver";
        case IMAGE_STORE_CONTAINERD:
                return "containerd";
        default:
                return "unknown";
        }
}

const char *containerd_kind_to_string(ContainerdKind k) {
        switch (k) {
        case CONTAINERD_MANAGED:
                return "managed";
        case CONTAINERD_EMBEDDED:
                return "embedded";
        default:
                return "system";
        }
}

void image_store_info_done(ImageStoreInfo *i) {
        free(i->store_source);
        free(i->driver);
        free(i->driver_type);
        free(i->engine_version);
        free(i->containerd_source);
        free(i->containerd_socket);
        free(i->containerd_root);
        free(i->containerd_state);
        free(i->containerd_namespace);
        free(i->containerd_plugins_namespace);
        for (size_t k = 0; k < i->n_trees; k++) {
                free(i->trees[k].what);
                free(i->trees[k].path);
        }
        free(i->trees);
        strv_free(i->warnings);
        *i = (ImageStoreInfo){};
}

char *image_store_containerd_beside(const char *new_data_root) {
        _cleanup_free_ char *parent = path_dirname(new_data_root);

        return parent ? path_join(parent, "containerd") : NULL;
}

bool image_store_system_containerd_root(const ImageStoreInfo *i, const char *data_root) {
        return i->store == IMAGE_STORE_CONTAINERD && i->containerd == CONTAINERD_SYSTEM && i->containerd_root &&
               !path_startswith_dir(i->containerd_root, data_root);
}

unsigned image_store_engine_major(const char *version) {
        unsigned v = 0;

        if (!version)
                return 0;
        if (*version == 'v')
                version++;
        for (; *version >= '0' && *version <= '9'; version++)
                v = v * 10 + (unsigned) (*version - '0');
        return v;
}

int image_store_dockerd_version(const DockerConfig *c, unsigned timeout_ms, char **ret) {
        _cleanup_free_ char *out = NULL, *dockerd = NULL;
        int status = 0, r;
        char *p, *e;

        r = docker_config_dockerd(c, &dockerd);
        if (r < 0)
                return r;
        if (!dockerd && !find_executable("dockerd", NULL))
                return -ENOENT;
        char *argv[] = { dockerd ?: (char *) "dockerd", (char *) "--version", NULL };
        r = run_command_full(argv, RUN_IN_ROOT_DIR | RUN_KILL_GROUP, timeout_ms, &out, NULL, &status);
        if (r < 0)
                return r;
        /* "Docker version 28.5.2+dfsg4, build 2a6fd4d" */
        if (status != 0 || !out || !(p = strstr(out, "version ")))
                return -EPROTO;
        p += strlen("version ");
        e = p + strcspn(p, ", \n");
        if (e == p)
                return -EPROTO;
        *ret = strndup(p, e - p);
        return *ret ? 0 : -ENOMEM;
}

/* A dockerd feature: --feature NAME[=BOOL] (the last one wins) over
 * "features" in daemon.json. 1 when set, with its value; 0 when not. */
static int feature(const DockerConfig *c, const char *name, bool *ret_value, const char **ret_where) {
        int found = 0;

        for (size_t i = 0; i < c->flags.n; i++) {
                const DockerFlag *f = &c->flags.flags[i];
                const char *rest;

                if (!streq(f->name, "feature") || !f->value || !(rest = startswith(f->value, name)))
                        continue;
                if (*rest == '\0')
                        *ret_value = true;
                else if (*rest == '=')
                        *ret_value = streq(rest + 1, "true") || streq(rest + 1, "1");
                else
                        continue;
                *ret_where = "a --feature flag";
                found = 1;
        }
        if (found)
                return 1;
        if (c->json_valid) {
                const cJSON *features = cJSON_GetObjectItemCaseSensitive(c->json.root, "features");
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(features, name);
                if (cJSON_IsBool(v)) {
                        *ret_value = cJSON_IsTrue(v);
                        *ret_where = c->json_path;
                        return 1;
                }
        }
        return 0;
}

/* A setting given as a flag or in daemon.json. */
static const char *setting(const DockerConfig *c, const char *flag, char **ret_json_value) {
        const DockerFlag *f = docker_flags_get(&c->flags, flag);

        *ret_json_value = NULL;
        if (f && f->value)
                return f->value;
        if (c->json_valid)
                *ret_json_value = daemon_json_get_string(&c->json, flag);
        return *ret_json_value;
}

static bool dir_has_entries(const char *root, const char *path) {
        _cleanup_free_ char *full = root_path(root, path);
        DIR *d = full ? opendir(full) : NULL;
        struct dirent *de;
        bool any = false;

        if (!d)
                return false;
        while (!any && (de = readdir(d)))
                any = !streq(de->d_name, ".") && !streq(de->d_name, "..");
        closedir(d);
        return any;
}

static int decide_store(const DockerConfig *c, const EngineInfo *info, const char *data_root, ImageStoreInfo *i) {
        const char *where = NULL, *driver = c->storage_driver;
        bool snap = false;
        int has_feature = feature(c, "containerd-snapshotter", &snap, &where);
        unsigned major = image_store_engine_major(i->engine_version);
        int r;

        if (info && (info->driver_type || !isempty(info->driver))) {
                bool on = streq_ptr(info->driver_type, SNAPSHOTTER_DRIVER_TYPE);

                i->store = on ? IMAGE_STORE_CONTAINERD : IMAGE_STORE_GRAPH_DRIVER;
                if ((r = free_and_strdup(&i->store_source, "the running Engine (GET /info)")) < 0 ||
                    (r = free_and_strdup(&i->driver, info->driver)) < 0 ||
                    (r = free_and_strdup(&i->driver_type, info->driver_type)) < 0)
                        return r;
                /* The files say what the next start does: a store that
                 * changes there leaves the images of the other behind. */
                if (has_feature && snap != on)
                        return strv_extendf(&i->warnings, "%s sets containerd-snapshotter to %s, but the running Engine uses the %s "
                                           "store: the next start of dockerd changes the image store, and the images "
                                           "of the current one are no longer seen.",
                                           where, snap ? "true" : "false", on ? "containerd" : "graph-driver");
                return 0;
        }

        if ((r = free_and_strdup(&i->driver, driver)) < 0)
                return r;
        if (has_feature) {
                i->store = snap ? IMAGE_STORE_CONTAINERD : IMAGE_STORE_GRAPH_DRIVER;
                return free_and_asprintf(&i->store_source, "features containerd-snapshotter in %s", where);
        }
        for (size_t k = 0; driver && k < ELEMENTSOF(graph_drivers); k++)
                if (streq(driver, graph_drivers[k])) {
                        i->store = IMAGE_STORE_GRAPH_DRIVER;
                        return free_and_asprintf(&i->store_source, "storage-driver %s", driver);
                }
        if (major >= 29) {
                for (size_t k = 0; k < ELEMENTSOF(graph_drivers); k++) {
                        _cleanup_free_ char *d = path_join(data_root, graph_drivers[k]);
                        if (!d)
                                return -ENOMEM;
                        if (dir_has_entries(c->root, d)) {
                                i->store = IMAGE_STORE_GRAPH_DRIVER;
                                return free_and_asprintf(&i->store_source,
                                               "Engine %u keeps the graph driver of a data root that has %s layers",
                                               major, graph_drivers[k]);
                        }
                }
                i->store = IMAGE_STORE_CONTAINERD;
                return free_and_asprintf(&i->store_source,
                        "the default of Engine %u on a data root without graph-driver layers", major);
        }
        if (major > 0) {
                i->store = IMAGE_STORE_GRAPH_DRIVER;
                return free_and_asprintf(&i->store_source, "the default of Engine %u", major);
        }
        i->store = IMAGE_STORE_UNKNOWN;
        if ((r = free_and_strdup(&i->store_source, "unknown")) < 0)
                return r;
        return strv_extendf(&i->warnings, "The image store is not known: no Engine answers, the configuration does not choose one, "
                           "and the Engine's version is not known (Engine 29 and later default to the containerd "
                           "store).");
}

static int decide_containerd(const DockerConfig *c, const ContainerdConfig *cc, const EngineInfo *info,
                             const char *data_root, const char *exec_root, ImageStoreInfo *i) {
        _cleanup_free_ char *json_sock = NULL;
        const char *where = NULL, *sock;
        bool embedded = false;
        int r;

        if ((r = free_and_strdup(&i->containerd_namespace,
                                 info && info->containerd_namespace ? info->containerd_namespace : "moby")) < 0 ||
            (r = free_and_strdup(&i->containerd_plugins_namespace,
                                 info && info->containerd_plugins_namespace ? info->containerd_plugins_namespace
                                                                            : "plugins.moby")) < 0)
                return r;

        if (feature(c, "embedded-containerd", &embedded, &where) > 0 && embedded) {
                i->containerd = CONTAINERD_EMBEDDED;
                if ((r = free_and_asprintf(&i->containerd_source, "features embedded-containerd in %s", where)) < 0 ||
                    (r = free_and_asprintf(&i->containerd_root, "%s/containerd", data_root)) < 0 ||
                    (r = free_and_asprintf(&i->containerd_state, "%s/containerd", exec_root)) < 0)
                        return r;
                return 0;
        }

        sock = setting(c, "containerd", &json_sock);
        if (info && info->containerd_address) {
                sock = info->containerd_address;
                where = "the running Engine (GET /info)";
        } else if (sock)
                where = json_sock ? c->json_path : "--containerd";

        if (sock) {
                _cleanup_free_ char *managed = NULL;
                if (asprintf(&managed, "%s/containerd/containerd.sock", exec_root) < 0)
                        return -ENOMEM;
                i->containerd = path_startswith_dir(sock, exec_root) ? CONTAINERD_MANAGED : CONTAINERD_SYSTEM;
                if ((r = free_and_strdup(&i->containerd_socket, sock)) < 0 ||
                    (r = free_and_strdup(&i->containerd_source, where)) < 0)
                        return r;
        } else {
                /* dockerd uses a system containerd only when its socket is
                 * there when dockerd starts. Offline, a containerd unit is
                 * the best sign of one. */
                bool system;
                if (root_is_host(c->root)) {
                        struct stat st;
                        system = stat(CONTAINERD_DEFAULT_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode);
                        where = system ? "its default socket exists" : "no socket at " CONTAINERD_DEFAULT_SOCKET;
                } else {
                        system = cc && cc->unit_file;
                        where = system ? "containerd.service exists" : "no containerd.service";
                }
                i->containerd = system ? CONTAINERD_SYSTEM : CONTAINERD_MANAGED;
                if ((r = free_and_strdup(&i->containerd_source, where)) < 0)
                        return r;
                if (system)
                        r = free_and_strdup(&i->containerd_socket, CONTAINERD_DEFAULT_SOCKET);
                else
                        r = free_and_asprintf(&i->containerd_socket, "%s/containerd/containerd.sock", exec_root);
                if (r < 0)
                        return r;
        }

        if (i->containerd == CONTAINERD_MANAGED) {
                /* dockerd writes its containerd's config at every start,
                 * from the data root and exec root it has then. */
                if ((r = free_and_asprintf(&i->containerd_root, "%s/containerd/daemon", data_root)) < 0 ||
                    (r = free_and_asprintf(&i->containerd_state, "%s/containerd/daemon", exec_root)) < 0)
                        return r;
                return 0;
        }

        if (!cc)
                return strv_extendf(&i->warnings, "containerd's configuration was not read: its root is not known.");
        if ((r = free_and_strdup(&i->containerd_root, cc->root_dir)) < 0 ||
            (r = free_and_strdup(&i->containerd_state, cc->state_dir)) < 0)
                return r;
        if (!streq(i->containerd_socket, cc->address))
                return strv_extendf(&i->warnings, "dockerd uses the containerd at %s, but containerd.service's listens on %s: the "
                                   "root of dockerd's containerd may not be %s.",
                                   i->containerd_socket, cc->address, cc->root_dir);
        return 0;
}

static int add_tree(ImageStoreInfo *i, const char *root, const char *what, const char *path, bool move, bool measure) {
        _cleanup_free_ char *full = root_path(root, path);
        StoreTree *n = realloc(i->trees, (i->n_trees + 1) * sizeof(StoreTree));
        StoreTree *t;

        if (n)
                i->trees = n;
        if (!n || !full)
                return -ENOMEM;
        t = &i->trees[i->n_trees];
        *t = (StoreTree){ .what = strdup(what), .path = strdup(path), .move = move, .exists = dir_exists(full) };
        if (!t->what || !t->path) {
                free(t->what);
                free(t->path);
                return -ENOMEM;
        }
        i->n_trees++;
        if (measure && t->exists && copy_measure_tree(full, &t->size) >= 0)
                t->measured = true;
        return 0;
}

int image_store_detect(const DockerConfig *c, const ContainerdConfig *cc, const EngineInfo *info,
                       const char *engine_version, bool measure, ImageStoreInfo *ret) {
        _cleanup_(image_store_info_done) ImageStoreInfo i = {};
        _cleanup_free_ char *json_exec = NULL;
        const char *data_root = c->data_root_resolved ?: c->data_root;
        const char *exec_root = setting(c, "exec-root", &json_exec) ?: DOCKER_DEFAULT_EXEC_ROOT;
        int r;

        if ((r = free_and_strdup(&i.engine_version,
                                 info && info->server_version ? info->server_version : engine_version)) < 0)
                return r;
        r = decide_store(c, info, data_root, &i);
        if (r < 0)
                return r;
        r = decide_containerd(c, cc, info, data_root, exec_root, &i);
        if (r < 0)
                return r;

        r = add_tree(&i, c->root, "data root", data_root, true, measure);
        if (r < 0)
                return r;
        i.trees[0].move_to = "docker";
        if (i.containerd_root) {
                /* A containerd root outside the data root is a tree of its
                 * own, to move when it holds Docker's images. */
                StoreTree *t;

                r = add_tree(&i, c->root, "containerd root", i.containerd_root,
                             image_store_system_containerd_root(&i, data_root), measure);
                if (r < 0)
                        return r;
                t = &i.trees[i.n_trees - 1];
                t->move_to = t->move ? "containerd" : NULL;
                t->in_data_root = path_startswith_dir(i.containerd_root, data_root);
        }

        *ret = i;
        i = (ImageStoreInfo){};
        return 0;
}
