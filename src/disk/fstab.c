/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/fstab.h"
#include "util/backup.h"
#include "util/fileio.h"
#include "util/libmount-util.h"
#include "util/macro.h"
#include "util/path.h"

/* Whether a comment block ends with our marker line. */
static bool comment_marks(const char *c) {
        const char *last = NULL;
        size_t l = strlen(FSTAB_MARKER);

        if (!c)
                return false;
        for (const char *p = c; (p = strstr(p, FSTAB_MARKER)); p += l)
                last = p;
        if (!last)
                return false;
        return strspn(last + l, " \t\n") == strlen(last + l);
}

static bool is_ours(struct libmnt_table *tb, struct libmnt_fs *fs) {
        struct libmnt_fs *first = NULL;

        if (comment_marks(mnt_fs_get_comment(fs)))
                return true;
        /* libmount files the comments above the first entry as the file's
         * "intro" unless a blank line separates them: our marker is there
         * when our line comes first. */
        return mnt_table_first_fs(tb, &first) == 0 && first == fs &&
               comment_marks(mnt_table_get_intro_comment(tb));
}

/* The UUID an fstab source names, if it names one. */
static const char *source_uuid(struct libmnt_fs *fs) {
        const char *name = NULL, *value = NULL, *src;

        if (mnt_fs_get_tag(fs, &name, &value) == 0 && streq(name, "UUID"))
                return value;
        src = mnt_fs_get_source(fs);
        return src ? startswith(src, "/dev/disk/by-uuid/") : NULL;
}

static bool target_is(struct libmnt_fs *fs, const char *target) {
        const char *t = mnt_fs_get_target(fs);
        _cleanup_free_ char *n = t ? path_normalize(t) : NULL;
        return n && streq(n, target);
}

static char *format_line(struct libmnt_fs *fs) {
        char *s;
        if (asprintf(&s, "%s %s %s %s", strna(mnt_fs_get_source(fs)), strna(mnt_fs_get_target(fs)),
                     strna(mnt_fs_get_fstype(fs)), strna(mnt_fs_get_options(fs))) < 0)
                return NULL;
        return s;
}

static int table_to_string(struct libmnt_table *tb, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        r = mnt_table_write_file(tb, f);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        return 0;
}

static int count_bad_line(struct libmnt_table *tb, const char *filename, int line) {
        int *first = mnt_table_get_userdata(tb);

        (void) filename;
        if (first && *first == 0)
                *first = line;
        return 1; /* skip it, as a mount at boot does */
}

/* What libmount would drop from the file at path when it writes the table
 * back: a line it cannot parse (it skips it), a comment after an entry's
 * fields, a last comment line without its newline. The first, in
 * *ret_what ("line N: why"); 0 when there is none, 1 when there is. */
static int rewrite_loses(const char *path, char **ret_what) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        unsigned lineno = 0;
        int bad = 0, r;

        r = read_full_file(path, 0, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        tb = mnt_new_table();
        if (!tb)
                return -ENOMEM;
        mnt_table_enable_comments(tb, 1);
        (void) mnt_table_set_userdata(tb, &bad);
        (void) mnt_table_set_parser_errcb(tb, count_bad_line);
        r = mnt_table_parse_fstab(tb, path);
        if (r < 0)
                return r == -1 ? -EINVAL : r;
        if (bad > 0)
                return asprintf(ret_what, "line %d is no fstab entry", bad) < 0 ? -ENOMEM : 1;

        for (const char *l = text; l < text + size;) {
                const char *end = memchr(l, '\n', (size_t) (text + size - l)), *p = l;
                size_t len = end ? (size_t) (end - l) : (size_t) (text + size - l);

                lineno++;
                while (p < l + len && strchr(" \t", *p))
                        p++;
                if (p < l + len && *p == '#' && !end)
                        return asprintf(ret_what, "line %u, a comment, has no newline at its end", lineno) < 0
                                       ? -ENOMEM
                                       : 1;
                if (p < l + len && *p != '#' && memchr(p, '#', (size_t) (l + len - p)))
                        return asprintf(ret_what, "line %u has a comment after its fields", lineno) < 0 ? -ENOMEM
                                                                                                          : 1;
                l = end ? end + 1 : text + size;
        }
        return 0;
}

int fstab_check_rewrite(const char *path, char **ret_what) {
        _cleanup_free_ char *what = NULL;
        int r = rewrite_loses(path, &what);

        if (r <= 0)
                return r;
        if (ret_what)
                *ret_what = TAKE_PTR(what);
        return -EBADMSG;
}

static bool fs_is_exactly(struct libmnt_fs *fs, const char *source, const char *target, const char *fstype) {
        const char *s = mnt_fs_get_source(fs), *t = mnt_fs_get_target(fs), *f = mnt_fs_get_fstype(fs),
                   *o = mnt_fs_get_options(fs);
        return s && t && f && o && streq(s, source) && streq(t, target) && streq(f, fstype) &&
               streq(o, FSTAB_OPTIONS) && mnt_fs_get_freq(fs) == 0 && mnt_fs_get_passno(fs) == 2;
}

