/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/backup.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"

int backup_file(const char *root, const char *path_in_root, char **ret_backup_path) {
        _cleanup_free_ char *src = NULL, *dir = NULL, *name = NULL, *inside = NULL, *dst = NULL;
        char stamp[32];
        struct tm tm;
        time_t t;
        int r;

        if (!path_is_absolute(path_in_root))
                return -EINVAL;

        src = root_path(root, path_in_root);
        if (!src)
                return -ENOMEM;
        if (!file_exists(src)) {
                if (ret_backup_path)
                        *ret_backup_path = NULL;
                return 0;
        }

        t = time(NULL);
        if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0)
                return -EINVAL;

        /* "/etc/fstab" → "etc_fstab": one flat directory, names that still
         * say where each file came from. */
        name = strdup(path_in_root + 1);
        if (!name)
                return -ENOMEM;
        for (char *p = name; *p; p++)
                if (*p == '/')
                        *p = '_';

        /* Two changes within one second must not overwrite the first copy,
         * which is the one that holds the administrator's original. */
        for (unsigned i = 0;; i++) {
                inside = mfree(inside);
                dst = mfree(dst);
                if ((i == 0 ? asprintf(&inside, BACKUP_DIR "/%s-%s", stamp, name)
                            : asprintf(&inside, BACKUP_DIR "/%s.%u-%s", stamp, i, name)) < 0)
                        return -ENOMEM;
                dst = root_path(root, inside);
                if (!dst)
                        return -ENOMEM;
                if (!file_exists(dst))
                        break;
                if (i >= 1000)
                        return -EEXIST;
        }
        dir = root_path(root, BACKUP_DIR);
        if (!dir)
                return -ENOMEM;

        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        r = copy_file_atomic(src, dst);
        if (r < 0)
                return r;

        if (ret_backup_path)
                *ret_backup_path = TAKE_PTR(inside);
        return 0;
}
