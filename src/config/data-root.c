/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "config/data-root.h"
#include "config/refusal.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"

/* The directories of the system itself: a data root there would mix
 * dockerd's directories with the system's. */
static const char *const system_dirs[] = {
        "/",         "/bin",      "/boot",    "/dev",      "/etc",      "/home",   "/lib",
        "/lib32",    "/lib64",    "/libx32",  "/proc",     "/root",     "/run",    "/sbin",
        "/sys",      "/tmp",      "/usr",     "/var",      "/var/lib",  "/var/log", "/var/tmp",
        "/var/cache", "/var/run",
};

/* Trees nothing of Docker belongs in. */
static const struct {
        const char *dir;
        const char *why;
} refused_trees[] = {
        { "/proc", "a kernel file system (proc): nothing written there is stored" },
        { "/sys", "a kernel file system (sysfs): nothing written there is stored" },
        { "/dev", "the device tree (devtmpfs): it is in memory and gone at the next reboot" },
#define GONE_AT_REBOOT "the images, containers and volumes would be gone at the next reboot"
        { "/run", "a tmpfs emptied at every boot: " GONE_AT_REBOOT },
        { "/var/run", "a link to /run, a tmpfs emptied at every boot: " GONE_AT_REBOOT },
        { "/etc", "the system's configuration" },
        { "/boot", "the boot partition" },
        { "/usr", "the system's programs" },
        { "/bin", "the system's programs" },
        { "/sbin", "the system's programs" },
        { "/lib", "the system's libraries" },
        { "/lib32", "the system's libraries" },
        { "/lib64", "the system's libraries" },
        { "/libx32", "the system's libraries" },
        { "/var/lib/docker-relocate", "this program's own journal and backups" },
};

static const char *volatile_fs(long type) {
        switch (type) {
        case TMPFS_MAGIC:
                return "tmpfs";
        case RAMFS_MAGIC:
                return "ramfs";
        case PROC_SUPER_MAGIC:
                return "proc";
        case SYSFS_MAGIC:
                return "sysfs";
        case DEVPTS_SUPER_MAGIC:
                return "devpts";
        case CGROUP_SUPER_MAGIC:
        case CGROUP2_SUPER_MAGIC:
                return "cgroup";
        case DEBUGFS_MAGIC:
                return "debugfs";
        case SECURITYFS_MAGIC:
                return "securityfs";
        default:
                return NULL;
        }
}

int data_root_check(const char *root, const char *path, char **ret_refusal) {
        _cleanup_free_ char *norm = path_normalize(path), *real = NULL, *full = NULL, *probe = NULL;
        struct stat st;
        int r;

        if (!norm)
                return -ENOMEM;
        if (!path_is_absolute(norm))
                return config_refuse(ret_refusal, "The data root must be an absolute path: %s", path);

        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
                if (streq(norm, system_dirs[i]))
                        return config_refuse(ret_refusal,
                                      "%s cannot be the data root: it is a directory of the system itself, and "
                                      "dockerd would put its own directories among the system's; use a "
                                      "directory of its own (such as %s/docker).",
                                      norm, streq(norm, "/") ? "/srv" : norm);

        /* Checked for the path as given and for where it really leads. */
        r = chase_path(root, norm, &real);
        if (r < 0)
                return r;
        for (int pass = 0; pass < 2; pass++) {
                const char *p = pass == 0 ? norm : real;
                for (size_t i = 0; i < ELEMENTSOF(refused_trees); i++)
                        if (path_startswith_dir(p, refused_trees[i].dir)) {
                                if (pass == 0)
                                        return config_refuse(ret_refusal, "%s cannot be the data root: %s is %s.", norm,
                                                      refused_trees[i].dir, refused_trees[i].why);
                                return config_refuse(ret_refusal,
                                              "%s cannot be the data root: it leads to %s, and %s is %s.", norm, p,
                                              refused_trees[i].dir, refused_trees[i].why);
                        }
        }

        full = root_path(root, real);
        if (!full)
                return -ENOMEM;
        if (lstat(full, &st) < 0 && errno == ENOENT && !streq(norm, "/")) {
                /* Missing: fine, dockerd makes it, unless the name itself is
                 * a link that leads nowhere. */
                _cleanup_free_ char *dir = path_dirname(norm), *real_dir = NULL, *link = NULL, *link_full = NULL;
                if (!dir)
                        return -ENOMEM;
                r = chase_path(root, dir, &real_dir);
                if (r < 0)
                        return r;
                link = path_join(real_dir, path_basename(norm));
                link_full = link ? root_path(root, link) : NULL;
                if (!link_full)
                        return -ENOMEM;
                if (lstat(link_full, &st) == 0 && S_ISLNK(st.st_mode))
                        return config_refuse(ret_refusal,
                                      "%s cannot be the data root: it is a dangling symlink (to %s); remove it or "
                                      "create its target.",
                                      norm, real);
        } else if (lstat(full, &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                        return config_refuse(ret_refusal, "%s cannot be the data root: it is a %s, not a directory.", norm,
                                      file_type_name(full) ?: "file");
        } else if (errno != ENOENT && errno != ENOTDIR)
                return negative_errno();

        /* On the running host, the file system it would be on: that of the
         * nearest directory that exists. */
        if (root_is_host(root)) {
                struct statfs sfs;

                probe = strdup(real);
                while (probe && stat(probe, &st) < 0 && !streq(probe, "/")) {
                        char *up = path_dirname(probe);
                        free(probe);
                        probe = up;
                }
                if (!probe)
                        return -ENOMEM;
                if (!S_ISDIR(st.st_mode))
                        return config_refuse(ret_refusal, "%s cannot be the data root: %s is not a directory.", norm, probe);
                if (statfs(probe, &sfs) == 0 && volatile_fs(sfs.f_type))
                        return config_refuse(ret_refusal,
                                      "%s cannot be the data root: %s is on a %s, which keeps nothing across a "
                                      "reboot: the images, containers and volumes would be gone. Use a directory on "
                                      "a disk.",
                                      norm, probe, volatile_fs(sfs.f_type));
        }
        return 0;
}
