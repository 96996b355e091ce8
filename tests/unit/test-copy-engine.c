/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The copy engine on a generated tree in a temporary directory, checked
 * against rsync: after each copy, "rsync -n -aHAXS --checksum -i --delete"
 * from the source must find nothing to do. Runs without root (the root
 * suite covers trusted.* xattrs, ACLs, capabilities, device nodes and
 * owners on real filesystems). */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "copy/copy.h"
#include "copy/engine.h"
#include "rsync-check.h"
#include "tap.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"

static char *T;

static char *at(const char *dir, const char *rel) {
        char *p = path_join(dir, rel);
        if (!p)
                abort();
        return p;
}

static void write_file(const char *dir, const char *rel, const void *data, size_t n) {
        _cleanup_free_ char *p = at(dir, rel), *d = path_dirname(p);
        _cleanup_close_ int fd = -1;

        if (mkdir_p(d, 0755) < 0)
                abort();
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || (n > 0 && write(fd, data, n) != (ssize_t) n))
                abort();
}

static void write_random(const char *dir, const char *rel, size_t n) {
        _cleanup_free_ char *buf = malloc(n + 1);
        unsigned s = (unsigned) n * 2654435761U;

        for (size_t i = 0; i < n; i++)
                buf[i] = (char) ((s = s * 1103515245U + 12345U) >> 16);
        write_file(dir, rel, buf, n);
}

static void set_times(const char *dir, const char *rel, long sec, long nsec) {
        _cleanup_free_ char *p = at(dir, rel);
        struct timespec ts[2] = { { sec - 100, 1 }, { sec, nsec } };
        if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
                abort();
}

/* Everything rsync -aHAXS keeps that a user can make. */
static void build_tree(const char *src) {
        _cleanup_free_ char *p = NULL;
        char name[64];
        int fd;

        write_file(src, "a/b/c/deep", "deep\n", 5);
        write_file(src, "empty-file", "", 0);
        write_random(src, "one-byte", 1);
        write_random(src, "page", 4096);
        write_random(src, "page-less-one", 4095);
        write_random(src, "a/medium", 100000);
        write_random(src, "a/b/three-mib", 3 << 20);
        /* Big enough for a job of its own and several chunks. */
        write_random(src, "big/nine-mib", 9 << 20);
        write_file(src, "sp ace/new\nline", "odd names\n", 10);
        write_file(src, "-dash", "x", 1);

        /* Holes: data at 1 MiB and 40 MiB, a hole at the end too. */
        p = at(src, "sparse");
        fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || pwrite(fd, "head", 4, 1 << 20) != 4 || pwrite(fd, "tail", 4, 40 << 20) != 4 ||
                ftruncate(fd, 64 << 20) < 0)
                abort();
        close(fd);

        /* Hard links across directories, of a file, a symlink and a fifo. */
        write_file(src, "links/first", "linked\n", 7);
        p = mfree(p);
        {
                _cleanup_free_ char *f = at(src, "links/first"), *g = at(src, "a/second"), *h = at(src, "a/b/third"),
                                    *s = at(src, "links/sym"), *s2 = at(src, "a/sym-link"), *q = at(src, "links/fifo"),
                                    *q2 = at(src, "a/b/fifo-link");
                if (link(f, g) < 0 || link(f, h) < 0 || symlink("first", s) < 0 || link(s, s2) < 0 ||
                        mkfifo(q, 0640) < 0 || link(q, q2) < 0)
                        abort();
        }
        /* Symlinks: relative, absolute, dangling. */
        {
                _cleanup_free_ char *r = at(src, "rel-link"), *a = at(src, "abs-link"), *d = at(src, "dangling");
                if (symlink("a/medium", r) < 0 || symlink("/etc/hostname", a) < 0 || symlink("no/such", d) < 0)
                        abort();
        }
        /* A socket, as a daemon leaves one behind. */
        {
                _cleanup_free_ char *sp = at(src, "sock");
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sp);
                if (s < 0 || bind(s, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        abort();
                close(s);
        }
        /* Empty directories, xattrs (files and directories), modes. */
        {
                _cleanup_free_ char *e = at(src, "empty"), *e2 = at(src, "a/empty-too"), *m = at(src, "a/medium"),
                                    *dx = at(src, "a/b"), *ro = at(src, "ro"), *rof = at(src, "ro/inside"),
                                    *x = at(src, "page"), *big = at(src, "big/nine-mib");
                if (mkdir(e, 0755) < 0 || mkdir(e2, 0700) < 0)
                        abort();
                if (setxattr(m, "user.origin", "registry", 8, 0) < 0 || setxattr(dx, "user.dir", "yes", 3, 0) < 0 ||
                        setxattr(big, "user.big", "", 0, 0) < 0)
                        abort();
                if (chmod(x, 0600) < 0 || chmod(m, 0751) < 0)
                        abort();
                write_file(src, "ro/inside", "in a read-only directory\n", 25);
                if (chmod(rof, 0444) < 0 || chmod(ro, 0555) < 0)
                        abort();
        }
        /* A directory of many files, more than one batch. */
        for (int i = 0; i < 600; i++) {
                snprintf(name, sizeof(name), "many/f%03d", i);
                write_random(src, name, (size_t) i * 7);
        }
        /* Nanosecond times, on files, a symlink and directories (last). */
        set_times(src, "a/medium", 1234567890, 123456789);
        set_times(src, "rel-link", 1111111111, 999999999);
        set_times(src, "empty", 1500000000, 1);
        set_times(src, "a/b", 1600000000, 500000000);
}

static bool have_rsync(void) {
        return find_executable("rsync", NULL);
}

typedef struct Seen {
        unsigned calls;
        CopyProgress last;
        bool monotonic;
} Seen;

