/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

        flat = strdup(path_in_root[0] == '/' ? path_in_root + 1 : path_in_root);
        if (!flat)
                return -ENOMEM;
        for (char *p = flat; *p; p++)
                if (*p == '/')
                        *p = '_';
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
