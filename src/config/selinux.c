/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/selinux.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/libmount-util.h"
#include "util/path.h"
#include "util/process.h"
#include "util/string-table.h"
#include "util/strv.h"
#include "util/test-hook.h"

/* semanage loads and rebuilds the whole policy: tens of seconds on a small
 * VM. restorecon walks a tree: minutes for a data root of millions of
 * files. */
#define SEMANAGE_TIMEOUT_MS (10U * 60U * 1000U)
#define RESTORECON_TIMEOUT_MS (60U * 60U * 1000U)

static const char *const selinux_mode_table[_SELINUX_MODE_MAX] = {
        [SELINUX_DISABLED] = "disabled",
        [SELINUX_PERMISSIVE] = "permissive",
        [SELINUX_ENFORCING] = "enforcing",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(selinux_mode, SELinuxMode);

void selinux_state_done(SELinuxState *s) {
        if (!s)
                return;
        free(s->fs);
        *s = (SELinuxState){};
}

/* Where selinuxfs is mounted (its path in the tree), as the mount table
 * below root says; the usual place when the table has none but that place
 * has an "enforce" file (a fixture tree without a mount table). NULL: not
 * mounted. */
static int find_selinuxfs(const char *root, char **ret) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_free_ char *mountinfo = root_path(root, "/proc/self/mountinfo"), *enforce = NULL;
        struct libmnt_fs *fs;
        const char *hook;

        if (!mountinfo)
                return -ENOMEM;
        /* The tests of the move, on a host without SELinux, name a
         * directory that plays selinuxfs. */
        hook = test_hook_value(TEST_SELINUXFS_ENV);
        if (hook) {
                *ret = strdup(hook);
                return *ret ? 0 : -ENOMEM;
        }
        if (libmount_parse(mountinfo, LIBMOUNT_MOUNTINFO, &tb, &it) >= 0)
                while (mnt_table_next_fs(tb, it, &fs) == 0)
                        if (streq_ptr(mnt_fs_get_fstype(fs), "selinuxfs") && mnt_fs_get_target(fs)) {
                                *ret = strdup(mnt_fs_get_target(fs));
                                return *ret ? 0 : -ENOMEM;
                        }
        enforce = root_path(root, "/sys/fs/selinux/enforce");
        if (!enforce)
                return -ENOMEM;
        if (!file_exists(enforce)) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup("/sys/fs/selinux");
        return *ret ? 0 : -ENOMEM;
}

/* The hook's directory is a path of the machine, not of the tree. */
static char *hook_or_root_path(const char *root, const char *fs) {
        return test_hook_value(TEST_SELINUXFS_ENV) ? strdup(fs) : root_path(root, fs);
}

static bool tool_exists(const char *root, const char *name) {
        static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };

        if (root_is_host(root))
                return find_executable(name, NULL);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *d = root_path(root, dirs[i]), *p = d ? path_join(d, name) : NULL;
                if (p && access(p, X_OK) == 0)
                        return true;
        }
        return false;
}

/* Debian and its derivatives package the tools under other names than
 * Fedora and the distributions built like it. */
static bool os_is_debian_like(const char *root) {
        _cleanup_free_ char *path = root_path(root, "/etc/os-release"), *text = NULL;
        char *save = NULL;

        if (!path || read_full_file(path, 0, &text, NULL) < 0) {
                _cleanup_free_ char *dv = root_path(root, "/etc/debian_version");
                return dv && file_exists(dv);
        }
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                if ((startswith(l, "ID=") || startswith(l, "ID_LIKE=")) &&
                    (strstr(l, "debian") || strstr(l, "ubuntu")))
                        return true;
        return false;
}

int selinux_detect(const char *root, SELinuxState *ret) {
        _cleanup_free_ char *fs = NULL, *enforce = NULL, *value = NULL;
        SELinuxState s = {};
        int r;

        r = find_selinuxfs(root, &fs);
        if (r < 0)
                return r;
        if (fs) {
                _cleanup_free_ char *dir = hook_or_root_path(root, fs);

                enforce = dir ? path_join(dir, "enforce") : NULL;
                if (!enforce)
                        return -ENOMEM;
                /* selinuxfs is mounted but without a policy loaded it has
                 * no enforce file: SELinux is not enabled. */
                if (read_full_file(enforce, 64, &value, NULL) >= 0) {
                        s.mode = strtol(value, NULL, 10) != 0 ? SELINUX_ENFORCING : SELINUX_PERMISSIVE;
                        s.fs = TAKE_PTR(fs);
                }
        }
        s.have_semanage = tool_exists(root, "semanage");
        s.have_restorecon = tool_exists(root, "restorecon");
        s.have_matchpathcon = tool_exists(root, "matchpathcon");
        s.debian = os_is_debian_like(root);
        *ret = s;
        return 0;
}

const char *selinux_package(const SELinuxState *s, const char *program) {
        if (streq(program, "semanage"))
                return s->debian ? "policycoreutils-python-utils"
                                 : "policycoreutils-python-utils (policycoreutils-python on Amazon Linux 2 and RHEL 7)";
        if (streq(program, "restorecon"))
                return "policycoreutils";
        return s->debian ? "selinux-utils" : "libselinux-utils";
}

