/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "config/docker-config.h"
#include "copy/rebase.h"
#include "config/edit.h"
#include "disk/mount-dropin.h"
#include "disk/mount.h"
#include "disk/prepare.h"
#include "disk/safety.h"
#include "disk/state.h"
#include "disk/target.h"
#include "engine/engine.h"
#include "move/journal.h"
#include "move/move.h"
#include "output/journald.h"
#include "output/output.h"
#include "service/service.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/precheck.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"

#define DEFAULT_MOUNT "/mnt/docker-data"
#define SERVICE_TIMEOUT_MS (180U * 1000U)
#define ENGINE_TIMEOUT_MS (60U * 1000U)
/* What the estimate assumes the copy reaches: an EBS gp3 baseline. */
#define ASSUMED_COPY_RATE (125.0 * 1000 * 1000)

struct Move {
        MoveRequest req;
        int lock_fd;
        int disk_lock_fd;
        cJSON *journal;
        MovePhase resume_phase; /* the phase an interrupted move stopped at, PHASE_NONE otherwise */
        bool done_already;

        DockerConfig cfg;
        char *old_root;
        char *new_root;
        char *target_mount;
        char *device;

        bool docker_running;
        bool live_restore;

        char **images;
        char **volumes;
        char **containers;
        char **running;

        TreeSize size;
        uint64_t target_free_bytes, target_free_inodes;
        bool free_known;
        PrepareResult disk;
        EditPlan edit;
        char *diff;
        /* A run killed while it rewrote the configuration left its files
         * half way; the plan is made from them as they were before, and they
         * are put back before the plan is applied. */
        bool config_interrupted;

        char **refusals;
        char **warnings;
        char **plan_steps;
        cJSON *steps;
        double estimate_sec;
        double downtime_sec;
        unsigned long long t_stopped;

        const char *status;
        bool changed;
        int exit_code;
        char *error;
        char *advice; /* what a human should do, for exit 5 */
};

static int add(char ***l, const char *format, ...) _printf_(2, 3);
static int add(char ***l, const char *format, ...) {
        va_list ap;
        char *m;
        int r;

        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(l, m);
}

Move *move_free(Move *m) {
        if (!m)
                return NULL;
        if (m->lock_fd >= 0)
                close(m->lock_fd);
        if (m->disk_lock_fd >= 0)
                close(m->disk_lock_fd);
        cJSON_Delete(m->journal);
        docker_config_done(&m->cfg);
        free(m->old_root);
        free(m->new_root);
        free(m->target_mount);
        free(m->device);
        strv_free(m->images);
        strv_free(m->volumes);
        strv_free(m->containers);
        strv_free(m->running);
        prepare_result_done(&m->disk);
        edit_plan_done(&m->edit);
        free(m->diff);
        strv_free(m->refusals);
        strv_free(m->warnings);
        strv_free(m->plan_steps);
        cJSON_Delete(m->steps);
        free(m->error);
        free(m->advice);
        free(m);
        return NULL;
}

static double seconds_since(unsigned long long t0) {
        return (now_ms() - t0) / 1000.0;
}

/* What every journal entry of this move names. */
static JournaldMove journald_fields(const Move *m) {
        return (JournaldMove){ .device = m->device ?: m->req.device,
                               .volume_id = m->disk.volume_id,
                               .old_root = m->old_root,
                               .new_root = m->new_root };
}

