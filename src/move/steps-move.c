/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The move's own steps, rows of the tables in steps.c: the volume made
 * ready, the two passes of the copy, the record of what Docker holds, the
 * stop, the configuration and the verified start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "copy/copy.h"
#include "disk/mount-dropin.h"
#include "move/move-internal.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"

/* The volume, mounted where the plan said (again, on a resumed run: after a
 * reboot it may not be). */
int step_prepare(Move *m, char **ret_error) {
        _cleanup_free_ char *err = NULL;
        DiskIdentity planned = m->disk.identity; /* what the plan looked at, for the act to insist on */
        PrepareRequest pr = move_prepare_request(m, false);
        struct statvfs sv;
        int r;

        pr.expect = &planned;
        /* The copy first, ext4's zeroing of a new filesystem's inode
         * tables after it (resume_itable_init()). */
        pr.defer_itable_init = true;
        prepare_result_done(&m->disk);
        r = disk_prepare(&pr, &m->disk, &err);
        /* What the failure left is said once the move took back what it
         * could (move_execute()), from m->disk.done: not here. */
        m->disk_failed = r < 0 && !m->disk.refused;
        if (m->disk_failed)
                return error_set(ret_error, r, "The move's disk step failed, making %s ready on %s: %s", m->req.device,
                        m->disk.mount ?: pr.mount, err ?: strerror(-r));
        if (m->disk.refused)
                return error_set(ret_error, -ECANCELED, "%s was refused: %s", m->req.device,
                                 m->disk.refusals ? m->disk.refusals[0] : "unsafe");
        STRV_FOREACH(w, m->disk.warnings)
                if (strv_extendf_unique(&m->warnings, "%s", *w) < 0)
                        return -ENOMEM;
        free(m->device);
        m->device = strdup(m->disk.fs_node ?: m->req.device);
        if (!m->device)
                return -ENOMEM;
        if (m->disk.mount && statvfs(pr.mount, &sv) == 0) {
                m->target_free_bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
                m->target_free_inodes = sv.f_favail;
                m->free_known = true;
        }
        r = mkdir_p(m->new_root, 0710);
        if (r < 0)
                return error_set(ret_error, r, "Cannot create %s: %m", m->new_root);
        return 0;
}

/* The copy's data on the target's disk before the pass counts as done. Left
 * in the page cache, the writeback of a whole tree falls on dockerd's first
 * journal commit on the new root (ext4 commits a file's metadata only after
 * its data), and Docker, just started, answers only once gigabytes are
 * written: seconds more of downtime. After the live pre-copy this runs while
 * Docker still serves; after the final pass little is left to write. */
static int sync_target(const char *dst, CopyPass pass) {
        _cleanup_close_ int fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (fd < 0 || syncfs(fd) < 0)
                return negative_errno();
        /* After the real sync: a failure the disk reports at writeback. */
        r = test_hook_fail(pass == COPY_PASS_LIVE ? "sync-live" : "sync-final");
        if (r < 0)
                return r;
        return 0;
}

