/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/macro.h"
#include "util/path.h"
#include "util/precheck.h"
#include "util/strv.h"

static int reason(char **ret_reason, const char *fmt, ...) _printf_(2, 3);
static int reason(char **ret_reason, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(ret_reason, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : 1;
}

/* path or its directory, whichever is a symlink, or NULL: the file and the
 * directory holding it are the writer's own; the ancestors above belong to
 * the system and are followed as they are. */
static int own_symlink(const char *path, char **ret_link) {
        _cleanup_free_ char *dir = path_dirname(path);
        const char *const cand[] = { path, dir };
        struct stat st;

        if (!dir)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(cand); i++) {
                if (lstat(cand[i], &st) < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        return negative_errno();
                }
                if (S_ISLNK(st.st_mode)) {
                        *ret_link = strdup(cand[i]);
                        return *ret_link ? 1 : -ENOMEM;
                }
        }
        *ret_link = NULL;
        return 0;
}

/* What stops a write into the directory dir (which exists). */
static int check_dir_writable(const char *dir, const char *what, char **ret_reason) {
        struct statx stx;

        if (statx(AT_FDCWD, dir, 0, STATX_BASIC_STATS, &stx) < 0)
                return negative_errno();
        if (!S_ISDIR(stx.stx_mode))
                return reason(ret_reason, "%s cannot be made: %s is not a directory", what, dir);
        if ((stx.stx_attributes_mask & STATX_ATTR_IMMUTABLE) && (stx.stx_attributes & STATX_ATTR_IMMUTABLE))
                return reason(ret_reason, "%s cannot be written: its directory %s is immutable (chattr -i it first)",
                              what, dir);
        if (access(dir, W_OK | X_OK) < 0) {
                if (errno == EROFS)
                        return reason(ret_reason, "%s cannot be written: %s is on a read-only filesystem", what,
                                      dir);
                if (errno == EACCES || errno == EPERM)
                        return reason(ret_reason, "%s cannot be written: %s may not be written into (%s)", what, dir,
                                      strerror(errno));
                return negative_errno();
        }
        return 0;
}

/* The nearest existing ancestor of path (path itself if it exists). */
static int existing_ancestor(const char *path, char **ret) {
        _cleanup_free_ char *p = path_normalize(path);

        if (!p)
                return -ENOMEM;
        for (;;) {
                char *s;

                if (access(p, F_OK) == 0 || (errno != ENOENT && errno != ENOTDIR)) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
                s = strrchr(p, '/');
                if (!s || s == p) {
                        *ret = strdup("/");
                        return *ret ? 0 : -ENOMEM;
                }
                *s = '\0';
        }
}

int precheck_mkdir(const char *dir, bool follow, char **ret_reason) {
        _cleanup_free_ char *anc = NULL;
        int r;

        if (!path_is_absolute(dir))
                return -EINVAL;
        if (!follow) {
                struct stat st;

                if (lstat(dir, &st) >= 0 && S_ISLNK(st.st_mode))
                        return reason(ret_reason, "%s is a symbolic link: remove the link, or make it a directory",
                                      dir);
        }
        r = existing_ancestor(dir, &anc);
        if (r < 0)
                return r;
        return check_dir_writable(anc, dir, ret_reason);
}

int precheck_replace(const char *path, bool follow, char **ret_reason) {
        _cleanup_free_ char *real = NULL, *dir = NULL, *link = NULL;
        struct statx stx, dstx;
        int r;

        if (!path_is_absolute(path))
                return -EINVAL;
        if (!follow) {
                r = own_symlink(path, &link);
                if (r < 0)
                        return r;
                if (r > 0)
                        return reason(ret_reason, "%s is %s symbolic link (%s): remove the link; this file is "
                                                  "written only as a plain file in a plain directory",
                                      path, streq(link, path) ? "a" : "in a directory that is a", link);
                real = strdup(path);
        } else {
                r = path_resolve_physical(NULL, path, &real);
                if (r < 0)
                        return reason(ret_reason, "%s cannot be resolved: %s", path, strerror(-r));
        }
        if (!real)
                return -ENOMEM;
        dir = path_dirname(real);
        if (!dir)
                return -ENOMEM;

        if (statx(AT_FDCWD, real, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID, &stx) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                /* A new file: its directory must be there, or be makeable. */
                return precheck_mkdir(dir, follow, ret_reason);
        }
        if (!S_ISREG(stx.stx_mode))
                return reason(ret_reason, "%s is not a regular file (%s): it cannot be rewritten safely", real,
                              S_ISDIR(stx.stx_mode)    ? "a directory"
                              : S_ISFIFO(stx.stx_mode) ? "a FIFO"
                              : S_ISLNK(stx.stx_mode)  ? "a symbolic link"
                                                       : "a special file");
        if ((stx.stx_attributes_mask & STATX_ATTR_IMMUTABLE) && (stx.stx_attributes & STATX_ATTR_IMMUTABLE))
                return reason(ret_reason, "%s is immutable: chattr -i it first", real);
        if ((stx.stx_attributes_mask & STATX_ATTR_APPEND) && (stx.stx_attributes & STATX_ATTR_APPEND))
                return reason(ret_reason, "%s is append-only: chattr -a it first", real);

        /* A file bound over the path (containers, nspawn, some images) is a
         * mount point of its own: a rename onto it fails with EBUSY, so
         * write_file_atomic() rewrites it in place. Then only the file
         * itself, on its own mount, takes the write; its directory is not
         * touched. */
        if (statx(AT_FDCWD, dir, 0, STATX_MNT_ID, &dstx) < 0)
                return negative_errno();
        if (((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) ||
            ((stx.stx_mask & STATX_MNT_ID) && (dstx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id != dstx.stx_mnt_id)) {
                if (faccessat(AT_FDCWD, real, W_OK, AT_EACCESS) >= 0)
                        return 0;
                if (errno == EROFS)
                        return reason(ret_reason,
                                      "%s is a mount point (a file bound over it) on a read-only mount: it is "
                                      "written in place, so its mount must be writable",
                                      real);
                if (errno == EACCES || errno == EPERM)
                        return reason(ret_reason, "%s is a mount point (a file bound over it) that may not be "
                                                  "written (%s)",
                                      real, strerror(errno));
                return negative_errno();
        }
        return check_dir_writable(dir, real, ret_reason);
}

int precheck_writes(const PrecheckWrite *w, size_t n, char ***refusals) {
        int r;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *why = NULL, *line = NULL;

                if (!w[i].path)
                        continue;
                r = w[i].dir ? precheck_mkdir(w[i].path, w[i].follow, &why)
                             : precheck_replace(w[i].path, w[i].follow, &why);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (asprintf(&line, "%s cannot be written: %s", w[i].what, why) < 0)
                        return -ENOMEM;
                r = strv_consume(refusals, TAKE_PTR(line));
                if (r < 0)
                        return r;
        }
        return 0;
}
