/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
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

static void test_physical(void) {
        char tmpl[] = "/tmp/test-physical-XXXXXX";
        char *root = mkdtemp(tmpl);
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *f = NULL, *g = NULL,
                            *h = NULL, *other = NULL, *p = NULL, *cmd = NULL;

        ok(root != NULL, "mkdtemp");
        p = path_join(root, "srv/x/y");
        ok(mkdir_p(p, 0755) == 0, "mkdir srv/x/y");
        free(p);
        p = path_join(root, "mnt");
        ok(mkdir(p, 0755) == 0, "mkdir mnt");
        free(p);
        p = path_join(root, "mnt/lnk");
        ok(symlink("/srv/x/y", p) == 0, "mnt/lnk -> /srv/x/y");
        free(p);
        p = path_join(root, "mnt/rel");
        ok(symlink("../srv/x", p) == 0, "mnt/rel -> ../srv/x");
        free(p);
        p = path_join(root, "srv/file");
        ok(write_file_atomic(p, "x", 1, 0644) == 0, "srv/file");
        free(p);
        p = path_join(root, "loop");
        ok(symlink("/loop", p) == 0, "loop -> /loop");

        /* ".." after a link goes up from where the link leads. */
        ok_int(path_resolve_physical(root, "/mnt/lnk/../data", &a), 0, "resolve /mnt/lnk/../data");
        ok_streq(a, "/srv/x/data", "the kernel's reading: up from /srv/x/y");
        ok_int(path_resolve_physical(root, "/mnt/rel/y/new/dir", &b), 0, "relative link, missing tail");
        ok_streq(b, "/srv/x/y/new/dir", "relative link resolved from its directory, tail kept");
        ok_int(path_resolve_physical(root, "/mnt/missing/../data", &c), -ENOENT,
               "'..' after a missing component cannot be resolved");
        ok_int(path_resolve_physical(root, "/srv/file/x", &c), -ENOTDIR, "below a file: ENOTDIR");
        ok_int(path_resolve_physical(root, "/loop/x", &c), -ELOOP, "a link to itself: ELOOP");
        ok_int(path_resolve_physical(root, "//srv/./x//../x/", &c), 0, "plain path with '..' and '.'");
        ok_streq(c, "/srv/x", "... normalised");
        ok_int(path_resolve_physical(root, "/..", &d), 0, "/..");
        ok_streq(d, "/", "... is /");

        /* The ambiguous spelling reads two ways. */
        ok_int(path_canonicalize(root, "/mnt/lnk/../data", &e, &other), 1, "'..' after a link is ambiguous");
        ok_streq(e, "/srv/x/data", "... the kernel's reading");
        ok_streq(other, "/mnt/data", "... and the shell's");
        ok_int(path_canonicalize(root, "/mnt/lnk/data", &f, NULL), 0, "a link without '..' reads one way");
        ok_streq(f, "/srv/x/y/data", "... resolved");
        ok_int(path_canonicalize(root, "/srv/x/../x/y", &g, NULL), 0, "'..' without a link reads one way");
        ok_streq(g, "/srv/x/y", "... normalised");
        /* A link that leads back where the spelling goes is no ambiguity. */
        free(p);
        p = path_join(root, "srv/x/self");
        ok(symlink(".", p) == 0, "srv/x/self -> .");
        ok_int(path_canonicalize(root, "/srv/x/self/../x", &h, NULL), 1,
               "a link to '.' before '..': the two readings differ (/srv/x vs /srv/x/x)");

        if (asprintf(&cmd, "rm -rf '%s'", root) > 0)
                (void) system(cmd);
}

static void test_mkdir_nofollow(void) {
        char tmpl[] = "/tmp/test-mkdir-XXXXXX";
        char *root = mkdtemp(tmpl);
        _cleanup_free_ char *deep = path_join(root, "a/b/c"), *top = path_join(root, "a"), *created = NULL,
                            *again = NULL, *l = path_join(root, "l"), *through = path_join(root, "l/x"),
                            *target = path_join(root, "a/x"), *cmd = NULL;
        int fd = -1, r;
        struct stat st;

        ok_int(mkdir_p_nofollow(deep, 0750, &created, &fd), 0, "mkdir_p_nofollow a/b/c");
        ok_streq(created, top, "the topmost directory made is reported");
        ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0750,
           "a descriptor of the new directory, with the mode asked for");
        if (fd >= 0)
                close(fd);
        ok_int(mkdir_p_nofollow(deep, 0750, &again, NULL), 0, "again");
        ok(again == NULL, "nothing made the second time");
        ok(symlink(top, l) == 0, "l -> a");
        r = mkdir_p_nofollow(through, 0755, NULL, NULL);
        ok(r == -ENOTDIR || r == -ELOOP, "a link on the way is not followed (%d)", r);
        ok(access(target, F_OK) < 0, "nothing made where the link leads");

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

static void test_strv_sort_uniq(void) {
        _cleanup_strv_free_ char **l = NULL, **one = NULL;
        _cleanup_free_ char *j = NULL;

        ok(strv_sort_uniq(NULL) == 0, "sort_uniq: NULL is the empty list");
        ok(strv_extend_many(&l, "b", "a/b", "a", "b", ".", "a", "b", NULL) == 0, "sort_uniq: extend");
        ok(strv_sort_uniq(l) == 4, "sort_uniq: four distinct strings left");
        j = strv_join(l, ",");
        ok_streq(j, ".,a,a/b,b", "sort_uniq: sorted, each once, terminated");
        ok(strv_length(l) == 4, "sort_uniq: the list ends after the last one");
        ok(strv_extend(&one, "x") == 0 && strv_sort_uniq(one) == 1 && streq(one[0], "x") && !one[1],
                "sort_uniq: one string");
}

int main(void) {
        test_normalize();
        test_startswith_dir();
        test_root_path();
        test_chase();
        test_physical();
        test_mkdir_nofollow();
        test_atomic_write();
        test_strv();
        test_strv_sort_uniq();
        return tap_done();
}
