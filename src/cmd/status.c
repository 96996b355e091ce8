/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "config/docker-config.h"
#include "config/selinux.h"
#include "move/journal.h"
#include "output/output.h"
#include "service/service.h"
#include "store/report.h"
#include "util/json-util.h"
#include "util/libmount-util.h"
#include "util/log.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/strv.h"

/* The filesystem the data root lives on, on the running host. */
static cJSON *filesystem_json(const char *path) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        _cleanup_free_ char *existing = strdup(path);
        struct libmnt_fs *fs = NULL;
        struct statvfs sv;
        cJSON *o;

        if (!tb || !existing)
                return NULL;
        /* The data root may not exist yet; look at the nearest existing parent. */
        while (statvfs(existing, &sv) < 0) {
                char *slash = strrchr(existing, '/');
                if (!slash || slash == existing) {
                        strcpy(existing, "/");
                        if (statvfs(existing, &sv) < 0)
                                return NULL;
                        break;
                }
                *slash = '\0';
        }
        if (mnt_table_parse_mtab(tb, NULL) == 0)
                fs = mnt_table_find_mountpoint(tb, existing, MNT_ITER_BACKWARD);

        o = cJSON_CreateObject();
        if (!o)
                return NULL;
        json_add_string_or_null(o, "mount_point", fs ? mnt_fs_get_target(fs) : NULL);
        json_add_string_or_null(o, "device", fs ? mnt_fs_get_source(fs) : NULL);
        json_add_string_or_null(o, "fstype", fs ? mnt_fs_get_fstype(fs) : NULL);
        cJSON_AddNumberToObject(o, "size_bytes", (double) sv.f_blocks * sv.f_frsize);
        cJSON_AddNumberToObject(o, "free_bytes", (double) sv.f_bavail * sv.f_frsize);
        cJSON_AddNumberToObject(o, "free_inodes", (double) sv.f_favail);
        return o;
}

/* The last move, as its journal records it, so that nobody needs to read
 * state.json: null when there is none. A journal that cannot be read is
 * null too, with a warning. "finished" is when the journal was last
 * written, for a phase that ends a move. */
static cJSON *last_move_json(const char *root, cJSON *warnings) {
        _cleanup_free_ char *path = root_path(root, JOURNAL_PATH);
        _cleanup_json_ cJSON *j = NULL;
        cJSON *o;
        MovePhase p;
        struct stat st;
        char stamp[32];
        struct tm tm;
        bool ended;
        int r;

        if (!path)
                return NULL;
        r = journal_load(root, &j);
        if (r == -ENOENT)
                return cJSON_CreateNull();
        if (r < 0) {
                _cleanup_free_ char *w = NULL;
                if (asprintf(&w, "Failed to read the record of the last move %s: %s", path, strerror(-r)) >= 0)
                        cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
                return cJSON_CreateNull();
        }
        p = journal_phase(j);
        ended = p == PHASE_DONE || p == PHASE_ROLLED_BACK || p == PHASE_FAILED || p == PHASE_UNDONE ||
                p == PHASE_CLEANED;
        ended = ended && stat(path, &st) == 0 && gmtime_r(&st.st_mtime, &tm) &&
                strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;

        o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "phase", move_phase_to_string(p)) ||
            !json_add_string_or_null(o, "old_data_root", json_get_string(j, "old_data_root")) ||
            !json_add_string_or_null(o, "new_data_root", json_get_string(j, "new_data_root")) ||
            !json_add_string_or_null(o, "device", json_get_string(j, "device")) ||
            !json_add_string_or_null(o, "started", json_get_string(j, "started")) ||
            !json_add_string_or_null(o, "finished", ended ? stamp : NULL)) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

/* The kind of Docker the host has, every snap and rootless Docker found,
 * and why move and set-data-root refuse the host, if they do. */
