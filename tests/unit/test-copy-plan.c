/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The jobs a final pass plans from a record of changes that lists tens of
 * thousands of directories, as a busy host's record does: each directory
 * the target has once, the ones it lacks folded into their nearest
 * ancestor it has, and none below a placed directory or below one in doubt.
 * The planning alone, on trees of empty directories; runs without root. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy/engine-internal.h"
#include "tap.h"
#include "util/strv.h"

#define DIRS(...) ((char *[]){__VA_ARGS__, NULL})
#define TOPS 10U
#define SUBS 250U
#define GONE 20U /* listed below each of them, gone since */

static char *T;

static void mkdir_at(int dirfd, const char *rel) {
        if (mkdirat(dirfd, rel, 0755) < 0) {
                perror(rel);
                abort();
        }
}

static void set_mtime(int dirfd, const char *rel, time_t sec) {
        struct timespec ts[2] = {{sec, 0}, {sec, 0}};

        if (utimensat(dirfd, rel, ts, AT_SYMLINK_NOFOLLOW) < 0)
                abort();
}

static int open_dir(const char *rel) {
        _cleanup_free_ char *p = NULL;
        int fd;

        if (asprintf(&p, "%s/%s", T, rel) < 0 || (mkdir(p, 0755) < 0 && errno != EEXIST))
                abort();
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                abort();
        return fd;
}

/* Plans the record (dirs, placed) of the copy of src to dst: the jobs'
 * names, sorted, in *ret_jobs. Checks what holds for every plan: one job a
 * name, the root the root, a placed directory walked whole and the others
 * not, the names kept for copy_is_node(), which check is given to ask. */
static void plan(
        int src, int dst, char **dirs, char **placed, char ***ret_jobs, const char *name, bool (*check)(const Run *r)) {
        CopyChanges ch = {.dirs = dirs, .placed = placed, .complete = true};
        CopyOptions o = {.pass = COPY_PASS_FINAL, .changes = &ch};
        Run r = {.o = &o, .src_fd = src, .dst_fd = dst, .changes_only = true};
        _cleanup_strv_free_ char **jobs = NULL;
        DirNode **nodes = NULL;
        size_t n = 0;
        struct stat st;
        bool flags = true;
        int k;

        if (fstat(src, &st) < 0)
                abort();
        r.root_dev = st.st_dev;
        k = copy_changes_to_nodes(&r, &nodes, &n);
        ok(k == 0, "%s: planned (%d)", name, k);
        jobs = calloc(n + 1, sizeof(char *));
        if (!jobs)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (nodes[i]->root != streq(nodes[i]->rel, ".") ||
                        nodes[i]->shallow == strv_contains(placed, nodes[i]->rel) || nodes[i]->fresh)
                        flags = false;
                jobs[i] = nodes[i]->rel;
                free(nodes[i]);
        }
        free(nodes);
        ok(flags, "%s: the root is the root, placed directories are walked whole, the others shallow", name);
        ok(strv_sort_uniq(jobs) == n, "%s: each job once", name);
        ok(r.n_node_rels == n && strv_equal(r.node_rels, jobs), "%s: the jobs' names, sorted, kept", name);
        ok(k == 0 && check(&r), "%s: copy_is_node() knows the jobs", name);
        copy_changes_plan_free(&r);
        *ret_jobs = TAKE_PTR(jobs);
}

static bool many_nodes(const Run *r) {
        return copy_is_node(r, ".") && copy_is_node(r, "l03/d0007") && copy_is_node(r, "l09/d0249") &&
               copy_is_node(r, "f") && !copy_is_node(r, "l03/d0007/x") && !copy_is_node(r, "l03/d0007/x/g03") && !copy_is_node(r, "l03/d0007/g04") &&
               !copy_is_node(r, "f/g3");
}

/* Names added in order, into room made for them beforehand. */
typedef struct List {
        char **l;
        size_t n;
} List;

_printf_(2, 3) static const char *add(List *l, const char *fmt, ...) {
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&l->l[l->n], fmt, ap);
        va_end(ap);
        if (k < 0)
                abort();
        return l->l[l->n++];
}