static void on_progress(const CopyProgress *p, void *userdata) {
        Seen *s = userdata;

        if (s->calls > 0 && (p->bytes < s->last.bytes || p->files < s->last.files || p->percent < s->last.percent))
                s->monotonic = false;
        s->calls++;
        s->last = *p;
}

static int copy(const char *src, const char *dst, CopyPass pass, CopyDataMethod m, unsigned threads,
        const CopyChanges *changes, CopyStats *st, char **msg) {
        CopyOptions o = { .pass = pass, .data_method = m, .threads = threads, .changes = changes };
        CopyStats s;
        return copy_engine_run(src, dst, &o, st ?: &s, msg);
}

static void test_first_copy(const char *src) {
        _cleanup_free_ char *dst = at(T, "dst"), *msg = NULL;
        TreeSize size = {};
        Seen seen = { .monotonic = true };
        CopyOptions o = { .pass = COPY_PASS_LIVE, .progress = on_progress, .userdata = &seen };
        CopyStats st = {};
        struct stat a, b, c;
        char v[64];
        ssize_t n;
        int r;

        ok(copy_measure_tree(src, &size) == 0, "measure the source");
        o.expected_bytes = size.apparent_bytes;
        o.expected_inodes = size.inodes;
        r = copy_engine_run(src, dst, &o, &st, &msg);
        ok_int(r, 0, "live copy into a new target: %s", strna(msg));
        ok_same(src, dst, "rsync finds nothing to do after the copy");
        ok(st.entries >= 600 && st.copied > 600 && st.linked == 4, "stats: %llu entries, %llu copied, %llu linked",
                (unsigned long long) st.entries, (unsigned long long) st.copied, (unsigned long long) st.linked);

        ok(seen.calls > 0, "progress reported (%u calls)", seen.calls);
        ok(seen.monotonic, "progress never goes back");
        ok_int(seen.last.percent, 100, "progress ends at 100%%");
        /* Directories' own sizes are no bytes to copy. */
        ok(seen.last.bytes >= size.apparent_bytes * 99 / 100 && seen.last.files >= size.inodes - 1,
                "progress covers the tree (%llu of %llu bytes, %llu files for %llu inodes)",
                (unsigned long long) seen.last.bytes, (unsigned long long) size.apparent_bytes,
                (unsigned long long) seen.last.files, (unsigned long long) size.inodes);

        /* What rsync -n would not show on its own: allocation, inodes. */
        _cleanup_free_ char *sp = at(dst, "sparse"), *l1 = at(dst, "links/first"), *l2 = at(dst, "a/second"),
                            *l3 = at(dst, "a/b/third"), *s1 = at(dst, "links/sym"), *s2 = at(dst, "a/sym-link"),
                            *f1 = at(dst, "links/fifo"), *f2 = at(dst, "a/b/fifo-link"), *so = at(dst, "sock"),
                            *m = at(dst, "a/medium"), *rl = at(dst, "rel-link"), *dd = at(dst, "a/b"),
                            *marker = at(dst, COPY_MARKER);
        r = stat(sp, &a);
        ok(r == 0 && a.st_size == 64 << 20 && a.st_blocks * 512 <= 64 * 1024,
                "sparse file keeps its holes (%lld KiB allocated)", (long long) a.st_blocks / 2);
        ok(stat(l1, &a) == 0 && stat(l2, &b) == 0 && stat(l3, &c) == 0 && a.st_ino == b.st_ino &&
                        a.st_ino == c.st_ino && a.st_nlink == 3,
                "three names, one inode");
        ok(lstat(s1, &a) == 0 && lstat(s2, &b) == 0 && S_ISLNK(a.st_mode) && a.st_ino == b.st_ino,
                "hard-linked symlink");
        ok(lstat(f1, &a) == 0 && lstat(f2, &b) == 0 && S_ISFIFO(a.st_mode) && a.st_ino == b.st_ino,
                "hard-linked fifo");
        ok(lstat(so, &a) == 0 && S_ISSOCK(a.st_mode), "socket");
        ok(stat(m, &a) == 0 && a.st_mtim.tv_sec == 1234567890 && a.st_mtim.tv_nsec == 123456789 &&
                        (a.st_mode & 07777) == 0751,
                "file mtime to the nanosecond, mode");
        ok(lstat(rl, &a) == 0 && a.st_mtim.tv_nsec == 999999999, "symlink mtime to the nanosecond");
        ok(stat(dd, &a) == 0 && a.st_mtim.tv_sec == 1600000000 && a.st_mtim.tv_nsec == 500000000,
                "directory mtime set after its contents");
        n = getxattr(m, "user.origin", v, sizeof(v));
        ok(n == 8 && memcmp(v, "registry", 8) == 0, "user xattr of a file");
        n = getxattr(dd, "user.dir", v, sizeof(v));
        ok(n == 3 && memcmp(v, "yes", 3) == 0, "user xattr of a directory");
        ok(access(marker, F_OK) == 0, "target marked");
}

