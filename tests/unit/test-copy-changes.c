/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The copy engine's final pass from a record of changes, where the record
 * does not say everything: a rename reports only the two parents, rmdir
 * and mkdir only the parent (the records here are written by hand, as the
 * tracker makes them). After each pass, rsync from the source must find
 * nothing to do. Runs without root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "copy/copy.h"
#include "copy/engine.h"
#include "rsync-check.h"
#include "tap.h"
#include "tree.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"

static char *T;

#define DIRS(...) ((char *[]){__VA_ARGS__, NULL})

static char *at(const char *dir, const char *rel) {
        char *p = path_join(dir, rel);
        if (!p)
                abort();
        return p;
}

static void write_file(const char *dir, const char *rel, const char *data) {
        if (tree_write(dir, rel, data) < 0)
                abort();
}

static void move(const char *dir, const char *from, const char *to) {
        _cleanup_free_ char *a = at(dir, from), *b = at(dir, to);
        if (rename(a, b) < 0)
                abort();
}

/* mv a a.tmp; mv b a; mv a.tmp b: the two directories swapped, as a
 * package manager's update swaps the new tree in. */
static void swap_dirs(const char *dir, const char *a, const char *b) {
        _cleanup_free_ char *tmp = NULL;

        if (asprintf(&tmp, "%s.tmp", a) < 0)
                abort();
        move(dir, a, tmp);
        move(dir, b, a);
        move(dir, tmp, b);
}

/* One fixed mtime, as npm gives every file of its tarballs (and tar
 * extraction, reproducible builds): equal sizes then look equal. */
static void fixed_mtime(const char *dir, const char *rel) {
        _cleanup_free_ char *p = at(dir, rel);
        struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};

        if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
                abort();
}

static int64_t realtime_ns(void) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The record's since_ns: the tree is older than it, what follows newer
 * (ctimes come from a coarse clock, a tick of up to 10 ms). */
static int64_t record_begins(void) {
        int64_t s;

        usleep(100 * 1000);
        s = realtime_ns();
        usleep(20 * 1000);
        return s;
}

static int copy(
        const char *src, const char *dst, CopyPass pass, const CopyChanges *changes, CopyStats *st, char **msg) {
        CopyOptions o = {.pass = pass, .changes = changes};
        CopyStats s;

        *msg = mfree(*msg);
        return copy_engine_run(src, dst, &o, st ?: &s, msg);
}

static int final_pass(const char *src, const char *dst, int64_t since, char **dirs, CopyStats *st, char **msg) {
        CopyChanges ch = {.since_ns = since, .dirs = dirs, .complete = true};
        return copy(src, dst, COPY_PASS_FINAL, &ch, st, msg);
}

static int final_pass_placed(
        const char *src, const char *dst, int64_t since, char **dirs, char **placed, CopyStats *st, char **msg) {
        CopyChanges ch = {.since_ns = since, .dirs = dirs, .placed = placed, .complete = true};
        return copy(src, dst, COPY_PASS_FINAL, &ch, st, msg);
}

/* Two directories of files of one size and one mtime each, and a
 * subdirectory of that mtime too, with the same names: only their content
 * tells them apart. */
static void npm_pair(const char *src, const char *a, const char *b) {
        const char *const dirs[] = {a, b};

        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *f = NULL, *sf = NULL, *sub = NULL;
                char data[16];

                if (asprintf(&f, "%s/index.js", dirs[i]) < 0 || asprintf(&sf, "%s/lib/util.js", dirs[i]) < 0 ||
                    asprintf(&sub, "%s/lib", dirs[i]) < 0)
                        abort();
                snprintf(data, sizeof(data), "version=%zu\n", i + 1);
                write_file(src, f, data);
                write_file(src, sf, data);
                fixed_mtime(src, f);
                fixed_mtime(src, sf);
                fixed_mtime(src, sub);
        }
}

/* The swap of two listed directories (a change in each after it): their
 * files have one size and one mtime, the record's placed entries alone say
 * that the target's copies are the other directory's. */
