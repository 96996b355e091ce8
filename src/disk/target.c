/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/mount.h"
#include "disk/target.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* Mounting over one of these hides what the system keeps there, and a data
 * root right there shares it with everything else. */
static const char *const system_dirs[] = {
        "/",        "/var",       "/var/lib",   "/var/tmp", "/var/log", "/var/cache", "/var/spool",
        "/var/mail", "/home",     "/root",      "/tmp",     "/mnt",     "/media",     "/srv",
        "/opt",
};

/* Trees of the operating system and the kernel: nothing of Docker's belongs
 * anywhere below them (/run and the pseudo-filesystems are not even kept
 * across a reboot; /usr may be read-only or replaced by an update). */
static const char *const system_trees[] = {
        "/proc", "/sys",   "/dev",  "/run",   "/boot",  "/efi",     "/etc",
        "/usr",  "/bin",   "/sbin", "/lib",   "/lib32", "/lib64",   "/libx32",
};

static const char *const protected_trees[] = { TARGET_PROTECTED_TREES };

static const char *protected_why(const char *tree) {
        if (streq(tree, "/var/lib/docker"))
                return "Docker's default data root";
        if (streq(tree, "/var/lib/containerd"))
                return "containerd's root, where the containerd image store keeps images";
        if (streq(tree, "/var/lib/docker-relocate"))
                return "this tool's journal and state";
        return "data this move copies";
}

int target_resolve(const char *what, const char *path, char **ret_path, char **ret_reason) {
        _cleanup_free_ char *canon = NULL, *other = NULL;
        int r;

        r = path_canonicalize(NULL, path, &canon, &other);
        if (r == 1)
                return asprintf(ret_reason,
                                "%s %s reads two ways: after the symbolic link, '..' leads to %s, but a shell's "
                                "'cd' would take it to %s; give the directory meant without '..'",
                                what, path, canon, other ?: "another place") < 0
                               ? -ENOMEM
                               : 1;
        if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
                return asprintf(ret_reason, "%s %s cannot be resolved: %s", what, path,
                                r == -ENOENT    ? "'..' follows a directory that does not exist"
                                : r == -ENOTDIR ? "one of its components is not a directory"
                                                : "too many levels of symbolic links") < 0
                               ? -ENOMEM
                               : 1;
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(canon);
        return 0;
}

/* A tree as the kernel finds it (/var/lib/docker may be a link to /data). */
static char *resolved(const char *tree) {
        char *p = NULL;

        if (path_resolve_physical(NULL, tree, &p) < 0)
                return path_normalize(tree);
        return p;
}

static int check_tree(const char *path, const char *tree, const char *why, char **ret_reason) {
        _cleanup_free_ char *t = resolved(tree);

        if (!t)
                return -ENOMEM;
        if (path_startswith_dir(path, t))
                return asprintf(ret_reason, "%s lies inside %s (%s): choose a directory outside it, such as "
                                            "/mnt/docker-data",
                                path, t, why) < 0
                               ? -ENOMEM
                               : 1;
        if (path_startswith_dir(t, path))
                return asprintf(ret_reason, "%s lies above %s (%s), which a mount there would hide, or the copy "
                                            "would reach into: choose a directory outside it",
                                path, t, why) < 0
                               ? -ENOMEM
                               : 1;
        return 0;
}

int target_check_place(const char *path, const char *const *trees, char **ret_reason) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++) {
                _cleanup_free_ char *d = resolved(system_dirs[i]);

                if (!d)
                        return -ENOMEM;
                if (streq(path, system_dirs[i]) || streq(path, d))
                        return asprintf(ret_reason, "%s is a system directory: choose a dedicated one such as "
                                                    "/mnt/docker-data",
                                        path) < 0
                                       ? -ENOMEM
                                       : 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(system_trees); i++) {
                _cleanup_free_ char *d = resolved(system_trees[i]);

                if (!d)
                        return -ENOMEM;
                if (path_startswith_dir(path, system_trees[i]) || path_startswith_dir(path, d))
                        return asprintf(ret_reason, "%s is inside %s, which belongs to the operating system or the "
                                                    "kernel: choose a dedicated directory such as /mnt/docker-data",
                                        path, system_trees[i]) < 0
                                       ? -ENOMEM
                                       : 1;
        }
        for (const char *const *t = trees; t && *t; t++) {
                r = check_tree(path, *t, protected_why(""), ret_reason);
                if (r != 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(protected_trees); i++) {
                r = check_tree(path, protected_trees[i], protected_why(protected_trees[i]), ret_reason);
                if (r != 0)
                        return r;
        }
        return 0;
}

int target_check_dir(const char *path, const char *const *trees, char **ret_path, char **ret_reason) {
        _cleanup_free_ char *canon = NULL;
        int r;

        r = target_resolve("--to", path, &canon, ret_reason);
        if (r != 0)
                return r;
        r = target_check_place(canon, trees, ret_reason);
        if (r != 0)
                return r;
        r = mount_check_data_fs(canon, ret_reason);
        if (r == -ENOENT || r == -ENOTDIR)
                return asprintf(ret_reason, "--to %s is not an existing directory", path) < 0 ? -ENOMEM : 1;
        if (r != 0)
                return r;
        *ret_path = TAKE_PTR(canon);
        return 0;
}