static void test_methods_and_threads(const char *src) {
        static const struct {
                CopyDataMethod m;
                unsigned threads;
                const char *what;
        } cases[] = {
                { COPY_DATA_READ_WRITE, 4, "read/write" },
                { COPY_DATA_SENDFILE, 4, "sendfile" },
                { COPY_DATA_AUTO, 1, "one thread" },
                { COPY_DATA_AUTO, 64, "64 threads" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *dst = NULL, *msg = NULL;
                CopyStats st = {};
                char name[32];
                int r;

                snprintf(name, sizeof(name), "dst-%zu", i);
                dst = at(T, name);
                r = copy(src, dst, COPY_PASS_FINAL, cases[i].m, cases[i].threads, NULL, &st, &msg);
                ok_int(r, 0, "%s: final pass into a new target: %s", cases[i].what, strna(msg));
                ok_same(src, dst, "%s: rsync finds nothing to do", cases[i].what);
                if (cases[i].m == COPY_DATA_READ_WRITE)
                        ok_streq(st.data_method, "read/write", "the method asked for is the one used");
        }
}

static double seconds_since(const struct timespec *t0) {
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) (t.tv_sec - t0->tv_sec) + (double) (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The default worker count while every CPU is kept busy by another process:
 * fewer workers work at once (copy/pace.h), and the copy is as faithful. A
 * copy over before the pace's first decision (half a second) shows
 * nothing, so the tree grows until a copy outlasts it. */
static void test_pace(void) {
        _cleanup_free_ char *src = at(T, "pace-src"), *last = NULL, *msg = NULL;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        pid_t hogs[64];
        unsigned n_hogs = cpus > 0 && cpus < 64 ? (unsigned) cpus : 64, files = 0;
        CopyStats st = {};
        double took = 0;
        int r = 0;

        for (unsigned i = 0; i < n_hogs; i++) {
                hogs[i] = fork();
                if (hogs[i] < 0)
                        abort();
                if (hogs[i] == 0) {
                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                        for (volatile unsigned long spin = 0;; spin++)
                                ;
                }
        }
        for (unsigned round = 0; round < 5 && took < 0.6; round++) {
                unsigned more = files == 0 ? 8000 : files;
                char name[64];
                struct timespec t0;

                for (unsigned i = files; i < files + more; i++) {
                        snprintf(name, sizeof(name), "d%03u/f%05u", i / 200, i);
                        write_random(src, name, 64 + i % 1500);
                }
                files += more;
                snprintf(name, sizeof(name), "pace-dst-%u", round);
                free(last);
                last = at(T, name);
                clock_gettime(CLOCK_MONOTONIC, &t0);
                r = copy(src, last, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, &st, &msg);
                took = seconds_since(&t0);
                if (r < 0)
                        break;
        }
        for (unsigned i = 0; i < n_hogs; i++) {
                (void) kill(hogs[i], SIGKILL);
                (void) waitpid(hogs[i], NULL, 0);
        }
        ok_int(r, 0, "CPUs saturated: the copy of %u files succeeds: %s", files, strna(msg));
        ok(took >= 0.6, "CPUs saturated: a copy outlasted the first decision (%u files in %.2f s)", files, took);
        ok(st.threads == 64 && st.threads_lowest < st.threads && st.threads_lowest >= 16,
                "CPUs saturated: fewer of the 64 workers worked at once (down to %u)", st.threads_lowest);
        ok_same(src, last, "CPUs saturated: rsync finds nothing to do");
}

static void rename_at(const char *dir, const char *from, const char *to) {
        _cleanup_free_ char *a = at(dir, from), *b = at(dir, to);
        if (rename(a, b) < 0)
                abort();
}

/* Changes of every kind, then a final pass: the target follows. */
static void change_tree(const char *src) {
        _cleanup_free_ char *med = at(src, "a/medium"), *page = at(src, "page"), *gone = at(src, "one-byte"),
                            *first = at(src, "links/first"), *newlink = at(src, "empty/new-link"),
                            *rl = at(src, "rel-link"), *deep = at(src, "a/b/c/deep"), *c = at(src, "a/b/c"),
                            *x = at(src, "many/f001");
        int fd = open(med, O_WRONLY | O_APPEND | O_CLOEXEC);

        if (fd < 0 || write(fd, "more", 4) != 4)
                abort();
        close(fd);
        if (chmod(page, 0644) < 0 || setxattr(x, "user.added", "1", 1, 0) < 0 || unlink(gone) < 0 ||
                link(first, newlink) < 0 || unlink(rl) < 0 || symlink("page", rl) < 0 || unlink(deep) < 0 ||
                rmdir(c) < 0)
                abort();
        rename_at(src, "many", "renamed-many");
        /* A file becomes a directory and a directory a file. */
        _cleanup_free_ char *ef = at(src, "empty-file"), *e2 = at(src, "a/empty-too");
        if (unlink(ef) < 0 || mkdir(ef, 0755) < 0 || rmdir(e2) < 0)
                abort();
        write_file(src, "a/empty-too", "now a file\n", 11);
        write_file(src, "brand/new/tree", "new\n", 4);
}

static void test_final_pass(const char *src) {
        _cleanup_free_ char *dst = at(T, "dst"), *stale = at(dst, "stale"), *marker = at(dst, COPY_MARKER),
                            *msg = NULL;
        CopyStats st = {};
        int r;

        write_file(dst, "stale", "left from an earlier pass\n", 26);
        r = copy(src, dst, COPY_PASS_LIVE, COPY_DATA_AUTO, 0, NULL, &st, &msg);
        ok_int(r, 0, "a second live pass: %s", strna(msg));
        /* The target holds an earlier copy: what the source lacks goes. */
        ok(access(stale, F_OK) < 0, "a live pass into an earlier copy deletes what the source lacks");
        ok(st.copied == 0 && st.skipped > 600, "… and copies nothing unchanged (%llu copied, %llu skipped)",
                (unsigned long long) st.copied, (unsigned long long) st.skipped);

        write_file(dst, "stale", "left from an earlier pass\n", 26);
        change_tree(src);
        r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, &st, &msg);
        ok_int(r, 0, "final pass after changes: %s", strna(msg));
        ok_same(src, dst, "rsync finds nothing to do after the final pass");
        ok(access(stale, F_OK) < 0, "the final pass deleted what the source lacks");
        ok(access(marker, F_OK) == 0, "… but not the marker");
        r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, &st, &msg);
        ok(r == 0 && st.copied == 0 && st.deleted == 0 && st.updated == 0,
                "a final pass with nothing changed changes nothing (%llu copied, %llu updated, %llu deleted)",
                (unsigned long long) st.copied, (unsigned long long) st.updated, (unsigned long long) st.deleted);
}

static int64_t realtime_ns(void) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        return (int64_t) t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The final pass from a record of changed directories (as the tracker
 * makes it; here written by hand): only those directories are looked at. */
