/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/strv.h"

static void test_normalize(void) {
        static const char *const cases[][2] = {
                { "/", "/" },
                { "//var//lib/docker/", "/var/lib/docker" },
                { "/var/./lib/../lib/docker", "/var/lib/docker" },
                { "/..", "/" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *n = path_normalize(cases[i][0]);
                ok_streq(n, cases[i][1], "normalize %s", cases[i][0]);
        }
}

static void test_startswith_dir(void) {
        ok(path_startswith_dir("/var/lib/docker", "/var/lib"), "child below parent");
        ok(path_startswith_dir("/var/lib", "/var/lib/"), "equal with slash");
        ok(!path_startswith_dir("/var/library", "/var/lib"), "sibling with common prefix is not below");
        ok(path_startswith_dir("/x", "/"), "everything is below /");
}

static void test_root_path(void) {
        _cleanup_free_ char *a = root_path(NULL, "/etc/docker"), *b = root_path("/", "/etc"),
                            *c = root_path("/img/", "/etc/docker");
        ok_streq(a, "/etc/docker", "NULL root");
        ok_streq(b, "/etc", "/ root");
        ok_streq(c, "/img/etc/docker", "prefixed root");
}

static void test_chase(void) {
        char tmpl[] = "/tmp/test-path-XXXXXX";
        char *root = mkdtemp(tmpl);
        _cleanup_free_ char *r1 = NULL, *r2 = NULL, *r3 = NULL, *d = NULL, *l1 = NULL, *l2 = NULL;

        ok(root != NULL, "mkdtemp");
        d = path_join(root, "data/docker");
        ok(mkdir_p(d, 0755) == 0, "mkdir_p");
        l1 = path_join(root, "var");
        mkdir(l1, 0755);
        free(l1);
        l1 = path_join(root, "var/lib");
        /* Absolute link target: must stay inside root. */
        ok(symlink("/data", l1) == 0, "symlink abs");
        l2 = path_join(root, "data/rel");
        ok(symlink("docker", l2) == 0, "symlink rel");

        ok(chase_path(root, "/var/lib/docker", &r1) == 0, "chase abs link");
        ok_streq(r1, "/data/docker", "absolute link resolved inside root");
        ok(chase_path(root, "/data/rel/x/y", &r2) == 0, "chase rel link");
        ok_streq(r2, "/data/docker/x/y", "relative link resolved, missing tail kept");
        ok(chase_path(root, "/", &r3) == 0 && r3 && streq(r3, "/"), "chase /");

        _cleanup_free_ char *cmd = NULL;
        if (asprintf(&cmd, "rm -rf '%s'", root) > 0)
                (void) system(cmd);
}

static void test_atomic_write(void) {
        char tmpl[] = "/tmp/test-atomic-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *f = path_join(dir, "daemon.json"), *l = path_join(dir, "link"), *data = NULL;
        struct stat st;

        ok(write_file_atomic(f, "{}\n", 3, 0600) == 0, "create");
        ok(stat(f, &st) == 0 && (st.st_mode & 0777) == 0600, "mode of a new file");
        chmod(f, 0640);
        ok(write_file_atomic(f, "{ \"a\": 1 }\n", 11, 0600) == 0, "replace");
        ok(stat(f, &st) == 0 && (st.st_mode & 0777) == 0640, "mode of the old file kept");
        ok(read_full_file(f, 0, &data, NULL) == 0 && streq(data, "{ \"a\": 1 }\n"), "content");
        ok(symlink(f, l) == 0, "symlink");
        ok(write_file_atomic(l, "x", 1, 0600) == -ELOOP, "a symlink is refused, not replaced");

        _cleanup_free_ char *cmd = NULL;
        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0)
                (void) system(cmd);
}

static void test_strv(void) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *j = NULL;

        ok(strv_extend(&l, "b") == 0 && strv_extend(&l, "a") == 0, "extend");
        strv_sort(l);
        j = strv_join(l, ",");
        ok_streq(j, "a,b", "sort+join");
        ok(strv_contains(l, "a") && !strv_contains(l, "c"), "contains");
}

int main(void) {
        test_normalize();
        test_startswith_dir();
        test_root_path();
        test_chase();
        test_atomic_write();
        test_strv();
        return tap_done();
}