int selinux_parse_equivalences(const char *text, char ***ret) {
        _cleanup_strv_free_ char **pairs = NULL;
        const char *p = text;

        while (p && *p) {
                const char *eol = strchrnul(p, '\n'), *eq;
                _cleanup_free_ char *line = strndup(p, eol - p);
                char *a, *b, *end;

                if (!line)
                        return -ENOMEM;
                p = *eol ? eol + 1 : eol;
                /* "PATH = EQUAL": both absolute, nothing else on the line
                 * (a file context rule has a type and a context instead). */
                eq = strstr(line, " = ");
                if (!eq || line[0] != '/')
                        continue;
                a = line;
                line[eq - line] = '\0';
                b = line + (eq - line) + 3;
                b += strspn(b, " \t");
                end = b + strcspn(b, " \t\r");
                if (*b != '/' || end[strspn(end, " \t\r")] != '\0')
                        continue;
                *end = '\0';
                a[strcspn(a, " \t")] = '\0';
                if (strv_extend(&pairs, a) < 0 || strv_extend(&pairs, b) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(pairs);
        return 0;
}

/* Runs a tool; a failure is -EIO with what it said. */
static int run_tool(char *const *argv, unsigned long timeout_ms, char **ret_stdout, char **ret_error) {
        _cleanup_free_ char *out = NULL, *err = NULL, *cmd = NULL;
        int r, status = 0;

        cmd = strv_join((char **) argv, " ");
        if (!cmd)
                return -ENOMEM;
        r = run_command(argv, timeout_ms, &out, &err, &status);
        if (r == -ETIMEDOUT)
                return error_set(ret_error, r, "'%s' did not finish within %lu s.", cmd, timeout_ms / 1000);
        if (r < 0)
                return error_set(ret_error, r, "Cannot run '%s': %s", cmd, strerror(-r));
        if (status != 0) {
                const char *why = !isempty(err) ? err : out;
                size_t n = strlen(strempty(why));

                while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
                        n--;
                return error_set(ret_error, -EIO, "'%s' failed (exit status %d)%s%.*s", cmd, status,
                                 n ? ": " : ".", (int) n, strempty(why));
        }
        if (ret_stdout)
                *ret_stdout = TAKE_PTR(out);
        return 0;
}

int selinux_list_equivalences(char ***ret_pairs, char **ret_error) {
        char *const argv[] = { (char *) "semanage", (char *) "fcontext", (char *) "-l", (char *) "-C",
                               (char *) "-n", NULL };
        _cleanup_free_ char *out = NULL;
        int r;

        r = run_tool(argv, SEMANAGE_TIMEOUT_MS, &out, ret_error);
        if (r < 0)
                return r;
        return selinux_parse_equivalences(out, ret_pairs);
}

const char *selinux_equivalence_lookup(char *const *pairs, const char *path) {
        for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2)
                if (streq(pairs[i], path))
                        return pairs[i + 1];
        return NULL;
}

int selinux_equivalence_of(const char *path, char **ret_equal, char **ret_error) {
        _cleanup_strv_free_ char **pairs = NULL;
        const char *e;
        char *copy = NULL;
        int r;

        r = selinux_list_equivalences(&pairs, ret_error);
        if (r < 0)
                return r;
        e = selinux_equivalence_lookup(pairs, path);
        if (e && !(copy = strdup(e)))
                return -ENOMEM;
        *ret_equal = copy;
        return 0;
}

int selinux_add_equivalence(const char *path, const char *equal, char **ret_error) {
        char *const argv[] = { (char *) "semanage", (char *) "fcontext", (char *) "-a", (char *) "-e",
                               (char *) equal,      (char *) path,       NULL };

        return run_tool(argv, SEMANAGE_TIMEOUT_MS, NULL, ret_error);
}

int selinux_delete_equivalence(const char *path, char **ret_error) {
        char *const argv[] = { (char *) "semanage", (char *) "fcontext", (char *) "-d", (char *) path, NULL };

        return run_tool(argv, SEMANAGE_TIMEOUT_MS, NULL, ret_error);
}

int selinux_relabel(const char *path, char **ret_error) {
        char *const argv[] = { (char *) "restorecon", (char *) "-R", (char *) path, NULL };

        return run_tool(argv, RESTORECON_TIMEOUT_MS, NULL, ret_error);
}

int selinux_check_labels(const char *path, unsigned *ret_wrong, char **ret_first, char **ret_error) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *out = NULL, *first = NULL;
        unsigned wrong = 0;
        DIR *d;
        int r;

        r = strv_extend_many(&argv, "restorecon", "-n", "-v", path, NULL);
        if (r < 0)
                return r;
        /* The directory and its entries, not the whole tree: "status" must
         * stay quick on a root of millions of files (and its output small
         * where all of them are labelled wrong). A missing equivalence rule
         * shows on the directory itself; a copy that lost the labels, on
         * every entry. */
        d = opendir(path);
        if (!d)
                return error_set(ret_error, negative_errno(), "Cannot read %s: %m", path);
        for (struct dirent *de; r >= 0 && (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = strv_extendf(&argv, "%s/%s", path, de->d_name);
        closedir(d);
        if (r < 0)
                return r;

        r = run_tool(argv, RESTORECON_TIMEOUT_MS, &out, ret_error);
        if (r < 0)
                return r;
        /* With -n -v it prints a line for each file it would relabel, and
         * nothing for one labelled right. */
        for (const char *p = out; p && *p;) {
                const char *eol = strchrnul(p, '\n');

                if (eol > p) {
                        wrong++;
                        if (!first) {
                                first = strndup(p, eol - p);
                                if (!first)
                                        return -ENOMEM;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        *ret_wrong = wrong;
        if (ret_first)
                *ret_first = TAKE_PTR(first);
        return 0;
}