int move_copy_with(Move *m, const char *src, const char *dst, CopyPass pass, const TreeSize *size,
                   const CopyChanges *changes, CopyStats *stats, bool *ret_rsync, char **ret_message) {
        _cleanup_free_ char *fallback = NULL;
        CopyRequest req = {
                .copier = m->req.copier,
                .pass = pass,
                .progress = m->req.progress,
                .userdata = m->req.userdata,
                .expected_bytes = size->apparent_bytes,
                .expected_inodes = size->inodes,
                .changes = changes,
                .stats = stats,
        };
        int r;

        r = copy_tree_by(&req, src, dst, &fallback, ret_message);
        if (ret_rsync)
                *ret_rsync = m->req.copier == COPIER_RSYNC || fallback;
        if (fallback && strv_extendf_unique(&m->warnings, "%s", fallback) < 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        r = sync_target(dst, pass);
        if (r < 0 && ret_message) {
                free(*ret_message);
                if (asprintf(ret_message, "Cannot write the copy in %s to its disk: %s", dst, strerror(-r)) < 0)
                        *ret_message = NULL;
        }
        return r;
}

int move_copy(Move *m, const char *src, const char *dst, CopyPass pass, const TreeSize *size, char **ret_message) {
        return move_copy_with(m, src, dst, pass, size, NULL, NULL, NULL, ret_message);
}

int step_pre_copy(Move *m, char **ret_error) {
        _cleanup_free_ char *msg = NULL;
        int r;

        r = final_pass_track(m, MOVE_TREE_DATA_ROOT, m->old_root);
        if (r < 0)
                return r;
        r = move_copy(m, m->old_root, m->new_root, COPY_PASS_LIVE, &m->size, &msg);
        if (r < 0)
                return error_set(ret_error, r, "The live copy failed: %s", msg ?: strerror(-r));
        return 0;
}

/* A run killed while it stopped the containers left some stopped that ran:
 * those the run it resumes recorded as running (and that still exist) are
 * running ones all the same, to be started again. */
static int keep_recorded_running(Move *m) {
        _cleanup_(docker_content_done) DockerContent before = {};
        int r;

        r = journal_get_content(m->journal, &before);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        STRV_FOREACH(id, before.running)
                if (strv_contains(m->content.containers, *id) && !strv_contains(m->content.running, *id)) {
                        r = strv_extend(&m->content.running, *id);
                        if (r < 0)
                                return r;
                }
        strv_sort(m->content.running);
        return 0;
}

/* What must be there afterwards: asked of the Engine while Docker runs on
 * the old root, or, when the run this one resumes stopped Docker, read back
 * from its journal. */
int step_record(Move *m, char **ret_error) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        docker_content_done(&m->content);
        /* Docker down before the stop: the run this one resumes was killed
         * while it stopped Docker (the plan checked the record is there). */
        if (m->phase >= PHASE_STOPPED || !m->daemon.running) {
                r = journal_get_content(m->journal, &m->content);
                if (r < 0)
                        return error_set(ret_error, r,
                                         "The journal %s lacks the recorded content; cannot verify a resumed move.",
                                         JOURNAL_PATH);
                return 0;
        }
        r = docker_open(m->cfg.socket, &e);
        if (r >= 0)
                r = content_record(e, &m->content, &err);
        if (r < 0)
                return error_set(ret_error, r, "Recording images, containers and volumes failed: %s",
                                 err ?: strerror(-r));
        r = keep_recorded_running(m);
        if (r < 0)
                return r;
        return journal_set_content(m->journal, &m->content);
}

/* The running containers, then Docker. Stopping each container through the
 * API first gives it its normal grace period (as "docker stop" does); left
 * to the init script, a container that ignores SIGTERM outlives the
 * script's own timeout, the daemon is killed, and its mounts stay behind
 * under the old root. With live-restore on, the containers would not stop
 * with the daemon at all. */
int step_stop(Move *m, char **ret_error) {
        int r;

        m->t_stopped = now_ms();
        /* Found down (a run killed while it stopped Docker): no container
         * to stop through it, but the service stopped for good. */
        if (!m->daemon.running)
                return docker_stop(m, ret_error);
        /* All at once: the stop takes the longest grace period, not their
         * sum. */
        r = docker_stop_containers(m->cfg.socket, m->content.running, ret_error);
        if (r < 0)
                return r;
        test_hook_crash("containers-stopped");
        return docker_stop(m, ret_error);
}