static cJSON *install_json(const DockerConfig *c) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject();
        _cleanup_free_ char *refusal = NULL;
        cJSON *found;
        int r;

        if (!o)
                return NULL;
        r = docker_installs_refusal(&c->installs, c->install, c->service_file, NULL, NULL, &refusal);
        if (r < 0 && r != -ECANCELED)
                return NULL;
        cJSON_AddStringToObject(o, "kind", install_kind_to_string(c->install));
        json_add_string_or_null(o, "refusal", refusal);
        found = cJSON_AddArrayToObject(o, "found");
        for (size_t k = 0; found && k < c->installs.n; k++) {
                const DockerInstall *i = &c->installs.items[k];
                cJSON *e = cJSON_CreateObject();

                if (!e || !cJSON_AddItemToArray(found, e)) {
                        cJSON_Delete(e);
                        return NULL;
                }
                cJSON_AddStringToObject(e, "kind", install_kind_to_string(i->kind));
                json_add_string_or_null(e, "user", i->user);
                json_add_string_or_null(e, "home", i->home);
                json_add_string_or_null(e, "service", i->service);
                json_add_string_or_null(e, "config_file", i->config_file);
                cJSON_AddBoolToObject(e, "config_file_exists", i->config_exists);
                json_add_string_or_null(e, "data_root", i->data_root);
                json_add_string_or_null(e, "data_root_source", i->data_root_source);
                json_add_string_or_null(e, "socket", i->socket);
        }
        return found ? TAKE_PTR(o) : NULL;
}

static void print_installs(const DockerConfig *c, const cJSON *j) {
        const cJSON *install = cJSON_GetObjectItemCaseSensitive(j, "install");

        output_printf("Docker:        %s\n", install_kind_to_string(c->install));
        for (size_t k = 0; k < c->installs.n; k++) {
                const DockerInstall *i = &c->installs.items[k];

                if (i->kind == INSTALL_ROOTLESS)
                        output_printf("Rootless:      user %s, %s\n", i->user, i->service);
                else
                        output_printf("Snap:          %s\n", i->service);
                output_printf("  config:      %s%s\n", i->config_file, i->config_exists ? "" : " (absent)");
                output_printf("  data root:   %s (set by %s)\n", i->data_root, i->data_root_source);
                output_printf("  socket:      %s\n", i->socket);
        }
        if (json_get_string(install, "refusal"))
                output_printf("Not moved:     %s\n", json_get_string(install, "refusal"));
}

/* SELinux: the mode, the tools, and on the running host whether the files
 * of the data root carry the labels the policy gives them (restorecon -n
 * changes nothing). Containers fail with "permission denied" on a data root
 * labelled otherwise. */
static cJSON *selinux_json(const char *root, const DockerConfig *c) {
        _cleanup_(selinux_state_done) SELinuxState s = {};
        _cleanup_free_ char *first = NULL, *err = NULL;
        const char *dir = c->data_root_resolved ?: c->data_root;
        cJSON *o, *tools, *labels;
        unsigned wrong = 0;
        int r;

        if (selinux_detect(root, &s) < 0)
                return NULL;
        o = cJSON_CreateObject();
        if (!o)
                return NULL;
        cJSON_AddStringToObject(o, "mode", selinux_mode_to_string(s.mode));
        json_add_string_or_null(o, "selinuxfs", s.fs);
        tools = cJSON_AddObjectToObject(o, "tools");
        if (tools) {
                cJSON_AddBoolToObject(tools, "semanage", s.have_semanage);
                cJSON_AddBoolToObject(tools, "restorecon", s.have_restorecon);
                cJSON_AddBoolToObject(tools, "matchpathcon", s.have_matchpathcon);
        }
        /* Only on the running host, whose policy restorecon reads; not
         * without SELinux, nor on a data root that does not exist. */
        if (!root_is_host(root) || s.mode == SELINUX_DISABLED || !s.have_restorecon || !dir || !dir_exists(dir)) {
                cJSON_AddNullToObject(o, "labels");
                return o;
        }
        labels = cJSON_AddObjectToObject(o, "labels");
        if (!labels)
                return o;
        cJSON_AddStringToObject(labels, "path", dir);
        r = selinux_check_labels(dir, &wrong, &first, &err);
        if (r < 0) {
                cJSON_AddNullToObject(labels, "match");
                cJSON_AddNullToObject(labels, "wrong");
                cJSON_AddNullToObject(labels, "first");
                json_add_string_or_null(labels, "error", err ?: strerror(-r));
                return o;
        }
        cJSON_AddBoolToObject(labels, "match", wrong == 0);
        cJSON_AddNumberToObject(labels, "wrong", wrong);
        json_add_string_or_null(labels, "first", first);
        cJSON_AddNullToObject(labels, "error");
        return o;
}

