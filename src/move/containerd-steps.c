/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The system containerd's root as a second tree of the move, once planned
 * (containerd.c): its copy passes beside Docker's, the checks while both
 * are stopped and before they start, the check that containerd runs on the
 * root it should after a start, and its part of "rollback" and "cleanup". */
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

/* One pass of the copy of containerd's root, beside Docker's. */
static int copy_containerd_root(Move *m, CopyPass pass, const char *what, char **ret_error) {
        _cleanup_free_ char *msg = NULL;
        int r;

        if (pass == COPY_PASS_LIVE) {
                r = final_pass_track(m, MOVE_TREE_CONTAINERD, m->store.old_containerd_root);
                if (r < 0)
                        return r;
                r = move_copy(m, m->store.old_containerd_root, m->store.new_containerd_root, pass, &m->ctd.size,
                              &msg);
        } else
                r = move_copy_final(m, MOVE_TREE_CONTAINERD, m->store.old_containerd_root,
                                    m->store.new_containerd_root, &m->ctd.size, &msg);
        if (r < 0)
                return error_set(ret_error, r, "The %s of containerd's root failed: %s", what, msg ?: strerror(-r));
        return 0;
}

int step_pre_copy_containerd(Move *m, char **ret_error) {
        return copy_containerd_root(m, COPY_PASS_LIVE, "live copy", ret_error);
}

/* Mounts below dir: a container's snapshot or rootfs still in use. */
static int no_mounts_below(const char *dir, char **ret_error) {
        _cleanup_strv_free_ char **mounts = NULL;
        _cleanup_free_ char *list = NULL;
        int r;

        r = copy_mounts_below("/proc/self/mountinfo", dir, &mounts);
        if (r < 0)
                return error_set(ret_error, r, "Cannot read the mount table: %m");
        if (strv_length(mounts) == 0)
                return 0;
        list = strv_join(mounts, ", ");
        return error_set(ret_error, -EBUSY,
                         "containerd is stopped but mounts below %s remain (%s): a container's shim still holds them.",
                         dir, strna(list));
}

/* containerd.service stops the daemon only: a container's shim outlives it
 * (KillMode=process), holding the container's snapshot mounted. The
 * containers were stopped through the Engine before Docker (with
 * live-restore too), so none of Docker's may be left, nor, on a drained
 * node, any other client's: what a task directory or a mount below either
 * tree shows is a container that still runs on the old root. */
int step_check_stopped(Move *m, char **ret_error) {
        _cleanup_strv_free_ char **tasks = NULL;
        _cleanup_free_ char *list = NULL;
        const StoreRecord *s = &m->store;
        int r;

        if (containerd_answers(s->containerd_socket))
                return error_set(ret_error, -EBUSY, "containerd still answers on %s after it was stopped.",
                                 s->containerd_socket);
        r = containerd_leftover_tasks(s->containerd_state, &tasks);
        if (r < 0)
                return error_set(ret_error, r, "Cannot read containerd's state directory %s: %m", s->containerd_state);
        if (strv_length(tasks) > 0) {
                list = strv_join(tasks, ", ");
                return error_set(ret_error, -EBUSY,
                                 "containerd is stopped, but tasks of it still run (%s): their shims hold the "
                                 "containers' snapshots in %s. Stop (or unpause) every container, also of other "
                                 "clients, before moving.",
                                 strna(list), s->old_containerd_root);
        }
        r = no_mounts_below(s->containerd_state, ret_error);
        if (r >= 0)
                r = no_mounts_below(s->old_containerd_root, ret_error);
        if (r >= 0)
                r = no_mounts_below(m->old_root, ret_error);
        return r;
}

int step_copy_containerd(Move *m, char **ret_error) {
        int r;

        r = no_mounts_below(m->store.old_containerd_root, ret_error);
        if (r < 0)
                return r;
        return copy_containerd_root(m, COPY_PASS_FINAL, "copy", ret_error);
}

/* A graph driver keeps its layers in <data-root>/<driver>/: a copy without
 * them would start dockerd with no images, and Engine 29 on the containerd
 * store instead. */
static int check_graph_driver_dir(const Move *m, char **ret_error) {
        const StoreRecord *s = &m->store;
        _cleanup_free_ char *old = NULL, *new = NULL;

        if (!s->driver || s->driver_type || !streq_ptr(s->store, image_store_to_string(IMAGE_STORE_GRAPH_DRIVER)))
                return 0;
        old = path_join(m->old_root, s->driver);
        new = path_join(m->new_root, s->driver);
        if (!old || !new)
                return -ENOMEM;
        /* A data root without layers of its own has nothing to lose here;
         * the comparison of the driver after the start still applies. */
        if (dir_holds_files(old) <= 0)
                return 0;
        if (dir_holds_files(new) > 0)
                return 0;
        return error_set(ret_error, -ENODATA,
                         "The copy %s lacks the layers of the graph driver %s that %s holds: dockerd would start "
                         "there without its images (Engine 29 on the containerd image store instead).",
                         new, s->driver, old);
}

