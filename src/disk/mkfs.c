/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk/mkfs.h"
#include "util/macro.h"
#include "util/process.h"

/* mkfs of a multi-terabyte volume with lazy init takes seconds; give slow
 * disks plenty. */
#define MKFS_TIMEOUT_MS (10UL * 60 * 1000)

int mkfs_supported(const char *fstype) {
        return fstype && (streq(fstype, "ext4") || streq(fstype, "xfs"));
}

int mkfs_label_valid(const char *fstype, const char *label) {
        size_t max = streq(fstype, "xfs") ? 12 : 16;

        if (isempty(label) || strlen(label) > max)
                return -EINVAL;
        /* The label ends up in LABEL= specs and fstab; keep it plain. */
        for (const char *c = label; *c; c++)
                if (*c <= ' ' || *c == '"' || *c == '\'' || *c == '\\' || *c == '=' || (unsigned char) *c >= 0x7f)
                        return -EINVAL;
        return 0;
}

int xfs_has_ftype(const char *node) {
        char *argv[] = { (char *) "xfs_db", (char *) "-r", (char *) "-c", (char *) "version", (char *) node, NULL };
        _cleanup_free_ char *out = NULL, *err = NULL;
        int status, r;

        /* stderr too: xfs_db warns about old formats, which is our finding
         * to report, not its. */
        r = run_command(argv, 60 * 1000, &out, &err, &status);
        if (r < 0)
                return r;
        if (status != 0)
                return -EIO;
        /* "versionnum [0xb4a5+0x18a] = V5,NLINK,…,FTYPE,…" */
        for (char *t = strtok(out, ",= \n"); t; t = strtok(NULL, ",= \n"))
                if (streq(t, "FTYPE"))
                        return 1;
        return 0;
}

int mkfs_make(const char *node, const char *fstype, const char *label, FsInfo *ret, char **ret_stderr) {
        /* stdout captured too: ours may carry the JSON result. */
        _cleanup_free_ char *err = NULL, *out = NULL;
        FsInfo fs = {};
        int status, r;

        if (!mkfs_supported(fstype))
                return -EOPNOTSUPP;
        r = mkfs_label_valid(fstype, label);
        if (r < 0)
                return r;

        if (streq(fstype, "ext4")) {
                /* -F: the safety checks have run; mkfs must not ask about a
                 * whole disk on a closed stdin. */
                char *argv[] = { (char *) "mkfs.ext4", (char *) "-q", (char *) "-F", (char *) "-L", (char *) label,
                                 (char *) node, NULL };
                r = run_command(argv, MKFS_TIMEOUT_MS, &out, &err, &status);
        } else {
                char *argv[] = { (char *) "mkfs.xfs", (char *) "-q", (char *) "-f", (char *) "-n",
                                 (char *) "ftype=1", (char *) "-L", (char *) label, (char *) node, NULL };
                r = run_command(argv, MKFS_TIMEOUT_MS, &out, &err, &status);
        }
        if (r >= 0 && status != 0)
                r = status == 127 ? -ENOEXEC : -EIO;
        if (r < 0) {
                if (ret_stderr)
                        *ret_stderr = TAKE_PTR(err);
                return r;
        }

        /* Trust what is on the disk, not mkfs's exit status. */
        r = probe_filesystem(node, &fs);
        if (r < 0)
                return r == -ENOENT ? -EPROTO : r;
        if (!streq(fs.type, fstype) || !fs.uuid || !fs.label || !streq(fs.label, label)) {
                fs_info_done(&fs);
                return -EPROTO;
        }
        if (streq(fstype, "xfs")) {
                r = xfs_has_ftype(node);
                if (r <= 0) {
                        fs_info_done(&fs);
                        return r < 0 ? r : -EPROTO;
                }
        }

        *ret = fs;
        return 0;
}
