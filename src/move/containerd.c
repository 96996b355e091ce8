/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The system containerd's root as a second tree of the move. On a host with
 * the containerd image store (the default of fresh installs from Engine 29
 * on) whose dockerd talks to containerd.service's containerd, Docker's
 * images, layers and snapshots live in that containerd's root
 * (/var/lib/containerd), not under the data root: the move carries both,
 * <mount>/docker and <mount>/containerd beside it, stops and starts both
 * services together, and sets containerd's root in its one place the way
 * it sets the data root (the same write-ahead record, undone the same way).
 *
 * dockerd's own containerd (managed: <data-root>/containerd/daemon;
 * embedded: <data-root>/containerd) lives under the data root and moves
 * with it: nothing here but the check that it runs on the new tree.
 *
 * What it learns (probe_containerd) and what it decides (plan_containerd);
 * its rows of the step table (steps.c), the checks after a start and its
 * part of "rollback" and "cleanup" are containerd-steps.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/containerd-binary.h"
#include "copy/copy.h"
#include "disk/mount-dropin.h"
#include "disk/mount.h"
#include "move/move-internal.h"
#include "store/containerd-runtime.h"
#include "store/namespaces.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/strv.h"

#define SYSV_CONTAINERD "/etc/init.d/containerd"

bool with_containerd(const Move *m) {
        return m->store.containerd_moves;
}

/* Whether the move carries the system containerd's root: decided by the
 * journal for a resumed move (one of a version that did not carry it never
 * does), by what Docker and containerd say for a new one. */
static bool containerd_root_moves(const Move *m) {
        if (m->resume_phase != PHASE_NONE)
                return m->store.containerd_moves;
        return image_store_system_containerd_root(&m->store_info, m->old_root);
}

/* A containerd answers on socket (a stat first: connecting to a missing
 * socket is an error, not a wait). */
bool containerd_answers(const char *socket) {
        _cleanup_free_ char *root = NULL;
        struct stat st;

        if (!socket || stat(socket, &st) < 0 || !S_ISSOCK(st.st_mode))
                return false;
        return containerd_running_root(socket, &root) != -ECONNREFUSED;
}

static bool containerd_service_exists(const Move *m) {
        switch (m->cfg.init) {
        case INIT_SYSTEMD:
                return m->ctd.cfg.unit_file != NULL;
        case INIT_SYSV:
        case INIT_OPENRC:
                return access(SYSV_CONTAINERD, X_OK) == 0;
        default:
                return false; /* upstart: no containerd job known */
        }
}

