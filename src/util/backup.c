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
        _cleanup_free_ char *src = root_path(root, path_in_root), *dir = root_path(root, BACKUP_DIR), *flat = NULL;
        char stamp[32];
        struct tm tm;
        time_t now = time(NULL);
        int r;

        if (!src || !dir)
                return -ENOMEM;
        if (!file_exists(src)) {
                *ret_backup_path = NULL;
                return 0;
        }
        r = mkdir_p(dir, 0700);
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
                _cleanup_free_ char *inside = NULL, *full = NULL;
                if ((n == 0 ? asprintf(&inside, "%s/%s-%s", BACKUP_DIR, stamp, flat)
                            : asprintf(&inside, "%s/%s.%u-%s", BACKUP_DIR, stamp, n, flat)) < 0)
                        return -ENOMEM;
                full = root_path(root, inside);
                if (!full)
                        return -ENOMEM;
                if (file_exists(full))
                        continue;
                r = copy_file_atomic(src, full);
                if (r < 0)
                        return r;
                *ret_backup_path = TAKE_PTR(inside);
                return 0;
        }
        return -EEXIST;
}