static int record_step(Move *m, const char *name, unsigned long long t0) {
        cJSON *s = cJSON_CreateObject();
        double secs = seconds_since(t0);
        JournaldMove fields = journald_fields(m);

        if (!s)
                return -ENOMEM;
        cJSON_AddStringToObject(s, "name", name);
        cJSON_AddNumberToObject(s, "seconds", (double) (long long) (secs * 10 + 0.5) / 10);
        cJSON_AddItemToArray(m->steps, s);
        log_info("  done: %s (%.1f s)", name, secs);
        journald_move_step(&fields, name, secs);
        if (m->journal) {
                int r = journal_add_step(m->journal, name, secs);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int set_error(Move *m, const char *format, ...) _printf_(2, 3);
static int set_error(Move *m, const char *format, ...) {
        va_list ap;
        char *e;

        va_start(ap, format);
        if (vasprintf(&e, format, ap) < 0)
                e = NULL;
        va_end(ap);
        if (e) {
                free(m->error);
                m->error = e;
        }
        return -EIO;
}

static char *realpath_or_copy(const char *p) {
        char *r = realpath(p, NULL);
        return r ?: strdup(p);
}

/* ---- the journal ---------------------------------------------------------- */

static int journal_write(Move *m, MovePhase phase) {
        int r = journal_set_phase(m->journal, phase);
        if (r >= 0)
                r = journal_save(NULL, m->journal);
        if (r < 0)
                log_warning_errno(r, "Failed to write the journal %s: %m", JOURNAL_PATH);
        return r;
}

static cJSON *strv_json(char *const *l) {
        return json_string_array(l);
}

static char **json_strv(const cJSON *a) {
        char **l = NULL;
        const cJSON *i;

        cJSON_ArrayForEach(i, a) if (cJSON_IsString(i) && strv_extend(&l, i->valuestring) < 0) return strv_free(l);
        if (!l)
                l = calloc(1, sizeof(char *));
        return l;
}

static int journal_new(Move *m) {
        cJSON *j = cJSON_CreateObject();
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        if (!j)
                return -ENOMEM;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
        cJSON_AddNumberToObject(j, "version", 1);
        cJSON_AddStringToObject(j, "started", stamp);
        cJSON_AddStringToObject(j, "init_system", init_system_to_string(m->cfg.init));
        cJSON_AddStringToObject(j, "socket", m->cfg.socket);
        cJSON_AddStringToObject(j, "old_data_root", m->old_root);
        cJSON_AddStringToObject(j, "new_data_root", m->new_root);
        json_add_string_or_null(j, "device", m->device);
        json_add_string_or_null(j, "mount", m->target_mount);
        cJSON_Delete(m->journal);
        m->journal = j;
        return journal_write(m, PHASE_PLANNED);
}

static int journal_record_sets(Move *m) {
        cJSON *rec = cJSON_CreateObject();

        if (!rec)
                return -ENOMEM;
        cJSON_AddItemToObject(rec, "images", strv_json(m->images));
        cJSON_AddItemToObject(rec, "containers", strv_json(m->containers));
        cJSON_AddItemToObject(rec, "volumes", strv_json(m->volumes));
        cJSON_AddItemToObject(rec, "running", strv_json(m->running));
        if (cJSON_GetObjectItemCaseSensitive(m->journal, "recorded"))
                cJSON_ReplaceItemInObjectCaseSensitive(m->journal, "recorded", rec);
        else
                cJSON_AddItemToObject(m->journal, "recorded", rec);
        return 0;
}

static int journal_read_sets(Move *m) {
        const cJSON *rec = cJSON_GetObjectItemCaseSensitive(m->journal, "recorded");

        if (!rec)
                return -ENOENT;
        m->images = json_strv(cJSON_GetObjectItemCaseSensitive(rec, "images"));
        m->containers = json_strv(cJSON_GetObjectItemCaseSensitive(rec, "containers"));
        m->volumes = json_strv(cJSON_GetObjectItemCaseSensitive(rec, "volumes"));
        m->running = json_strv(cJSON_GetObjectItemCaseSensitive(rec, "running"));
        return m->images && m->containers && m->volumes && m->running ? 0 : -ENOMEM;
}

/* Docker's configuration as it was before the change recorded under key in
 * the journal j, which a killed run may have left half written: every file of
 * the record reads as its backup (or as missing, when the change created it).
 * Without a record (key NULL, or nothing recorded under it), the
 * configuration as it is. *ret_recorded (may be NULL) says which. Reads only;
 * logs on failure. */
static int config_load_before(const cJSON *j, const char *key, DockerConfig *ret, bool *ret_recorded) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_(source_set_done) SourceSet overlay = {};
        bool recorded = key && j && cJSON_GetObjectItemCaseSensitive(j, key);
        int r;

        if (ret_recorded)
                *ret_recorded = recorded;
        if (recorded) {
                r = journal_get_undo(j, key, &u);
                if (r >= 0)
                        r = edit_undo_overlay(&u, NULL, &overlay);
                if (r < 0)
                        return log_error_errno(r,
                                               "Failed to read Docker's configuration as it was before the "
                                               "interrupted %s (the files and backups listed under \"%s\" in "
                                               "%s): %m",
                                               streq(key, JOURNAL_ROLLBACK_UNDO) ? "rollback" : "move", key,
                                               JOURNAL_PATH);
        }
        r = docker_config_load(NULL, INIT_UNKNOWN, recorded ? &overlay : NULL, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to read Docker's configuration: %m");
        return 0;
}

/* Puts back every file of the change recorded under key (nothing when there
 * is no record: the configuration was not touched). On failure, why in
 * *ret_reason. */
static int config_restore(Move *m, const char *key, char **ret_reason) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_strv_free_ char **changed = NULL;
        _cleanup_free_ char *list = NULL;
        int r;

        r = journal_get_undo(m->journal, key, &u);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return asprintf(ret_reason, "the record \"%s\" in %s is unreadable: %s", key, JOURNAL_PATH,
                                strerror(-r)) < 0
                               ? -ENOMEM
                               : r;
        r = edit_undo_restore(&u, NULL, &changed);
        if (r == -EBUSY) {
                list = strv_join(changed, ", ");
                return asprintf(ret_reason,
                                "%s changed since this tool wrote it (neither its old content nor the new); it was "
                                "left as it is",
                                strna(list)) < 0
                               ? -ENOMEM
                               : r;
        }
        if (r < 0)
                return asprintf(ret_reason, "restoring the configuration failed: %s", strerror(-r)) < 0 ? -ENOMEM : r;
        return 0;
}

/* ---- the daemon ------------------------------------------------------------- */

static int engine_open(const char *socket, Engine **ret) {
        return engine_new(socket, ENGINE_TIMEOUT_MS, ret);
}

/* Image ids, container ids (with the running ones apart) and volume names:
 * what must be the same after the move. */
static int record_content(Engine *e, char ***ret_images, char ***ret_containers, char ***ret_running,
                          char ***ret_volumes) {
        _cleanup_strv_free_ char **images = NULL, **containers = NULL, **running = NULL, **volumes = NULL;
        _cleanup_engine_containers_ EngineContainers *list = NULL;
        int r;

        r = engine_list_images(e, &images);
        if (r < 0)
                return r;
        r = engine_list_containers(e, false, &list);
        if (r < 0)
                return r;
        r = engine_list_volumes(e, &volumes);
        if (r < 0)
                return r;
        for (size_t i = 0; i < list->n; i++) {
                r = strv_extend(&containers, list->items[i].id);
                if (r >= 0 && streq_ptr(list->items[i].state, "running"))
                        r = strv_extend(&running, list->items[i].id);
                if (r < 0)
                        return r;
        }
        /* Empty sets are sets too. */
        if (!images && !(images = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if (!containers && !(containers = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if (!running && !(running = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if (!volumes && !(volumes = calloc(1, sizeof(char *))))
                return -ENOMEM;
        strv_sort(images);
        strv_sort(containers);
        strv_sort(running);
        strv_sort(volumes);
        *ret_images = TAKE_PTR(images);
        *ret_containers = TAKE_PTR(containers);
        *ret_running = TAKE_PTR(running);
        *ret_volumes = TAKE_PTR(volumes);
        return 0;
}

static char *describe_difference(const char *what, char *const *before, char *const *after) {
        char *s = NULL;
        size_t missing = 0, extra = 0;
        const char *example = NULL;

        STRV_FOREACH(b, before)
                if (!strv_contains(after, *b)) {
                        missing++;
                        example = example ?: *b;
                }
        STRV_FOREACH(a, after)
                if (!strv_contains(before, *a))
                        extra++;
        if (asprintf(&s, "%s differ: %zu missing%s%s%s, %zu unexpected", what, missing, example ? " (e.g. " : "",
                     example ? example : "", example ? ")" : "", extra) < 0)
                return NULL;
        return s;
}

/* The daemon answers on the socket, runs on expected_root, and holds exactly
 * the recorded images, containers and volumes (when they were recorded: a
 * run killed between stopping Docker and saving the journal left none, and
 * then the root is all that can be checked). */
static int verify_daemon(Move *m, const char *expected_root, char **ret_reason) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_engine_info_ EngineInfo *info = NULL;
        _cleanup_strv_free_ char **images = NULL, **containers = NULL, **running = NULL, **volumes = NULL;
        _cleanup_free_ char *want = realpath_or_copy(expected_root), *got = NULL;
        int r;

        r = engine_open(m->cfg.socket, &e);
        if (r >= 0)
                r = engine_wait_ready(e, ENGINE_TIMEOUT_MS);
        if (r < 0)
                return asprintf(ret_reason, "the Engine API does not answer on %s: %s", m->cfg.socket,
                                e && engine_last_error(e) ? engine_last_error(e) : strerror(-r)) < 0
                               ? -ENOMEM
                               : -EPROTO;
        r = engine_info(e, &info);
        if (r < 0)
                return asprintf(ret_reason, "GET /info failed: %s", strna(engine_last_error(e))) < 0 ? -ENOMEM : -EPROTO;
        got = realpath_or_copy(strempty(info->docker_root_dir));
        if (!want || !got)
                return -ENOMEM;
        if (!streq(got, want))
                return asprintf(ret_reason, "Docker runs on %s, not %s", got, want) < 0 ? -ENOMEM : -EPROTO;

        r = record_content(e, &images, &containers, &running, &volumes);
        if (r < 0)
                return asprintf(ret_reason, "listing images, containers and volumes failed: %s",
                                strna(engine_last_error(e))) < 0
                               ? -ENOMEM
                               : -EPROTO;
        if (!m->images)
                return 0;
        if (!strv_equal(images, m->images))
                return (*ret_reason = describe_difference("image sets", m->images, images)) ? -EPROTO : -ENOMEM;
        if (!strv_equal(containers, m->containers))
                return (*ret_reason = describe_difference("container sets", m->containers, containers)) ? -EPROTO
                                                                                                          : -ENOMEM;
        if (!strv_equal(volumes, m->volumes))
                return (*ret_reason = describe_difference("volume sets", m->volumes, volumes)) ? -EPROTO : -ENOMEM;
        return 0;
}

/* ---- planning --------------------------------------------------------------- */

static int plan_target_dir(Move *m) {
        struct stat st_old, st_new;
        struct statvfs sv;
        _cleanup_free_ char *reason = NULL;
        int r;

        if (stat(m->req.to, &st_new) < 0 || !S_ISDIR(st_new.st_mode))
                return add(&m->refusals, "--to %s is not an existing directory.", m->req.to);
        free(m->new_root);
        m->new_root = NULL;
        r = target_check_dir(m->req.to, (char *const[]){ m->old_root, NULL }, &m->new_root, &reason);
        if (r != 0)
                return r < 0 ? r : add(&m->refusals, "%s", reason);
        if (path_startswith_dir(m->new_root, m->old_root))
                return add(&m->refusals, "The target %s lies inside the current data root %s.", m->new_root,
                           m->old_root);
        if (path_startswith_dir(m->old_root, m->new_root))
                return add(&m->refusals, "The current data root %s lies inside the target %s.", m->old_root,
                           m->new_root);
        if (stat(m->old_root, &st_old) == 0 && st_old.st_dev == st_new.st_dev)
                return add(&m->refusals,
                           "%s is on the same filesystem as the current data root %s: moving frees no space.",
                           m->new_root, m->old_root);
        r = mount_check_data_fs(m->new_root, &reason);
        if (r < 0)
                return r;
        if (r > 0)
                return add(&m->refusals, "%s cannot hold a data root: %s", m->new_root, reason);
        r = mount_dir_is_empty(m->new_root);
        if (r < 0)
                return r;
        if (r == 0 && m->resume_phase == PHASE_NONE)
                return add(&m->refusals,
                           "%s is not empty, and it is not this tool's own earlier copy; give an empty directory.",
                           m->new_root);
        if (statvfs(m->new_root, &sv) == 0) {
                m->target_free_bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
                m->target_free_inodes = sv.f_favail;
                m->free_known = true;
        }
        m->target_mount = strdup(m->new_root);
        return m->target_mount ? 0 : -ENOMEM;
}

static int plan_target_device(Move *m, bool dry_run) {
        DiskIdentity planned = m->disk.identity; /* what the plan looked at, for the act to insist on */
        PrepareRequest pr = {
                .device = m->req.device,
                .mount = m->target_mount ?: m->req.mount ?: DEFAULT_MOUNT,
                .mount_planned = !dry_run,
                .protect = (char *const[]){ m->old_root, NULL },
                .expect = dry_run ? NULL : &planned,
                .fstype = m->req.fs,
                .label = m->req.label,
                .partition = m->req.partition,
                .wipe = m->req.wipe,
                .allow_instance_store = m->req.allow_instance_store,
                .need_bytes = disk_size_needed(m->size.bytes),
                .need_inodes = m->size.inodes + m->size.inodes / 10 + 1000,
                .wait_device_sec = m->req.wait_device_sec,
                .dry_run = dry_run,
        };
        int r;

        prepare_result_done(&m->disk);
        r = disk_prepare(&pr, &m->disk);
        if (r < 0 && !m->disk.refused)
                return set_error(m, "Preparing %s failed: %s", m->req.device,
                                 m->disk.error ?: strerror(-r));
        if (m->disk.refused) {
                STRV_FOREACH(s, m->disk.refusals)
                        if (add(&m->refusals, "%s", *s) < 0)
                                return -ENOMEM;
                return 0;
        }
        STRV_FOREACH(w, m->disk.warnings)
                if (add(&m->warnings, "%s", *w) < 0)
                        return -ENOMEM;

        free(m->target_mount);
        m->target_mount = strdup(m->disk.mount);
        free(m->device);
        m->device = strdup(m->disk.fs_node ?: m->req.device);
        free(m->new_root);
        m->new_root = path_join(m->disk.mount, "docker");
        if (!m->target_mount || !m->device || !m->new_root)
                return -ENOMEM;
        if (m->disk.mount && !dry_run) {
                struct statvfs sv;
                if (statvfs(m->target_mount, &sv) == 0) {
                        m->target_free_bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
                        m->target_free_inodes = sv.f_favail;
                        m->free_known = true;
                }
        }
        return 0;
}

static int plan_config(Move *m) {
        _cleanup_free_ char *refusal = NULL;
        int r;

        edit_plan_done(&m->edit);
        r = edit_plan_set_data_root(&m->cfg, m->new_root, &m->edit, &refusal);
        if (r >= 0)
                r = edit_plan_verify(&m->edit, &m->cfg, m->new_root, &refusal);
        if (r == -ECANCELED)
                return add(&m->refusals, "%s", refusal);
        if (r < 0)
                return r;
        free(m->diff);
        m->diff = NULL;
        return edit_plan_diff(&m->edit, &m->diff);
}

static void plan_estimate(Move *m) {
        /* The final pass has to walk every inode even when nothing changed;
         * start and verification take seconds more. */
        double walk = m->size.inodes / 50000.0;
        double restart = 10;

        if (m->req.pre_copy)
                m->estimate_sec = walk + restart + (m->size.bytes / ASSUMED_COPY_RATE) * 0.05;
        else
                m->estimate_sec = walk + restart + m->size.bytes / ASSUMED_COPY_RATE;
}

static int plan_steps(Move *m) {
        int r = 0;

        /* With --device, the volume's own steps come first (disk.steps). */
        if (m->req.device && strv_length(m->disk.steps) == 0)
                r = add(&m->plan_steps, "Use %s, mounted on %s, as it is", strna(m->device), strna(m->target_mount));
        if (r >= 0 && m->req.pre_copy)
                r = add(&m->plan_steps, "Copy %s to %s while Docker runs", m->old_root, m->new_root);
        if (r >= 0)
                r = add(&m->plan_steps, "Record image, container and volume ids through the Engine API");
        if (r >= 0 && m->live_restore)
                r = add(&m->plan_steps, "Stop the running containers (live-restore would keep them running)");
        if (r >= 0)
                r = add(&m->plan_steps, "Stop Docker (%s)",
                        m->cfg.init == INIT_SYSTEMD ? "docker.socket, then docker.service, over D-Bus"
                                                    : "through its init script");
        if (r >= 0)
                r = add(&m->plan_steps, "Copy %s to %s with Docker stopped (rsync --delete)", m->old_root,
                        m->new_root);
        if (r >= 0)
                r = add(&m->plan_steps, "Set the data root to %s in %s", m->new_root,
                        m->edit.place ?: "(already set)");
        if (r >= 0 && m->cfg.init == INIT_SYSTEMD)
                r = add(&m->plan_steps, "Add %s/%s (RequiresMountsFor=%s) and reload systemd", MOUNT_DROPIN_DIR,
                        MOUNT_DROPIN_NAME, m->new_root);
        if (r >= 0)
                r = add(&m->plan_steps, "Start Docker and verify through the Engine API: root dir, images, "
                                        "containers, volumes");
        if (r >= 0)
                r = add(&m->plan_steps, "Start the containers that were running");
        if (r >= 0)
                r = add(&m->plan_steps, m->req.delete_old ? "Delete the old data root %s" : "Keep the old data root %s "
                                                                                           "(remove it later with "
                                                                                           "'docker-relocate cleanup')",
                        m->old_root);
        return r;
}

/* A plan that cannot run while Docker is down because of the move it was to
 * resume: this run changed nothing, but the host is not as it was before
 * that move, and "Refused; nothing was changed" alone would leave the user
 * at a dead end. Says how out, in m->advice. */
static int advise_docker_down(Move *m) {
        const char *target = strna(journal_string(m->journal, "new_data_root"));
        const char *old = strna(journal_string(m->journal, "old_data_root"));
        const char *at = move_phase_to_string(m->resume_phase);
        int r;

        if (m->resume_phase == PHASE_NONE || m->docker_running)
                return 0;
        free(m->advice);
        m->advice = NULL;
        if (m->resume_phase >= PHASE_STOPPED)
                r = asprintf(&m->advice,
                             "Docker is stopped: the interrupted move to %s (it reached '%s') stopped it, and it "
                             "stays stopped until that move is finished or abandoned. 'docker-relocate rollback "
                             "--yes' abandons it: the configuration as it was before, Docker started again on the "
                             "old data root %s. Or run the move again with the same target (%s) to finish it.",
                             target, at, old, target);
        else
                r = asprintf(&m->advice,
                             "Docker is not running, and the move to %s was interrupted (at '%s') around the point "
                             "where it stops Docker. 'docker-relocate rollback --yes' abandons that move and starts "
                             "Docker again on the old data root %s; or start Docker and run the move again with the "
                             "same target (%s).",
                             target, at, old, target);
        if (r < 0) {
                m->advice = NULL;
                return -ENOMEM;
        }
        return 0;
}

int move_plan(const MoveRequest *req, Move **ret) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_engine_info_ EngineInfo *info = NULL;
        Move *m;
        cJSON *j = NULL;
        int r;

        m = calloc(1, sizeof(Move));
        if (!m)
                return -ENOMEM;
        *ret = m;
        m->req = *req;
        m->lock_fd = -1;
        m->disk_lock_fd = -1;
        m->steps = cJSON_CreateArray();
        m->status = "planned";
        if (!m->steps)
                return -ENOMEM;

        r = lock_acquire(NULL, &m->lock_fd);
        if (r == -EBUSY) {
                m->status = "refused";
                (void) add(&m->refusals, "Another docker-relocate run holds %s.", LOCK_PATH);
                return EXIT_REFUSED;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to take the lock %s: %m", LOCK_PATH);

        /* The disk lock too, shared with prepare and grow: no two runs
         * partition or format at once. */
        if (req->device) {
                r = disk_lock(60, &m->disk_lock_fd);
                if (r == -EWOULDBLOCK) {
                        m->status = "refused";
                        (void) add(&m->refusals, "Another run is preparing a disk (%s).", DISK_LOCK_FILE);
                        return EXIT_REFUSED;
                }
                if (r < 0)
                        return log_error_errno(r, "Failed to take the disk lock: %m");
        }

        /* A journal of an earlier run: done, or interrupted? */
        r = journal_load(NULL, &j);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to read the journal %s: %m", JOURNAL_PATH);
        m->journal = j;

        /* A run killed while it wrote the configuration recorded the files
         * first: plan from them as they were. */
        r = config_load_before(j,
                               j && journal_phase(j) >= PHASE_PLANNED && journal_phase(j) < PHASE_CONFIGURED
                                       ? JOURNAL_CONFIG_UNDO
                                       : NULL,
                               &m->cfg, &m->config_interrupted);
        if (r < 0)
                return r;
        STRV_FOREACH(w, m->cfg.warnings)
                if (add(&m->warnings, "%s", *w) < 0)
                        return -ENOMEM;

        if (j) {
                MovePhase p = journal_phase(j);
                if (p == PHASE_UNDOING) {
                        m->status = "refused";
                        (void) add(&m->refusals,
                                   "A rollback of the move to %s was interrupted (%s): run 'docker-relocate "
                                   "rollback --yes' again to finish it.",
                                   strna(journal_string(j, "new_data_root")), JOURNAL_PATH);
                        return EXIT_REFUSED;
                }
                if (p == PHASE_FAILED) {
                        m->status = "refused";
                        (void) add(&m->refusals,
                                   "An earlier move failed and was not rolled back (%s says what happened); "
                                   "resolve it first.",
                                   JOURNAL_PATH);
                        return EXIT_REFUSED;
                }
                if (p >= PHASE_PLANNED && p <= PHASE_VERIFIED)
                        m->resume_phase = p;
                if (p == PHASE_DONE || p == PHASE_CLEANED) {
                        const char *nr = journal_string(j, "new_data_root");
                        _cleanup_free_ char *want = NULL, *mnt = NULL;
                        if (req->to)
                                want = realpath_or_copy(req->to);
                        else if (path_resolve_physical(NULL, req->mount ?: DEFAULT_MOUNT, &mnt) >= 0)
                                want = path_join(mnt, "docker");
                        if (nr && want && streq(nr, want) && streq_ptr(m->cfg.data_root, nr)) {
                                m->done_already = true;
                                m->status = "unchanged";
                                m->new_root = strdup(nr);
                                m->old_root = strdup(strempty(journal_string(j, "old_data_root")));
                                return EXIT_OK;
                        }
                }
        }

        if (m->cfg.init == INIT_UNKNOWN) {
                m->status = "refused";
                (void) add(&m->refusals, "No init system that starts Docker was found.");
                return EXIT_REFUSED;
        }
        STRV_FOREACH(c, m->cfg.conflicts)
                if (add(&m->refusals, "%s Fix this first.", *c) < 0)
                        return -ENOMEM;
        /* What the run writes beside the volume and Docker's configuration,
         * checked before anything is: never a formatted disk, then no way
         * to record the move. */
        r = precheck_writes((const PrecheckWrite[]){ { "the journal", JOURNAL_PATH, false, false },
                                                     { "the systemd drop-in directory",
                                                       m->cfg.init == INIT_SYSTEMD ? MOUNT_DROPIN_DIR : NULL, true,
                                                       true } },
                            2, &m->refusals);
        if (r < 0)
                return log_error_errno(r, "Failed to check where the move writes: %m");

        /* When an interrupted move had already rewritten the configuration,
         * the old root is the journal's. */
        if (m->resume_phase != PHASE_NONE && journal_string(m->journal, "old_data_root"))
                m->old_root = strdup(journal_string(m->journal, "old_data_root"));
        else
                m->old_root = realpath_or_copy(m->cfg.data_root);
        if (!m->old_root)
                return -ENOMEM;

        /* What the daemon says. */
        r = engine_open(m->cfg.socket, &e);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the Engine API client: %m");
        r = engine_ping(e);
        m->docker_running = r >= 0;
        if (m->docker_running) {
                _cleanup_free_ char *real = NULL;
                r = engine_info(e, &info);
                if (r < 0)
                        return log_error_errno(r, "GET /info failed: %s", strna(engine_last_error(e)));
                real = realpath_or_copy(strempty(info->docker_root_dir));
                if (!real)
                        return -ENOMEM;
                m->live_restore = info->live_restore;
                if (info->containerd_store)
                        (void) add(&m->refusals,
                                   "Docker uses the containerd image store: the images live in /var/lib/containerd, "
                                   "which this version does not move.");
                if (info->swarm_manager && !req->force)
                        (void) add(&m->refusals,
                                   "This node is a swarm manager: stopping Docker affects the swarm's quorum. Use "
                                   "--force after checking the other managers.");
                if (!streq(real, m->old_root)) {
                        if (m->resume_phase >= PHASE_CONFIGURED && m->new_root == NULL &&
                            streq_ptr(journal_string(m->journal, "new_data_root"), real))
                                ; /* an interrupted move already restarted Docker on the new root */
                        else if (m->config_interrupted)
                                (void) add(&m->refusals,
                                           "Docker runs on %s, started from the configuration that an interrupted "
                                           "move had begun to write (%s): stop Docker and run the move again to "
                                           "finish it.",
                                           real, JOURNAL_PATH);
                        else
                                (void) add(&m->refusals,
                                           "Docker runs on %s but its configuration says %s: restart Docker (or fix "
                                           "the configuration) first.",
                                           real, m->old_root);
                }
        } else if (m->resume_phase < PHASE_STOPPED)
                (void) add(&m->refusals,
                           "Docker is not running on %s: start it, so that its content can be recorded and verified "
                           "after the move.",
                           m->cfg.socket);

        if (m->cfg.containerd_snapshotter && strv_length(m->refusals) == 0)
                (void) add(&m->refusals, "daemon.json enables the containerd image store (images in "
                                         "/var/lib/containerd), which this version does not move.");

        r = copy_measure_tree(m->old_root, &m->size);
        if (r < 0)
                return log_error_errno(r, "Failed to measure %s: %m", m->old_root);

        if (req->device) {
                r = plan_target_device(m, true);
                if (r < 0) {
                        log_error("%s", m->error);
                        return advise_docker_down(m) < 0 ? -ENOMEM : EXIT_FAIL;
                }
        } else {
                r = plan_target_dir(m);
                if (r < 0)
                        return log_error_errno(r, "Failed to check %s: %m", req->to);
        }

        if (m->new_root && m->resume_phase != PHASE_NONE &&
            !streq_ptr(journal_string(m->journal, "new_data_root"), m->new_root))
                (void) add(&m->refusals,
                           "An interrupted move to %s is recorded in %s: run it again with that target first "
                           "(it resumes where it stopped), or abandon it with 'docker-relocate rollback --yes', "
                           "which puts the configuration and Docker back as they were before it.",
                           strna(journal_string(m->journal, "new_data_root")), JOURNAL_PATH);

        if (m->free_known && m->resume_phase == PHASE_NONE) {
                uint64_t need = disk_size_needed(m->size.bytes);
                if (m->target_free_bytes < need)
                        (void) add(&m->refusals, "%s has %.1f GiB free; the data root needs %.1f GiB with margin.",
                                   m->new_root, m->target_free_bytes / 1073741824.0, need / 1073741824.0);
                if (m->target_free_inodes < m->size.inodes + m->size.inodes / 10)
                        (void) add(&m->refusals, "%s has %llu free inodes; the data root uses %llu.", m->new_root,
                                   (unsigned long long) m->target_free_inodes, (unsigned long long) m->size.inodes);
        }

        if (m->new_root && strv_length(m->cfg.conflicts) == 0) {
                r = plan_config(m);
                if (r < 0)
                        return log_error_errno(r, "Failed to plan the configuration change: %m");
        }
        plan_estimate(m);
        r = plan_steps(m);
        if (r < 0)
                return log_oom();

        if (strv_length(m->refusals) > 0) {
                m->status = "refused";
                return advise_docker_down(m) < 0 ? -ENOMEM : EXIT_REFUSED;
        }
        return EXIT_OK;
}

const char *move_advice(const Move *m) {
        return m->advice;
}

bool move_already_done(const Move *m) {
        return m->done_already;
}

/* ---- execution -------------------------------------------------------------- */

static int stop_docker(Move *m) {
        _cleanup_free_ char *err = NULL;
        int r = service_stop_docker(m->cfg.init, false, SERVICE_TIMEOUT_MS, &err);
        if (r < 0)
                return set_error(m, "Stopping Docker failed: %s", err ?: strerror(-r));
        return 0;
}

static int start_docker(Move *m) {
        _cleanup_free_ char *err = NULL;
        int r = service_start_docker(m->cfg.init, false, m->cfg.socket, SERVICE_TIMEOUT_MS, &err);
        if (r < 0)
                return set_error(m, "Starting Docker failed: %s", err ?: strerror(-r));
        return 0;
}

static int daemon_reload(Move *m) {
        _cleanup_free_ char *err = NULL;
        int r;

        if (m->cfg.init != INIT_SYSTEMD)
                return 0;
        r = service_daemon_reload(m->cfg.init, SERVICE_TIMEOUT_MS, &err);
        if (r < 0)
                return set_error(m, "systemctl daemon-reload failed: %s", err ?: strerror(-r));
        return 0;
}

/* The drop-in that keeps Docker from starting without the volume, one more
 * file of the plan, so that it is written (and undone) with the rest. */
static int plan_mount_dropin(Move *m) {
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
        return edit_plan_add(&m->edit, path, old, content, 0644);
}

/* dockerd >= 23 can check a configuration without starting. */
static int validate_config(Move *m) {
        _cleanup_free_ char *help = NULL, *out = NULL, *err = NULL;
        int status = 0, r;
        char *argv_help[] = { (char *) "dockerd", (char *) "--help", NULL };

        r = run_command(argv_help, 20 * 1000, &help, NULL, &status);
        if (r < 0 || !help || !strstr(help, "--validate"))
                return 0;
        char *argv[] = { (char *) "dockerd", (char *) "--validate", (char *) "--config-file", m->cfg.json_path, NULL };
        r = run_command(argv, 30 * 1000, &out, &err, &status);
        if (r < 0)
                return 0;
        if (status != 0)
                return set_error(m, "dockerd --validate rejects the new configuration: %s", strempty(err));
        return 0;
}

static void progress_line(Move *m, const char *what) {
        log_info("%s", what);
        (void) m;
}

/* Back to the old root, from any point after Docker was stopped. Returns
 * EXIT_ROLLED_BACK or EXIT_NEEDS_HUMAN. Also the way out of an interrupted
 * move that "rollback" abandons, where nothing failed (no m->error). */
static int roll_back(Move *m) {
        _cleanup_free_ char *reason = NULL;
        int r;

        if (m->error)
                log_warning("Rolling back: %s", m->error);

        /* The daemon may be up on the new root (a failed verification). */
        r = stop_docker(m);
        if (r >= 0) {
                /* Whatever point the apply reached: the journal recorded
                 * every file before the first was written. */
                r = config_restore(m, JOURNAL_CONFIG_UNDO, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        (void) set_error(m, "%s; %s", strna(m->error), reason);
        }
        if (r >= 0)
                r = daemon_reload(m);
        if (r >= 0)
                r = start_docker(m);
        if (r >= 0) {
                r = verify_daemon(m, m->old_root, &reason);
                if (r == -ENOMEM)
                        return r;
        }
        if (r >= 0) {
                /* Containers that ran before run again. */
                _cleanup_engine_ Engine *e = NULL;
                if (engine_open(m->cfg.socket, &e) >= 0)
                        STRV_FOREACH(id, m->running)
                                (void) engine_container_start(e, *id);
                (void) journal_write(m, PHASE_ROLLED_BACK);
                m->status = "rolled-back";
                m->exit_code = EXIT_ROLLED_BACK;
                return EXIT_ROLLED_BACK;
        }

        (void) journal_write(m, PHASE_FAILED);
        m->status = "failed";
        m->exit_code = EXIT_NEEDS_HUMAN;
        free(m->advice);
        if (asprintf(&m->advice,
                     "Docker could not be brought back on %s (%s). The old data root %s is untouched. To restore by "
                     "hand: copy each backup listed under \"config_backups\" in %s over its file (a file with no "
                     "backup was created by the move: delete it)%s, then start Docker (%s) and check "
                     "'docker info' shows Docker Root Dir: %s.",
                     m->old_root, reason ?: strna(m->error), m->old_root, JOURNAL_PATH,
                     m->cfg.init == INIT_SYSTEMD ? ", run 'systemctl daemon-reload'" : "",
                     m->cfg.init == INIT_SYSTEMD ? "systemctl start docker.socket docker.service"
                                                 : "/etc/init.d/docker start",
                     m->old_root) < 0)
                m->advice = NULL;
        return EXIT_NEEDS_HUMAN;
}

/* An interrupted run stopped Docker, and this run found it stopped. */
static bool stopped_by_interrupted_run(const Move *m) {
        return m->resume_phase >= PHASE_STOPPED && !m->docker_running;
}

static int fail(Move *m, bool after_stop) {
        if (after_stop)
                return roll_back(m);
        /* A resumed run that fails before its copy (the volume, the target
         * directory) found Docker stopped by the run it resumes: leaving now
         * would leave Docker down, though the user asked for a move, not an
         * outage. Back to the old root, as any failure after the stop. */
        if (stopped_by_interrupted_run(m)) {
                if (!m->images)
                        (void) journal_read_sets(m);
                return roll_back(m);
        }
        /* Docker was never stopped: nothing to undo but our own journal,
         * and the files that an earlier, killed run had begun to write (the
         * journal about to say rolled-back, its record would be lost). */
        if (m->config_interrupted) {
                _cleanup_free_ char *why = NULL;
                int r = config_restore(m, JOURNAL_CONFIG_UNDO, &why);

                if (r < 0) {
                        /* The journal stays as it is: the next run tries
                         * again. */
                        (void) set_error(m, "%s; %s", strna(m->error), why ?: strerror(-r));
                        m->status = "failed";
                        m->exit_code = EXIT_NEEDS_HUMAN;
                        free(m->advice);
                        if (asprintf(&m->advice,
                                     "An earlier, interrupted move left Docker's configuration half rewritten, "
                                     "and it could not be put back (%s). Copy each \"backup\" listed under "
                                     "\"%s\" in %s over its \"path\" (where the backup is null, delete the file), "
                                     "then run the move again.",
                                     strna(m->error), JOURNAL_CONFIG_UNDO, JOURNAL_PATH) < 0)
                                m->advice = NULL;
                        return EXIT_NEEDS_HUMAN;
                }
                m->config_interrupted = false;
        }
        if (m->journal)
                (void) journal_write(m, PHASE_ROLLED_BACK);
        m->status = "failed";
        m->exit_code = EXIT_FAIL;
        return EXIT_FAIL;
}

static int delete_tree(const char *dir) {
        /* The one irreversible step: never anything that is not a directory
         * at least two levels below /, whatever the journal or config said. */
        const char *slash = dir ? strchr(dir + 1, '/') : NULL;
        if (!path_is_absolute(dir) || !slash || !slash[1] || strstr(dir, "/../") || endswith(dir, "/.."))
                return -EINVAL;
        char *argv[] = { (char *) "rm", (char *) "-rf", (char *) "--one-file-system", (char *) "--", (char *) dir, NULL };
        int status = 0, r;

        r = run_command(argv, 0, NULL, NULL, &status);
        if (r < 0)
                return r;
        return status == 0 ? 0 : -EIO;
}

static int execute(Move *m) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_free_ char *reason = NULL, *msg = NULL;
        unsigned long long t0;
        MovePhase phase = m->resume_phase;
        int r;

        if (m->done_already) {
                m->changed = false;
                m->status = "unchanged";
                m->exit_code = EXIT_OK;
                return EXIT_OK;
        }
        m->changed = true;

        /* 1. The target. */
        if (m->req.device) {
                t0 = now_ms();
                progress_line(m, "Preparing the volume...");
                r = plan_target_device(m, false);
                if (r < 0 || m->disk.refused) {
                        if (m->disk.refused)
                                (void) set_error(m, "%s was refused: %s", m->req.device,
                                                 m->disk.refusals ? m->disk.refusals[0] : "unsafe");
                        return fail(m, false);
                }
                r = record_step(m, "prepare", t0);
                if (r < 0)
                        return r;
        }

        if (phase == PHASE_NONE) {
                r = journal_new(m);
                if (r < 0)
                        return set_error(m, "Cannot write the journal %s: %s", JOURNAL_PATH, strerror(-r)),
                               fail(m, false);
                phase = PHASE_PLANNED;
        }
        r = mkdir_p(m->new_root, 0710);
        if (r < 0)
                return set_error(m, "Cannot create %s: %s", m->new_root, strerror(-r)), fail(m, false);

        /* Docker is running unless an interrupted move stopped it. */
        if (m->docker_running && phase < PHASE_CONFIGURED) {
                if (phase >= PHASE_STOPPED) {
                        /* Docker came back on the old root since (a reboot, a
                         * human): start over from a live copy. */
                        phase = PHASE_PLANNED;
                }

                /* 2. Live pre-copy. */
                if (m->req.pre_copy && phase < PHASE_PRECOPIED) {
                        t0 = now_ms();
                        progress_line(m, "Copying while Docker runs (pre-copy)...");
                        r = copy_tree(m->old_root, m->new_root, COPY_PASS_LIVE, m->req.progress,
                                      m->req.progress_userdata, &msg);
                        if (r < 0)
                                return set_error(m, "The live copy failed: %s", msg ?: strerror(-r)), fail(m, false);
                        r = record_step(m, "pre-copy", t0);
                        if (r < 0)
                                return r;
                        phase = PHASE_PRECOPIED;
                        (void) journal_write(m, phase);
                        test_hook_crash("pre-copied");
                }

                /* 3. Record what must be there afterwards. */
                t0 = now_ms();
                r = engine_open(m->cfg.socket, &e);
                if (r >= 0)
                        r = record_content(e, &m->images, &m->containers, &m->running, &m->volumes);
                if (r < 0)
                        return set_error(m, "Recording images, containers and volumes failed: %s",
                                         e ? strna(engine_last_error(e)) : strerror(-r)),
                               fail(m, false);
                r = journal_record_sets(m);
                if (r < 0)
                        return r;
                (void) journal_write(m, phase);
                r = record_step(m, "record", t0);
                if (r < 0)
                        return r;

                /* 4. Stop the containers, then Docker. Stopping each running
                 * container through the API first gives it its normal
                 * grace period (as "docker stop" does); left to the init
                 * script, a container that ignores SIGTERM outlives the
                 * script's own timeout, the daemon is killed, and its mounts
                 * stay behind under the old root. With live-restore on, the
                 * containers would not stop with the daemon at all. From here
                 * on, a failure rolls back. */
                t0 = now_ms();
                m->t_stopped = t0;
                progress_line(m, "Stopping the running containers...");
                STRV_FOREACH(id, m->running) {
                        r = engine_container_stop(e, *id, 10);
                        if (r < 0) {
                                (void) set_error(m, "Stopping container %s failed: %s", *id,
                                                 strna(engine_last_error(e)));
                                /* Some may be stopped already: bring them back. */
                                STRV_FOREACH(again, m->running)
                                        (void) engine_container_start(e, *again);
                                return fail(m, false);
                        }
                }
                progress_line(m, "Stopping Docker...");
                r = stop_docker(m);
                if (r < 0)
                        return fail(m, true);
                phase = PHASE_STOPPED;
                (void) journal_write(m, phase);
                r = record_step(m, "stop", t0);
                if (r < 0)
                        return r;
        } else if (phase < PHASE_CONFIGURED || !m->docker_running) {
                /* Resuming with Docker stopped by the interrupted run. */
                m->t_stopped = now_ms();
                r = journal_read_sets(m);
                if (r < 0)
                        return set_error(m, "The journal %s lacks the recorded content; cannot verify a resumed "
                                            "move.",
                                         JOURNAL_PATH),
                               fail(m, true);
                log_info("Resuming the interrupted move (it had reached '%s').", move_phase_to_string(phase));
        } else {
                m->t_stopped = now_ms();
                r = journal_read_sets(m);
                if (r < 0)
                        return fail(m, true);
        }

        /* 5. Final copy with Docker stopped. */
        if (phase < PHASE_COPIED) {
                _cleanup_strv_free_ char **mounts = NULL;

                r = copy_mounts_below("/proc/self/mountinfo", m->old_root, &mounts);
                if (r < 0)
                        return set_error(m, "Cannot read the mount table: %s", strerror(-r)), fail(m, true);
                if (strv_length(mounts) > 0) {
                        _cleanup_free_ char *list = strv_join(mounts, ", ");
                        return set_error(m, "Docker is stopped but mounts below %s remain (%s): a container "
                                            "runtime still holds them.",
                                         m->old_root, strna(list)),
                               fail(m, true);
                }
                t0 = now_ms();
                progress_line(m, "Copying with Docker stopped (final pass)...");
                free(msg);
                msg = NULL;
                r = copy_tree(m->old_root, m->new_root, COPY_PASS_FINAL, m->req.progress, m->req.progress_userdata,
                              &msg);
                if (r < 0)
                        return set_error(m, "The copy failed: %s", msg ?: strerror(-r)), fail(m, true);
                /* Docker writes absolute paths into each container's
                 * config.v2.json (volume mount sources, log, hosts and
                 * resolv.conf paths) and checks them at start: in the copy
                 * they must name the new root, or the containers break once
                 * the old tree is gone. Only the copy is edited. */
                unsigned files = 0, paths = 0;
                r = rebase_container_configs(m->new_root, m->old_root, &files, &paths);
                if (r < 0)
                        return set_error(m, "Rewriting the container configurations in %s failed: %s", m->new_root,
                                         strerror(-r)),
                               fail(m, true);
                log_debug("Rebased %u paths in %u container configurations.", paths, files);
                r = record_step(m, "copy", t0);
                if (r < 0)
                        return r;
                phase = PHASE_COPIED;
                (void) journal_write(m, phase);
        }

        /* 6. The configuration, in its one place. */
        if (phase < PHASE_CONFIGURED) {
                t0 = now_ms();
                if (m->config_interrupted) {
                        _cleanup_free_ char *why = NULL;

                        /* The plan was made from the files as they were
                         * before the killed run wrote some of them: they
                         * must be so again before it is applied. */
                        r = config_restore(m, JOURNAL_CONFIG_UNDO, &why);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return set_error(m, "Putting back the configuration the interrupted move had "
                                                    "begun to write failed: %s",
                                                 why),
                                       fail(m, true);
                        m->config_interrupted = false;
                }
                r = plan_mount_dropin(m);
                if (r < 0)
                        return set_error(m, "Preparing the RequiresMountsFor drop-in failed: %s", strerror(-r)),
                               fail(m, true);
                /* Write-ahead: the journal says how to undo every file
                 * before the first is changed, so that a crash at any point
                 * of this step can be undone by the next run. */
                r = journal_apply_plan(NULL, m->journal, JOURNAL_CONFIG_UNDO, &m->edit);
                if (r < 0)
                        return set_error(m, "Writing the configuration failed: %s", strerror(-r)), fail(m, true);
                phase = PHASE_CONFIGURED;
                (void) journal_write(m, phase);
                r = daemon_reload(m);
                if (r < 0)
                        return fail(m, true);
                r = validate_config(m);
                if (r < 0)
                        return fail(m, true);
                r = record_step(m, "configure", t0);
                if (r < 0)
                        return r;
        }

        /* 7. Start and verify. */
        if (phase < PHASE_VERIFIED) {
                struct stat st_root, st_mount;

                t0 = now_ms();
                progress_line(m, "Starting Docker on the new data root...");
                r = start_docker(m);
                if (r < 0)
                        return fail(m, true);
                r = verify_daemon(m, m->new_root, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return set_error(m, "Verification failed: %s", strna(reason)), fail(m, true);
                if (stat(m->new_root, &st_root) == 0 && m->target_mount && stat(m->target_mount, &st_mount) == 0 &&
                    st_root.st_dev != st_mount.st_dev)
                        return set_error(m, "%s is not on the target filesystem %s.", m->new_root,
                                         m->target_mount),
                               fail(m, true);
                m->downtime_sec = seconds_since(m->t_stopped);
                cJSON_AddNumberToObject(m->journal, "downtime_seconds", m->downtime_sec);
                phase = PHASE_VERIFIED;
                (void) journal_write(m, phase);
                /* The copy is now Docker's own: no longer a copy in progress. */
                (void) copy_unmark(m->new_root);
                r = record_step(m, "start-verify", t0);
                if (r < 0)
                        return r;
        }

        /* 8. The containers that ran, running again. */
        t0 = now_ms();
        {
                _cleanup_engine_containers_ EngineContainers *now = NULL;
                engine_free(e);
                e = NULL;
                r = engine_open(m->cfg.socket, &e);
                if (r >= 0)
                        r = engine_list_containers(e, false, &now);
                for (size_t i = 0; r >= 0 && i < now->n; i++) {
                        if (!strv_contains(m->running, now->items[i].id) || streq_ptr(now->items[i].state, "running"))
                                continue;
                        if (engine_container_start(e, now->items[i].id) < 0)
                                (void) add(&m->warnings, "Container %s (%s) was running before and failed to start: %s",
                                           now->items[i].name, now->items[i].id, strna(engine_last_error(e)));
                }
        }
        r = record_step(m, "restart-containers", t0);
        if (r < 0)
                return r;

        /* 9. The old tree: kept, unless asked, and only now. */
        if (m->req.delete_old) {
                t0 = now_ms();
                r = delete_tree(m->old_root);
                if (r < 0)
                        (void) add(&m->warnings, "Deleting the old data root %s failed; delete it by hand.",
                                   m->old_root);
                else {
                        r = record_step(m, "delete-old", t0);
                        if (r < 0)
                                return r;
                }
        }

        (void) journal_write(m, m->req.delete_old ? PHASE_CLEANED : PHASE_DONE);
        m->status = "done";
        m->exit_code = EXIT_OK;
        return EXIT_OK;
}

int move_execute(Move *m) {
        int r = execute(m);
        JournaldMove fields = journald_fields(m);

        /* A failed move takes back what it did to the disk in this run. */
        if (r == EXIT_ROLLED_BACK || r == EXIT_FAIL)
                (void) disk_prepare_undo(NULL, &m->disk, &m->warnings);

        /* One journal entry for the outcome, however the move ended. */
        journald_move_result(&fields, m->status, r < 0 ? EXIT_FAIL : r, m->downtime_sec, m->error);
        return r;
}

/* ---- reports ---------------------------------------------------------------- */

cJSON *move_report(const Move *m) {
        cJSON *j = cJSON_CreateObject(), *plan, *size;

        if (!j)
                return NULL;
        cJSON_AddBoolToObject(j, "changed", m->changed);
        cJSON_AddStringToObject(j, "status", m->status);
        json_add_string_or_null(j, "old_data_root", m->old_root);
        json_add_string_or_null(j, "new_data_root", m->new_root);
        json_add_string_or_null(j, "device", m->device ?: m->req.device);
        json_add_string_or_null(j, "mount", m->target_mount);
        json_add_string_or_null(j, "volume_id", m->disk.volume_id);
        json_add_string_or_null(j, "uuid", m->disk.uuid);
        cJSON_AddItemToObject(j, "steps", cJSON_Duplicate(m->steps, true));
        if (m->downtime_sec > 0)
                cJSON_AddNumberToObject(j, "downtime_seconds", (double) (long long) (m->downtime_sec * 10 + 0.5) / 10);
        else
                cJSON_AddNullToObject(j, "downtime_seconds");
        plan = cJSON_AddObjectToObject(j, "plan");
        if (plan) {
                cJSON_AddItemToObject(plan, "steps", json_string_array(m->plan_steps));
                size = cJSON_AddObjectToObject(plan, "size");
                if (size) {
                        cJSON_AddNumberToObject(size, "bytes", (double) m->size.bytes);
                        cJSON_AddNumberToObject(size, "apparent_bytes", (double) m->size.apparent_bytes);
                        cJSON_AddNumberToObject(size, "inodes", (double) m->size.inodes);
                }
                if (m->free_known) {
                        cJSON_AddNumberToObject(plan, "target_free_bytes", (double) m->target_free_bytes);
                        cJSON_AddNumberToObject(plan, "target_free_inodes", (double) m->target_free_inodes);
                }
                cJSON_AddNumberToObject(plan, "downtime_estimate_seconds", (double) (long long) (m->estimate_sec + 0.5));
                json_add_string_or_null(plan, "config_place", m->edit.place);
                json_add_string_or_null(plan, "diff", m->diff);
                cJSON_AddItemToObject(plan, "refusals", json_string_array(m->refusals));
                cJSON_AddItemToObject(plan, "disk_steps", json_string_array(m->disk.steps));
        }
        cJSON_AddItemToObject(j, "warnings", json_string_array(m->warnings));
        if (m->error || m->refusals) {
                cJSON *e = cJSON_AddObjectToObject(j, "error");
                if (e) {
                        int code = m->exit_code ? m->exit_code : (m->refusals ? EXIT_REFUSED : EXIT_FAIL);
                        cJSON_AddNumberToObject(e, "code", code);
                        cJSON_AddStringToObject(e, "message", m->error ?: (m->refusals ? m->refusals[0] : "failed"));
                        json_add_string_or_null(e, "advice", m->advice);
                }
        } else
                cJSON_AddNullToObject(j, "error");
        return j;
}

static void print_size(const char *what, uint64_t bytes) {
        output_printf("%s%.2f GiB\n", what, bytes / 1073741824.0);
}

void move_print_plan(const Move *m) {
        unsigned n = 1;

        if (m->done_already) {
                output_printf("Docker's data root is already %s: the move was done before. Nothing to do.\n",
                              strna(m->new_root));
                return;
        }
        output_printf("Move Docker's data root\n  from %s\n  to   %s\n", strna(m->old_root), strna(m->new_root));
        if (m->resume_phase != PHASE_NONE)
                output_printf("  (resuming an interrupted move that reached '%s')\n",
                              move_phase_to_string(m->resume_phase));
        print_size("  data:  ", m->size.bytes);
        output_printf("  inodes: %llu (hard links once)\n", (unsigned long long) m->size.inodes);
        if (m->free_known)
                output_printf("  target free: %.2f GiB, %llu inodes\n", m->target_free_bytes / 1073741824.0,
                              (unsigned long long) m->target_free_inodes);
        output_printf("  expected downtime: about %.0f s%s\n", m->estimate_sec,
                      m->req.pre_copy ? " (with a live pre-copy first)" : "");
        output_printf("\nSteps:\n");
        STRV_FOREACH(s, m->disk.steps)
                output_printf("  %u. %s\n", n++, *s);
        STRV_FOREACH(s, m->plan_steps)
                output_printf("  %u. %s\n", n++, *s);
        if (m->diff && m->diff[0])
                output_printf("\nConfiguration change:\n%s", m->diff);
        STRV_FOREACH(w, m->warnings)
                output_printf("Warning: %s\n", *w);
        STRV_FOREACH(r, m->refusals)
                output_printf("REFUSED: %s\n", *r);
        /* The plan must be on the screen (or in the log) before the progress
         * lines on stderr. */
        fflush(stdout);
}

void move_print_result(const Move *m) {
        if (streq(m->status, "done")) {
                output_printf("Docker now runs on %s; images, containers and volumes verified.\n", m->new_root);
                output_printf("Downtime: %.1f s.\n", m->downtime_sec);
                if (!m->req.delete_old)
                        output_printf("The old data root %s is kept; remove it with 'docker-relocate cleanup'.\n",
                                      m->old_root);
        } else if (streq(m->status, "unchanged"))
                output_printf("Nothing to do: Docker already runs on %s.\n", strna(m->new_root));
        else if (streq(m->status, "rolled-back"))
                output_printf("The move failed and was rolled back: Docker runs on %s as before.\n%s\n", m->old_root,
                              strna(m->error));
        else if (m->advice)
                output_printf("%s\n", m->advice);
        STRV_FOREACH(w, m->warnings)
                if (!streq(m->status, "planned"))
                        log_warning("%s", *w);
}

/* ---- rollback and cleanup of a finished move --------------------------------- */

/* The journal of a finished move, and the configuration; for the rollback
 * also one that a killed rollback left half way (PHASE_UNDOING), with the
 * configuration as it was before that rollback began to write, and an
 * interrupted move (m->resume_phase set), with the configuration as it was
 * before that move. */
static int load_finished(Move **ret, const char *what, bool rollback) {
        Move *m = calloc(1, sizeof(Move));
        cJSON *j = NULL;
        int r;

        if (!m)
                return -ENOMEM;
        *ret = m;
        m->lock_fd = -1;
        m->disk_lock_fd = -1;
        m->steps = cJSON_CreateArray();
        m->status = "refused";
        if (!m->steps)
                return -ENOMEM;
        r = lock_acquire(NULL, &m->lock_fd);
        if (r == -EBUSY)
                return log_error("Another docker-relocate run holds %s.", LOCK_PATH), EXIT_REFUSED;
        if (r < 0)
                return log_error_errno(r, "Failed to take the lock %s: %m", LOCK_PATH);
        r = journal_load(NULL, &j);
        if (r == -ENOENT)
                return log_error("No move is recorded in %s: nothing to %s.", JOURNAL_PATH, what), EXIT_REFUSED;
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", JOURNAL_PATH);
        m->journal = j;
        if (journal_phase(j) == PHASE_UNDOING && !rollback)
                return log_error("A rollback of the last move was interrupted: run 'docker-relocate rollback --yes' "
                                 "again to finish it; nothing to %s.",
                                 what),
                       EXIT_REFUSED;
        if (journal_phase(j) >= PHASE_PLANNED && journal_phase(j) <= PHASE_VERIFIED && !rollback)
                return log_error("The move to %s was interrupted at '%s'; nothing to %s yet. Run 'docker-relocate "
                                 "move' again with the same target: it resumes there (and rolls back by itself "
                                 "should it fail); once it is done, 'docker-relocate cleanup' applies to it. Or "
                                 "abandon it with 'docker-relocate rollback --yes': the configuration and Docker "
                                 "back as they were before it.",
                                 strna(journal_string(j, "new_data_root")), move_phase_to_string(journal_phase(j)),
                                 what),
                       EXIT_REFUSED;
        if (!(journal_phase(j) >= PHASE_PLANNED && journal_phase(j) <= PHASE_VERIFIED) &&
            journal_phase(j) != PHASE_DONE && journal_phase(j) != PHASE_UNDOING)
                return log_error("The last move is '%s', not a finished move: nothing to %s.",
                                 move_phase_to_string(journal_phase(j)), what),
                       EXIT_REFUSED;
        m->old_root = strdup(strempty(journal_string(j, "old_data_root")));
        m->new_root = strdup(strempty(journal_string(j, "new_data_root")));
        if (!m->old_root || !m->new_root)
                return -ENOMEM;
        if (journal_phase(j) >= PHASE_PLANNED && journal_phase(j) <= PHASE_VERIFIED) {
                /* An interrupted move, to abandon. Whatever point its
                 * configuration step reached, the files as they were before
                 * it are what the rollback puts back, and what says how
                 * Docker is started. */
                m->resume_phase = journal_phase(j);
                r = config_load_before(j, JOURNAL_CONFIG_UNDO, &m->cfg, NULL);
                return r < 0 ? r : EXIT_OK;
        }
        /* A killed rollback: the plan is made from the configuration as it
         * was before that rollback began to write. */
        r = config_load_before(j, journal_phase(j) == PHASE_UNDOING ? JOURNAL_ROLLBACK_UNDO : NULL, &m->cfg,
                               &m->config_interrupted);
        return r < 0 ? r : EXIT_OK;
}

static bool docker_runs_on(const Move *m, const char *root) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_engine_info_ EngineInfo *info = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;

        if (engine_open(m->cfg.socket, &e) < 0 || engine_info(e, &info) < 0)
                return false;
        a = realpath_or_copy(strempty(info->docker_root_dir));
        b = realpath_or_copy(root);
        return a && b && streq(a, b);
}

/* --dry-run of rollback and cleanup: what would be done, as the report
 * (--json prints one object whatever happens). */
static int report_plan(Move *m, cJSON **ret_report) {
        m->status = "planned";
        if (ret_report) {
                *ret_report = move_report(m);
                if (!*ret_report)
                        return log_oom();
        }
        return EXIT_OK;
}

/* "rollback" of an interrupted move (PHASE_PLANNED..PHASE_VERIFIED): for when
 * it cannot be resumed (its target or volume is gone) or is no longer
 * wanted. The host goes back to what it was before that move: every file of
 * its write-ahead record put back, and Docker, when the move had stopped it
 * (or started it on the new root), started on the old root and verified
 * against the recorded content, as a failing move rolls back. Neither data
 * root is touched: the old one is Docker's again, and the partial copy is
 * left for the user to delete. */
static int abandon_interrupted(Move *m, bool yes, bool dry_run, cJSON **ret_report) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_free_ char *reason = NULL;
        _cleanup_engine_ Engine *e = NULL;
        bool has_undo, running, on_old;
        int r;

        r = journal_get_undo(m->journal, JOURNAL_CONFIG_UNDO, &u);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to read the record \"%s\" in %s: %m", JOURNAL_CONFIG_UNDO,
                                       JOURNAL_PATH);
        has_undo = r >= 0 && u.n > 0;
        r = journal_read_sets(m);
        if (r == -ENOMEM)
                return log_oom();
        running = engine_open(m->cfg.socket, &e) >= 0 && engine_ping(e) >= 0;
        on_old = running && docker_runs_on(m, m->old_root);
        if (!on_old && access(m->old_root, F_OK) < 0)
                return log_error("The old data root %s is gone: Docker cannot be started on it again; not "
                                 "abandoning the interrupted move.",
                                 m->old_root),
                       EXIT_REFUSED;

        output_printf("Abandon the interrupted move to %s (it reached '%s'): back to the host as it was before it.\n",
                      m->new_root, move_phase_to_string(m->resume_phase));
        if (has_undo) {
                output_printf("  Put back the configuration files it changed:\n");
                for (size_t i = 0; i < u.n; i++)
                        output_printf("    %s (%s)\n", u.files[i].path,
                                      u.files[i].backup ? u.files[i].backup : "created by the move: deleted");
                if (m->cfg.init == INIT_SYSTEMD)
                        output_printf("  Reload systemd\n");
        } else
                output_printf("  No configuration file was changed by it.\n");
        if (on_old)
                output_printf("  Docker runs on %s: it is left running.\n", m->old_root);
        else {
                if (running)
                        output_printf("  Stop Docker (it does not run on %s).\n", m->old_root);
                output_printf("  Start Docker on %s and verify %s.\n", m->old_root,
                              m->images ? "its images, containers and volumes against those recorded before the move"
                                        : "its data root (no content was recorded)");
        }
        if (strv_length(m->running) > 0)
                output_printf("  Start the %zu containers that were running before the move.\n",
                              strv_length(m->running));
        output_printf("Neither data root is touched: %s keeps what the move copied there; delete it when sure.\n",
                      m->new_root);
        if (dry_run)
                return report_plan(m, ret_report);
        if (!yes)
                return log_error("Abandoning the interrupted move needs --yes. Or run 'docker-relocate move' again "
                                 "with the same target to finish it instead."),
                       EXIT_REFUSED;

        m->changed = true;
        if (on_old) {
                /* The daemon never left the old root (or came back to it):
                 * only the files, if any, are in the way. */
                r = config_restore(m, JOURNAL_CONFIG_UNDO, &reason);
                if (r == -ENOMEM)
                        return log_oom();
                if (r >= 0 && has_undo)
                        r = daemon_reload(m);
                if (r < 0) {
                        (void) set_error(m, "Putting back the configuration failed: %s", reason ?: strna(m->error));
                        m->status = "failed";
                        m->exit_code = EXIT_NEEDS_HUMAN;
                        log_error("%s", m->error);
                        log_error("Fix the cause and run 'docker-relocate rollback --yes' again, or put the files "
                                  "back by hand: copy each \"backup\" listed under \"%s\" in %s over its \"path\" "
                                  "(where the backup is null, delete the file)%s.",
                                  JOURNAL_CONFIG_UNDO, JOURNAL_PATH,
                                  m->cfg.init == INIT_SYSTEMD ? ", then run 'systemctl daemon-reload'" : "");
                        if (ret_report)
                                *ret_report = move_report(m);
                        return EXIT_NEEDS_HUMAN;
                }
                STRV_FOREACH(id, m->running)
                        (void) engine_container_start(e, *id);
                (void) journal_write(m, PHASE_ROLLED_BACK);
        } else {
                /* Docker is down (or up on the new root): exactly what a
                 * move that fails after the stop undoes. */
                e = engine_free(e);
                r = roll_back(m);
                if (r == -ENOMEM)
                        return log_oom();
                if (r != EXIT_ROLLED_BACK) {
                        if (!m->error)
                                (void) set_error(m, "Docker could not be brought back on %s.", m->old_root);
                        log_error("%s", strna(m->advice));
                        if (ret_report)
                                *ret_report = move_report(m);
                        return EXIT_NEEDS_HUMAN;
                }
        }
        m->status = "rolled-back";
        m->exit_code = EXIT_OK;
        output_printf("The interrupted move was abandoned: Docker runs on %s with the configuration as before it. "
                      "%s still holds a partial copy; delete it when sure.\n",
                      m->old_root, m->new_root);
        if (ret_report)
                *ret_report = move_report(m);
        return EXIT_OK;
}

int move_undo(bool yes, bool dry_run, cJSON **ret_report) {
        _cleanup_(move_freep) Move *m = NULL;
        _cleanup_free_ char *refusal = NULL, *reason = NULL;
        _cleanup_engine_ Engine *e = NULL;
        int r;

        r = load_finished(&m, "roll back", true);
        if (r != EXIT_OK)
                return r;
        if (m->resume_phase != PHASE_NONE)
                return abandon_interrupted(m, yes, dry_run, ret_report);
        if (!streq_ptr(m->cfg.data_root, m->new_root))
                return log_error("Docker's configuration no longer points at %s (it says %s): it was changed since "
                                 "the move; not rolling back.",
                                 m->new_root, m->cfg.data_root),
                       EXIT_REFUSED;
        if (access(m->old_root, F_OK) < 0)
                return log_error("The old data root %s is gone: nothing to roll back to.", m->old_root), EXIT_REFUSED;

        r = edit_plan_set_data_root(&m->cfg, m->old_root, &m->edit, &refusal);
        if (r >= 0)
                r = edit_plan_verify(&m->edit, &m->cfg, m->old_root, &refusal);
        if (r == -ECANCELED)
                return log_error("%s", refusal), EXIT_REFUSED;
        if (r < 0)
                return log_error_errno(r, "Failed to plan the configuration change: %m");
        r = edit_plan_diff(&m->edit, &m->diff);
        if (r < 0)
                return log_error_errno(r, "Failed to compute the diff: %m");

        output_printf("Roll back: Docker goes back to %s (from %s).\n", m->old_root, m->new_root);
        output_printf("Images, containers and volumes created since the move exist only on %s and are not carried "
                      "back.\n%s",
                      m->new_root, strempty(m->diff));
        if (dry_run)
                return report_plan(m, ret_report);
        if (!yes)
                return log_error("Rolling back needs --yes: data written since the move stays behind on %s.",
                                 m->new_root),
                       EXIT_REFUSED;

        /* What runs on the old tree after the rollback is what it held. We
         * cannot verify more than that the daemon comes up there, and start
         * again the containers that run now and exist there. */
        m->changed = true;
        if (engine_open(m->cfg.socket, &e) >= 0) {
                _cleanup_strv_free_ char **images = NULL, **containers = NULL, **volumes = NULL;
                if (record_content(e, &images, &containers, &m->running, &volumes) >= 0)
                        STRV_FOREACH(id, m->running)
                                (void) engine_container_stop(e, *id, 10);
        }
        r = stop_docker(m);
        if (r >= 0 && m->config_interrupted) {
                /* A killed rollback wrote some files: back to the
                 * configuration of the move first, which the plan was made
                 * from. */
                r = config_restore(m, JOURNAL_ROLLBACK_UNDO, &reason);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        (void) set_error(m, "Putting back the configuration the interrupted rollback had begun to "
                                            "write failed: %s",
                                         reason);
        }
        if (r >= 0) {
                /* Write-ahead, as the move's own change: the phase says a
                 * rollback is under way, the record how to undo each file,
                 * before the first is written. */
                r = journal_set_phase(m->journal, PHASE_UNDOING);
                if (r >= 0)
                        r = journal_apply_plan(NULL, m->journal, JOURNAL_ROLLBACK_UNDO, &m->edit);
                if (r < 0)
                        (void) set_error(m, "Writing the configuration failed: %s", strerror(-r));
        }
        if (r >= 0)
                r = daemon_reload(m);
        if (r >= 0)
                r = start_docker(m);
        if (r >= 0 && !docker_runs_on(m, m->old_root))
                r = set_error(m, "Docker did not come up on %s.", m->old_root);
        if (r < 0) {
                log_error("%s", strna(m->error));
                log_error("Fix the cause and run 'docker-relocate rollback --yes' again, or restore by hand: the "
                          "files this rollback changed are listed under \"%s\" in %s with their backups (under "
                          "/var/lib/docker-relocate/backups); then start Docker and check 'docker info'.",
                          JOURNAL_ROLLBACK_UNDO, JOURNAL_PATH);
                return EXIT_NEEDS_HUMAN;
        }
        e = engine_free(e);
        if (engine_open(m->cfg.socket, &e) >= 0)
                STRV_FOREACH(id, m->running)
                        if (engine_container_start(e, *id) < 0)
                                log_warning("Container %s did not start on %s: %s", *id, m->old_root,
                                            strna(engine_last_error(e)));
        (void) journal_write(m, PHASE_UNDONE);
        m->status = "rolled-back";
        output_printf("Docker runs on %s again. %s still holds the moved copy; delete it when sure.\n", m->old_root,
                      m->new_root);
        if (ret_report) {
                *ret_report = move_report(m);
        }
        return EXIT_OK;
}

int move_cleanup(bool yes, bool dry_run, cJSON **ret_report) {
        _cleanup_(move_freep) Move *m = NULL;
        int r;

        r = load_finished(&m, "clean up", false);
        if (r != EXIT_OK)
                return r;
        if (!docker_runs_on(m, m->new_root))
                return log_error("Docker does not run on %s right now: not removing the old data root %s.",
                                 m->new_root, m->old_root),
                       EXIT_REFUSED;
        if (access(m->old_root, F_OK) < 0) {
                output_printf("The old data root %s is already gone.\n", m->old_root);
                if (!dry_run)
                        (void) journal_write(m, PHASE_CLEANED);
                m->status = "unchanged";
                if (ret_report)
                        *ret_report = move_report(m);
                return EXIT_OK;
        }
        copy_measure_tree(m->old_root, &m->size);
        output_printf("Remove the old data root %s (%.2f GiB, %llu inodes).\n", m->old_root,
                      m->size.bytes / 1073741824.0, (unsigned long long) m->size.inodes);
        if (dry_run)
                return report_plan(m, ret_report);
        if (!yes && !(isatty(STDIN_FILENO) && isatty(STDERR_FILENO)))
                return log_error("Not on a terminal: pass --yes to remove %s.", m->old_root), EXIT_REFUSED;
        if (!yes) {
                char answer[16] = "";
                fprintf(stderr, "Delete %s? [y/N] ", m->old_root);
                if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
                        return log_error("Not confirmed; nothing was removed."), EXIT_REFUSED;
        }
        r = delete_tree(m->old_root);
        if (r < 0)
                return log_error_errno(r, "Failed to remove %s: %m", m->old_root);
        (void) journal_write(m, PHASE_CLEANED);
        m->changed = true;
        m->status = "cleaned";
        output_printf("Removed %s.\n", m->old_root);
        if (ret_report)
                *ret_report = move_report(m);
        return EXIT_OK;
}