/* containerd reads its configuration the way it will start: "config dump"
 * must name the new root. */
static int check_containerd_config(const Move *m, const char *want, char **ret_error) {
        _cleanup_(containerd_dump_done) ContainerdDump d = {};
        _cleanup_free_ char *err = NULL, *a = NULL, *b = NULL;
        int r;

        /* The binary containerd.service runs, when its configuration was
         * read (else the one in PATH). */
        r = containerd_config_dump(m->ctd.cfg_loaded ? m->ctd.cfg.binary : NULL, m->store.containerd_config,
                                   CONTAINERD_TIMEOUT_MS, &d, &err);
        if (r < 0)
                return error_set(ret_error, r == -ENOMEM ? r : -EPROTO, "'containerd config dump' failed: %s",
                                 err ?: strerror(-r));
        a = path_normalize(d.root_dir);
        b = path_normalize(want);
        if (!a || !b)
                return -ENOMEM;
        if (!streq(a, b))
                return error_set(ret_error, -EPROTO, "'containerd config dump' says containerd's root is %s, not %s.",
                                 d.root_dir, want);
        return 0;
}

int step_check_before_start(Move *m, char **ret_error) {
        int r;

        r = check_graph_driver_dir(m, ret_error);
        if (r >= 0 && with_containerd(m))
                r = check_containerd_config(m, m->store.new_containerd_root, ret_error);
        return r;
}

int step_delete_old_containerd(Move *m, char **ret_error) {
        (void) ret_error;
        /* Only while Docker and containerd run on the new roots. */
        if (!docker_runs_on(m->cfg.socket, m->new_root) || verify_containerd(m, true, NULL) < 0)
                return strv_extendf(&m->warnings,
                                    "containerd's old root %s is kept: Docker and containerd do not run on the new "
                                    "roots now; once they do, remove it by hand.",
                                    m->store.old_containerd_root) < 0
                               ? -ENOMEM
                               : STEP_SKIPPED;
        /* Not "cleanup": the data root's deletion took the journal to
         * "cleaned", where it finds nothing left to do. */
        if (remove_old_tree(m, m->store.old_containerd_root) < 0)
                return strv_extendf(&m->warnings,
                                    "Deleting containerd's old root %s failed; remove it by hand "
                                    "(rm -rf --one-file-system %s).",
                                    m->store.old_containerd_root, m->store.old_containerd_root) < 0
                               ? -ENOMEM
                               : STEP_SKIPPED;
        return 0;
}

/* The containerd on socket runs on root: the metadata database it holds
 * open is there. */
static int check_running_root(const char *socket, const char *root, char **ret_error) {
        _cleanup_free_ char *got = NULL, *a = NULL, *b = NULL;
        int r;

        r = containerd_running_root(socket, &got);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return error_set(ret_error, -EPROTO, "cannot tell which root the containerd on %s runs on: %s", socket,
                                 strerror(-r));
        a = move_realpath(got);
        b = move_realpath(root);
        if (!a || !b)
                return -ENOMEM;
        if (!streq(a, b))
                return error_set(ret_error, -EPROTO, "the containerd on %s runs on %s, not %s", socket, got, root);
        return 0;
}

int verify_containerd(const Move *m, bool to_new, char **ret_error) {
        const StoreRecord *s = &m->store;
        _cleanup_free_ char *managed = NULL;
        struct stat st;
        int r;

        if (with_containerd(m)) {
                const char *want = to_new ? s->new_containerd_root : s->old_containerd_root;

                r = check_containerd_config(m, want, ret_error);
                if (r >= 0)
                        r = check_running_root(s->containerd_socket, want, ret_error);
                return r;
        }
        /* dockerd's own containerd writes its configuration at every start,
         * from the data root it has then: its root moved with the data
         * root. */
        if (!streq_ptr(s->containerd_kind, containerd_kind_to_string(CONTAINERD_MANAGED)) || !s->containerd_socket ||
            stat(s->containerd_socket, &st) < 0 || !S_ISSOCK(st.st_mode))
                return 0;
        managed = path_join(to_new ? m->new_root : m->old_root, "containerd/daemon");
        if (!managed)
                return -ENOMEM;
        return check_running_root(s->containerd_socket, managed, ret_error);
}

