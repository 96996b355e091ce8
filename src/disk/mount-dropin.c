/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/mount-dropin.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"

int mount_dropin_content(const char *dir, char **ret) {
        return mount_dropin_content_for("Docker", "data root", dir, ret);
}

int mount_dropin_content_for(const char *who, const char *what, const char *dir, char **ret) {
        _cleanup_free_ char *esc = NULL;
        bool quote;
        char *o, *s;

        if (!path_is_absolute(dir) || strchr(dir, '\n'))
                return -EINVAL;

        /* systemd expands '%' specifiers and splits the list at blanks: a
         * mount point with a blank is quoted, a '%' is doubled, and '"' and
         * '\' are escaped inside the quotes. */
        esc = malloc(strlen(dir) * 2 + 1);
        if (!esc)
                return -ENOMEM;
        quote = strpbrk(dir, " \t\"\\") != NULL;
        o = esc;
        for (const char *c = dir; *c; c++) {
                if (*c == '%' || (quote && (*c == '"' || *c == '\\')))
                        *o++ = *c == '%' ? '%' : '\\';
                *o++ = *c;
        }
        *o = '\0';

        if (asprintf(&s,
                     "# Written by docker-relocate: %s must not start before its data\n"
                     "# volume is mounted, or it would create a new, empty %s underneath.\n"
                     "[Unit]\n"
                     "RequiresMountsFor=%s%s%s\n",
                     who, what, quote ? "\"" : "", esc,
                     quote ? "\"" : "") < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int mount_dropin_write(const char *root, const char *dir, bool *ret_changed) {
        _cleanup_free_ char *content = NULL, *d = root_path(root, MOUNT_DROPIN_DIR), *p = NULL, *old = NULL;
        int r;

        r = mount_dropin_content(dir, &content);
        if (r < 0)
                return r;
        if (!d)
                return -ENOMEM;
        p = path_join(d, MOUNT_DROPIN_NAME);
        if (!p)
                return -ENOMEM;

        if (read_full_file(p, 0, &old, NULL) >= 0 && streq(old, content)) {
                if (ret_changed)
                        *ret_changed = false;
                return 0;
        }
        r = mkdir_p(d, 0755);
        if (r < 0)
                return r;
        r = write_file_atomic(p, content, strlen(content), 0644);
        if (r < 0)
                return r;
        if (ret_changed)
                *ret_changed = true;
        return 0;
}