int step_copy(Move *m, char **ret_error) {
        _cleanup_strv_free_ char **mounts = NULL;
        _cleanup_free_ char *msg = NULL, *list = NULL;
        unsigned files = 0, paths = 0;
        int r;

        r = copy_mounts_below("/proc/self/mountinfo", m->old_root, &mounts);
        if (r < 0)
                return error_set(ret_error, r, "Cannot read the mount table: %m");
        if (strv_length(mounts) > 0) {
                list = strv_join(mounts, ", ");
                return error_set(ret_error, -EBUSY,
                                 "Docker is stopped but mounts below %s remain (%s): a container runtime still holds "
                                 "them.",
                                 m->old_root, strna(list));
        }
        r = move_copy_final(m, MOVE_TREE_DATA_ROOT, m->old_root, m->new_root, &m->size, &msg);
        if (r < 0)
                return error_set(ret_error, r, "The copy failed: %s", msg ?: strerror(-r));
        /* Docker writes absolute paths into each container's config.v2.json
         * (volume mount sources, log, hosts and resolv.conf paths) and checks
         * them at start: in the copy they must name the new root, or the
         * containers break once the old tree is gone. Only the copy is
         * edited. */
        r = rebase_container_configs(m->new_root, m->old_root, &files, &paths);
        if (r < 0)
                return error_set(ret_error, r, "Rewriting the container configurations in %s failed: %m", m->new_root);
        return 0;
}

int plan_mount_dropin(Move *m) {
        _cleanup_free_ char *path = NULL, *content = NULL, *old = NULL;
        int r;

        if (m->cfg.init != INIT_SYSTEMD)
                return 0;
        path = path_join(MOUNT_DROPIN_DIR, MOUNT_DROPIN_NAME);
        if (!path)
                return -ENOMEM;
        r = mount_dropin_content(m->new_root, &content);
        if (r < 0)
                return r;
        r = read_full_file(path, 0, &old, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        r = edit_plan_add(&m->edit, path, old, content, 0644);
        if (r < 0)
                return r;
        return plan_containerd_dropin(m);
}

/* The data root, rewritten in its one place. */
int step_configure(Move *m, char **ret_error) {
        _cleanup_free_ char *why = NULL;
        int r;

        if (m->config_interrupted) {
                /* The plan was made from the files as they were before the
                 * killed run wrote some of them: they must be so again
                 * before it is applied. */
                r = config_restore(m->journal, JOURNAL_CONFIG_UNDO, &why);
                if (r < 0)
                        return error_set(ret_error, r,
                                         "Putting back the configuration the interrupted move had begun to write "
                                         "failed: %s",
                                         strna(why));
                m->config_interrupted = false;
        }
        r = plan_mount_dropin(m);
        if (r < 0)
                return error_set(ret_error, r, "Preparing the RequiresMountsFor drop-in failed: %m");
        /* Write-ahead: the journal says how to undo every file before the
         * first is changed, so that a crash at any point of this step can be
         * undone by the next run. */
        r = journal_apply_plan(NULL, m->journal, JOURNAL_CONFIG_UNDO, &m->edit);
        if (r < 0)
                return error_set(ret_error, r, "Writing the configuration failed: %m");
        /* No "dockerd --validate" here: the plan proved these very files
         * with it (and the flags they meet) before anything was stopped,
         * and each run of dockerd costs Docker's downtime a fraction of a
         * second. */
        return docker_reload(m->cfg.init, ret_error);
}

int step_start_verify(Move *m, char **ret_error) {
        _cleanup_free_ char *reason = NULL;
        struct stat st_root, st_mount;
        int r;

        r = docker_start(m, ret_error);
        if (r < 0)
                return r;
        test_hook_crash("docker-started");
        r = verify_docker(m->cfg.socket, m->new_root, &m->store, &m->content, &reason);
        if (r >= 0)
                r = verify_containerd(m, true, &reason);
        if (r < 0)
                return error_set(ret_error, r, "Verification failed: %s", strna(reason));
        if (stat(m->new_root, &st_root) == 0 && m->target_mount && stat(m->target_mount, &st_mount) == 0 &&
            st_root.st_dev != st_mount.st_dev)
                return error_set(ret_error, -EXDEV, "%s is not on the target filesystem %s.", m->new_root,
                                 m->target_mount);
        m->downtime_sec = (now_ms() - (m->t_stopped ?: m->t_run)) / 1000.0;
        r = json_set(m->journal, "downtime_seconds", cJSON_CreateNumber(m->downtime_sec));
        if (r < 0)
                return r;
        /* The copy is now Docker's own: no longer a copy in progress. */
        (void) copy_unmark(m->new_root);
        if (with_containerd(m))
                (void) copy_unmark(m->store.new_containerd_root);
        return 0;
}