int undo_load_containerd(Move *m, const char *key, char **ret_error) {
        _cleanup_(source_set_done) SourceSet overlay = {};
        bool recorded = false;
        int r;

        store_record_done(&m->store);
        r = journal_get_store(m->journal, &m->store);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return error_set(ret_error, r, "Failed to read the record \"image_store\" in %s: %m", JOURNAL_PATH);
        if (!with_containerd(m))
                return 0;
        r = config_overlay_before(m->journal, key, &overlay, &recorded, ret_error);
        if (r < 0)
                return r;
        r = containerd_config_load(NULL, m->cfg.init, recorded ? &overlay : NULL, &m->ctd.cfg);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read containerd's configuration: %m");
        m->ctd.cfg_loaded = true;
        return 0;
}

int plan_containerd_back(Move *m, bool revert, char **ret_refusal, char **ret_error) {
        const StoreRecord *s = &m->store;
        EditPlan *p = &m->containerd_edit;
        _cleanup_free_ char *now = NULL, *want = NULL;
        int r;

        if (!with_containerd(m))
                return 0;
        now = path_normalize(m->ctd.cfg.root_dir);
        want = path_normalize(s->new_containerd_root);
        if (!now || !want)
                return -ENOMEM;
        if (!streq(now, want))
                return error_set(ret_refusal, -ECANCELED,
                                 "containerd's configuration no longer points at %s (it says %s, set in %s): it was "
                                 "changed since the move; not rolling back.",
                                 s->new_containerd_root, m->ctd.cfg.root_dir, strna(m->ctd.cfg.root_dir_source));
        if (access(s->old_containerd_root, F_OK) < 0)
                return error_set(ret_refusal, -ECANCELED, "containerd's old root %s is gone: nothing to roll back to.",
                                 s->old_containerd_root);
        if (revert) {
                /* Its files are in the plan already, going back to their
                 * bytes of before the move: that must be the old root. */
                r = containerd_plan_verify(&m->edit, &m->ctd.cfg, s->old_containerd_root, ret_refusal);
                if (r < 0 && r != -ECANCELED)
                        return error_set(ret_error, r, "Failed to check the change of containerd's root: %m");
                return r;
        }
        edit_plan_done(p);
        r = containerd_plan_set_root(&m->ctd.cfg, s->old_containerd_root, p, ret_refusal);
        if (r >= 0)
                r = containerd_plan_verify(p, &m->ctd.cfg, s->old_containerd_root, ret_refusal);
        if (r == -ECANCELED)
                return r;
        if (r < 0)
                return error_set(ret_error, r, "Failed to plan the change of containerd's root: %m");
        return edit_plan_add_all(&m->edit, p);
}

int plan_cleanup_containerd(Move *m, char ***plan, char **ret_refusal) {
        const StoreRecord *s = &m->store;
        _cleanup_free_ char *why = NULL;
        int r;

        if (!with_containerd(m) || access(s->old_containerd_root, F_OK) < 0)
                return 0;
        if (verify_containerd(m, true, &why) < 0)
                return error_set(ret_refusal, -ECANCELED,
                                 "containerd does not run on %s right now (%s): not removing its old root %s.",
                                 s->new_containerd_root, strna(why), s->old_containerd_root);
        /* A plugin directory named outright stays where it is: below the
         * old root, it goes with it, and must hold nothing by then. */
        STRV_FOREACH(p, m->ctd.cfg.plugin_dirs) {
                const char *eq = strchr(*p, '=');

                if (!eq || !path_startswith_dir(eq + 1, s->old_containerd_root))
                        continue;
                r = dir_holds_files(eq + 1);
                if (r != 0)
                        return error_set(ret_refusal, -ECANCELED,
                                         "The containerd plugin %.*s keeps files in %s, below containerd's old root: "
                                         "move them (and the setting) first; not removing %s.",
                                         (int) (eq - *p), *p, eq + 1, s->old_containerd_root);
                r = strv_extendf(plan,
                                 "The containerd plugin %.*s uses %s, empty, below the old root: containerd makes it "
                                 "again at its next start.",
                                 (int) (eq - *p), *p, eq + 1);
                if (r < 0)
                        return r;
        }
        (void) copy_measure_tree(s->old_containerd_root, &m->ctd.size);
        r = strv_extendf(plan, "Remove containerd's old root %s (%.2f GiB, %llu inodes).", s->old_containerd_root,
                         m->ctd.size.bytes / 1073741824.0, (unsigned long long) m->ctd.size.inodes);
        return r < 0 ? r : 1;
}

int cleanup_containerd(Move *m, char **ret_error) {
        const char *old = m->store.old_containerd_root;
        int r;

        if (!with_containerd(m) || access(old, F_OK) < 0)
                return 0;
        r = remove_old_tree(m, old);
        if (r < 0)
                return error_set(ret_error, r, "Failed to remove containerd's old root %s: %m", old);
        return 1;
}
