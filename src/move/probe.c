/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the planner decides from, learnt from the host: the locks, the
 * journal of an earlier run, Docker's configuration, the daemon, the size of
 * the data root and the target. Learns only; plan.c decides. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "disk/mount-dropin.h"
#include "disk/mount.h"
#include "disk/safety.h"
#include "disk/target.h"
#include "move/move-internal.h"
#include "service/service.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/libmount-util.h"
#include "util/lock.h"
#include "util/process.h"
#include "util/path.h"
#include "util/precheck.h"
#include "util/strv.h"

int probe_locks(Move *m, char **ret_error) {
        int r;

        r = lock_file(LOCK_PATH, 0, &m->lock_fd);
        if (r == -EBUSY)
                return strv_extendf(&m->refusals, "Another docker-relocate run holds %s.", LOCK_PATH) < 0
                               ? -ENOMEM
                               : MOVE_REFUSED;
        if (r < 0)
                return error_set(ret_error, r, "Failed to take the lock %s: %m", LOCK_PATH);

        /* The disk lock too, shared with prepare and grow: no two runs
         * partition or format at once. */
        if (m->req.device) {
                r = lock_file(DISK_LOCK_FILE, 60 * 1000, &m->disk_lock_fd);
                if (r == -EBUSY)
                        return strv_extendf(&m->refusals, "Another run is preparing a disk (%s).", DISK_LOCK_FILE) < 0
                                       ? -ENOMEM
                                       : MOVE_REFUSED;
                if (r < 0)
                        return error_set(ret_error, r, "Failed to take the disk lock: %m");
        }
        return MOVE_PLANNED;
}

int config_overlay_before(const cJSON *j, const char *key, SourceSet *ret, bool *ret_recorded, char **ret_error) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_(source_set_done) SourceSet overlay = {};
        bool recorded = key && j && cJSON_GetObjectItemCaseSensitive(j, key);
        int r;

        if (recorded) {
                r = journal_get_undo(j, key, &u);
                if (r >= 0)
                        r = edit_undo_overlay(&u, NULL, &overlay);
                if (r < 0)
                        return error_set(ret_error, r,
                                         "Failed to read the configuration as it was before the interrupted %s "
                                         "(the files and backups listed under \"%s\" in %s): %m",
                                         streq(key, JOURNAL_ROLLBACK_UNDO) ? "rollback" : "move", key, JOURNAL_PATH);
        }
        *ret = overlay;
        overlay = (SourceSet){};
        *ret_recorded = recorded;
        return 0;
}

int config_load_before(const cJSON *j, const char *key, DockerConfig *ret, bool *ret_recorded, char **ret_error) {
        _cleanup_(source_set_done) SourceSet overlay = {};
        bool recorded;
        int r;

        r = config_overlay_before(j, key, &overlay, &recorded, ret_error);
        if (r < 0)
                return r;
        r = service_load_docker_config(NULL, INIT_UNKNOWN, recorded ? &overlay : NULL, ret);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read Docker's configuration: %m");
        if (ret_recorded)
                *ret_recorded = recorded;
        return 0;
}

/* A bind mount on path: the line of /etc/fstab that makes it, or else what
 * the mount table says (the device and the directory of it bound there). */