static void test_placed_swap_listed(void) {
        _cleanup_free_ char *src = at(T, "placed1/src"), *dst = at(T, "placed1/dst"), *msg = NULL, *c = NULL,
                            *cs = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        npm_pair(src, "P/d1", "P/d2");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "placed1: pre-copy: %s", strna(msg));

        since = record_begins();
        swap_dirs(src, "P/d1", "P/d2");
        write_file(src, "P/d1/new", "n\n");
        write_file(src, "P/d2/new", "n\n");
        r = final_pass_placed(src, dst, since, DIRS("P", "P/d1", "P/d2"), DIRS("P/d1", "P/d2"), &st, &msg);
        ok_int(r, 0, "placed1: final pass from the record {P, P/d1, P/d2} placed {P/d1, P/d2}: %s", strna(msg));
        c = tree_read(dst, "P/d1/index.js");
        cs = tree_read(dst, "P/d1/lib/util.js");
        ok(streq_ptr(c, "version=2\n") && streq_ptr(cs, "version=2\n"),
           "placed1: P/d1's files and its subdirectory's are the source's (%s, %s)", strna(c), strna(cs));
        ok_same(src, dst, "placed1: rsync finds nothing to do");
        ok(!st.fell_back, "placed1: no fallback");
}

/* The same swap with the change in the subdirectories only: the record
 * lists them, not the swapped directories, whose subdirectories have
 * equal mtimes and whose own ctime is moved by nothing but the rename. */
static void test_placed_swap_subdirs(void) {
        _cleanup_free_ char *src = at(T, "placed2/src"), *dst = at(T, "placed2/dst"), *msg = NULL, *c = NULL,
                            *cs = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        npm_pair(src, "P/d1", "P/d2");
        write_file(src, "P/d1/deep/x/file", "in d1\n");
        write_file(src, "P/d2/deep/x/file", "in d2\n");
        fixed_mtime(src, "P/d1/deep/x/file");
        fixed_mtime(src, "P/d2/deep/x/file");
        fixed_mtime(src, "P/d1/deep/x");
        fixed_mtime(src, "P/d2/deep/x");
        fixed_mtime(src, "P/d1/deep");
        fixed_mtime(src, "P/d2/deep");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "placed2: pre-copy: %s", strna(msg));

        since = record_begins();
        swap_dirs(src, "P/d1", "P/d2");
        write_file(src, "P/d1/new", "n\n");
        write_file(src, "P/d1/deep/x/new", "n\n");
        r = final_pass_placed(src, dst, since, DIRS("P", "P/d1", "P/d1/deep/x"), DIRS("P/d1", "P/d2"), &st, &msg);
        ok_int(r, 0, "placed2: final pass from the record {P, P/d1, P/d1/deep/x} placed {P/d1, P/d2}: %s",
               strna(msg));
        c = tree_read(dst, "P/d1/lib/util.js");
        cs = tree_read(dst, "P/d1/deep/x/file");
        ok(streq_ptr(c, "version=2\n") && streq_ptr(cs, "in d2\n"),
           "placed2: the subdirectories of the listed P/d1 are the source's (%s, %s)", strna(c), strna(cs));
        ok_same(src, dst, "placed2: rsync finds nothing to do");
}

/* A swapped directory that is not listed but gets a job of its own: a
 * directory below it, listed, is one the target lacks (it came with the
 * swap), so the pass synchronises from the swapped one down. */
static void test_placed_unlisted_job(void) {
        _cleanup_free_ char *src = at(T, "placed3/src"), *dst = at(T, "placed3/dst"), *msg = NULL, *c = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        npm_pair(src, "P/a", "P/b");
        write_file(src, "P/b/only-b/file", "b\n");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "placed3: pre-copy: %s", strna(msg));

        since = record_begins();
        swap_dirs(src, "P/a", "P/b");
        write_file(src, "P/a/only-b/later", "l\n");
        r = final_pass_placed(src, dst, since, DIRS("P", "P/a/only-b"), DIRS("P/a", "P/b"), &st, &msg);
        ok_int(r, 0, "placed3: final pass from the record {P, P/a/only-b} placed {P/a, P/b}: %s", strna(msg));
        c = tree_read(dst, "P/a/lib/util.js");
        ok_streq(c, "version=2\n", "placed3: the swapped P/a's subdirectory is the source's");
        ok_same(src, dst, "placed3: rsync finds nothing to do");
}

/* rm -rf foo; mv staging foo; then a change inside foo, which the record
 * lists: the old foo's files of one size and mtime are not the new ones.
 * A placed path that is gone by the final pass, and one the target lacks,
 * are in the record too. */
