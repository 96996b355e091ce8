/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Applying a plan with its write-ahead undo record: the backups first,
 * then the files; putting them back from that record, whatever point the
 * apply reached; and the plan that reverts an applied record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/edit.h"
#include "util/backup.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/test-hook.h"
void edit_undo_done(EditUndo *u) {
        for (size_t i = 0; i < u->n; i++) {
                free(u->files[i].path);
                free(u->files[i].backup);
                free(u->files[i].new);
                free(u->files[i].made_dir);
        }
        free(u->files);
        *u = (EditUndo){};
}

int edit_undo_add(EditUndo *u, const char *path, const char *backup, const char *new) {
        FileUndo *n;

        n = realloc(u->files, (u->n + 1) * sizeof(FileUndo));
        if (!n)
                return -ENOMEM;
        u->files = n;
        n[u->n] = (FileUndo){
                .path = strdup(path),
                .backup = backup ? strdup(backup) : NULL,
                .new = new ? strdup(new) : NULL,
        };
        if (!n[u->n].path || (backup && !n[u->n].backup) || (new && !n[u->n].new)) {
                free(n[u->n].path);
                free(n[u->n].backup);
                free(n[u->n].new);
                return -ENOMEM;
        }
        u->n++;
        return 0;
}

int edit_undo_set_made_dir(EditUndo *u, const char *dir) {
        char *d;

        if (u->n == 0 || !dir)
                return 0;
        d = strdup(dir);
        if (!d)
                return -ENOMEM;
        free(u->files[u->n - 1].made_dir);
        u->files[u->n - 1].made_dir = d;
        return 0;
}

/* The topmost missing directory on the way to path (inside root), which
 * writing the file will make; NULL in *ret when its directory is there. */
static int missing_dir_of(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *dir = path_dirname(path), *top = NULL;

        if (!dir)
                return -ENOMEM;
        while (!streq(dir, "/") && !streq(dir, ".")) {
                _cleanup_free_ char *full = root_path(root, dir);
                char *up;
                struct stat st;

                if (!full)
                        return -ENOMEM;
                if (lstat(full, &st) >= 0)
                        break;
                if (errno != ENOENT)
                        return negative_errno();
                free(top);
                top = TAKE_PTR(dir);
                up = path_dirname(top);
                if (!up)
                        return -ENOMEM;
                dir = up;
        }
        *ret = TAKE_PTR(top);
        return 0;
}

int edit_plan_backup(const EditPlan *p, const char *root, EditUndo *ret) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        int r;

        /* Every backup before the first write: once the caller has recorded
         * them, there is no moment at which a file is changed and its old
         * content is not known. */
        for (size_t i = 0; i < p->n; i++) {
                _cleanup_free_ char *bak = NULL, *made = NULL;

                r = backup_file(root, p->edits[i].path, &bak);
                if (r < 0)
                        return r;
                if (!bak && p->edits[i].new) {
                        r = missing_dir_of(root, p->edits[i].path, &made);
                        if (r < 0)
                                return r;
                }
                r = edit_undo_add(&u, p->edits[i].path, bak, p->edits[i].new);
                if (r >= 0)
                        r = edit_undo_set_made_dir(&u, made);
                if (r < 0)
                        return r;
        }
        *ret = u;
        u = (EditUndo){};
        return 0;
}

int edit_plan_write(const EditPlan *p, const char *root, const EditUndo *u) {
        int r;

        for (size_t i = 0; i < p->n; i++) {
                const FileEdit *e = &p->edits[i];

                /* The path is resolved: a symlink that appears on the way
                 * since the plan is not followed (-ELOOP), and a mount point
                 * is written in place (util/fileio.h). */
                if (e->new)
                        r = write_file_beneath(root, e->path, e->new, strlen(e->new), e->mode, 0755);
                else {
                        r = unlink_file_beneath(root, e->path);
                        if (r >= 0 && e->made_dir)
                                (void) rmdir_empty_beneath(root, e->path, e->made_dir);
                }
                if (r < 0)
                        goto undo;
                /* Test hook: killed with i + 1 files written. */
                test_hook_crash("config-file-%zu", i + 1);
        }
        return 0;

undo:
        /* Leave the host as it was: put back what was already written. */
        (void) edit_undo_restore(u, root, NULL);
        return r;
}

