/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/backup.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"

int backup_dir_check(const char *root) {
        _cleanup_close_ int dfd = -1;
        int r;

        r = open_dir_beneath(root, BACKUP_DIR, 0, &dfd);
        return r == -ENOENT ? 0 : r;
}

static int backup_flat_name(const char *path_in_root, char **ret) {
        char *flat = strdup(path_in_root[0] == '/' ? path_in_root + 1 : path_in_root);

        if (!flat)
                return -ENOMEM;
        for (char *p = flat; *p; p++)
                if (*p == '/')
                        *p = '_';
        *ret = flat;
        return 0;
}

int backup_file(const char *root, const char *path_in_root, char **ret_backup_path) {
        _cleanup_free_ char *src = root_path(root, path_in_root), *flat = NULL, *data = NULL;
        _cleanup_close_ int dfd = -1;
        char stamp[32];
        struct stat st;
        struct tm tm;
        time_t now = time(NULL);
        size_t size;
        int r;

        if (!src)
                return -ENOMEM;
        /* The path is resolved already: a symlink here appeared since, and is
         * not followed. */
        r = read_full_file_flags(src, 0, READ_NOFOLLOW, &data, &size);
        if (r == -ENOENT) {
                *ret_backup_path = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        if (lstat(src, &st) < 0)
                return negative_errno();

        /* The directory is reached without following a symlink at any step:
         * a link planted at /var/lib/docker-relocate or its backups/ must not
         * send copies of the configuration elsewhere. */
        r = open_dir_beneath(root, BACKUP_DIR, 0700, &dfd);
        if (r < 0)
                return r;

        r = backup_flat_name(path_in_root, &flat);
        if (r < 0)
                return r;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);

        /* Never overwrite an earlier backup, not even one from the same second. */
        for (unsigned n = 0; n < 1000; n++) {
                _cleanup_free_ char *name = NULL, *inside = NULL;
                struct stat bst;

                if ((n == 0 ? asprintf(&name, "%s-%s", stamp, flat) : asprintf(&name, "%s.%u-%s", stamp, n, flat)) < 0)
                        return -ENOMEM;
                if (fstatat(dfd, name, &bst, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
                        continue;
                r = write_file_atomic_at(dfd, name, data, size, st.st_mode & 07777);
                if (r < 0)
                        return r;
                /* A backup carries the original's owner too. */
                (void) fchownat(dfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
                if (asprintf(&inside, "%s/%s", BACKUP_DIR, name) < 0)
                        return -ENOMEM;
                *ret_backup_path = TAKE_PTR(inside);
                return 0;
        }
        return -EEXIST;
}

typedef struct BackupName {
        char *name;
        char stamp[16]; /* YYYYmmddTHHMMSS */
        unsigned n;     /* the ".N" of a second backup within the same second */
} BackupName;

/* "<stamp>[.N]-<flat>" for this very flat name, or false. */
static bool parse_backup_name(const char *name, const char *flat, BackupName *ret) {
        const char *p = name, *dash;
        unsigned n = 0;

        for (int i = 0; i < 15; i++)
                if (i == 8 ? p[i] != 'T' : (p[i] < '0' || p[i] > '9'))
                        return false;
        dash = p + 15;
        if (*dash == '.') {
                char *end;

                errno = 0;
                n = (unsigned) strtoul(dash + 1, &end, 10);
                if (errno != 0 || end == dash + 1 || *end != '-')
                        return false;
                dash = end;
        }
        if (*dash != '-' || !streq(dash + 1, flat))
                return false;
        memcpy(ret->stamp, name, 15);
        ret->stamp[15] = 0;
        ret->n = n;
        return true;
}

static int cmp_backup_name(const void *a, const void *b) {
        const BackupName *x = a, *y = b;
        int c = strcmp(x->stamp, y->stamp);

        if (c != 0)
                return c;
        return x->n < y->n ? -1 : x->n > y->n;
}

int backup_prune(const char *root, const char *path_in_root, unsigned keep, char *const *protected) {
        _cleanup_free_ char *flat = NULL;
        _cleanup_free_ BackupName *all = NULL;
        _cleanup_close_ int dfd = -1;
        size_t n = 0, allocated = 0;
        struct dirent *de;
        DIR *d;
        int removed = 0, r = 0;

        r = backup_flat_name(path_in_root, &flat);
        if (r < 0)
                return r;
        /* Never through a symlink planted at any step of the way, as
         * backup_file() reaches the directory. */
        r = open_dir_beneath(root, BACKUP_DIR, 0, &dfd);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                BackupName b = {};

                if (!parse_backup_name(de->d_name, flat, &b))
                        continue;
                if (n == allocated) {
                        BackupName *na = reallocarray(all, allocated ? allocated * 2 : 16, sizeof(BackupName));
                        if (!na) {
                                r = -ENOMEM;
                                break;
                        }
                        all = na;
                        allocated = allocated ? allocated * 2 : 16;
                }
                b.name = strdup(de->d_name);
                if (!b.name) {
                        r = -ENOMEM;
                        break;
                }
                all[n++] = b;
        }
        closedir(d);

        if (r >= 0 && n > keep) {
                qsort_safe(all, n, sizeof(BackupName), cmp_backup_name);
                /* The oldest first; the newest "keep" stay. */
                for (size_t i = 0; i < n - keep; i++) {
                        _cleanup_free_ char *inside = path_join(BACKUP_DIR, all[i].name);
                        bool wanted = false;

                        if (!inside) {
                                r = -ENOMEM;
                                break;
                        }
                        for (char *const *p = protected; p && *p; p++)
                                if (streq(*p, inside))
                                        wanted = true;
                        if (wanted)
                                continue;
                        if (unlinkat(dfd, all[i].name, 0) < 0 && errno != ENOENT) {
                                r = negative_errno();
                                break;
                        }
                        removed++;
                }
        }
        for (size_t i = 0; i < n; i++)
                free(all[i].name);
        return r < 0 ? r : removed;
}