static void test_changes_pass(const char *src) {
        _cleanup_free_ char *dst = at(T, "dst-changes"), *msg = NULL, *notlisted = at(dst, "a/b/not-listed"),
                            *listed = at(dst, "a/listed"), *fresh = at(dst, "brand2/sub/file");
        CopyStats st = {};
        int64_t since;
        int r;

        r = copy(src, dst, COPY_PASS_LIVE, COPY_DATA_AUTO, 0, NULL, &st, &msg);
        ok_int(r, 0, "pre-copy: %s", strna(msg));
        /* ctimes come from a coarse clock (a tick of up to 10 ms): the
         * record begins 50 ms back, after the tree is older than that. */
        usleep(200 * 1000);
        since = realtime_ns() - 50 * 1000000LL;
        write_file(src, "a/listed", "in a listed directory\n", 22);
        write_file(src, "a/b/not-listed", "in a directory the record lacks\n", 32);
        write_file(src, "brand2/sub/file", "a new tree\n", 11);

        char *dirs[] = { ".", "a", "brand2", "brand2/sub", NULL };
        CopyChanges ch = { .since_ns = since, .dirs = dirs, .complete = true };
        r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, &ch, &st, &msg);
        ok_int(r, 0, "final pass from the record: %s", strna(msg));
        ok(access(listed, F_OK) == 0 && access(fresh, F_OK) == 0, "changes in listed directories carried");
        /* The record lacks a/b, but its mtime moved: not the directory the
         * pre-copy copied, as far as the pass can tell, so it is entered. */
        ok(access(notlisted, F_OK) == 0, "an unlisted subdirectory of a listed one whose mtime moved is entered");
        ok(!st.fell_back, "no fallback needed (%s)", strna(st.fallback_reason));
        ok(st.entries < 100, "only the listed directories were walked (%llu entries)",
                (unsigned long long) st.entries);

        /* A new name for a file that has names in listed directories: the
         * target's inode gets the name too. */
        _cleanup_free_ char *old = at(src, "links/first"), *nl = at(src, "a/fourth-name"), *pg = at(src, "page"),
                            *nl2 = at(src, "a/fifth-name");
        if (link(old, nl) < 0)
                abort();
        char *dirs2[] = { "a", "a/b", NULL };
        CopyChanges ch2 = { .since_ns = since, .dirs = dirs2, .complete = true };
        /* One thread: with several, which of the inode's names a worker
         * meets first is a race, and when the new name comes first the
         * engine links wrongly, notices, and falls back to the whole tree
         * (safe, but not what this check is about). */
        r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 1, &ch2, &st, &msg);
        ok_int(r, 0, "final pass, a new name of a linked file: %s", strna(msg));
        ok(!st.fell_back, "… no fallback: its other names were in the record");
        ok_same(src, dst, "… and rsync finds nothing to do");

        /* A second name for a file whose only other name is in a directory
         * the record lacks: the record is short, the engine notices. */
        if (link(pg, nl2) < 0)
                abort();
        char *dirs3[] = { "a", NULL };
        CopyChanges ch4 = { .since_ns = since, .dirs = dirs3, .complete = true };
        r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, &ch4, &st, &msg);
        ok_int(r, 0, "final pass from a short record: %s", strna(msg));
        ok(st.fell_back && st.fallback_reason, "fell back to the whole tree");
        ok(st.skipped > 500, "… taking what is older than the record as it is (%llu skipped)",
                (unsigned long long) st.skipped);
        ok_same(src, dst, "rsync finds nothing to do after the fallback");

}