static void test_placed_staging(void) {
        _cleanup_free_ char *src = at(T, "placed4/src"), *dst = at(T, "placed4/dst"), *msg = NULL, *c = NULL,
                            *cs = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        npm_pair(src, "P/foo", "P/staging");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "placed4: pre-copy: %s", strna(msg));

        since = record_begins();
        tree_remove(at(src, "P/foo"));
        move(src, "P/staging", "P/foo");
        write_file(src, "P/foo/package.json", "{}\n");
        write_file(src, "Q/made/deeper/file", "new\n");
        r = final_pass_placed(src, dst, since, DIRS(".", "P", "P/foo", "Q/made/deeper"),
                             DIRS("P/foo", "P/gone", "Q"), &st, &msg);
        ok_int(r, 0, "placed4: final pass from the record {., P, P/foo, Q/made/deeper} placed {P/foo, P/gone, Q}: %s",
               strna(msg));
        c = tree_read(dst, "P/foo/index.js");
        cs = tree_read(dst, "P/foo/lib/util.js");
        ok(streq_ptr(c, "version=2\n") && streq_ptr(cs, "version=2\n"),
           "placed4: P/foo's files and its subdirectory's are the staging ones (%s, %s)", strna(c), strna(cs));
        ok_same(src, dst, "placed4: rsync finds nothing to do");
}

/* mv d1 tmp; mv d2 d1; mv tmp d2: the record lists only their parent. */
static void test_swap(void) {
        _cleanup_free_ char *src = at(T, "swap/src"), *dst = at(T, "swap/dst"), *msg = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        write_file(src, "P/d1/only-in-d1", "one\n");
        write_file(src, "P/d1/sub/deeper", "one, deeper\n");
        write_file(src, "P/d2/only-in-d2", "two\n");
        write_file(src, "P/d2/sub/deeper", "two, deeper\n");
        write_file(src, "P/same/file", "unchanged\n");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "swap: pre-copy: %s", strna(msg));

        since = record_begins();
        swap_dirs(src, "P/d1", "P/d2");
        r = final_pass(src, dst, since, DIRS("P"), &st, &msg);
        ok_int(r, 0, "swap: final pass from the record {P}: %s", strna(msg));
        ok(tree_exists(dst, "P/d1/only-in-d2") && !tree_exists(dst, "P/d1/only-in-d1"), "swap: P/d1 holds the source's P/d1");
        ok_same(src, dst, "swap: rsync finds nothing to do");
        ok(!st.fell_back, "swap: no fallback");
}

/* The same swap with a change inside both, so that the record lists them
 * too: a file of the same name in both, older than the record, is the other
 * directory's in the target. */
static void test_swap_listed(void) {
        _cleanup_free_ char *src = at(T, "swap2/src"), *dst = at(T, "swap2/dst"), *msg = NULL, *c = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        write_file(src, "P/d1/config", "setting=one\n");
        write_file(src, "P/d2/config", "setting=2\n");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "swap2: pre-copy: %s", strna(msg));

        since = record_begins();
        swap_dirs(src, "P/d1", "P/d2");
        write_file(src, "P/d1/new", "n\n");
        write_file(src, "P/d2/new", "n\n");
        r = final_pass(src, dst, since, DIRS("P", "P/d1", "P/d2"), &st, &msg);
        ok_int(r, 0, "swap2: final pass from the record {P, P/d1, P/d2}: %s", strna(msg));
        c = tree_read(dst, "P/d1/config");
        ok_streq(c, "setting=2\n", "swap2: the target's P/d1/config is the source's");
        ok_same(src, dst, "swap2: rsync finds nothing to do");
}

/* A directory renamed onto the path of another, with a change deeper down
 * that the record lists: that directory is synchronised with the one in
 * doubt (once, not by two jobs at the same time). */
static void test_swap_listed_below(void) {
        _cleanup_free_ char *src = at(T, "swap3/src"), *dst = at(T, "swap3/dst"), *msg = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        write_file(src, "P/cur/x/y/old-file", "old\n");
        write_file(src, "P/cur/x/keep", "old keep\n");
        write_file(src, "P/staging/x/y/new-file", "new\n");
        write_file(src, "P/staging/x/keep", "new keep\n");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "swap3: pre-copy: %s", strna(msg));

        since = record_begins();
        tree_remove(at(src, "P/cur"));
        move(src, "P/staging", "P/cur");
        write_file(src, "P/cur/x/y/later", "l\n");
        r = final_pass(src, dst, since, DIRS("P", "P/cur/x/y"), &st, &msg);
        ok_int(r, 0, "swap3: final pass from the record {P, P/cur/x/y}: %s", strna(msg));
        ok(!tree_exists(dst, "P/cur/x/y/old-file") && tree_exists(dst, "P/cur/x/y/later"),
                "swap3: the listed directory below is synchronised");
        ok_same(src, dst, "swap3: rsync finds nothing to do");
}