static int probe_bind(DataRootLink *l) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *mi = NULL, *fstab = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        struct libmnt_fs *fs;
        const char *root;
        int r;

        r = libmount_parse("/etc/fstab", LIBMOUNT_FSTAB, &fstab, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        fs = fstab ? mnt_table_find_target(fstab, l->path, MNT_ITER_BACKWARD) : NULL;
        if (fs && mnt_fs_get_srcpath(fs) &&
            (mnt_fs_get_option(fs, "bind", NULL, NULL) == 0 || mnt_fs_get_option(fs, "rbind", NULL, NULL) == 0)) {
                l->kind = DATA_ROOT_BIND;
                l->fstab = true;
                l->target = strdup(mnt_fs_get_srcpath(fs));
                return l->target ? 0 : -ENOMEM;
        }

        r = libmount_parse("/proc/self/mountinfo", LIBMOUNT_MOUNTINFO, &mi, &it);
        if (r < 0)
                return r;
        fs = mnt_table_find_target(mi, l->path, MNT_ITER_BACKWARD);
        root = fs ? mnt_fs_get_root(fs) : NULL;
        /* A filesystem of its own mounted there is no bind. */
        if (!root || streq(root, "/"))
                return 0;
        /* Nor is a directory bound on itself: dockerd does that to its own
         * root when that is on a mount without shared propagation. */
        for (struct libmnt_fs *o; mnt_table_next_fs(mi, it, &o) == 0;) {
                _cleanup_free_ char *same = NULL;

                if (mnt_fs_get_devno(o) != mnt_fs_get_devno(fs) || !streq_ptr(mnt_fs_get_root(o), "/") ||
                    !mnt_fs_get_target(o))
                        continue;
                same = path_join(mnt_fs_get_target(o), root);
                if (!same)
                        return -ENOMEM;
                if (streq(same, l->path))
                        return 0;
        }
        l->kind = DATA_ROOT_BIND;
        if (asprintf(&l->target, "%s of %s", root, strna(mnt_fs_get_source(fs))) < 0) {
                l->target = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* How the configured data root reaches its data (DataRootLink). */
static int probe_data_root_link(Move *m) {
        DataRootLink *l = &m->link;
        _cleanup_free_ char *real = NULL;
        struct stat st;
        int r;

        data_root_link_done(l);
        if (!m->cfg.data_root || !path_is_absolute(m->cfg.data_root))
                return 0;
        l->path = path_normalize(m->cfg.data_root);
        real = l->path ? move_realpath(l->path) : NULL;
        if (!real)
                return -ENOMEM;
        if (!streq(real, l->path)) {
                l->kind = DATA_ROOT_SYMLINK;
                l->target = TAKE_PTR(real);
                return 0;
        }
        if (lstat(l->path, &st) == 0 && S_ISLNK(st.st_mode)) {
                char buf[PATH_MAX];
                ssize_t n = readlink(l->path, buf, sizeof buf - 1);

                /* It did not resolve: a link that leads nowhere. */
                l->kind = DATA_ROOT_SYMLINK;
                l->dangling = true;
                l->target = strndup(n > 0 ? buf : "?", n > 0 ? (size_t) n : 1);
                return l->target ? 0 : -ENOMEM;
        }
        r = file_is_mount_point(l->path);
        if (r <= 0)
                return 0; /* missing, or no mount point: nothing to say */
        return probe_bind(l);
}

int probe_journal_and_config(Move *m, char **ret_error) {
        MovePhase p;
        int r;

        r = journal_load(NULL, &m->journal);
        if (r < 0 && r != -ENOENT)
                return error_set(ret_error, r, "Failed to read the journal %s: %m", JOURNAL_PATH);

        /* A run killed while it wrote the configuration recorded the files
         * first: the plan is made from them as they were. */
        p = m->journal ? journal_phase(m->journal) : PHASE_NONE;
        /* So is the one a killed rollback was putting back: that rollback
         * is finished from the configuration as it was before the move. */
        r = config_load_before(m->journal,
                               (p >= PHASE_PLANNED && p < PHASE_CONFIGURED) || p == PHASE_ROLLING_BACK
                                       ? JOURNAL_CONFIG_UNDO
                                       : NULL,
                               &m->cfg, &m->config_interrupted, ret_error);
        if (r < 0)
                return r;
        r = probe_data_root_link(m);
        if (r < 0)
                return error_set(ret_error, r, "Failed to find out how %s is reached: %m", strna(m->cfg.data_root));
        return 0;
}

static int probe_target_dir(Move *m, char **ret_error) {
        TargetDir *t = &m->target;
        struct stat st_new, st_old;
        struct statvfs sv;
        int r;

        if (stat(m->req.to, &st_new) < 0 || !S_ISDIR(st_new.st_mode))
                return 0;
        t->is_dir = true;
        /* Resolved once, placed and its filesystem checked (disk/target.h):
         * what is unfit is the planner's refusal. */
        r = target_check_dir(m->req.to, (const char *const[]){ m->old_root, NULL }, &t->path, &t->unfit);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check %s: %m", m->req.to);
        if (!t->path)
                t->path = move_realpath(m->req.to);
        if (!t->path)
                return -ENOMEM;
        t->same_fs = stat(m->old_root, &st_old) == 0 && st_old.st_dev == st_new.st_dev;
        /* A symlink or a bind that already leads to the target. */
        if (m->link.kind != DATA_ROOT_DIRECT && t->same_fs && st_old.st_ino == st_new.st_ino)
                m->link.is_target = true;
        r = mount_dir_is_empty(t->path);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check %s: %m", m->req.to);
        t->empty = r > 0;
        if (statvfs(t->path, &sv) == 0) {
                t->free_bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
                t->free_inodes = sv.f_favail;
                t->free_known = true;
        }
        return 0;
}

/* The volume as disk_prepare() would make it (a dry run: nothing written). A
 * failure to find out is a fact for the planner too: m->error. */
static int probe_volume(Move *m) {
        _cleanup_free_ char *err = NULL;
        PrepareRequest pr = move_prepare_request(m, true);
        int r;

        r = disk_prepare(&pr, &m->disk, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && !m->disk.refused)
                (void) error_set(&m->error, r, "Preparing %s failed: %s", m->req.device, err ?: strerror(-r));
        return 0;
}

/* Whether a change tracker can start on the old data root (the final pass
 * after a pre-copy then synchronises only what changed): started and
 * stopped at once. */
static int probe_tracker(Move *m) {
        _cleanup_(copy_tracker_freep) CopyTracker *t = NULL;
        int r;

        m->no_tracker = mfree(m->no_tracker);
        if (final_pass_full_walk_reason(m))
                return 0;
        r = copy_tracker_start(m->old_root, COPY_TRACKER_NO_THREAD, &t);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && asprintf(&m->no_tracker, "the change tracker cannot run: %s", strerror(-r)) < 0)
                return -ENOMEM;
        return 0;
}

int probe_host(Move *m, char **ret_error) {
        int r;

        r = daemon_probe(m->cfg.socket, &m->daemon, ret_error);
        if (r < 0)
                return r;
        m->have_rsync = find_executable("rsync", NULL);
        r = probe_tracker(m);
        if (r < 0)
                return r;
        r = selinux_detect(NULL, &m->selinux);
        if (r < 0)
                return r;
        r = copy_measure_tree(m->old_root, &m->size);
        if (r < 0)
                return error_set(ret_error, r, "Failed to measure %s: %m", m->old_root);
        /* Before the volume is checked: its size covers both trees. */
        r = probe_containerd(m, ret_error);
        if (r < 0)
                return r;
        r = m->req.device ? probe_volume(m) : probe_target_dir(m, ret_error);
        if (r < 0)
                return r;
        /* What the run writes beside the volume and Docker's configuration,
         * checked before anything is: never a formatted disk, then no way
         * to record the move. */
        r = precheck_writes((const PrecheckWrite[]){ { "the journal", JOURNAL_PATH, false, false },
                                                     { "the systemd drop-in directory",
                                                       m->cfg.init == INIT_SYSTEMD ? MOUNT_DROPIN_DIR : NULL, true,
                                                       true } },
                            2, &m->refusals);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check where the move writes: %m");
        return MOVE_PLANNED;
}