static void print_selinux(const cJSON *j) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "selinux");
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(s, "labels");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "tools");
        const cJSON *wrong = cJSON_GetObjectItemCaseSensitive(l, "wrong");

        if (!cJSON_IsObject(s))
                return;
        output_printf("SELinux:       %s\n", strna(json_get_string(s, "mode")));
        if (streq_ptr(json_get_string(s, "mode"), "disabled"))
                return;
        output_printf("  tools:       semanage %s, restorecon %s, matchpathcon %s\n",
                      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "semanage")) ? "yes" : "missing",
                      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "restorecon")) ? "yes" : "missing",
                      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "matchpathcon")) ? "yes" : "missing");
        if (!cJSON_IsObject(l))
                output_printf("  labels:      not checked\n");
        else if (json_get_string(l, "error"))
                output_printf("  labels:      could not be checked: %s\n", json_get_string(l, "error"));
        else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "match")))
                output_printf("  labels:      %s matches the policy\n", strna(json_get_string(l, "path")));
        else
                output_printf("  labels:      %.0f of %s and its entries differ from the policy (%s); 'restorecon -R %s' sets "
                              "them\n",
                              cJSON_IsNumber(wrong) ? wrong->valuedouble : 0, strna(json_get_string(l, "path")),
                              strna(json_get_string(l, "first")), strna(json_get_string(l, "path")));
}

static cJSON *status_json(const DockerConfig *c, const Options *o) {
        cJSON *j = cJSON_CreateObject(), *dr;
        _cleanup_strv_free_ char **argv = word_list_to_strv(&c->argv);

        if (!j)
                return NULL;
        if (!cJSON_AddItemToObject(j, "install", install_json(c))) {
                cJSON_Delete(j);
                return NULL;
        }
        cJSON_AddStringToObject(j, "init_system", init_system_to_string(c->init));
        json_add_string_or_null(j, "service_file", c->service_file);
        cJSON_AddItemToObject(j, "dropins", json_string_array(c->dropins));
        json_add_string_or_null(j, "exec_file", c->exec_file);
        cJSON_AddItemToObject(j, "environment_files", json_string_array(c->env_files));
        cJSON_AddItemToObject(j, "dockerd_args", json_string_array(argv));
        json_add_string_or_null(j, "config_file", c->json_path);
        cJSON_AddBoolToObject(j, "config_file_exists", c->json_exists);

        dr = cJSON_AddObjectToObject(j, "data_root");
        if (dr) {
                cJSON_AddStringToObject(dr, "path", c->data_root);
                cJSON_AddStringToObject(dr, "source", c->data_root_source);
                cJSON_AddStringToObject(dr, "via", data_root_via_to_string(c->via));
                json_add_string_or_null(dr, "resolved", c->data_root_resolved);
        }
        json_add_string_or_null(j, "storage_driver", c->storage_driver);
        cJSON_AddBoolToObject(j, "containerd_image_store", c->containerd_snapshotter);
        cJSON_AddBoolToObject(j, "live_restore", c->live_restore);
        json_add_string_or_null(j, "socket", c->socket);
        cJSON_AddItemToObject(j, "conflicts", json_string_array(c->conflicts));
        cJSON_AddItemToObject(j, "warnings", json_string_array(c->warnings));
        cJSON_AddItemToObject(j, "last_move", last_move_json(o->root, cJSON_GetObjectItemCaseSensitive(j, "warnings")));
        cJSON_AddItemToObject(j, "selinux", selinux_json(o->root, c));

        if (root_is_host(o->root)) {
                cJSON *fs = filesystem_json(c->data_root_resolved ?: c->data_root), *svc;
                ServiceState st = SERVICE_UNKNOWN;

                if (fs)
                        cJSON_AddItemToObject(j, "filesystem", fs);
                svc = cJSON_AddObjectToObject(j, "service");
                if (svc) {
                        (void) service_docker_state(c->init, &st);
                        cJSON_AddStringToObject(svc, "state", service_state_to_string(st));
                        if (c->bus_exec_start)
                                cJSON_AddItemToObject(svc, "loaded_exec_start", json_string_array(c->bus_exec_start));
                }
        }
        /* The members of every command's object: status changes nothing,
         * so the data root in effect is the old and the new one, and the
         * device is what its filesystem is mounted from (on the running
         * host; null with --root). No steps. */
        json_add_string_or_null(j, "old_data_root", c->data_root);
        json_add_string_or_null(j, "new_data_root", c->data_root);
        json_add_string_or_null(j, "device",
                                json_get_string(cJSON_GetObjectItemCaseSensitive(j, "filesystem"), "device"));
        return j;
}