/* Puts the backup's content (and its mode and owner, the original's) back
 * at path, never through a symlink. */
static int restore_from(const char *root, const char *path, const char *backup_full, const char *data, size_t size) {
        _cleanup_free_ char *full = root_path(root, path);
        struct stat st;
        int r;

        if (!full)
                return -ENOMEM;
        if (stat(backup_full, &st) < 0)
                return negative_errno();
        r = write_file_beneath(root, path, data, size, st.st_mode & 07777, 0755);
        if (r < 0)
                return r;
        (void) fchmodat(AT_FDCWD, full, st.st_mode & 07777, 0);
        (void) fchownat(AT_FDCWD, full, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        return 0;
}

static bool content_is(const char *data, size_t size, const char *s) {
        return size == strlen(s) && memcmp(data, s, size) == 0;
}

int edit_undo_restore(const EditUndo *u, const char *root, char ***ret_changed) {
        _cleanup_strv_free_ char **changed = NULL;
        int ret = 0, r;

        for (size_t i = 0; i < u->n; i++) {
                const FileUndo *f = &u->files[i];
                _cleanup_free_ char *full = root_path(root, f->path), *bfull = NULL, *now = NULL, *old = NULL;
                size_t now_size = 0, old_size = 0;
                bool exists;

                if (!full)
                        return -ENOMEM;
                r = read_full_file(full, 0, &now, &now_size);
                if (r < 0 && r != -ENOENT) {
                        if (ret == 0)
                                ret = r;
                        continue;
                }
                exists = r >= 0;

                if (!f->backup) {
                        /* The plan created the file: it goes, unless it is
                         * not the plan's, and so do the directories its
                         * write made, once empty (also when the file is
                         * not there: a run killed after making them). */
                        if (exists && f->new && !content_is(now, now_size, f->new)) {
                                r = strv_extend(&changed, f->path);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (exists && unlink(full) < 0 && errno != ENOENT) {
                                if (ret == 0)
                                        ret = negative_errno();
                                continue;
                        }
                        if (f->made_dir)
                                (void) rmdir_empty_beneath(root, f->path, f->made_dir);
                        continue;
                }

                bfull = root_path(root, f->backup);
                if (!bfull)
                        return -ENOMEM;
                r = read_full_file(bfull, 0, &old, &old_size);
                if (r < 0) {
                        /* The backup is gone: the old content is not known. */
                        if (ret == 0)
                                ret = r;
                        continue;
                }
                if (exists && now_size == old_size && memcmp(now, old, now_size) == 0)
                        continue; /* not written yet, or restored already */
                /* Neither old nor new: someone changed the file since,
                 * unless it is a mount point that a killed run was writing
                 * in place. */
                if (exists && f->new && !content_is(now, now_size, f->new) &&
                    !(file_is_mount_point(full) > 0 &&
                      file_is_torn_write(now, now_size, old, old_size, f->new, strlen(f->new)))) {
                        r = strv_extend(&changed, f->path);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = restore_from(root, f->path, bfull, old, old_size);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (ret == 0 && changed)
                ret = -EBUSY;
        if (ret_changed)
                *ret_changed = TAKE_PTR(changed);
        return ret;
}

/* The content of path now: through the overlay when it names the file,
 * else from disk. *ret NULL: there is no such file. */
static int content_now(const char *root, const SourceSet *overlay, const char *path, char **ret) {
        _cleanup_free_ char *full = NULL, *data = NULL;
        const char *over;
        int r;

        if (overlay && source_set_overlay_get(overlay, path, &over) > 0) {
                data = over ? strdup(over) : NULL;
                if (over && !data)
                        return -ENOMEM;
        } else {
                full = root_path(root, path);
                if (!full)
                        return -ENOMEM;
                r = read_full_file(full, 0, &data, NULL);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        *ret = TAKE_PTR(data);
        return 0;
}

int edit_undo_plan_revert(const EditUndo *u, const char *root, const SourceSet *overlay, EditPlan *ret,
                          char ***ret_why) {
        _cleanup_(edit_plan_done) EditPlan p = {};
        _cleanup_strv_free_ char **why = NULL;
        int r;

        for (size_t i = 0; i < u->n; i++) {
                const FileUndo *f = &u->files[i];
                _cleanup_free_ char *now = NULL, *bfull = NULL, *old = NULL;
                size_t old_size = 0;
                struct stat st = { .st_mode = 0644 };

                if (!f->new) {
                        r = strv_extendf(&why, "the record of %s does not say what was written there", f->path);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = content_now(root, overlay, f->path, &now);
                if (r < 0)
                        return r;
                if (!now || !streq(now, f->new)) {
                        r = strv_extendf(&why, "%s %s since", f->path, now ? "was changed" : "was removed");
                        if (r < 0)
                                return r;
                        continue;
                }
                if (f->backup) {
                        bfull = root_path(root, f->backup);
                        if (!bfull)
                                return -ENOMEM;
                        r = read_full_file(bfull, 0, &old, &old_size);
                        if (r < 0 && r != -ENOENT)
                                return r;
                        /* A NUL byte would end the content early: not
                         * the old bytes. */
                        if (r == -ENOENT || stat(bfull, &st) < 0 || strlen(old) != old_size) {
                                r = strv_extendf(&why, "the backup %s of %s cannot be read", f->backup, f->path);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                }
                r = edit_plan_add(&p, f->path, now, old, st.st_mode & 07777);
                if (r < 0)
                        return r;
                if (!f->backup && f->made_dir && !(p.edits[p.n - 1].made_dir = strdup(f->made_dir)))
                        return -ENOMEM;
        }
        if (why) {
                *ret_why = TAKE_PTR(why);
                return 0;
        }
        *ret = p;
        p = (EditPlan){};
        return 1;
}

int edit_undo_overlay(const EditUndo *u, const char *root, SourceSet *overlay) {
        int r;

        for (size_t i = 0; i < u->n; i++) {
                _cleanup_free_ char *bfull = NULL, *old = NULL;

                if (u->files[i].backup) {
                        bfull = root_path(root, u->files[i].backup);
                        if (!bfull)
                                return -ENOMEM;
                        r = read_full_file(bfull, 0, &old, NULL);
                        if (r < 0)
                                return r;
                }
                r = source_set_overlay(overlay, u->files[i].path, old);
                if (r < 0)
                        return r;
        }
        return 0;
}

int edit_undo_to_backups(const EditUndo *u, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        for (size_t i = 0; i < u->n; i++) {
                char *entry;

                if (asprintf(&entry, "%s=%s", u->files[i].path, strempty(u->files[i].backup)) < 0)
                        return -ENOMEM;
                r = strv_consume(&l, entry);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int edit_undo_from_backups(char *const *backups, EditUndo *ret) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        int r;

        STRV_FOREACH(b, backups) {
                _cleanup_free_ char *path = strdup(*b);
                char *eq;

                if (!path)
                        return -ENOMEM;
                eq = strchr(path, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                r = edit_undo_add(&u, path, isempty(eq + 1) ? NULL : eq + 1, NULL);
                if (r < 0)
                        return r;
        }
        *ret = u;
        u = (EditUndo){};
        return 0;
}

int edit_plan_restore(const char *root, char *const *backups) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        int r;

        r = edit_undo_from_backups(backups, &u);
        if (r < 0)
                return r;
        return edit_undo_restore(&u, root, NULL);
}

int edit_plan_apply(const EditPlan *p, const char *root, char ***ret_backups) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_strv_free_ char **backups = NULL;
        int r;

        r = edit_plan_backup(p, root, &u);
        if (r < 0)
                return r;
        if (ret_backups) {
                r = edit_undo_to_backups(&u, &backups);
                if (r < 0)
                        return r;
        }
        r = edit_plan_write(p, root, &u);
        if (r < 0)
                return r;
        if (ret_backups)
                *ret_backups = TAKE_PTR(backups);
        return 0;
}
