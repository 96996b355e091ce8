/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The move as a table of steps, and the one driver that runs it: resuming
 * an interrupted move (a step whose phase the journal reached is skipped),
 * timing each step, writing the journal's phase after it, and the crash
 * points of the tests between steps. Whether a failure rolls back is
 * decided by failure_rolls_back() (rollback.c) from the phases, for every
 * step alike. A dry run names the steps a run would take by walking the
 * same tables with the same tests (steps_plan()).
 *
 * A new step is a row and a small function. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "copy/copy.h"
#include "copy/rebase.h"
#include "disk/mount-dropin.h"
#include "move/move-internal.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"

typedef struct Step {
        const char *name; /* in the step log and the journal's "steps" */
        const char *done; /* the crash point right after it (util/test-hook.h) */
        MovePhase phase;  /* the journal phase the move reaches with it; PHASE_NONE: none of its own,
                           * and it runs on every run, a resumed one too */
        int (*run)(Move *m, char **ret_error);
        bool (*wanted)(const Move *m); /* NULL: in every move */
        const char *doing;             /* what the user is told as it begins; NULL: nothing */
} Step;

static bool with_device(const Move *m) {
        return m->req.device;
}

static bool with_pre_copy(const Move *m) {
        return m->req.pre_copy;
}

static bool with_delete_old(const Move *m) {
        return m->req.delete_old;
}

static bool with_containerd_pre_copy(const Move *m) {
        return with_containerd(m) && with_pre_copy(m);
}

static bool with_containerd_delete_old(const Move *m) {
        return with_containerd(m) && with_delete_old(m);
}

/* Until Docker was verified on the new root; a resumed run past that has
 * nothing left to check before the start. */
static bool before_start(const Move *m) {
        return m->phase < PHASE_VERIFIED;
}

/* containerd's stop is checked before its root is copied; once the
 * configuration is written, a resumed run may find it started again with
 * Docker (a run killed after the start, a reboot), as it should be. */
static bool with_containerd_before_configured(const Move *m) {
        return with_containerd(m) && m->phase < PHASE_CONFIGURED;
}

/* The volume, mounted where the plan said (again, on a resumed run: after a
 * reboot it may not be). */
