/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Texts a command reads by name: in memory through /proc, or files below
 * /tmp when asked (or when memory cannot be), removed at the end; and the
 * renaming of what the command says of them. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "tree.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/text-files.h"

static char *read_path(const char *path) {
        char *s = NULL;
        size_t n = 0;

        return read_full_file(path, 0, &s, &n) < 0 ? NULL : s;
}

static void test_memory(void) {
        int fds = tree_count_entries("/proc/self/fd", NULL), before = tree_count_entries(getenv("TMPDIR"), "docker-relocate-");
        const char *a = NULL, *b = NULL;
        _cleanup_free_ char *ta = NULL, *tb = NULL;
        TextFiles t = {};

        int r = text_files_add(&t, "one", "first\n", 6, &a);
        if (r == 0)
                r = text_files_add(&t, "two", "", 0, &b);
        ok_int(r, 0, "two texts added");
        ok(a && startswith(a, "/proc/") && b && startswith(b, "/proc/") && !t.on_disk && !t.dir,
           "in memory, named through /proc (%s, %s)", strna(a), strna(b));
        ta = a ? read_path(a) : NULL;
        tb = b ? read_path(b) : NULL;
        ok_streq(ta, "first\n", "the first reads back by its name");
        ok_streq(tb, "", "an empty text reads back empty");
        ok(tree_count_entries(getenv("TMPDIR"), "docker-relocate-") == before, "nothing below $TMPDIR");
        ok(t.n == 2 && t.paths[2] == NULL, "the paths are a NULL-terminated list, as an argv takes");
        text_files_done(&t);
        ok(fds > 0 && tree_count_entries("/proc/self/fd", NULL) == fds, "no fd left open (%d before, %d after)", fds,
           tree_count_entries("/proc/self/fd", NULL));
        ok(t.n == 0 && !t.paths && !t.fds, "done leaves it empty");
}

static void test_on_disk(void) {
        int before = tree_count_entries(getenv("TMPDIR"), "docker-relocate-");
        TextFiles t = { .on_disk = true };
        const char *a = NULL;
        _cleanup_free_ char *ta = NULL, *dir = NULL;
        struct stat st = {};

        int r = text_files_add(&t, "one", "on disk\n", 8, &a);
        ok(r == 0 && a && startswith(a, getenv("TMPDIR")) && strstr(a, "/docker-relocate-text."), "asked for a file: below $TMPDIR (%s)", strna(a));
        ta = a ? read_path(a) : NULL;
        ok_streq(ta, "on disk\n", "it reads back");
        r = a ? stat(a, &st) : -1;
        ok(r == 0 && (st.st_mode & 07777) == 0600, "the file is 0600 (%o)", st.st_mode & 07777);
        r = t.dir ? stat(t.dir, &st) : -1;
        ok(r == 0 && (st.st_mode & 07777) == 0700, "its directory is 0700 (%o)", st.st_mode & 07777);
        ok(tree_count_entries(getenv("TMPDIR"), "docker-relocate-") == before + 1, "one directory below $TMPDIR");
        dir = t.dir ? strdup(t.dir) : NULL;
        text_files_done(&t);
        ok(tree_count_entries(getenv("TMPDIR"), "docker-relocate-") == before && dir && access(dir, F_OK) < 0,
           "done removes the file and its directory");
}

static void test_rename(void) {
        TextFiles t = {};
        const char *p[11];
        char *names[12] = {};
        _cleanup_free_ char *got = NULL, *want = NULL;

        /* Eleven texts: the path of the 2nd is the start of the 11th's
         * when they are files (".../1", ".../10"), and fds 4 and 40 may be
         * as close in memory: only whole paths are renamed. */
        t.on_disk = true;
        for (int i = 0; i < 11; i++) {
                ok(text_files_add(&t, "x", "x", 1, &p[i]) == 0, "text %d added", i);
                if (asprintf(&names[i], "/etc/file%d", i) < 0)
                        abort();
        }
        _cleanup_free_ char *said = NULL;
        if (asprintf(&said, "%s: 1: error\n%s: 2: error; %s and %s.\n%s/x\n", p[10], p[1], p[1], p[0], p[2]) < 0)
                abort();
        got = text_files_rename(&t, said, names);
        want = strdup("/etc/file10: 1: error\n/etc/file1: 2: error; /etc/file1 and /etc/file0.\n/etc/file2/x\n");
        ok_streq(got, want, "each whole path renamed, every time it is named");
        ok_int(text_files_last_named(&t, said), 2, "the text named last is the one at the end");
        _cleanup_free_ char *only10 = NULL;
        if (asprintf(&only10, "sh: %s: 3: Syntax error\n", p[10]) < 0)
                abort();
        ok_int(text_files_last_named(&t, only10), 10, "a path that starts another's is not that one");
        ok_int(text_files_last_named(&t, "nothing of ours\n"), -1, "none named: -1");
        text_files_done(&t);
        for (int i = 0; i < 11; i++)
                free(names[i]);
}

int main(void) {
        char *tmp = tree_set_tmpdir("test-text-files-tmp");

        test_memory();
        test_on_disk();
        test_rename();
        tree_remove(tmp);
        return tap_done();
}
