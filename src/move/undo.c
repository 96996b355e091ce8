/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "rollback" and "cleanup" commands, on the move the journal records:
 * rolling back a finished move (undo-rollback.c), abandoning an interrupted
 * one (undo-abandon.c), closing the record of a rollback a human finished
 * (undo-resolve.c), and removing the old data root after a verified move
 * (here, with what they share: loading the journal, refusing). Each is
 * planned, then carried out once the command layer has confirmation;
 * neither prints. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/mount.h"
#include "move/move-internal.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/lock.h"
#include "util/path.h"
#include "util/process.h"
#include "util/string-table.h"
#include "util/strv.h"
#include "util/test-hook.h"

/* In the contract's vocabulary of "status": a rollback or a cleanup that
 * did its work "changed" the host, and so did "rollback --resolved" that
 * closed the record ("rolled-back" is a failure that was undone, as for the
 * move). */
static const char *const undo_outcome_table[] = {
        [UNDO_PLANNED] = "planned",         [UNDO_REFUSED] = "refused",  [UNDO_UNCHANGED] = "unchanged",
        [UNDO_ROLLED_BACK] = "changed",     [UNDO_CLEANED] = "changed",  [UNDO_FAILED] = "failed",
        [UNDO_NEEDS_HUMAN] = "needs-human", [UNDO_RESOLVED] = "changed",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(undo_outcome, UndoOutcome);

Undo *undo_free(Undo *u) {
        if (!u)
                return NULL;
        move_free(u->m);
        strv_free(u->plan);
        free(u->error);
        free(u->advice);
        free(u);
        return NULL;
}

/* The old data root is gone: missing, or (a mount point, a bind of it
 * left in place) emptied. */
static bool old_root_gone(const char *dir) {
        if (access(dir, F_OK) < 0)
                return true;
        return file_is_mount_point(dir) > 0 && mount_dir_is_empty(dir) > 0;
}

int delete_old_root(const char *dir) {
        /* The one irreversible step: never anything that is not a directory
         * at least two levels below /, whatever the journal or config said. */
        const char *slash = dir ? strchr(dir + 1, '/') : NULL;
        _cleanup_strv_free_ char **argv = NULL;
        int status = 0, r;

        if (!path_is_absolute(dir) || !slash || !slash[1] || strstr(dir, "/../") || endswith(dir, "/.."))
                return -EINVAL;
        r = strv_extend_many(&argv, "rm", "-rf", "--one-file-system", "--", NULL);
        if (r < 0)
                return r;
        /* A mount point (a bind mount of the data, an fstab line the move
         * leaves in place) cannot be removed: its content is. rm never
         * follows a symlink, and --one-file-system keeps it out of any
         * other mount below. */
        if (file_is_mount_point(dir) > 0) {
                int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
                struct dirent *de;

                if (!d) {
                        r = negative_errno();
                        if (fd >= 0)
                                close(fd);
                        return r;
                }
                r = 0;
                while (r >= 0 && (errno = 0, de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                                r = strv_consume(&argv, path_join(dir, de->d_name));
                if (r >= 0 && errno > 0)
                        r = negative_errno();
                closedir(d);
                if (r < 0)
                        return r;
                if (strv_length(argv) == 4)
                        return 0;
        } else {
                r = strv_extend(&argv, dir);
                if (r < 0)
                        return r;
        }
        r = run_command(argv, 0, NULL, NULL, &status);
        if (r < 0)
                return r;
        return status == 0 ? 0 : -EIO;
}

int remove_old_tree(Move *m, const char *dir) {
        int r;

        /* Not a file goes before the journal says the removal began. */
        r = journal_mark_removing(m->journal, dir);
        if (r < 0)
                return r;
        return delete_old_root(dir);
}

int undo_refuse(Undo *u, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) error_setv(&u->error, 0, format, ap);
        va_end(ap);
        if (!u->error)
                return -ENOMEM;
        return u->outcome = UNDO_REFUSED;
}

void undo_step(Undo *u, const char *name) {
        (void) step_log_add(&u->m->steps, "%s", name);
}

/* Already where the command would take the host: the plan says so. */
static int unchanged(Undo *u, const char *format, ...) _printf_(2, 3);
static int unchanged(Undo *u, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = strv_extendfv(&u->plan, false, format, ap);
        va_end(ap);
        if (r < 0)
                return r;
        return u->outcome = UNDO_UNCHANGED;
}

static bool interrupted(MovePhase p) {
        return p >= PHASE_PLANNED && p <= PHASE_VERIFIED;
}

/* A rollback that needs finishing: the automatic one of a failed move,
 * killed (PHASE_ROLLING_BACK) or failed (PHASE_FAILED). */
static bool rollback_pending(MovePhase p) {
        return p == PHASE_ROLLING_BACK || p == PHASE_FAILED;
}

/* The two data roots of the move the journal records. */
static int journal_roots(Move *m) {
        m->old_root = strdup(strempty(json_get_string(m->journal, "old_data_root")));
        m->new_root = strdup(strempty(json_get_string(m->journal, "new_data_root")));
        return m->old_root && m->new_root ? 0 : -ENOMEM;
}

/* The journal of the last move, and the configuration: for the rollback
 * also of one that a killed rollback left half way (PHASE_UNDOING), with
 * the configuration as it was before that rollback began to write, of an
 * interrupted move (UNDO_ABANDON), and of a failed move whose rollback did
 * not end (UNDO_FINISH), with the configuration as it was before that
 * move. "rollback --resolved" takes the configuration as it is. */
static int undo_load(Undo *u, char **ret_error) {
        Move *m = u->m;
        const char *what = u->kind == UNDO_CLEANUP ? "clean up" : u->kind == UNDO_RESOLVE ? "resolve" : "roll back";
        const char *key;
        MovePhase p;
        int r;

        r = lock_file(LOCK_PATH, 0, &m->lock_fd);
        if (r == -EBUSY)
                return undo_refuse(u, "Another docker-relocate run holds %s.", LOCK_PATH);
        if (r < 0)
                return error_set(ret_error, r, "Failed to take the lock %s: %m", LOCK_PATH);
        r = journal_load(NULL, &m->journal);
        /* On a host that never moved there is nothing to undo or remove:
         * what the command wants is true already, no error (a playbook
         * runs it on every host). */
        if (r == -ENOENT)
                return unchanged(u, "No move is recorded in %s: nothing to %s.", JOURNAL_PATH, what);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read %s: %m", JOURNAL_PATH);
        p = journal_phase(m->journal);
        m->resume_phase = p;

        /* Already where the command would take the host. */
        if ((u->kind != UNDO_CLEANUP && (p == PHASE_UNDONE || p == PHASE_ROLLED_BACK)) ||
            (u->kind == UNDO_CLEANUP && p == PHASE_CLEANED)) {
                r = journal_roots(m);
                if (r < 0)
                        return r;
                if (u->kind == UNDO_CLEANUP)
                        return unchanged(u, "The old data root %s was removed already.", m->old_root);
                return unchanged(u, "The last move, to %s, was rolled back already ('%s'): Docker's data root is %s.",
                                 m->new_root, move_phase_to_string(p), m->old_root);
        }
        if (u->kind == UNDO_RESOLVE) {
                /* Closed by hand already as a finished move: run again, the
                 * record stays as it is. */
                if (p == PHASE_DONE && cJSON_GetObjectItemCaseSensitive(m->journal, JOURNAL_RESOLVED_BY_HAND)) {
                        r = journal_roots(m);
                        if (r < 0)
                                return r;
                        return unchanged(u, "The record of the move to %s was closed by hand already as '%s'.",
                                         m->new_root, move_phase_to_string(p));
                }
                if (!rollback_pending(p) && p != PHASE_UNDOING)
                        return undo_refuse(u,
                                      "The last move is '%s': no failed rollback to resolve. --resolved closes the "
                                      "record of a rollback that failed (or was interrupted) once Docker was put "
                                      "back by hand.",
                                      move_phase_to_string(p));
        } else if (u->kind == UNDO_CLEANUP) {
                if (p == PHASE_UNDOING || rollback_pending(p))
                        return undo_refuse(u,
                                      "A rollback of the last move %s: run 'docker-relocate rollback --yes' to "
                                      "finish it; nothing to clean up.",
                                      p == PHASE_FAILED ? "failed" : "was interrupted");
                if (interrupted(p))
                        return undo_refuse(u,
                                      "The move to %s was interrupted at '%s'; nothing to clean up yet. Run "
                                      "'docker-relocate move' again with the same target: it resumes there (and "
                                      "rolls back by itself should it fail); once it is done, 'docker-relocate "
                                      "cleanup' applies to it. Or abandon it with 'docker-relocate rollback --yes': "
                                      "the configuration and Docker back as they were before it.",
                                      strna(json_get_string(m->journal, "new_data_root")), move_phase_to_string(p));
        }
        if (!interrupted(p) && !rollback_pending(p) && p != PHASE_DONE && p != PHASE_UNDOING)
                return undo_refuse(u, "The last move is '%s', not a finished move: nothing to %s.", move_phase_to_string(p),
                              what);
        r = journal_roots(m);
        if (r < 0)
                return r;
        if (u->kind == UNDO_RESOLVE) {
                key = NULL;
                r = config_load_before(m->journal, key, &m->cfg, NULL, ret_error);
        } else if (interrupted(p) || rollback_pending(p)) {
                /* Whatever point its configuration step (or its rollback)
                 * reached, the files as they were before it are what the
                 * rollback puts back, and what says how Docker is started. */
                u->kind = interrupted(p) ? UNDO_ABANDON : UNDO_FINISH;
                m->phase = p;
                key = JOURNAL_CONFIG_UNDO;
                r = config_load_before(m->journal, key, &m->cfg, NULL, ret_error);
        } else {
                key = p == PHASE_UNDOING ? JOURNAL_ROLLBACK_UNDO : NULL;
                r = config_load_before(m->journal, key, &m->cfg, &m->config_interrupted, ret_error);
        }
        /* containerd's root, when the move carried it too: its files as
         * well. */
        if (r >= 0)
                r = undo_load_containerd(m, key, ret_error);
        return r < 0 ? r : UNDO_PLANNED;
}

/* The plan's lines for putting back the files of the move's record: each
 * from its backup, or deleted when the move created it. */
int undo_plan_files_back(Undo *u, const char *title, const EditUndo *eu) {
        int r;

        r = strv_extend(&u->plan, title);
        for (size_t i = 0; r >= 0 && i < eu->n; i++) {
                const FileUndo *f = &eu->files[i];

                if (f->backup)
                        r = strv_extendf(&u->plan, "  %s (%s)", f->path, f->backup);
                else if (f->made_dir)
                        r = strv_extendf(&u->plan, "  %s (created by the move: deleted, and %s once empty)", f->path,
                                         f->made_dir);
                else
                        r = strv_extendf(&u->plan, "  %s (created by the move: deleted)", f->path);
        }
        return r;
}

static int plan_cleanup(Undo *u) {
        _cleanup_free_ char *refusal = NULL;
        Move *m = u->m;
        bool data_root = !old_root_gone(m->old_root);
        int r, ctd;

        if (!docker_runs_on(m->cfg.socket, m->new_root))
                return undo_refuse(u, "Docker does not run on %s right now: not removing the old data root %s.",
                              m->new_root, m->old_root);
        /* containerd's old root too, when the move carried it. */
        ctd = plan_cleanup_containerd(m, &u->plan, &refusal);
        if (ctd == -ECANCELED)
                return undo_refuse(u, "%s", strempty(refusal));
        if (ctd < 0)
                return ctd;
        if (!data_root && ctd == 0)
                return u->outcome = UNDO_UNCHANGED;
        if (!data_root)
                return UNDO_PLANNED;
        (void) copy_measure_tree(m->old_root, &m->size);
        if (file_is_mount_point(m->old_root) > 0)
                r = strv_extendf(&u->plan,
                                 "Empty the old data root %s (%.2f GiB, %llu inodes): it is a mount point, which "
                                 "stays mounted, with its line in /etc/fstab if it has one; remove those by hand.",
                                 m->old_root, m->size.bytes / 1073741824.0, (unsigned long long) m->size.inodes);
        else
                r = strv_extendf(&u->plan, "Remove the old data root %s (%.2f GiB, %llu inodes).", m->old_root,
                                 m->size.bytes / 1073741824.0, (unsigned long long) m->size.inodes);
        return r < 0 ? r : UNDO_PLANNED;
}

static int execute_cleanup(Undo *u) {
        Move *m = u->m;
        int r = 0;

        if (u->outcome == UNDO_UNCHANGED) {
                if (m->journal && journal_phase(m->journal) != PHASE_CLEANED)
                        (void) journal_save_phase(m->journal, PHASE_CLEANED);
                return UNDO_UNCHANGED;
        }
        /* From the first file removed on, the host changed, whatever
         * follows. */
        m->changed = true;
        if (!old_root_gone(m->old_root)) {
                r = remove_old_tree(m, m->old_root);
                if (r < 0)
                        (void) error_set(&u->error, r, "Failed to remove %s: %m", m->old_root);
                else
                        undo_step(u, "delete-old");
        }
        if (r >= 0)
                r = cleanup_containerd(m, &u->error);
        if (r > 0)
                undo_step(u, "delete-old-containerd");
        if (r < 0)
                return u->outcome = UNDO_FAILED;
        (void) journal_save_phase(m->journal, PHASE_CLEANED);
        return u->outcome = UNDO_CLEANED;
}

int undo_plan(UndoKind kind, Undo **ret, char **ret_error) {
        _cleanup_(undo_freep) Undo *u = NULL;
        MoveRequest req = {};
        int r;

        u = calloc(1, sizeof(Undo));
        if (!u)
                return -ENOMEM;
        u->kind = kind;
        r = move_new(&req, &u->m);
        if (r < 0)
                return r;

        r = undo_load(u, ret_error);
        if (r == UNDO_PLANNED)
                switch (u->kind) {
                case UNDO_ABANDON:
                case UNDO_FINISH:
                        r = undo_plan_abandon(u, ret_error);
                        break;
                case UNDO_ROLLBACK:
                        r = undo_plan_rollback(u, ret_error);
                        break;
                case UNDO_RESOLVE:
                        r = undo_plan_resolve(u, ret_error);
                        break;
                default:
                        r = plan_cleanup(u);
                }
        if (r < 0)
                return r;
        u->outcome = r;
        *ret = TAKE_PTR(u);
        return r;
}

int undo_execute(Undo *u) {
        if (u->outcome != UNDO_PLANNED && !(u->kind == UNDO_CLEANUP && u->outcome == UNDO_UNCHANGED))
                return -EINVAL;
        step_log_begin(&u->m->steps);
        switch (u->kind) {
        case UNDO_ABANDON:
        case UNDO_FINISH: {
                /* A move killed during its copy left its volume mounted
                 * with the zeroing of ext4's inode tables deferred. */
                int r = undo_execute_abandon(u);
                return move_resume_itable_init(u->m) < 0 ? -ENOMEM : r;
        }
        case UNDO_ROLLBACK:
                return undo_execute_rollback(u);
        case UNDO_RESOLVE:
                return undo_execute_resolve(u);
        default:
                return execute_cleanup(u);
        }
}

void undo_summary(const Undo *u, UndoSummary *ret) {
        const Move *m = u->m;

        *ret = (UndoSummary){
                .kind = u->kind,
                .outcome = u->outcome,
                .old_root = m->old_root,
                .new_root = m->new_root,
                .interrupted_at = move_phase_to_string(m->resume_phase),
                .resolved_as = u->kind == UNDO_RESOLVE ? move_phase_to_string(u->resolved_as) : NULL,
                .on_old = u->on_old,
                .bytes = m->size.bytes,
                .inodes = m->size.inodes,
                .plan = u->plan,
                .diff = m->diff,
                .warnings = m->warnings,
                .error = u->error,
                .advice = u->advice,
        };
}