static int probe_dump(Move *m) {
        _cleanup_(containerd_dump_done) ContainerdDump d = {};
        _cleanup_free_ char *err = NULL;
        ContainerdFacts *f = &m->ctd;
        int r;

        r = containerd_config_dump(f->cfg.binary, f->cfg.config_path, CONTAINERD_TIMEOUT_MS, &d, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return error_set(&f->dump_error, r, "%s", err ?: r == -ENOENT ? "no containerd binary" : strerror(-r));
        f->dump_root = strdup(d.root_dir);
        if (!f->dump_root)
                return -ENOMEM;
        r = containerd_config_check_dump(&f->cfg, &d, &f->dump_disagrees);
        return r < 0 ? r : 0;
}

static int probe_namespaces(Move *m) {
        _cleanup_(containerd_namespaces_done) ContainerdNamespaces l = {};
        _cleanup_free_ char *err = NULL;
        const ImageStoreInfo *i = &m->store_info;
        ContainerdFacts *f = &m->ctd;
        int r;

        r = containerd_namespaces_list(i->containerd_socket, CONTAINERD_TIMEOUT_MS, &l, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return error_set(&f->namespaces_error, r, "%s", err ?: r == -ENOENT ? "ctr is not installed" : strerror(-r));
        f->namespaces_known = true;
        for (size_t k = 0; k < l.n; k++) {
                const ContainerdNamespace *ns = &l.items[k];
                char n[3][24];
                const size_t v[3] = { ns->images, ns->containers, ns->content };

                if (streq_ptr(ns->name, i->containerd_namespace) ||
                    streq_ptr(ns->name, i->containerd_plugins_namespace) || !containerd_namespace_in_use(ns))
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(v); j++)
                        if (v[j] == CONTAINERD_NS_UNKNOWN)
                                snprintf(n[j], sizeof(n[j]), "?");
                        else
                                snprintf(n[j], sizeof(n[j]), "%zu", v[j]);
                r = strv_extendf(&f->namespaces_in_use, "%s (%s images, %s containers, %s blobs)", ns->name, n[0], n[1],
                                 n[2]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A plugin's own directory (a snapshotter's root_path, Debian's opt path)
 * stays where the files say when the root moves: on the disk being emptied
 * when it is on the root's filesystem. */
static int probe_plugin_dirs(Move *m) {
        ContainerdFacts *f = &m->ctd;
        struct stat st_root, st;

        if (stat(f->root, &st_root) < 0)
                return 0;
        STRV_FOREACH(p, f->cfg.plugin_dirs) {
                const char *eq = strchr(*p, '=');
                int r;

                if (!eq || stat(eq + 1, &st) < 0 || st.st_dev != st_root.st_dev)
                        continue;
                r = dir_holds_files(eq + 1);
                if (r == -ENOMEM)
                        return r;
                /* One that cannot be read may hold anything. */
                if (r != 0 && (r = strv_extend(&f->plugin_dirs_with_files, *p)) < 0)
                        return r;
        }
        return 0;
}

/* --to DIR: containerd's root goes beside DIR; it must be on DIR's
 * filesystem, and ours to fill. */
static int probe_target(Move *m) {
        ContainerdFacts *f = &m->ctd;
        _cleanup_free_ char *to = move_realpath(m->req.to), *parent = NULL;
        struct stat st_to, st_root, st;
        int r;

        if (!to)
                return -ENOMEM;
        f->target.path = image_store_containerd_beside(to);
        parent = path_dirname(to);
        if (!f->target.path || !parent)
                return -ENOMEM;
        if (stat(to, &st_to) < 0)
                return 0; /* the data root's target is refused already */
        if (stat(f->target.path, &st) == 0) {
                f->target_exists = true;
                f->target.is_dir = S_ISDIR(st.st_mode);
        } else if (stat(parent, &st) < 0)
                return 0;
        f->target_on_target_fs = st.st_dev == st_to.st_dev;
        f->target.same_fs = stat(f->root, &st_root) == 0 && st_root.st_dev == st.st_dev;
        if (f->target.is_dir) {
                r = mount_dir_is_empty(f->target.path);
                if (r < 0)
                        return r;
                f->target.empty = r > 0;
        }
        return 0;
}

int probe_containerd(Move *m, char **ret_error) {
        _cleanup_(source_set_done) SourceSet overlay = {};
        ContainerdFacts *f = &m->ctd;
        const DaemonState *d = &m->daemon;
        EngineInfo info = {
                .server_version = d->server_version,
                .driver = d->driver,
                .driver_type = d->driver_type,
                .containerd_address = d->containerd_address,
                .containerd_namespace = d->containerd_namespace,
                .containerd_plugins_namespace = d->containerd_plugins_namespace,
        };
        bool recorded = false;
        int r;

        /* containerd's files as they were before a killed run began to
         * write them, as Docker's. */
        if (m->config_interrupted) {
                r = config_overlay_before(m->journal, JOURNAL_CONFIG_UNDO, &overlay, &recorded, ret_error);
                if (r < 0)
                        return r;
        }
        r = containerd_config_load(NULL, m->cfg.init, recorded ? &overlay : NULL, &f->cfg);
        if (r == -ENOMEM)
                return r;
        f->cfg_loaded = r >= 0;

        r = image_store_detect(&m->cfg, f->cfg_loaded ? &f->cfg : NULL, d->running ? &info : NULL, NULL, false,
                               &m->store_info);
        if (r < 0)
                return error_set(ret_error, r, "Failed to work out Docker's image store: %m");
        if (!containerd_root_moves(m))
                return 0;

        f->root = move_realpath(m->resume_phase != PHASE_NONE ? m->store.old_containerd_root
                                                              : m->store_info.containerd_root);
        if (!f->root)
                return -ENOMEM;
        r = copy_measure_tree(f->root, &f->size);
        if (r < 0)
                return error_set(ret_error, r, "Failed to measure containerd's root %s: %m", f->root);
        f->service = containerd_service_exists(m);
        r = probe_plugin_dirs(m);
        if (r >= 0 && m->req.to)
                r = probe_target(m);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check where containerd's root goes: %m");
        /* What containerd itself says, for a new move; a resumed one decided
         * that before. */
        if (m->resume_phase != PHASE_NONE)
                return 0;
        r = probe_dump(m);
        if (r >= 0 && containerd_answers(m->store_info.containerd_socket))
                r = probe_namespaces(m);
        else if (r >= 0)
                r = error_set(&f->namespaces_error, -ECONNREFUSED, "containerd does not answer on %s",
                              strna(m->store_info.containerd_socket));
        return r == -ENOMEM ? r : 0;
}

/* What the store record says, from the facts of a new move. */
static int record_store(Move *m) {
        const ImageStoreInfo *i = &m->store_info;
        StoreRecord *s = &m->store;
        StoreRecord n = {
                .store = strdup(image_store_to_string(i->store)),
                .driver = m->daemon.driver ? strdup(m->daemon.driver) : NULL,
                .driver_type = m->daemon.driver_type ? strdup(m->daemon.driver_type) : NULL,
                .containerd_kind = strdup(containerd_kind_to_string(i->containerd)),
                .containerd_address = m->daemon.containerd_address ? strdup(m->daemon.containerd_address) : NULL,
                .containerd_socket = i->containerd_socket ? strdup(i->containerd_socket) : NULL,
        };

        store_record_done(s);
        *s = n;
        if (!s->store || !s->containerd_kind || (m->daemon.driver && !s->driver) ||
            (m->daemon.driver_type && !s->driver_type) || (m->daemon.containerd_address && !s->containerd_address) ||
            (i->containerd_socket && !s->containerd_socket))
                return -ENOMEM;
        return 0;
}

static int refuse(Move *m, const char *format, ...) _printf_(2, 3);
static int refuse(Move *m, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = strv_extendfv(&m->refusals, false, format, ap);
        va_end(ap);
        return r;
}

/* No silent change of image store: the configuration must make the next
 * start of dockerd choose the store it runs on now. Engine 29 picks the
 * containerd store when nothing chooses and the data root holds no
 * graph-driver layers; a restart alone would then hide every image. */
static int plan_store_switch(Move *m) {
        _cleanup_(image_store_info_done) ImageStoreInfo next = {};
        const ImageStoreInfo *now = &m->store_info;
        int r;

        if (!m->daemon.running || m->resume_phase != PHASE_NONE || now->store == IMAGE_STORE_UNKNOWN)
                return 0;
        r = image_store_detect(&m->cfg, m->ctd.cfg_loaded ? &m->ctd.cfg : NULL, NULL, m->daemon.server_version, false,
                               &next);
        if (r < 0)
                return r;
        if (next.store == IMAGE_STORE_UNKNOWN || next.store == now->store)
                return 0;
        return refuse(m,
                      "Docker runs on the %s image store, but its configuration would start it on the %s one (%s): "
                      "the images of the store in use would no longer be seen. Make the configuration choose the store "
                      "in use first (\"features\": {\"containerd-snapshotter\": %s} in daemon.json).",
                      image_store_to_string(now->store), image_store_to_string(next.store), strna(next.store_source),
                      now->store == IMAGE_STORE_CONTAINERD ? "true" : "false");
}

/* The directory beside a --to target. */
static int plan_target(Move *m) {
        const ContainerdFacts *f = &m->ctd;
        const char *new = m->store.new_containerd_root, *old = m->store.old_containerd_root;

        if (streq(new, m->new_root))
                return refuse(m, "containerd's root goes beside the data root, into %s, which is the data root's own "
                                 "target: name the data root's directory otherwise (e.g. docker).",
                              new);
        if (path_startswith_dir(new, old) || path_startswith_dir(old, new))
                return refuse(m, "containerd's new root %s and its current root %s lie one inside the other.", new, old);
        if (!m->req.to)
                return 0;
        if (f->target_exists && !f->target.is_dir)
                return refuse(m, "containerd's root goes beside the data root, into %s, which is not a directory.", new);
        if (!f->target_on_target_fs)
                return refuse(m,
                              "containerd's root goes beside the data root, into %s, which would not be on the "
                              "filesystem of %s: give --to a directory below the volume's mount (such as MOUNT/docker), "
                              "so that containerd's root can go beside it.",
                              new, m->new_root);
        if (f->target.same_fs)
                return refuse(m, "%s is on the same filesystem as containerd's current root %s: moving frees no space.",
                              new, old);
        if (f->target_exists && !f->target.empty && m->resume_phase == PHASE_NONE)
                return refuse(m,
                              "containerd's root goes beside the data root, into %s, which is not empty, and it is not "
                              "this tool's own earlier copy; empty it or give another --to.",
                              new);
        return 0;
}

/* What must hold before containerd may be stopped and its root moved. */
static int plan_refusals(Move *m) {
        const ContainerdFacts *f = &m->ctd;
        const char *socket = m->store_info.containerd_socket;
        int r = 0;

        if (!f->cfg_loaded)
                return refuse(m, "containerd's configuration could not be read; its root cannot be changed safely.");
        if (!f->service)
                r = refuse(m,
                           "Docker's images are in the root of a containerd that no init system here runs (no "
                           "containerd.service, no %s): it cannot be stopped and started with Docker.",
                           SYSV_CONTAINERD);
        if (r >= 0 && socket && f->cfg.address && !streq(socket, f->cfg.address))
                r = refuse(m,
                           "dockerd talks to the containerd at %s, but containerd.service's listens on %s: which root "
                           "holds Docker's images is not known.",
                           socket, f->cfg.address);
        if (r >= 0 && m->resume_phase == PHASE_NONE && !f->dump_root)
                r = refuse(m,
                           "'containerd config dump' failed (%s): the configuration containerd starts with cannot be "
                           "checked.",
                           strna(f->dump_error));
        STRV_FOREACH(w, f->dump_disagrees)
                if (r >= 0)
                        r = refuse(m, "%s Find out why (a file changed since, or read differently) before moving.", *w);
        STRV_FOREACH(ns, f->namespaces_in_use)
                if (r >= 0 && !m->req.force)
                        r = refuse(m,
                                   "containerd also holds namespace %s of another client (a kubelet, say): the move "
                                   "stops containerd, and with it what requires it, and moves its root with that "
                                   "client's data. Drain the node first, then use --force.",
                                   *ns);
        if (r >= 0 && m->resume_phase == PHASE_NONE && !f->namespaces_known && !m->req.force)
                r = refuse(m,
                           "containerd's namespaces could not be listed (%s): another client (a kubelet) may use it. "
                           "Use --force if nothing but Docker does, or once the node is drained.",
                           strna(f->namespaces_error));
        STRV_FOREACH(p, f->plugin_dirs_with_files) {
                const char *eq = strchr(*p, '=');
                if (r >= 0 && eq)
                        r = refuse(m,
                                   "The containerd plugin %.*s keeps files in %s, which its configuration names "
                                   "outright: the move would leave them on this disk (and 'cleanup' would remove them "
                                   "with the old root when they lie below it). Move them and the setting by hand "
                                   "first.",
                                   (int) (eq - *p), *p, eq + 1);
        }
        return r;
}

/* containerd's root set in its one place, verified by reading the
 * configuration again with the change in place; its files join Docker's in
 * the plan, and so in its write-ahead record. */
static int plan_config(Move *m, char **ret_error) {
        _cleanup_free_ char *refusal = NULL, *diff = NULL;
        EditPlan *p = &m->containerd_edit;
        int r;

        edit_plan_done(p);
        r = containerd_plan_set_root(&m->ctd.cfg, m->store.new_containerd_root, p, &refusal);
        if (r >= 0)
                r = containerd_plan_verify(p, &m->ctd.cfg, m->store.new_containerd_root, &refusal);
        if (r == -ECANCELED)
                return strv_extend(&m->refusals, strempty(refusal));
        if (r < 0)
                return error_set(ret_error, r, "Failed to plan the change of containerd's root: %m");
        r = edit_plan_add_all(&m->edit, p);
        if (r < 0)
                return r;
        r = strv_extend_strv(&m->edit.notes, p->notes);
        if (r < 0)
                return r;
        r = edit_plan_diff(&m->edit, &diff);
        if (r < 0)
                return error_set(ret_error, r, "Failed to compute the diff: %m");
        free(m->diff);
        m->diff = TAKE_PTR(diff);
        return 0;
}

int plan_containerd(Move *m, char **ret_error) {
        const ImageStoreInfo *i = &m->store_info;
        _cleanup_free_ char *target = NULL;
        int r;

        /* A new move records how Docker keeps its images now; a resumed
         * one has its record. */
        if (m->resume_phase == PHASE_NONE) {
                if (!m->daemon.running)
                        return 0; /* refused: nothing to record */
                r = record_store(m);
                if (r < 0)
                        return r;
                r = plan_store_switch(m);
                if (r < 0)
                        return r;
        }
        if (i->store == IMAGE_STORE_CONTAINERD && i->containerd == CONTAINERD_SYSTEM && i->containerd_root &&
            path_startswith_dir(i->containerd_root, m->old_root) && m->resume_phase == PHASE_NONE)
                return refuse(m,
                              "containerd.service's root %s lies inside Docker's data root %s: this layout is not "
                              "moved (containerd would keep using the old path).",
                              i->containerd_root, m->old_root);
        if (!containerd_root_moves(m) || !m->new_root)
                return 0;

        target = image_store_containerd_beside(m->new_root);
        if (!target)
                return -ENOMEM;
        if (m->resume_phase == PHASE_NONE) {
                m->store.containerd_moves = true;
                m->store.containerd_config = strdup(m->ctd.cfg.config_path);
                m->store.containerd_state = strdup(m->ctd.cfg.state_dir);
                m->store.old_containerd_root = strdup(m->ctd.root);
                m->store.new_containerd_root = TAKE_PTR(target);
                if (!m->store.containerd_config || !m->store.containerd_state || !m->store.old_containerd_root)
                        return -ENOMEM;
        } else if (!streq_ptr(m->store.new_containerd_root, target))
                return refuse(m, "The interrupted move put containerd's root at %s, not %s: run it again with its own "
                                 "target.",
                              strna(m->store.new_containerd_root), target);

        r = plan_refusals(m);
        if (r >= 0)
                r = plan_target(m);
        if (r >= 0)
                r = plan_config(m, ret_error);
        return r;
}

int plan_containerd_dropin(Move *m) {
        _cleanup_free_ char *path = NULL, *content = NULL, *old = NULL;
        int r;

        if (!with_containerd(m) || m->cfg.init != INIT_SYSTEMD)
                return 0;
        path = path_join(CONTAINERD_MOUNT_DROPIN_DIR, MOUNT_DROPIN_NAME);
        if (!path)
                return -ENOMEM;
        r = mount_dropin_content_for("containerd", "root", m->store.new_containerd_root, &content);
        if (r < 0)
                return r;
        r = read_full_file(path, 0, &old, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        return edit_plan_add(&m->edit, path, old, content, 0644);
}