int fstab_edit(const char *path, const char *uuid, const char *target, const char *fstype, char **ret_content,
               char **ret_conflict) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_(mnt_unref_fsp) struct libmnt_fs *add = NULL;
        _cleanup_free_ char *source = NULL, *norm = path_normalize(target), *comment = NULL;
        struct libmnt_fs *fs, *insert_after = NULL;
        unsigned ours_matching = 0, ours_exact = 0;
        int r;

        if (!norm)
                return -ENOMEM;
        if (asprintf(&source, "UUID=%s", uuid) < 0)
                return -ENOMEM;

        r = libmount_parse(path, LIBMOUNT_FSTAB, &tb, &it);
        if (r < 0)
                return r;

        /* First pass: conflicts with lines that are not ours. */
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *u = source_uuid(fs);
                bool same_target = target_is(fs, norm), same_uuid = u && streq(u, uuid);

                if (is_ours(tb, fs)) {
                        if (same_target || same_uuid) {
                                ours_matching++;
                                if (fs_is_exactly(fs, source, norm, fstype))
                                        ours_exact++;
                        }
                        continue;
                }
                if (same_target && same_uuid)
                        /* The administrator mounts it there already, their
                         * way; adding ours would mount it twice. */
                        return 0;
                if (same_target || same_uuid) {
                        if (ret_conflict)
                                *ret_conflict = format_line(fs);
                        return -EEXIST;
                }
        }

        if (ours_matching == 1 && ours_exact == 1)
                return 0;
        /* The table is written back whole: nothing of the administrator's
         * may be lost on the way. */
        r = fstab_check_rewrite(path, ret_conflict);
        if (r < 0)
                return r;

        /* Second pass: drop our earlier lines for this volume or this mount
         * point; the new one goes where the first of them was. */
        mnt_reset_iter(it, MNT_ITER_FORWARD);
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *u = source_uuid(fs);

                if (!is_ours(tb, fs) || !(target_is(fs, norm) || (u && streq(u, uuid))))
                        continue;
                if (!insert_after) {
                        /* Rewritten in place below, so that it keeps its
                         * position and its marker comment. */
                        insert_after = fs;
                        continue;
                }
                r = mnt_table_remove_fs(tb, fs);
                if (r < 0)
                        return r;
        }

        if (insert_after) {
                fs = insert_after;
        } else {
                add = mnt_new_fs();
                if (!add)
                        return -ENOMEM;
                if (asprintf(&comment, "%s\n", FSTAB_MARKER) < 0)
                        return -ENOMEM;
                if (mnt_fs_set_comment(add, comment) < 0)
                        return -ENOMEM;
                r = mnt_table_add_fs(tb, add);
                if (r < 0)
                        return r;
                fs = add;
        }

        if (mnt_fs_set_source(fs, source) < 0 || mnt_fs_set_target(fs, norm) < 0 ||
            mnt_fs_set_fstype(fs, fstype) < 0 || mnt_fs_set_options(fs, FSTAB_OPTIONS) < 0)
                return -ENOMEM;
        mnt_fs_set_freq(fs, 0);
        mnt_fs_set_passno(fs, 2);

        r = table_to_string(tb, ret_content);
        if (r < 0)
                return r;
        return 1;
}

int fstab_check_target(const char *path, const char *target, char **ret_conflict) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_free_ char *norm = path_normalize(target);
        struct libmnt_fs *fs;
        int r;

        if (!norm)
                return -ENOMEM;
        r = libmount_parse(path, LIBMOUNT_FSTAB, &tb, &it);
        if (r < 0)
                return r;
        while (mnt_table_next_fs(tb, it, &fs) == 0)
                if (!is_ours(tb, fs) && target_is(fs, norm)) {
                        if (ret_conflict)
                                *ret_conflict = format_line(fs);
                        return -EEXIST;
                }
        /* Checked now, before the device is written: the line is added
         * by writing the table back whole. */
        return fstab_check_rewrite(path, ret_conflict);
}

int fstab_find_ours(const char *path, const char *uuid, char **ret_target) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        struct libmnt_fs *fs;
        int r;

        r = libmount_parse(path, LIBMOUNT_FSTAB, &tb, &it);
        if (r < 0)
                return r;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *u = source_uuid(fs);
                if (is_ours(tb, fs) && u && streq(u, uuid) && mnt_fs_get_target(fs)) {
                        *ret_target = strdup(mnt_fs_get_target(fs));
                        return *ret_target ? 0 : -ENOMEM;
                }
        }
        return -ENOENT;
}