static void test_refusals(const char *src) {
        _cleanup_free_ char *other = at(T, "other"), *keep = at(other, "precious"), *msg = NULL, *dst = at(T, "dst"),
                            *sub = at(src, "a");
        int r;

        write_file(other, "precious", "do not delete\n", 14);
        r = copy(src, other, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
        ok_int(r, -ENOTEMPTY, "a target that is not ours is refused");
        ok(msg && strstr(msg, "would delete"), "… saying why: %s", strna(msg));
        ok(access(keep, F_OK) == 0, "… and its file is still there");
        msg = mfree(msg);
        r = copy(sub, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
        ok_int(r, -ENOTEMPTY, "the copy of another source is refused: %s", strna(msg));
        msg = mfree(msg);

        _cleanup_free_ char *inside = at(src, "a/copy-of-src");
        r = copy(src, inside, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
        ok(r == -EINVAL && msg && strstr(msg, "inside the source"), "a target inside the source is refused: %s",
                strna(msg));
        ok(access(inside, F_OK) < 0, "… before anything is made there");
        msg = mfree(msg);

        _cleanup_free_ char *missing = at(T, "missing"), *dst3 = at(T, "dst-missing");
        r = copy(missing, dst3, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
        ok(r == -ENOENT && msg && strstr(msg, missing), "a missing source: %s", strna(msg));
        msg = mfree(msg);

        if (geteuid() != 0) {
                _cleanup_free_ char *secret = at(src, "secret"), *dst4 = at(T, "dst-secret");
                write_file(src, "secret", "unreadable\n", 11);
                if (chmod(secret, 0) < 0)
                        abort();
                r = copy(src, dst4, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
                ok(r == -EACCES && msg && strstr(msg, "secret"), "an unreadable file fails, named: %s", strna(msg));
                (void) unlink(secret);
        } else
                printf("ok %d - an unreadable file fails, named # SKIP root reads everything\n", ++tap_n);
}

typedef struct Checked {
        unsigned calls;
        int fail; /* what the check returns from its first call on */
} Checked;

static int on_check(const CopyProgress *p, void *userdata, char **ret_message) {
        Checked *c = userdata;

        c->calls++;
        if (c->fail < 0 && asprintf(ret_message, "the target turned read-only (%llu bytes in)",
                                   (unsigned long long) p->bytes) < 0)
                *ret_message = NULL;
        return c->fail;
}

/* The caller's check (the copy watch, in the move) runs before the copy
 * and as it goes, and ends it with its error. */
static void test_check(const char *src) {
        _cleanup_free_ char *dst = at(T, "checked"), *refused = at(T, "refused"), *msg = NULL,
                            *inside = at(refused, "a");
        Checked ok_check = {}, ro = { .fail = -EROFS };
        CopyOptions o = { .pass = COPY_PASS_FINAL, .check = on_check, .userdata = &ok_check };
        int r;

        r = copy_engine_run(src, dst, &o, NULL, &msg);
        ok_int(r, 0, "a copy whose check passes: %s", strna(msg));
        ok(ok_check.calls >= 1, "… the check ran (%u times)", ok_check.calls);
        ok_same(src, dst, "… and rsync finds nothing to do");

        msg = mfree(msg);
        o.userdata = &ro;
        r = copy_engine_run(src, refused, &o, NULL, &msg);
        ok_int(r, -EROFS, "a check that fails ends the copy with its error");
        ok(msg && strstr(msg, "the target turned read-only"), "… and its message: %s", strna(msg));
        ok(ro.calls == 1 && access(inside, F_OK) < 0, "… before anything was copied");
}

/* copy_tree_by(): the engine, as the move runs it, a pre-copy and a final
 * pass deleting what the source no longer has; rsync alike. */
static void test_copier(const char *src) {
        static const Copier copiers[] = { COPIER_ENGINE, COPIER_RSYNC };

        /* The tests before changed directories of src a moment ago; rsync
         * then sometimes leaves those directories with the time of the copy
         * instead of theirs (seen under load, at most a second after the
         * change, never later). What is checked here is the copier's pass
         * logic, on a source at rest. */
        usleep(1500 * 1000);
        for (size_t i = 0; i < ELEMENTSOF(copiers); i++) {
                _cleanup_free_ char *dst = NULL, *stale = NULL, *fallback = NULL, *msg = NULL;
                Seen seen = { .monotonic = true };
                CopyRequest req = { .copier = copiers[i], .pass = COPY_PASS_LIVE, .progress = on_progress,
                                    .userdata = &seen };
                const char *name = copier_to_string(copiers[i]);
                int r;

                if (asprintf(&dst, "%s/by-%s", T, name) < 0)
                        abort();
                stale = at(dst, "stale-after-the-pre-copy");
                r = copy_tree_by(&req, src, dst, &fallback, &msg);
                ok_int(r, 0, "%s: the pre-copy: %s", name, strna(msg));
                ok(!fallback, "%s: no fallback (%s)", name, strna(fallback));
                write_file(dst, "stale-after-the-pre-copy", "x", 1);
                req.pass = COPY_PASS_FINAL;
                msg = mfree(msg);
                r = copy_tree_by(&req, src, dst, &fallback, &msg);
                ok_int(r, 0, "%s: the final pass: %s", name, strna(msg));
                ok(access(stale, F_OK) < 0, "%s: the final pass deleted what the source lacks", name);
                ok(seen.calls > 0 && seen.last.percent == 100, "%s: progress reported, ending at 100 %%", name);
                ok_same(src, dst, "%s: rsync finds nothing to do", name);
        }
        ok(copier_from_string("engine") == COPIER_ENGINE && copier_from_string("rsync") == COPIER_RSYNC &&
                   copier_from_string("cp") < 0,
           "the copiers by name");
}

#if defined(__x86_64__)
#  define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#  define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef NATIVE_AUDIT_ARCH
/* From here on, in this process and what it runs, the calls of the newer
 * kernels the engine uses fail with ENOSYS, as on a kernel that lacks them:
 * statx() (4.11), copy_file_range() (4.5), and sendfile() as well. */
static int deny_newer_calls(void) {
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_statx, 3, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_copy_file_range, 2, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendfile, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        };
        struct sock_fprog prog = { .len = ELEMENTSOF(f), .filter = f };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                return -errno;
        return 0;
}
#endif

/* On a kernel without statx(), copy_file_range() or sendfile() the engine
 * still copies, and as faithfully: the C library stands in for statx() and
 * the engine reads and writes the data itself. The copies run in a child
 * that the filter confines. */
static void test_older_kernel(const char *src) {
#ifndef NATIVE_AUDIT_ARCH
        ok(true, "# SKIP no system call filter for this architecture");
#else
        static const CopyPass passes[] = { COPY_PASS_LIVE, COPY_PASS_FINAL };
        _cleanup_free_ char *dst = NULL, *stale = NULL;
        char said[2][512] = {};
        int fds[2], status = -1;
        pid_t pid;

        if (asprintf(&dst, "%s/older-kernel", T) < 0 || pipe2(fds, O_CLOEXEC) < 0)
                abort();
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                char line[sizeof(said[0])];
                struct statx sx;
                int r = deny_newer_calls();

                /* The filter must have taken: the bare call fails. */
                if (r >= 0 && (syscall(__NR_statx, AT_FDCWD, src, 0, STATX_BASIC_STATS, &sx) >= 0 || errno != ENOSYS))
                        r = -EPERM;
                for (size_t i = 0; i < ELEMENTSOF(passes); i++) {
                        _cleanup_free_ char *fallback = NULL, *msg = NULL;
                        CopyStats st = {};
                        CopyRequest req = { .copier = COPIER_ENGINE, .pass = passes[i], .stats = &st };

                        if (r >= 0)
                                r = copy_tree_by(&req, src, dst, &fallback, &msg);
                        snprintf(line, sizeof(line), "%d\t%s\t%s", r, strna(st.data_method),
                                 fallback ? fallback : strempty(msg));
                        for (char *c = line; *c; c++)
                                if (*c == '\n')
                                        *c = ' ';
                        if (dprintf(fds[1], "%s\n", line) < 0)
                                _exit(2);
                        if (i == 0)
                                write_file(dst, "stale-in-the-target", "x", 1);
                }
                _exit(0);
        }
        close(fds[1]);
        {
                _cleanup_fclose_ FILE *f = fdopen(fds[0], "re");

                for (size_t i = 0; f && i < ELEMENTSOF(said); i++)
                        if (!fgets(said[i], sizeof(said[i]), f))
                                break;
        }
        if (waitpid(pid, &status, 0) < 0)
                abort();
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "older kernel: the child ran to its end");
        ok(streq(said[0], "0\tread/write\t\n"),
           "older kernel: the pre-copy copied with the engine, reading and writing, no fallback (%.300s)", said[0]);
        /* Nothing changed since: the final pass copies no data. */
        ok(strneq(said[1], "0\t", 2) && endswith(said[1], "\t\n"),
           "older kernel: the final pass ran with the engine, no fallback (%.300s)", said[1]);
        stale = at(dst, "stale-in-the-target");
        ok(access(stale, F_OK) < 0, "older kernel: the final pass deleted what the source lacks");
        ok_same(src, dst, "older kernel: rsync finds nothing to do");
#endif
}

/* Each error on an entry reaches the pass's result, also where the step that
 * met it leaves the reporting to its caller: a change of mode alone whose
 * source cannot be opened (EACCES for a copier that is not root, here the
 * file mode 0200; root is made nobody for it, in a child), and a temporary
 * name the replacement of a changed file cannot have (out of memory, by the
 * test hook). A pass that left the entry as it was must not succeed. */
static void test_errors_reach_result(void) {
        _cleanup_free_ char *w = at(T, "errors"), *src = at(w, "src"), *dst = at(w, "dst");
        int status = -1;
        pid_t pid;

        /* nobody must reach its directory. */
        if (mkdir(w, 0755) < 0 || (geteuid() == 0 && (chmod(T, 0755) < 0 || chown(w, 65534, 65534) < 0)))
                abort();
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                _cleanup_free_ char *msg = NULL, *f = at(src, "f"), *df = at(dst, "f");
                struct stat d;
                int r;

                if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                                              setresuid(65534, 65534, 65534) < 0))
                        _exit(100);
                write_file(src, "f", "content\n", 8);
                if (copy(src, dst, COPY_PASS_LIVE, COPY_DATA_AUTO, 1, NULL, NULL, &msg) != 0 || chmod(f, 0200) < 0)
                        _exit(101);
                msg = mfree(msg);
                r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 1, NULL, NULL, &msg);
                (void) chmod(f, 0600);
                if (r == 0 && stat(df, &d) == 0 && (d.st_mode & 07777) != 0200)
                        _exit(1); /* success, with the old mode */
                _exit(r < 0 && msg && strstr(msg, "/f") ? 0 : 2);
        }
        if (waitpid(pid, &status, 0) < 0)
                abort();
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "errors: a change of mode that cannot be read from the source fails the pass (status %d)", status);

