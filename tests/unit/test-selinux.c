/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SELinux detection on fixture trees (the mode from selinuxfs, the tools,
 * the package names), the parser of semanage's rule list, and the exact
 * command lines the tools get, through fakes of semanage and restorecon
 * put first in PATH (tests/fixtures/selinux/bin). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/selinux.h"
#include "tap.h"
#include "tree.h"
#include "util/strv.h"

#define MOUNTINFO_LINE(target)                                                                              \
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"                                           \
        "36 25 0:31 / " target " rw,nosuid,noexec,relatime shared:11 - selinuxfs selinuxfs rw\n"

static SELinuxState detect_in(const char *root) {
        SELinuxState s = {};

        if (selinux_detect(root, &s) < 0)
                abort();
        return s;
}

static void test_mode(void) {
        static const struct {
                const char *what, *mountinfo, *enforce_path, *enforce;
                SELinuxMode mode;
                const char *fs; /* below the root */
        } cases[] = {
                { "nothing: disabled", NULL, NULL, NULL, SELINUX_DISABLED, NULL },
                { "selinuxfs mounted, enforce 1", MOUNTINFO_LINE("/sys/fs/selinux"), "/sys/fs/selinux/enforce", "1",
                  SELINUX_ENFORCING, "/sys/fs/selinux" },
                { "selinuxfs mounted, enforce 0", MOUNTINFO_LINE("/sys/fs/selinux"), "/sys/fs/selinux/enforce", "0\n",
                  SELINUX_PERMISSIVE, "/sys/fs/selinux" },
                { "selinuxfs on /selinux (RHEL 6)", MOUNTINFO_LINE("/selinux"), "/selinux/enforce", "1",
                  SELINUX_ENFORCING, "/selinux" },
                { "selinuxfs mounted without a policy: disabled", MOUNTINFO_LINE("/sys/fs/selinux"), NULL, NULL,
                  SELINUX_DISABLED, NULL },
                { "no mount table, enforce in the usual place", NULL, "/sys/fs/selinux/enforce", "0",
                  SELINUX_PERMISSIVE, "/sys/fs/selinux" },
                { "the mount table wins over the usual place", MOUNTINFO_LINE("/selinux"), "/sys/fs/selinux/enforce",
                  "1", SELINUX_DISABLED, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *root = tree_new("test-selinux");
                SELinuxState s;

                if (cases[i].mountinfo)
                        tree_write(root, "/proc/self/mountinfo", cases[i].mountinfo);
                if (cases[i].enforce_path)
                        tree_write(root, cases[i].enforce_path, cases[i].enforce);
                s = detect_in(root);
                ok_int(s.mode, cases[i].mode, "%s: mode %s", cases[i].what, selinux_mode_to_string(cases[i].mode));
                ok(streq_ptr(s.fs, cases[i].fs), "%s: selinuxfs at %s", cases[i].what, strna(cases[i].fs));
                selinux_state_done(&s);
                tree_remove(root);
        }
}

static void test_tools(void) {
        char *root = tree_new("test-selinux");
        _cleanup_free_ char *p = NULL;
        SELinuxState s;

        tree_write(root, "/usr/sbin/semanage", "#!/bin/sh\n");
        tree_write(root, "/sbin/matchpathcon", "#!/bin/sh\n");
        tree_write(root, "/usr/sbin/restorecon", "not executable\n");
        if (asprintf(&p, "%s/usr/sbin/semanage", root) < 0 || chmod(p, 0755) < 0)
                abort();
        free(p);
        if (asprintf(&p, "%s/sbin/matchpathcon", root) < 0 || chmod(p, 0755) < 0)
                abort();
        s = detect_in(root);
        ok(s.have_semanage, "semanage in the tree's /usr/sbin is found");
        ok(s.have_matchpathcon, "matchpathcon in the tree's /sbin is found");
        ok(!s.have_restorecon, "a restorecon that is not executable is not");
        selinux_state_done(&s);
        tree_remove(root);
}

static void test_packages(void) {
        static const struct {
                const char *os_release;
                const char *semanage, *restorecon, *matchpathcon;
        } cases[] = {
                { "ID=debian\nVERSION_ID=\"12\"\n", "policycoreutils-python-utils", "policycoreutils",
                  "selinux-utils" },
                { "ID=ubuntu\nID_LIKE=debian\n", "policycoreutils-python-utils", "policycoreutils", "selinux-utils" },
                { "ID=fedora\nVERSION_ID=41\n", "policycoreutils-python-utils (policycoreutils-python on Amazon Linux 2 "
                                               "and RHEL 7)",
                  "policycoreutils", "libselinux-utils" },
                { "ID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n",
                  "policycoreutils-python-utils (policycoreutils-python on Amazon Linux 2 and RHEL 7)",
                  "policycoreutils", "libselinux-utils" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *root = tree_new("test-selinux");
                SELinuxState s;

                tree_write(root, "/etc/os-release", cases[i].os_release);
                s = detect_in(root);
                ok_streq(selinux_package(&s, "semanage"), cases[i].semanage, "semanage's package (%zu)", i);
                ok_streq(selinux_package(&s, "restorecon"), cases[i].restorecon, "restorecon's package (%zu)", i);
                ok_streq(selinux_package(&s, "matchpathcon"), cases[i].matchpathcon, "matchpathcon's package (%zu)",
                         i);
                selinux_state_done(&s);
                tree_remove(root);
        }
}

static void test_parse(void) {
        const char *text = "/srv/web(/.*)?                                     all files          "
                           "system_u:object_r:httpd_sys_content_t:s0\n"
                           "\n"
                           "SELinux Local fcontext Equivalence\n"
                           "/mnt/docker-data/docker = /var/lib/docker\n"
                           "/data/containerd = /var/lib/containerd   \n"
                           "not a rule = /x\n"
                           "/a = relative\n"
                           "/b = /c /d\n";
        _cleanup_strv_free_ char **pairs = NULL;
        _cleanup_free_ char *joined = NULL;

        ok_int(selinux_parse_equivalences(text, &pairs), 0, "the rule list parses");
        joined = strv_join(pairs, "|");
        ok_streq(joined, "/mnt/docker-data/docker|/var/lib/docker|/data/containerd|/var/lib/containerd",
                 "only the equivalence rules, as pairs");
        strv_free(pairs);
        pairs = NULL;
        ok_int(selinux_parse_equivalences("", &pairs), 0, "an empty list parses");
        ok(strv_length(pairs) == 0, "to no rule");
}

/* The tools, faked: their command lines, their state, their failures. */
static void test_commands(void) {
        char *dir = tree_new("test-selinux");
        _cleanup_free_ char *path = NULL, *rules = NULL, *log = NULL, *wrong = NULL, *equal = NULL, *err = NULL,
                            *first = NULL, *logged = NULL, *root = NULL;
        unsigned n = 99;

        if (asprintf(&path, "%s/selinux/bin:%s", fixtures_dir(), getenv("PATH") ?: "/usr/bin:/bin") < 0 ||
            asprintf(&rules, "%s/rules", dir) < 0 || asprintf(&log, "%s/log", dir) < 0 ||
            asprintf(&wrong, "%s/wrong", dir) < 0 || asprintf(&root, "%s/docker", dir) < 0 ||
            tree_write(dir, "/docker/a", "") < 0 || tree_write(dir, "/docker/b/c", "") < 0)
                abort();
        setenv("PATH", path, 1);
        setenv("SELINUX_FAKE_RULES", rules, 1);
        setenv("SELINUX_FAKE_LOG", log, 1);
        setenv("SELINUX_FAKE_WRONG", wrong, 1);
        unsetenv("SELINUX_FAKE_FAIL");

        ok_int(selinux_equivalence_of("/mnt/d/docker", &equal, &err), 0, "listing the rules works");
        ok(!equal, "no rule for /mnt/d/docker yet");
        ok_int(selinux_add_equivalence("/mnt/d/docker", "/var/lib/docker", &err), 0, "the rule is added");
        ok_int(selinux_equivalence_of("/mnt/d/docker", &equal, &err), 0, "listing again works");
        ok_streq(equal, "/var/lib/docker", "the rule labels /mnt/d/docker as /var/lib/docker");
        ok_int(selinux_add_equivalence("/mnt/d/docker", "/var/lib/docker", &err), -EIO, "adding it twice fails");
        ok(err && strstr(err, "'semanage fcontext -a -e /var/lib/docker /mnt/d/docker' failed (exit status 1): "
                              "ValueError: Equivalence class for /mnt/d/docker already exists"),
           "with the command and what it said: %s", strna(err));
        ok_int(selinux_relabel("/mnt/d/docker", &err), 0, "the relabel runs");
        ok_int(selinux_check_labels(root, &n, &first, &err), 0, "the check runs");
        ok(n == 0 && !first, "nothing to relabel: the labels match");
        tree_write(dir, "/wrong", "Would relabel /mnt/d/docker/a from system_u:object_r:unlabeled_t:s0 to "
                                  "system_u:object_r:container_var_lib_t:s0\nWould relabel /mnt/d/docker/b from x to y\n");
        ok_int(selinux_check_labels(root, &n, &first, &err), 0, "the check runs again");
        ok(n == 2, "two files to relabel (%u)", n);
        ok_streq(first, "Would relabel /mnt/d/docker/a from system_u:object_r:unlabeled_t:s0 to "
                        "system_u:object_r:container_var_lib_t:s0",
                 "the first, as restorecon says it");
        ok_int(selinux_delete_equivalence("/mnt/d/docker", &err), 0, "the rule is removed");
        free(equal);
        equal = NULL;
        ok_int(selinux_equivalence_of("/mnt/d/docker", &equal, &err), 0, "listing once more works");
        ok(!equal, "the rule is gone");
        setenv("SELINUX_FAKE_FAIL", "restorecon", 1);
        ok_int(selinux_relabel("/mnt/d/docker", &err), -EIO, "a failing restorecon is -EIO");
        unsetenv("SELINUX_FAKE_FAIL");

        /* The check: the directory and its entries, not the tree below them
         * (b/c), in the order readdir gives them. */
        {
                _cleanup_free_ char *check = NULL, *want = NULL;
                DIR *d = opendir(root);

                if (!d || asprintf(&check, "restorecon -n -v %s", root) < 0)
                        abort();
                for (struct dirent *de; (de = readdir(d));) {
                        char *c;

                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        if (asprintf(&c, "%s %s/%s", check, root, de->d_name) < 0)
                                abort();
                        free(check);
                        check = c;
                }
                closedir(d);
                if (asprintf(&want,
                             "semanage fcontext -l -C -n\n"
                             "semanage fcontext -a -e /var/lib/docker /mnt/d/docker\n"
                             "semanage fcontext -l -C -n\n"
                             "semanage fcontext -a -e /var/lib/docker /mnt/d/docker\n"
                             "restorecon -R /mnt/d/docker\n"
                             "%s\n"
                             "%s\n"
                             "semanage fcontext -d /mnt/d/docker\n"
                             "semanage fcontext -l -C -n\n"
                             "restorecon -R /mnt/d/docker\n",
                             check, check) < 0)
                        abort();
                logged = tree_read(dir, "/log");
                ok_streq(logged, want, "the exact command lines (the check: the directory and its two entries)");
        }
        tree_remove(dir);
}

int main(void) {
        test_mode();
        test_tools();
        test_packages();
        test_parse();
        test_commands();
        return tap_done();
}