int fstab_remove_ours(const char *path, const char *uuid, const char *target, char **ret_content) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_free_ char *norm = path_normalize(target);
        struct libmnt_fs *fs, *first = NULL;
        bool removed = false;
        int r;

        if (!norm)
                return -ENOMEM;
        r = libmount_parse(path, LIBMOUNT_FSTAB, &tb, &it);
        if (r < 0)
                return r;
        (void) mnt_table_first_fs(tb, &first);
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *u = source_uuid(fs);

                if (!is_ours(tb, fs) || !u || !streq(u, uuid) || !target_is(fs, norm))
                        continue;
                if (fs == first && !comment_marks(mnt_fs_get_comment(fs))) {
                        /* Our marker sits in the file's intro: it goes with
                         * the line. */
                        const char *intro = mnt_table_get_intro_comment(tb);
                        const char *m = intro ? strstr(intro, FSTAB_MARKER) : NULL;
                        _cleanup_free_ char *cut = NULL;

                        for (const char *n; m && (n = strstr(m + 1, FSTAB_MARKER));)
                                m = n;
                        if (m) {
                                cut = strndup(intro, (size_t) (m - intro));
                                if (!cut || mnt_table_set_intro_comment(tb, cut) < 0)
                                        return -ENOMEM;
                        }
                }
                r = mnt_table_remove_fs(tb, fs);
                if (r < 0)
                        return r;
                removed = true;
        }
        if (!removed)
                return 0;
        r = fstab_check_rewrite(path, NULL);
        if (r < 0)
                return r;
        r = table_to_string(tb, ret_content);
        return r < 0 ? r : 1;
}

int fstab_locate(const char *root, char **ret_resolved, char **ret_path) {
        _cleanup_free_ char *resolved = NULL, *path = NULL;
        int r;

        r = chase_path(root, "/etc/fstab", &resolved);
        if (r < 0)
                return r;
        path = root_path(root, resolved);
        if (!path)
                return -ENOMEM;
        if (ret_resolved)
                *ret_resolved = TAKE_PTR(resolved);
        *ret_path = TAKE_PTR(path);
        return 0;
}

char *fstab_path(const char *root) {
        char *path = NULL;
        int r = fstab_locate(root, NULL, &path);

        if (r == -ENOENT)
                return root_path(root, "/etc/fstab");
        return r < 0 ? NULL : path;
}

int fstab_write(const char *root, const char *content, char **ret_backup) {
        _cleanup_free_ char *resolved = NULL, *path = NULL, *backup = NULL, *record = NULL, *record_full = NULL;
        int r;

        r = fstab_locate(root, &resolved, &path);
        if (r < 0)
                return r;
        r = backup_file(root, resolved, &backup);
        if (r < 0)
                return r;
        /* A mount point is rewritten in place, which an interruption can
         * leave half done: the record of the write (the backup, then what
         * is written) is on disk before its first byte, so that the next
         * run can tell and put the backup back (fstab_recover()). A rename
         * needs none: the file is the old one or the new one. */
        if (backup && file_is_mount_point(path) > 0) {
                if (asprintf(&record, "%s\n%s", backup, content) < 0)
                        return -ENOMEM;
                record_full = root_path(root, FSTAB_PENDING);
                if (!record_full)
                        return -ENOMEM;
                r = write_file_beneath(root, FSTAB_PENDING, record, strlen(record), 0600, 0700);
                if (r < 0)
                        return r;
        }
        r = write_file_atomic(path, content, strlen(content), 0644);
        if (r < 0)
                return r;
        if (record_full && unlink(record_full) < 0)
                return negative_errno();
        if (ret_backup)
                *ret_backup = TAKE_PTR(backup);
        return 0;
}

int fstab_recover(const char *root, char **ret_backup) {
        _cleanup_free_ char *record_full = root_path(root, FSTAB_PENDING), *record = NULL, *path = NULL,
                            *bfull = NULL, *now = NULL, *old = NULL;
        size_t now_size = 0, old_size = 0;
        bool restored = false;
        const char *content;
        char *nl;
        int r;

        if (!record_full)
                return -ENOMEM;
        r = read_full_file_flags(record_full, 0, READ_NOFOLLOW, &record, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        nl = strchr(record, '\n');
        if (!nl)
                return -EBADMSG;
        *nl = '\0';
        content = nl + 1;

        r = fstab_locate(root, NULL, &path);
        if (r < 0)
                return r;
        r = read_full_file(path, 0, &now, &now_size);
        if (r == -ENOENT)
                goto done; /* removed since: nothing of ours to mend */
        if (r < 0)
                return r;
        bfull = root_path(root, record);
        if (!bfull)
                return -ENOMEM;
        r = read_full_file(bfull, 0, &old, &old_size);
        if (r < 0)
                return r;

        /* Written, not begun, or changed by someone since: nothing to put
         * back. Only the mixture a write cut short leaves is replaced. */
        if (!(now_size == strlen(content) && memcmp(now, content, now_size) == 0) &&
            !(now_size == old_size && memcmp(now, old, now_size) == 0) &&
            file_is_torn_write(now, now_size, old, old_size, content, strlen(content))) {
                r = write_file_atomic(path, old, old_size, 0644);
                if (r < 0)
                        return r;
                restored = true;
        }
done:
        if (unlink(record_full) < 0 && errno != ENOENT)
                return negative_errno();
        if (restored && ret_backup && !(*ret_backup = strdup(record)))
                return -ENOMEM;
        return restored;
}