/* The swap again, each file hard-linked to a name in a directory the record
 * does not list: the target's file below the directory in doubt is the
 * other inode's, and rewriting it in place would change the content of
 * that other name too. */
static void test_swap_links(void) {
        _cleanup_free_ char *src = at(T, "swap4/src"), *dst = at(T, "swap4/dst"), *msg = NULL, *a = NULL,
                            *b = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        write_file(src, "P/d1/f", "AAAA\n");
        write_file(src, "P/d2/f", "BBBB\n");
        write_file(src, "X/keep", "x\n");
        write_file(src, "Y/keep", "y\n");
        {
                _cleanup_free_ char *f1 = at(src, "P/d1/f"), *f2 = at(src, "P/d2/f"), *l1 = at(src, "X/a"),
                                    *l2 = at(src, "Y/b");
                if (link(f1, l1) < 0 || link(f2, l2) < 0)
                        abort();
        }
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "swap4: pre-copy: %s", strna(msg));

        since = record_begins();
        swap_dirs(src, "P/d1", "P/d2");
        r = final_pass(src, dst, since, DIRS("P"), &st, &msg);
        ok_int(r, 0, "swap4: final pass from the record {P}: %s", strna(msg));
        a = tree_read(dst, "X/a");
        b = tree_read(dst, "Y/b");
        ok(streq_ptr(a, "AAAA\n") && streq_ptr(b, "BBBB\n"),
           "swap4: the names in the directories not walked keep their content (X/a %s, Y/b %s)", strna(a), strna(b));
        ok_same(src, dst, "swap4: rsync finds nothing to do, hard links included");
}

/* rm -rf n; mkdir n: the record lists the parent. */
static void test_recreated(void) {
        _cleanup_free_ char *src = at(T, "recreate/src"), *dst = at(T, "recreate/dst"), *msg = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        write_file(src, "P/n/old-file", "deleted in the source\n");
        write_file(src, "P/n/sub/deeper", "deleted too\n");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "recreate: pre-copy: %s", strna(msg));

        since = record_begins();
        tree_remove(at(src, "P/n"));
        if (tree_mkdir(src, "P/n") < 0)
                abort();
        r = final_pass(src, dst, since, DIRS("P"), &st, &msg);
        ok_int(r, 0, "recreate: final pass from the record {P}: %s", strna(msg));
        ok(!tree_exists(dst, "P/n/old-file") && !tree_exists(dst, "P/n/sub"), "recreate: the old files are gone");
        ok_same(src, dst, "recreate: rsync finds nothing to do");
}

/* A write(2) stamps the mtime and ctime when it starts: one that began
 * before the record and went on while the pre-copy read the file leaves a
 * file older than the record, and longer than its copy. Here the record
 * begins after the whole change, which looks the same to the pass. */
static void test_write_before_record(void) {
        _cleanup_free_ char *src = at(T, "write/src"), *dst = at(T, "write/dst"), *msg = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        write_file(src, "v/log", "first line\n");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "write: pre-copy: %s", strna(msg));
        write_file(src, "v/log", "first line\nsecond line, written on\n");
        since = record_begins();
        write_file(src, "v/other", "o\n");
        r = final_pass(src, dst, since, DIRS("v"), &st, &msg);
        ok_int(r, 0, "write: final pass from the record {v}: %s", strna(msg));
        ok_same(src, dst, "write: the whole file is in the target (rsync finds nothing to do)");
}

/* A file rewritten to the same size, its mtime put back (cp -p onto it,
 * rsync --inplace): its ctime is after the record began. */
static void test_mtime_put_back(void) {
        _cleanup_free_ char *src = at(T, "mtime/src"), *dst = at(T, "mtime/dst"), *msg = NULL, *f = at(src, "v/data");
        struct stat before;
        CopyStats st = {};
        int64_t since;
        int r;

        write_file(src, "v/data", "AAAAAAAA\n");
        if (stat(f, &before) < 0)
                abort();
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "mtime: pre-copy: %s", strna(msg));
        since = record_begins();
        {
                _cleanup_close_ int fd = open(f, O_WRONLY | O_CLOEXEC);
                struct timespec ts[2] = {before.st_atim, before.st_mtim};
                if (fd < 0 || pwrite(fd, "BBBBBBBB\n", 9, 0) != 9 || futimens(fd, ts) < 0)
                        abort();
        }
        r = final_pass(src, dst, since, DIRS("v"), &st, &msg);
        ok_int(r, 0, "mtime: final pass from the record {v}: %s", strna(msg));
        ok_same(src, dst, "mtime: the new content is in the target (rsync finds nothing to do)");
}

