/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "util/fileio.h"
#include "util/libmount-util.h"

int libmount_parse(const char *path, LibmountFormat format, struct libmnt_table **ret_table,
                   struct libmnt_iter **ret_iter) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        int r;

        if (!tb)
                return -ENOMEM;
        if (ret_iter) {
                it = mnt_new_iter(MNT_ITER_FORWARD);
                if (!it)
                        return -ENOMEM;
        }
        switch (format) {
        case LIBMOUNT_FSTAB:
                /* With the comments, libmount keeps the blank lines that
                 * go with them. */
                mnt_table_enable_comments(tb, 1);
                r = file_exists(path) ? mnt_table_parse_fstab(tb, path) : 0;
                break;
        case LIBMOUNT_SWAPS:
                r = mnt_table_parse_swaps(tb, path);
                break;
        default:
                r = mnt_table_parse_file(tb, path);
        }
        if (r < 0)
                return r == -1 ? -EINVAL : r;
        *ret_table = TAKE_PTR(tb);
        if (ret_iter)
                *ret_iter = TAKE_PTR(it);
        return 0;
}