/* The image store section (store/report.h): into the JSON object, and as
 * human lines from it. */
static void image_store_section(const DockerConfig *c, cJSON *j, bool human) {
        const cJSON *s, *ctd, *t, *ns, *w;
        cJSON *r = NULL;

        if (image_store_report(c, &r) < 0 || !cJSON_AddItemToObject(j, "image_store", r)) {
                cJSON_Delete(r);
                return;
        }
        if (!human)
                return;
        s = r;
        ctd = cJSON_GetObjectItemCaseSensitive(s, "containerd");
        output_printf("Image store:   %s (%s)\n", strna(json_get_string(s, "store")), strna(json_get_string(s, "source")));
        if (json_get_string(s, "driver"))
                output_printf("  driver:      %s%s%s%s\n", json_get_string(s, "driver"), json_get_string(s, "driver_type") ? " (" : "",
                              strempty(json_get_string(s, "driver_type")), json_get_string(s, "driver_type") ? ")" : "");
        output_printf("containerd:    %s, %s (%s)\n", strna(json_get_string(ctd, "kind")), strna(json_get_string(ctd, "socket")),
                      strna(json_get_string(ctd, "source")));
        output_printf("  root:        %s (set by %s)\n", strna(json_get_string(ctd, "root")), strna(json_get_string(ctd, "root_set_by")));
        output_printf("  state:       %s\n", strna(json_get_string(ctd, "state")));
        if (json_get_string(ctd, "config_file"))
                output_printf("  config:      %s%s\n", json_get_string(ctd, "config_file"),
                              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctd, "config_file_exists")) ? "" : " (absent)");
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(s, "trees")) {
                const cJSON *b = cJSON_GetObjectItemCaseSensitive(t, "bytes");
                bool move = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "move"));
                bool in_data_root = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "in_data_root"));
                char size[32] = "not measured", where[64];

                if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "exists")))
                        snprintf(size, sizeof(size), "absent");
                else if (cJSON_IsNumber(b))
                        snprintf(size, sizeof(size), "%.1f MiB", b->valuedouble / 1048576.0);
                if (move)
                        snprintf(where, sizeof(where), ", a move carries it to MOUNT/%s",
                                 strna(json_get_string(t, "move_to")));
                else if (in_data_root)
                        snprintf(where, sizeof(where), ", in the data root: a move carries it with it");
                else
                        snprintf(where, sizeof(where), ", stays: it holds none of Docker's images");
                output_printf("%s%s %s: %s%s\n", t == cJSON_GetObjectItemCaseSensitive(s, "trees")->child ? "Trees:         "
                                                                                                     : "               ",
                              strna(json_get_string(t, "what")), strna(json_get_string(t, "path")), size, where);
        }
        ns = cJSON_GetObjectItemCaseSensitive(s, "other_namespaces");
        cJSON_ArrayForEach(t, ns) {
                static const char *const keys[] = { "images", "containers", "content" };
                char n[3][24];

                for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, keys[k]);
                        if (cJSON_IsNumber(v))
                                snprintf(n[k], sizeof(n[k]), "%.0f", v->valuedouble);
                        else
                                snprintf(n[k], sizeof(n[k]), "?");
                }
                output_printf("Also in containerd: namespace %s (%s images, %s containers, %s blobs)\n",
                              strna(json_get_string(t, "name")), n[0], n[1], n[2]);
        }
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(s, "warnings"))
                if (cJSON_IsString(w))
                        output_printf("Warning:       %s\n", w->valuestring);
}

