/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tree a copy reads, looked at before the copy: what is mounted below
 * it (Docker's mounts for running containers, or filesystems of the
 * administrator's), and its size as the copy sees it. */
#include <errno.h>
#include <fts.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "copy/copy.h"
#include "util/libmount-util.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

int copy_mounts_below(const char *mountinfo, const char *dir, char ***ret) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *t = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *d = path_normalize(dir);
        struct libmnt_fs *fs;
        int r;

        if (!d)
                return -ENOMEM;
        r = libmount_parse(mountinfo ?: "/proc/self/mountinfo", LIBMOUNT_MOUNTINFO, &t, &it);
        if (r < 0)
                return r;

        while ((r = mnt_table_next_fs(t, it, &fs)) == 0) {
                const char *target = mnt_fs_get_target(fs);
                if (!target || streq(target, d) || !path_startswith_dir(target, d))
                        continue;
                if (strv_contains(l, target))
                        continue; /* stacked mounts */
                r = strv_extend(&l, target);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return strv_sort_take(&l, ret);
}

typedef struct InodeKey {
        dev_t dev;
        ino_t ino;
} InodeKey;

static int cmp_inode(const void *a, const void *b) {
        const InodeKey *x = a, *y = b;

        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        if (x->ino != y->ino)
                return x->ino < y->ino ? -1 : 1;
        return 0;
}

static void fts_closep(FTS **f) {
        if (*f)
                fts_close(*f);
}

int copy_measure_tree(const char *dir, TreeSize *ret) {
        char *paths[] = { (char *) dir, NULL };
        _cleanup_(fts_closep) FTS *f = NULL;
        void *seen = NULL;
        TreeSize s = {};
        FTSENT *e;
        int r = 0;

        /* Physical walk (links not followed), not across mount points. */
        f = fts_open(paths, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
        if (!f)
                return negative_errno();

        for (;;) {
                const struct stat *st;

                errno = 0;
                e = fts_read(f);
                if (!e) {
                        if (errno != 0)
                                r = negative_errno();
                        break;
                }
                st = e->fts_statp;

                switch (e->fts_info) {
                case FTS_DP:
                        continue; /* directories are counted on the way in */
                case FTS_DNR:
                case FTS_ERR:
                case FTS_NS:
                        r = -e->fts_errno ?: -EIO;
                        goto finish;
                default:
                        break;
                }
                if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
                        InodeKey *k = malloc(sizeof(*k));
                        void *found;

                        if (!k) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        *k = (InodeKey){ st->st_dev, st->st_ino };
                        found = tsearch(k, &seen, cmp_inode);
                        if (!found) {
                                free(k);
                                r = -ENOMEM;
                                goto finish;
                        }
                        if (*(InodeKey **) found != k) {
                                free(k); /* another link of an inode counted already */
                                continue;
                        }
                }
                s.inodes++;
                s.bytes += (uint64_t) st->st_blocks * 512U;
                s.apparent_bytes += (uint64_t) st->st_size;
        }

finish:
        tdestroy(seen, free);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}