static int step_prepare(Move *m, char **ret_error) {
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

static int step_pre_copy(Move *m, char **ret_error) {
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
static int step_record(Move *m, char **ret_error) {
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
static int step_stop(Move *m, char **ret_error) {
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

static int step_copy(Move *m, char **ret_error) {
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
static int step_configure(Move *m, char **ret_error) {
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

static int step_start_verify(Move *m, char **ret_error) {
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

/* Made ready before anything is recorded: a failure here touched nothing
 * but the target. */
/* clang-format off */
static const Step target_steps[] = {
        /* name                 crash point    phase reached      function                 wanted */
        { "prepare",            "prepared",    PHASE_NONE,        step_prepare,            with_device,
          "Preparing the volume" },
};

/* The move, recorded in the journal from its first step on. A failure rolls
 * back from "stop" to "start-verify" (failure_rolls_back()). The rows of
 * containerd's root (containerd.c) run where the system containerd's root
 * holds Docker's images and moves too; several rows may reach one phase. */
static const Step move_steps[] = {
        /* name                    crash point               phase reached      function                     wanted */
        { "pre-copy",              "pre-copied",             PHASE_PRECOPIED,   step_pre_copy,               with_pre_copy,
          "Copying while Docker runs (pre-copy)" },
        { "pre-copy-containerd",   "pre-copied-containerd",  PHASE_PRECOPIED,   step_pre_copy_containerd,    with_containerd_pre_copy,
          "Copying containerd's root while it runs (pre-copy)" },
        { "record",                "recorded",               PHASE_NONE,        step_record },
        { "stop",                  "stopped",                PHASE_STOPPED,     step_stop,                   NULL,
          "Stopping the running containers and Docker" },
        { "check-stopped",         "checked-stopped",        PHASE_NONE,        step_check_stopped,          with_containerd_before_configured },
        { "copy",                  "copied",                 PHASE_COPIED,      step_copy,                   NULL,
          "Copying with Docker stopped (final pass)" },
        { "copy-containerd",       "copied-containerd",      PHASE_COPIED,      step_copy_containerd,        with_containerd,
          "Copying containerd's root with containerd stopped (final pass)" },
        { "selinux-label",         "selinux-labelled",       PHASE_COPIED,      step_selinux_label,          with_selinux,
          "Labelling the new trees for SELinux" },
        { "configure",             "configured",             PHASE_CONFIGURED,  step_configure },
        { "check-before-start",    "checked-before-start",   PHASE_NONE,        step_check_before_start,     before_start },
        { "start-verify",          "verified",               PHASE_VERIFIED,    step_start_verify,           NULL,
          "Starting Docker on the new data root" },
        { "restart-containers",    "restarted",              PHASE_DONE,        step_restart_containers },
        { "delete-old",            "deleted-old",            PHASE_CLEANED,     step_delete_old,             with_delete_old },
        { "delete-old-containerd", "deleted-old-containerd", PHASE_CLEANED,     step_delete_old_containerd,  with_containerd_delete_old },
};
/* clang-format on */

static void announce(const Move *m, const char *step, const char *doing, double seconds) {
        if (m->req.step)
                m->req.step(m, step, doing, seconds, m->req.userdata);
}

/* Done by this run or the one it resumes: the journal is past the step's
 * phase, or at it with the step among its steps (several steps reach one
 * phase: a run killed between them did the first only). */
static bool step_done_before(const Move *m, const Step *s) {
        if (s->phase == PHASE_NONE)
                return false;
        return m->phase > s->phase || (m->phase == s->phase && journal_has_step(m->journal, s->name, m->steps_from));
}

/* Whether this run takes the step: the move wants it, and neither this run
 * nor the one it resumes did it. */
static bool step_wanted(const Move *m, const Step *s) {
        return (!s->wanted || s->wanted(m)) && !step_done_before(m, s);
}

/* The journal's phase with the step done: its own, if it has one, once the
 * journal is opened. */
static void step_reached(Move *m, const Step *s) {
        if (m->phase != PHASE_NONE && s->phase != PHASE_NONE)
                m->phase = s->phase;
}

/* Runs one step. Returns 0 to go on, or the outcome the move ended with. */
static int run_step(Move *m, const Step *s) {
        _cleanup_free_ char *error = NULL;
        double seconds;
        int r;

        if (!step_wanted(m, s))
                return 0;
        /* Asked to stop (a SIGINT, SIGTERM or SIGHUP, interrupt.h): here,
         * between two steps, while the move can still be taken back. Once
         * Docker is verified on the new root what is left is quick, and
         * the move is finished instead. */
        if (interrupt_pending() && m->phase < PHASE_VERIFIED) {
                char *why;

                if (asprintf(&why, "Interrupted by %s before the step \"%s\"",
                             interrupt_signal_name(interrupt_pending()), s->name) < 0)
                        return -ENOMEM;
                free(m->error);
                m->error = why;
                return move_fail(m, m->phase);
        }

        announce(m, s->name, s->doing, -1);
        step_log_begin(&m->steps);
        r = s->run(m, &error);
        if (r == -ECANCELED && m->phase == PHASE_NONE && m->disk.refused) {
                /* The volume, checked again as it was to be prepared, is
                 * refused (it changed since the plan looked at it): not a
                 * byte was written, and nothing else was done yet. */
                free(m->error);
                m->error = error ? TAKE_PTR(error) : NULL;
                if (strv_extend_strv(&m->refusals, m->disk.refusals) < 0)
                        return -ENOMEM;
                return m->outcome = MOVE_REFUSED;
        }
        if (r < 0) {
                free(m->error);
                m->error = error ? TAKE_PTR(error) : strdup(strerror(-r));
                return move_fail(m, s->phase);
        }
        if (r == STEP_SKIPPED)
                return 0;

        r = step_log_add(&m->steps, "%s", s->name);
        if (r < 0)
                return r;
        seconds = m->steps.seconds[m->steps.n - 1];
        step_reached(m, s);
        /* Before the journal is opened, m->journal is an earlier move's. */
        if (m->phase != PHASE_NONE) {
                /* The record of the steps is best effort: a journal that
                 * cannot be written now still says where the move is. */
                (void) journal_add_step(m->journal, s->name, seconds);
                (void) journal_save_phase(m->journal, m->phase);
        }
        announce(m, s->name, NULL, seconds);
        test_hook_crash("%s", s->done);
        test_hook_pause(s->done);
        return 0;
}

static int run_steps(Move *m, const Step *table, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int r = run_step(m, table + i);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* The journal of this move, at PHASE_PLANNED; a resumed move has its own. */
static int journal_open(Move *m) {
        cJSON *j = NULL;
        int r;

        if (m->phase != PHASE_NONE)
                return 0;
        r = journal_new(init_system_to_string(m->cfg.init), m->cfg.socket, m->old_root, m->new_root, m->device,
                        m->target_mount, &j);
        /* How Docker keeps its images, and where containerd's root goes,
         * known to any run that finds this journal. */
        if (r >= 0 && m->store.store)
                r = journal_set_store(j, &m->store);
        if (r >= 0 && m->link.kind == DATA_ROOT_SYMLINK)
                r = json_set(j, JOURNAL_OLD_ROOT_NAMED, cJSON_CreateString(m->link.path));
        if (r < 0) {
                cJSON_Delete(j);
                return r;
        }
        cJSON_Delete(m->journal);
        m->journal = j;
        r = journal_save(NULL, m->journal);
        if (r < 0) {
                (void) error_set(&m->error, r, "Cannot write the journal %s: %m", JOURNAL_PATH);
                return move_fail(m, PHASE_NONE);
        }
        m->phase = PHASE_PLANNED;
        test_hook_crash("journal-opened");
        return 0;
}

/* Where a run of the plan begins: at the phase the run it resumes reached,
 * unless the host changed since. */
static void run_begin(Move *m) {
        m->phase = m->resume_phase;
        /* Docker came back on the old root since the run this one resumes
         * stopped it (a reboot, a human): start over from a live copy. */
        if (m->daemon.running && m->phase >= PHASE_STOPPED && m->phase < PHASE_CONFIGURED) {
                m->phase = PHASE_PLANNED;
                /* The steps the journal lists so far are of the run that
                 * stopped Docker, not of this one. */
                m->steps_from = journal_n_steps(m->journal);
        }

        /* Killed after Docker was verified on the new root: it may have
         * been stopped, or put back on the old root, since (a reboot, a
         * human). Started and verified again before the move is called
         * done and before --delete-old may touch the old root; should that
         * fail, the move rolls back as at its first start. */
        if (m->phase == PHASE_VERIFIED && !(m->daemon.running && streq_ptr(m->daemon.root_dir, m->new_root)))
                m->phase = PHASE_CONFIGURED;
}

/* The names of the steps of table a run takes, from m->phase on. */
static int plan_table(Move *m, const Step *table, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const Step *s = table + i;
                int r;

                if (!step_wanted(m, s))
                        continue;
                r = step_log_add(&m->planned_steps, "%s", s->name);
                if (r < 0)
                        return r;
                step_reached(m, s);
        }
        return 0;
}

int steps_plan(Move *m) {
        MovePhase phase = m->phase;
        size_t from = m->steps_from;
        int r;

        step_log_done(&m->planned_steps);
        /* move_finish_rollback() takes none of the move's steps. */
        if (m->resume_phase == PHASE_ROLLING_BACK)
                return 0;
        /* The run, walked without acting: each step a run would take, by
         * the same rows and the same tests, the phase moved on as each is
         * done. A step may still find at its turn that it has nothing to
         * do (STEP_SKIPPED); the plan cannot know that. */
        run_begin(m);
        r = plan_table(m, target_steps, ELEMENTSOF(target_steps));
        if (r >= 0 && m->phase == PHASE_NONE) {
                /* journal_open(): a new journal, whatever steps an earlier
                 * move's lists. */
                m->phase = PHASE_PLANNED;
                m->steps_from = journal_n_steps(m->journal);
        }
        if (r >= 0)
                r = plan_table(m, move_steps, ELEMENTSOF(move_steps));
        m->phase = phase;
        m->steps_from = from;
        return r;
}

int steps_run(Move *m) {
        int r;

        m->t_run = now_ms();
        if (m->resume_phase == PHASE_ROLLING_BACK) {
                r = move_finish_rollback(m);
                return move_resume_itable_init(m) < 0 ? -ENOMEM : r;
        }
        run_begin(m);

        r = run_steps(m, target_steps, ELEMENTSOF(target_steps));
        if (r == 0)
                r = journal_open(m);
        if (r == 0)
                r = run_steps(m, move_steps, ELEMENTSOF(move_steps));
        if (move_resume_itable_init(m) < 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        return m->outcome = r == 0 ? MOVE_DONE : r;
}