#if FAULT_INJECTION
        {
                _cleanup_free_ char *msg = NULL;
                int r;

                write_file(src, "g", "one\n", 4);
                r = copy(src, dst, COPY_PASS_LIVE, COPY_DATA_AUTO, 1, NULL, NULL, &msg);
                ok_int(r, 0, "errors: pre-copy: %s", strna(msg));
                write_file(src, "g", "two, longer\n", 12);
                msg = mfree(msg);
                setenv(TEST_FAIL_ENV, "copy-tmp-name:ENOMEM", 1);
                r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 1, NULL, NULL, &msg);
                unsetenv(TEST_FAIL_ENV);
                ok_int(r, -ENOMEM, "errors: out of memory for a replacement fails the pass: %s", strna(msg));
        }
#else
        ok(true, "# SKIP errors: out of memory needs -Dfault_injection=true");
#endif
}

/* A new entry in a directory with the set-group-id bit, made by the final
 * pass into the target's existing copy of that directory, inherits the
 * directory's group: owned by root:root in the source, it must be so in the
 * target too, though root:root is the copier's own. Owners need root. */
static void test_setgid_group(void) {
        _cleanup_free_ char *w = at(T, "setgid"), *src = at(w, "src"), *dst = at(w, "dst"), *msg = NULL,
                            *sg = at(src, "sg"), *f = at(src, "sg/new-file"), *sub = at(src, "sg/new-dir"),
                            *sym = at(src, "sg/new-symlink"), *df = at(dst, "sg/new-file"),
                            *dsub = at(dst, "sg/new-dir"), *dsym = at(dst, "sg/new-symlink");
        struct stat x, y, z;
        int r;

        if (geteuid() != 0) {
                tap_skip("setgid: the group of a new entry", "owners need root");
                return;
        }
        write_file(src, "sg/first", "x\n", 2);
        if (chown(sg, 0, 4242) < 0 || chmod(sg, 02775) < 0)
                abort();
        r = copy(src, dst, COPY_PASS_LIVE, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
        ok_int(r, 0, "setgid: pre-copy: %s", strna(msg));

        write_file(src, "sg/new-file", "y\n", 2);
        if (chown(f, 0, 0) < 0 || mkdir(sub, 0755) < 0 || chown(sub, 0, 0) < 0 || chmod(sub, 0755) < 0 ||
            symlink("first", sym) < 0 || lchown(sym, 0, 0) < 0)
                abort();
        msg = mfree(msg);
        r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
        ok_int(r, 0, "setgid: final pass: %s", strna(msg));
        if (lstat(df, &x) < 0 || lstat(dsub, &y) < 0 || lstat(dsym, &z) < 0)
                abort();
        ok(x.st_gid == 0 && y.st_gid == 0 && z.st_gid == 0,
           "setgid: new root:root entries keep group 0 (file %u, directory %u, symlink %u)", (unsigned) x.st_gid,
           (unsigned) y.st_gid, (unsigned) z.st_gid);
        ok_same(src, dst, "setgid: rsync finds nothing to do");
}

/* A hard link the source broke into an equal copy ("cp -p b b.tmp && mv
 * b.tmp b"), then a change of mode through one name: the target's names
 * must become separate inodes too, each with its own mode. And a name split
 * off a set of three: the target's inode had more names than the source's. */
static void test_link_broken(void) {
        _cleanup_free_ char *w = at(T, "unlink"), *src = at(w, "src"), *dst = at(w, "dst"), *msg = NULL,
                            *a = at(src, "d/a"), *b = at(src, "d/b"), *bt = at(src, "d/b.tmp"),
                            *c = at(src, "e/c"), *ct = at(src, "e/c.tmp"), *da = at(dst, "d/a"),
                            *db = at(dst, "d/b"), *dc = at(dst, "e/c");
        struct stat sb, x, y, z;
        int r;

        write_file(src, "d/a", "shared content\n", 15);
        write_file(src, "e/x", "", 0);
        if (link(a, b) < 0 || link(a, c) < 0)
                abort();
        r = copy(src, dst, COPY_PASS_LIVE, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
        ok_int(r, 0, "links: pre-copy: %s", strna(msg));

        if (stat(b, &sb) < 0)
                abort();
        write_file(src, "d/b.tmp", "shared content\n", 15);
        write_file(src, "e/c.tmp", "shared content\n", 15);
        {
                struct timespec ts[2] = { sb.st_atim, sb.st_mtim };
                if (chmod(bt, 0644) < 0 || utimensat(AT_FDCWD, bt, ts, 0) < 0 || rename(bt, b) < 0 ||
                    chmod(ct, 0640) < 0 || utimensat(AT_FDCWD, ct, ts, 0) < 0 || rename(ct, c) < 0)
                        abort();
        }
        if (chmod(a, 0600) < 0)
                abort();

        msg = mfree(msg);
        r = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 1, NULL, NULL, &msg);
        ok_int(r, 0, "links: full final pass: %s", strna(msg));
        if (stat(da, &x) < 0 || stat(db, &y) < 0 || stat(dc, &z) < 0)
                abort();
        ok(x.st_ino != y.st_ino && x.st_ino != z.st_ino && y.st_ino != z.st_ino,
           "links: d/a, d/b and e/c are three inodes in the target as in the source");
        ok((x.st_mode & 07777) == 0600 && (y.st_mode & 07777) == 0644 && (z.st_mode & 07777) == 0640,
           "links: each has its own mode (%04o %04o %04o)", (unsigned) (x.st_mode & 07777),
           (unsigned) (y.st_mode & 07777), (unsigned) (z.st_mode & 07777));
        ok_same(src, dst, "links: rsync finds nothing to do");
}

/* A tree deeper than any path (3000 levels, made level by level) in the
 * target that the source lacks: the final pass removes it, with neither a
 * stack frame nor an fd per level (a recursion with a 32 KiB buffer a level
 * overflowed the worker's stack at some 250). In a child, as a crash would
 * end the test. */
#define DEEP_LEVELS 3000
static void test_deep_remove(void) {
        _cleanup_free_ char *w = at(T, "deep"), *src = at(w, "src"), *dst = at(w, "dst"), *msg = NULL,
                            *top = at(dst, "deep");
        int fd, status = -1, r;
        pid_t pid;

        write_file(src, "kept", "k", 1);
        r = copy(src, dst, COPY_PASS_LIVE, COPY_DATA_AUTO, 0, NULL, NULL, &msg);
        ok_int(r, 0, "deep: pre-copy: %s", strna(msg));
        if (mkdir(top, 0755) < 0 || (fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                abort();
        for (int i = 0; i < DEEP_LEVELS; i++) {
                int f = openat(fd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644), sub;
                if (f < 0 || (i % 7 == 0 && mkdirat(fd, "other", 0755) < 0) || mkdirat(fd, "d", 0755) < 0 ||
                    (sub = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                        abort();
                close(f);
                close(fd);
                fd = sub;
        }
        close(fd);

        fflush(stdout);
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                _cleanup_free_ char *m = NULL;
                int x = copy(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, 0, NULL, NULL, &m);
                if (x != 0)
                        fprintf(stderr, "# %s\n", strna(m));
                _exit(x == 0 ? 0 : 1);
        }
        if (waitpid(pid, &status, 0) < 0)
                abort();
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "deep: the final pass removes a tree %d levels deep the source lacks (%s %d)", DEEP_LEVELS,
           WIFSIGNALED(status) ? "signal" : "status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        ok(access(top, F_OK) < 0 && errno == ENOENT, "deep: the tree is gone");
        ok_same(src, dst, "deep: rsync finds nothing to do");
}

#ifdef NATIVE_AUDIT_ARCH
/* From here on, in this process, the calls given return 0 at once, as a
 * read at the end of a file does. */
static int make_calls_end(const int *nrs, size_t n) {
        struct sock_filter f[16];
        size_t i = 0;

        if (n + 5 > ELEMENTSOF(f))
                return -EINVAL;
        f[i++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        f[i++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0);
        f[i++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        f[i++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        for (size_t j = 0; j < n; j++)
                f[i++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned) nrs[j], (uint8_t) (n - j), 0);
        f[i++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        f[i++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0);
        struct sock_fprog prog = { .len = (unsigned short) i, .filter = f };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                return -errno;
        return 0;
}

/* A copy in a child whose calls nrs end at once: the copy's result. */
static int copy_with_calls_ended(const char *src, const char *dst, CopyPass pass, CopyDataMethod m, const int *nrs,
        size_t n) {
        int status = -1;
        pid_t pid;

        fflush(stdout);
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                _cleanup_free_ char *msg = NULL;
                int r = make_calls_end(nrs, n);
                if (r >= 0)
                        r = copy(src, dst, pass, m, 1, NULL, NULL, &msg);
                if (r < 0)
                        fprintf(stderr, "# %s\n", strna(msg));
                _exit(r == 0 ? 0 : r == -ENODATA ? 1 : 2);
        }
        if (waitpid(pid, &status, 0) < 0)
                abort();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

#if FAULT_INJECTION
/* As copy_with_calls_ended(), but where the copy finds the source ended
 * (test hook copy-source-ended) the file src/rel is written again, n bytes
 * of other data, before the copy looks at it: a log truncated and rewritten
 * while the pre-copy read it. */
static int copy_with_source_rewritten(const char *src, const char *rel, size_t n, const char *dst, CopyPass pass,
        const int *nrs, size_t nn) {
        _cleanup_free_ char *pause = at(T, "pause"), *env = NULL;
        int status = -1;
        pid_t pid;

        if (asprintf(&env, "copy-source-ended:%s", pause) < 0)
                abort();
        (void) unlink(pause);
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                _cleanup_free_ char *msg = NULL;
                int r;

                setenv(TEST_PAUSE_ENV, env, 1);
                r = make_calls_end(nrs, nn);
                if (r >= 0)
                        r = copy(src, dst, pass, COPY_DATA_AUTO, 1, NULL, NULL, &msg);
                if (r < 0)
                        fprintf(stderr, "# %s\n", strna(msg));
                _exit(r == 0 ? 0 : r == -ENODATA ? 1 : 2);
        }
        /* At most 60 s for the copy to reach the hook. */
        for (unsigned i = 0; i < 600 && access(pause, F_OK) < 0; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return WIFEXITED(status) ? 100 + WEXITSTATUS(status) : 200;
                usleep(100 * 1000);
        }
        write_random(src, rel, n);
        (void) unlink(pause);
        if (waitpid(pid, &status, 0) < 0)
                abort();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}
#endif
#endif

/* A read that ends before the size the file had when it was opened is not
 * the end of the file: copy_file_range() that stops short is read again
 * plainly, and a source that ends early fails the copy. */
static void test_short_reads(void) {
#ifndef NATIVE_AUDIT_ARCH
        ok(true, "# SKIP no system call filter for this architecture");
#else
        _cleanup_free_ char *w = at(T, "short"), *src = at(w, "src"), *dst = at(w, "dst"), *dst2 = at(w, "dst2");
        static const int cfr[] = { __NR_copy_file_range, __NR_sendfile };
        static const int all[] = { __NR_copy_file_range, __NR_sendfile, __NR_pread64 };

        write_random(src, "big", 3 << 20);
        write_random(src, "small", 5000);
        ok_int(copy_with_calls_ended(src, dst, COPY_PASS_LIVE, COPY_DATA_COPY_FILE_RANGE, cfr, ELEMENTSOF(cfr)), 0,
               "short reads: copy_file_range() that stops at once: the copy succeeds");
        ok_same(src, dst, "short reads: ... and is whole, read again plainly");
        ok_int(copy_with_calls_ended(src, dst2, COPY_PASS_LIVE, COPY_DATA_AUTO, all, ELEMENTSOF(all)), 1,
               "short reads: a source that ends at once fails the pre-copy (it did not shrink)");
        write_random(src, "big", (3 << 20) + 1);
        ok_int(copy_with_calls_ended(src, dst, COPY_PASS_FINAL, COPY_DATA_AUTO, all, ELEMENTSOF(all)), 1,
               "short reads: ... and the final pass");
#if FAULT_INJECTION
        {
                _cleanup_free_ char *src3 = at(w, "src3"), *dst3 = at(w, "dst3"), *dst4 = at(w, "dst4");

                /* Ended early, and written again before the copy looked:
                 * as large as before, so it did not shrink, but changed. */
                write_random(src3, "log", 3 << 20);
                ok_int(copy_with_source_rewritten(src3, "log", 3 << 20, dst3, COPY_PASS_LIVE, all, ELEMENTSOF(all)),
                       0, "short reads: a source rewritten while the pre-copy read it: the pre-copy goes on");
                ok_int(copy(src3, dst3, COPY_PASS_FINAL, COPY_DATA_AUTO, 1, NULL, NULL, NULL), 0,
                       "short reads: the final pass after the cut pre-copy");
                ok_same(src3, dst3, "short reads: ... copies the rewritten file whole");
                write_random(src3, "log", 3 << 20);
                ok_int(copy_with_source_rewritten(src3, "log", (3 << 20) + 7, dst4, COPY_PASS_FINAL, all,
                               ELEMENTSOF(all)),
                       1, "short reads: ... but a source that changes under the final pass fails it");
        }
#else
        ok(true, "# SKIP short reads: a source rewritten under the copy needs -Dfault_injection=true");
#endif
#endif
}

int main(void) {
        _cleanup_free_ char *src = NULL, *cmd = NULL;

        if (!have_rsync()) {
                printf("1..0 # SKIP rsync, the reference, is not installed\n");
                return 77;
        }
        T = strdup("/tmp/test-copy-engine-XXXXXX");
        if (!T || !mkdtemp(T))
                abort();
        src = at(T, "src");
        build_tree(src);

        test_first_copy(src);
        test_methods_and_threads(src);
        test_refusals(src);
        test_final_pass(src);
        test_changes_pass(src);
        test_check(src);
        test_copier(src);
        test_older_kernel(src);
        test_pace();
        test_errors_reach_result();
        test_setgid_group();
        test_link_broken();
        test_deep_remove();
        test_short_reads();

        /* The read-only directory must be writable to be removed. */
        if (asprintf(&cmd, "chmod -R u+w '%s' && rm -rf '%s'", T, T) > 0)
                (void) system(cmd);
        free(T);
        return tap_done();
}