/* A target holding an earlier run's copy (a move rolled back, its volume
 * used again): a file the source lost between the two runs is in no
 * directory the second run's record lists. */
static void test_earlier_copy(void) {
        _cleanup_free_ char *src = at(T, "earlier/src"), *dst = at(T, "earlier/dst"), *msg = NULL,
                            *gone = at(src, "volumes/v/_data/deleted-between-runs");
        CopyStats st = {};
        int64_t since;
        int r;

        write_file(src, "volumes/v/_data/keep", "keep\n");
        write_file(src, "volumes/v/_data/deleted-between-runs", "deleted\n");
        write_file(src, "containers/c1/log", "x\n");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "earlier: the first run's pre-copy: %s", strna(msg));
        if (unlink(gone) < 0)
                abort();

        since = record_begins();
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "earlier: the second run's pre-copy: %s", strna(msg));
        write_file(src, "containers/c1/log", "x\ny\n");
        r = final_pass(src, dst, since, DIRS("containers/c1"), &st, &msg);
        ok_int(r, 0, "earlier: final pass from the record {containers/c1}: %s", strna(msg));
        ok(!tree_exists(dst, "volumes/v/_data/deleted-between-runs"), "earlier: the file deleted between the runs is gone");
        ok_same(src, dst, "earlier: rsync finds nothing to do");
}

/* An unchanged subdirectory of a listed directory is not entered. */
static void test_shallow(void) {
        _cleanup_free_ char *src = at(T, "shallow/src"), *dst = at(T, "shallow/dst"), *msg = NULL;
        CopyStats st = {};
        char name[64];
        int64_t since;
        int r;

        for (int i = 0; i < 200; i++) {
                snprintf(name, sizeof(name), "P/big/f%03d", i);
                write_file(src, name, "x\n");
        }
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "shallow: pre-copy: %s", strna(msg));

        since = record_begins();
        write_file(src, "P/new", "n\n");
        r = final_pass(src, dst, since, DIRS("P"), &st, &msg);
        ok_int(r, 0, "shallow: final pass from the record {P}: %s", strna(msg));
        ok(st.entries < 10, "shallow: the unchanged P/big is not entered (%llu entries)",
                (unsigned long long)st.entries);
        ok_same(src, dst, "shallow: rsync finds nothing to do");
}

/* A record the tracker could not keep whole (its queue overflowed): a
 * swap of two directories of files of one size and mtime, older than the
 * record, whose copies in the target are each the other's. Such a record is
 * refused, not taken for one that lists nothing: no pass can trust it. */
static void test_incomplete(void) {
        _cleanup_free_ char *src = at(T, "incomplete/src"), *dst = at(T, "incomplete/dst"), *msg = NULL,
                            *diff = NULL;
        CopyStats st = {};
        int64_t since;
        int r;

        npm_pair(src, "P/d1", "P/d2");
        r = copy(src, dst, COPY_PASS_LIVE, NULL, &st, &msg);
        ok_int(r, 0, "incomplete: pre-copy: %s", strna(msg));

        since = record_begins();
        swap_dirs(src, "P/d1", "P/d2");
        {
                CopyChanges ch = {.since_ns = since, .complete = false, .reason = (char *)"overflowed"};
                r = copy(src, dst, COPY_PASS_FINAL, &ch, &st, &msg);
        }
        diff = rsync_diff(src, dst);
        ok(r < 0 || streq_ptr(diff, ""), "incomplete: no success with a copy that differs (%d): %s", r, strna(diff));
        ok(r == -EINVAL && msg && strstr(msg, "incomplete"), "incomplete: the record is refused, saying why: %s",
           strna(msg));
}

int main(void) {
        if (!find_executable("rsync", NULL)) {
                printf("1..0 # SKIP rsync, the reference, is not installed\n");
                return 77;
        }
        T = tree_new("test-copy-changes");

        test_shallow();
        test_swap();
        test_swap_listed();
        test_swap_listed_below();
        test_swap_links();
        test_recreated();
        test_write_before_record();
        test_mtime_put_back();
        test_earlier_copy();
        test_placed_swap_listed();
        test_placed_swap_subdirs();
        test_placed_unlisted_job();
        test_placed_staging();
        test_incomplete();

        tree_remove(T);
        return tap_done();
}