/* Fifty thousand listed directories, as a busy host's record holds after
 * a pre-copy: 2,500 with their jobs, 50,000 gone since (folded into the
 * nearest ancestor still there, twenty into each), ten below a placed one.
 * Source and target are one tree, which the planning only reads: few
 * directories to make, where a disk makes each slowly. */
static void test_many(void) {
        _cleanup_strv_free_ char **placed = NULL, **jobs = NULL;
        _cleanup_close_ int src = open_dir("many"), dst = open_dir("many");
        List listed = {.l = calloc(TOPS * (SUBS * (GONE + 1) + 1) + 64, sizeof(char *))},
             want = {.l = calloc(TOPS * (SUBS + 1) + 64, sizeof(char *))};

        if (!listed.l || !want.l)
                abort();
        for (unsigned t = 0; t < TOPS; t++) {
                mkdir_at(src, add(&listed, "%s", add(&want, "l%02u", t)));
                for (unsigned s = 0; s < SUBS; s++) {
                        mkdir_at(src, add(&listed, "%s", add(&want, "l%02u/d%04u", t, s)));
                        for (unsigned g = 0; g < GONE; g++)
                                add(&listed, g % 2 ? "l%02u/d%04u/x/g%02u" : "l%02u/d%04u/g%02u", t, s, g);
                }
        }
        mkdir_at(src, add(&listed, "%s", add(&want, "f")));
        for (unsigned i = 0; i < 10; i++)
                mkdir_at(src, add(&listed, "f/g%u", i));
        add(&listed, "%s", add(&want, "."));
        add(&listed, "gone");
        if (strv_extend(&placed, "f") < 0)
                abort();
        strv_sort(listed.l);
        strv_sort(want.l);

        plan(src, dst, listed.l, placed, &jobs, "many", many_nodes);
        ok(strv_length(listed.l) >= 50000, "many: %zu directories listed", strv_length(listed.l));
        ok(strv_length(jobs) == want.n, "many: %zu jobs, %zu expected", strv_length(jobs), want.n);
        ok(strv_equal(jobs, want.l), "many: a job for each listed directory there is, none for those gone or below f");
        strv_free(listed.l);
        strv_free(want.l);
}

static bool shapes_nodes(const Run *r) {
        return copy_is_node(r, "m") && copy_is_node(r, "m/c/b") && copy_is_node(r, "f") && copy_is_node(r, "k") &&
               !copy_is_node(r, "m/a/b") && !copy_is_node(r, "k/new") && !copy_is_node(r, "h");
}

/* What the target lacks, and what lies in a directory in doubt, in a
 * source and a target of their own. */
static void test_shapes(void) {
        _cleanup_strv_free_ char **jobs = NULL;
        _cleanup_close_ int src = open_dir("shapes-src"), dst = open_dir("shapes-dst");

        STRV_FOREACH (d, DIRS("m", "m/a", "m/a/b", "m/c", "m/c/b", "f", "f/g", "k")) {
                mkdir_at(src, *d);
                mkdir_at(dst, *d);
        }
        /* Made since the pre-copy: the target lacks them. */
        mkdir_at(src, "k/new");
        mkdir_at(src, "k/new/deeper");
        mkdir_at(src, "h");
        /* m/a is in doubt (the target's has another mtime): the walk of m
         * enters it whole, m/a/b with it; m/c is not, m/c/b is a job. */
        set_mtime(src, "m/a", 1000000000);
        set_mtime(dst, "m/a", 1000000001);
        set_mtime(src, "m/c", 1000000000);
        set_mtime(dst, "m/c", 1000000000);

        plan(src, dst, DIRS("f/g", "k/new", "k/new/deeper", "m", "m/a/b", "m/c/b"), DIRS("f", "h"), &jobs, "shapes",
                shapes_nodes);
        ok(strv_equal(jobs, DIRS(".", "f", "k", "m", "m/c/b")),
                "shapes: k for what it lacks, the root for h, nothing below f or m/a");
}

int main(void) {
        _cleanup_free_ char *cmd = NULL;

        T = strdup("/tmp/test-copy-plan-XXXXXX");
        if (!T || !mkdtemp(T))
                abort();

        test_many();
        test_shapes();

        if (asprintf(&cmd, "rm -rf '%s'", T) > 0)
                (void)system(cmd);
        free(T);
        return tap_done();
}