static void print_human(const DockerConfig *c, const cJSON *j) {
        _cleanup_free_ char *args = NULL;
        _cleanup_strv_free_ char **argv = word_list_to_strv(&c->argv);
        const cJSON *fs = cJSON_GetObjectItemCaseSensitive(j, "filesystem");

        args = strv_join(argv, " ");
        print_installs(c, j);
        output_printf("Init system:   %s\n", init_system_to_string(c->init));
        output_printf("Started by:    %s%s\n", strna(c->service_file),
                      strv_length(c->dropins) ? " (with drop-ins)" : "");
        STRV_FOREACH(d, c->dropins)
                output_printf("               + %s\n", *d);
        STRV_FOREACH(e, c->env_files)
                output_printf("Environment:   %s\n", *e);
        output_printf("Command line:  %s\n", isempty(args) ? "(none)" : args);
        output_printf("Config file:   %s%s\n", strna(c->json_path), c->json_exists ? "" : " (absent)");
        output_printf("Data root:     %s\n", c->data_root);
        output_printf("  set by:      %s (%s)\n", c->data_root_source, data_root_via_to_string(c->via));
        if (c->data_root_resolved && !streq(c->data_root_resolved, c->data_root))
                output_printf("  really at:   %s\n", c->data_root_resolved);
        if (c->storage_driver)
                output_printf("Storage:       %s\n", c->storage_driver);
        output_printf("API socket:    %s\n", c->socket);
        {
                const cJSON *svc = cJSON_GetObjectItemCaseSensitive(j, "service");
                const cJSON *st = svc ? cJSON_GetObjectItemCaseSensitive(svc, "state") : NULL;
                if (cJSON_IsString(st))
                        output_printf("Service:       %s\n", st->valuestring);
        }
        if (fs) {
                const cJSON *dev = cJSON_GetObjectItemCaseSensitive(fs, "device");
                const cJSON *type = cJSON_GetObjectItemCaseSensitive(fs, "fstype");
                const cJSON *mnt = cJSON_GetObjectItemCaseSensitive(fs, "mount_point");
                const cJSON *fr = cJSON_GetObjectItemCaseSensitive(fs, "free_bytes");
                const cJSON *sz = cJSON_GetObjectItemCaseSensitive(fs, "size_bytes");
                output_printf("Filesystem:    %s (%s) on %s, %.1f GiB free of %.1f GiB\n",
                              cJSON_IsString(dev) ? dev->valuestring : "?",
                              cJSON_IsString(type) ? type->valuestring : "?",
                              cJSON_IsString(mnt) ? mnt->valuestring : "?", fr ? fr->valuedouble / (1 << 30) : 0,
                              sz ? sz->valuedouble / (1 << 30) : 0);
        }
        {
                const cJSON *lm = cJSON_GetObjectItemCaseSensitive(j, "last_move");
                if (cJSON_IsObject(lm))
                        output_printf("Last move:     %s, %s -> %s (started %s%s%s)\n",
                                      strna(json_get_string(lm, "phase")), strna(json_get_string(lm, "old_data_root")),
                                      strna(json_get_string(lm, "new_data_root")), strna(json_get_string(lm, "started")),
                                      json_get_string(lm, "finished") ? ", finished " : "",
                                      strempty(json_get_string(lm, "finished")));
        }
        print_selinux(j);
        STRV_FOREACH(m, c->conflicts)
                output_printf("CONFLICT:      %s\n", *m);
        STRV_FOREACH(m, c->warnings)
                output_printf("Warning:       %s\n", *m);
}

int verb_status(const Options *o) {
        _cleanup_json_ cJSON *j = NULL;
        DockerConfig c = {};
        int r;

        r = service_load_docker_config(o->root, INIT_UNKNOWN, NULL, &c);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to read Docker's configuration: %m");

        j = status_json(&c, o);
        if (!j) {
                docker_config_done(&c);
                return cmd_oom();
        }
        if (o->json) {
                image_store_section(&c, j, false);
                cmd_set_report(TAKE_PTR(j));
        } else {
                print_human(&c, j);
                image_store_section(&c, j, true);
        }
        docker_config_done(&c);
        return EXIT_OK;
}
