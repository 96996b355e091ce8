/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "copy/copy.h"
#include "copy/watch.h"
#include "tap.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/strv.h"

static void test_progress(void) {
        CopyProgress p;

        /* Lines as rsync 3.x prints them with --info=progress2. */
        ok(copy_parse_progress_line("          32768   0%    0.00kB/s    0:00:00  ", &p) == 0, "first line");
        ok_int(p.bytes, 32768, "bytes");
        ok_int(p.percent, 0, "percent");
        ok(copy_parse_progress_line("      314572802  99%  299.97MB/s    0:00:01 (xfr#2, to-chk=49/52)", &p) == 0,
           "line with xfr and to-chk");
        ok_int(p.bytes, 314572802, "bytes");
        ok_int(p.percent, 99, "percent");
        ok(p.rate > 299.9 * 1048576 && p.rate < 300.0 * 1048576, "rate in bytes/s (%.0f)", p.rate);
        ok_int(p.eta_sec, 1, "eta");
        ok(copy_parse_progress_line("    241,369,088  76%  115.14MB/s    0:00:00  ", &p) == 0, "separators");
        ok_int(p.bytes, 241369088, "bytes with thousands separators");
        ok(copy_parse_progress_line("  1,099,511,627,776 100%    1.25GB/s    1:02:03 (xfr#9, ir-chk=1000/2000)", &p) ==
                   0,
           "big, GB/s, ir-chk");
        ok_int(p.bytes, 1099511627776LL, "a TiB");
        ok_int(p.percent, 100, "100%%");
        ok_int(p.eta_sec, 3723, "h:mm:ss");
        ok(p.rate > 1.24 * 1073741824.0 && p.rate < 1.26 * 1073741824.0, "GB/s rate");

        ok(copy_parse_progress_line("      1048576  50%   12,50MB/s    0:00:03  ", &p) == 0 &&
                   p.rate > 12.49 * 1048576 && p.rate < 12.51 * 1048576,
           "decimal comma");
        ok_int(copy_parse_progress_line("sending incremental file list", &p), -EINVAL, "other output ignored");
        ok_int(copy_parse_progress_line("", &p), -EINVAL, "empty line");
        ok_int(copy_parse_progress_line("   100 101%  1.00kB/s  0:00:00", &p), -EINVAL, "percent over 100");
        ok_int(copy_parse_progress_line("   100 50%  1.00xB/s  0:00:00", &p), -EINVAL, "unknown unit");
        ok_int(copy_parse_progress_line("   100 50%  1.00kB/s  0:99:00", &p), -EINVAL, "bad time");
}

static void test_exit_mapping(void) {
        const char *m = NULL;

        ok_int(copy_map_rsync_exit(0, COPY_PASS_FINAL, "", &m), 0, "0 is success");
        ok_int(copy_map_rsync_exit(11, COPY_PASS_FINAL,
                                   "rsync: [receiver] write failed on \"/mnt/x/f\": No space left on device (28)\n",
                                   &m),
               -ENOSPC, "11 + ENOSPC text");
        ok_streq(m, "target filesystem full", "ENOSPC message");
        ok_int(copy_map_rsync_exit(12, COPY_PASS_LIVE,
                                   "rsync: write failed on \"x\": No space left on device (28)\nrsync error: error in "
                                   "rsync protocol data stream (code 12)",
                                   &m),
               -ENOSPC, "12 + ENOSPC text");
        ok_int(copy_map_rsync_exit(11, COPY_PASS_FINAL,
                                   "rsync: [receiver] write failed on \"/mnt/x/f\": Auf dem Ger\xc3\xa4t ist kein "
                                   "Speicherplatz mehr verf\xc3\xbcgbar (28)\n",
                                   &m),
               -ENOSPC, "ENOSPC recognised by its number in another locale");
        ok_int(copy_map_rsync_exit(11, COPY_PASS_FINAL, "rsync: read errors mapping \"/x (28)/y\": Input/output error (5)\n",
                                   &m),
               -EIO, "a (28) inside a path is not ENOSPC");
        ok_int(copy_map_rsync_exit(24, COPY_PASS_LIVE, "file has vanished: \"/x\"", &m), 0,
               "24 on the live pass is fine");
        ok_int(copy_map_rsync_exit(24, COPY_PASS_FINAL, "file has vanished: \"/x\"", &m), -EAGAIN,
               "24 on the final pass is an error");
        ok_int(copy_map_rsync_exit(23, COPY_PASS_LIVE, "rsync: open \"/x\" failed: Permission denied (13)", &m), -EIO,
               "23 partial transfer is an error on any pass");
        ok(strstr(m, "partial"), "23 says partial: %s", m);
        ok_int(copy_map_rsync_exit(23, COPY_PASS_FINAL,
                                   "rsync: rsync_xal_set: lsetxattr(\"/x\",\"trusted.overlay.opaque\") failed: "
                                   "Operation not supported (95)",
                                   &m),
               -EOPNOTSUPP, "xattr not supported by the target");
        ok_int(copy_map_rsync_exit(4, COPY_PASS_FINAL, "", &m), -EOPNOTSUPP, "4 action not supported");
        ok_int(copy_map_rsync_exit(20, COPY_PASS_FINAL, "", &m), -ECANCELED, "20 interrupted");
        ok_int(copy_map_rsync_exit(128 + 9, COPY_PASS_FINAL, "", &m), -ECANCELED, "killed");
        ok_int(copy_map_rsync_exit(30, COPY_PASS_FINAL, "", &m), -ETIMEDOUT, "30 timeout");
        ok_int(copy_map_rsync_exit(1, COPY_PASS_FINAL, "", &m), -EINVAL, "1 usage");
        ok_int(copy_map_rsync_exit(2, COPY_PASS_FINAL, "", &m), -EPROTO, "2 protocol");
}

static void test_argv(void) {
        _cleanup_strv_free_ char **live = copy_rsync_argv("/var/lib/docker", "/mnt/d/docker", COPY_PASS_LIVE);
        _cleanup_strv_free_ char **fin = copy_rsync_argv("/var/lib/docker/", "/mnt/d/docker/", COPY_PASS_FINAL);
        size_t n = strv_length(live), m = strv_length(fin);

        ok(live && strv_contains(live, "-aHAXS") && strv_contains(live, "--numeric-ids"), "archive flags");
        ok(strv_contains(live, "--one-file-system") && !strv_contains(live, "--delete"), "live: -x, no --delete");
        ok(strv_contains(fin, "--delete") && !strv_contains(fin, "--one-file-system"), "final: --delete, no -x");
        ok(n >= 3 && streq(live[n - 2], "/var/lib/docker/") && streq(live[n - 1], "/mnt/d/docker"),
           "source gets its trailing slash");
        ok(m >= 3 && streq(fin[m - 2], "/var/lib/docker/") && streq(fin[m - 1], "/mnt/d/docker"),
           "trailing slashes normalised");
        ok(n >= 3 && streq(live[n - 3], "--"), "paths after --");
}

static void test_mounts_below(void) {
        _cleanup_free_ char *dir = path_join(fixtures_dir(), "mountinfo"),
                            *f = path_join(dir, "docker-running");
        _cleanup_strv_free_ char **l = NULL, **none = NULL;

        ok(copy_mounts_below(f, "/var/lib/docker/", &l) == 0, "parse mountinfo");
        ok_int(strv_length(l), 3, "three mounts below the data root");
        ok(strv_contains(l, "/var/lib/docker/overlay2/3f1c0a2b9d/merged"), "overlay merged");
        ok(strv_contains(l, "/var/lib/docker/containers/6593bc0316/mounts/shm"), "shm");
        ok(strv_contains(l, "/var/lib/docker/volumes/with space"), "escaped path decoded");
        ok(!strv_contains(l, "/var/lib/docker"), "the root's own mount is not below it");
        ok(copy_mounts_below(f, "/mnt/docker-data", &none) == 0 && strv_length(none) == 0, "nothing below");
        ok(copy_mounts_below("/nonexistent/mountinfo", "/", &none) < 0, "missing file is an error");
}

static void write_at(const char *dir, const char *name, const char *data) {
        _cleanup_free_ char *p = path_join(dir, name);
        (void) write_file_atomic(p, data, strlen(data), 0644);
}

typedef struct Seen {
        unsigned calls;
        uint64_t last_bytes;
        unsigned last_percent;
        bool monotonic;
} Seen;

static void on_progress(const CopyProgress *p, void *userdata) {
        Seen *s = userdata;
        if (s->calls > 0 && p->bytes < s->last_bytes)
                s->monotonic = false;
        s->calls++;
        s->last_bytes = p->bytes;
        s->last_percent = p->percent;
}

/* Without root: hard links, holes, a nested tree, rsync for real. */
static void test_measure_and_copy(void) {
        char tmpl[] = "/tmp/test-copy-XXXXXX";
        char *t = mkdtemp(tmpl);
        _cleanup_free_ char *src = path_join(t, "src"), *dst = path_join(t, "dst"), *sub = path_join(src, "a/b"),
                            *big = path_join(src, "a/big"), *sparse = path_join(src, "sparse"),
                            *l1 = path_join(src, "a/b/one"), *l2 = path_join(src, "two"),
                            *d1 = path_join(dst, "a/b/one"), *d2 = path_join(dst, "two"),
                            *dsparse = path_join(dst, "sparse"), *stale = path_join(dst, "stale"), *msg = NULL,
                            *msg2 = NULL;
        struct stat a, b, s;
        TreeSize ts = {}, td = {};
        Seen seen = { .monotonic = true };
        _cleanup_close_ int fd = -1;
        int r;

        ok(mkdir_p(sub, 0755) == 0, "tree");
        write_at(src, "a/b/one", "linked content\n");
        ok(link(l1, l2) == 0, "hard link");
        fd = open(sparse, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ok(fd >= 0 && pwrite(fd, "x", 1, 64 << 20) == 1, "sparse file with a 64 MiB hole");
        closep(&fd);
        fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        {
                char buf[65536];
                memset(buf, 'z', sizeof(buf));
                for (int i = 0; i < 64; i++)
                        if (write(fd, buf, sizeof(buf)) != (ssize_t) sizeof(buf))
                                break;
        }
        closep(&fd);

        ok(copy_measure_tree(src, &ts) == 0, "measure");
        /* src, a, a/b, one(=two), sparse, big */
        ok_int(ts.inodes, 6, "inodes, hard link once");
        ok(ts.apparent_bytes >= (64ULL << 20) + 4 * 1024 * 1024, "apparent size counts the hole");
        ok(ts.bytes < (16ULL << 20), "allocated bytes do not (%llu)", (unsigned long long) ts.bytes);

        /* A target that is not ours: refused before anything is written. */
        _cleanup_free_ char *other = path_join(t, "other"), *keep = path_join(other, "precious"), *msg0 = NULL;
        ok(mkdir_p(other, 0755) == 0, "a directory with someone's file");
        write_at(other, "precious", "do not delete\n");
        r = copy_tree(src, other, COPY_PASS_FINAL, NULL, NULL, &msg0);
        ok_int(r, -ENOTEMPTY, "non-empty foreign target refused");
        ok(msg0 && strstr(msg0, "would delete"), "… saying why: %s", strna(msg0));
        ok(access(keep, F_OK) == 0, "… and its file is still there");

        /* An empty target with a filesystem's lost+found: taken, and the
         * lost+found survives the final pass. */
        _cleanup_free_ char *fsroot = path_join(t, "fsroot"), *lf = path_join(fsroot, "lost+found"), *msg1 = NULL;
        ok(mkdir_p(lf, 0700) == 0, "empty filesystem root");
        r = copy_tree(src, fsroot, COPY_PASS_FINAL, NULL, NULL, &msg1);
        ok_int(r, 0, "copy into a filesystem root: %s", strna(msg1));
        ok(access(lf, F_OK) == 0, "lost+found kept by --delete");

        r = copy_tree(src, dst, COPY_PASS_LIVE, on_progress, &seen, &msg);
        ok_int(r, 0, "live copy: %s", strna(msg));
        ok(seen.calls > 0, "progress callback fired (%u)", seen.calls);
        ok(seen.monotonic, "progress bytes never go back");
        ok_int(seen.last_percent, 100, "last progress is 100%%");
        ok(stat(d1, &a) == 0 && stat(d2, &b) == 0 && a.st_ino == b.st_ino && a.st_nlink == 2, "hard link kept");
        ok(stat(dsparse, &s) == 0 && s.st_size == (64 << 20) + 1 && s.st_blocks * 512 < (1 << 20),
           "hole kept (%lld blocks)", (long long) s.st_blocks);
        _cleanup_free_ char *marker = path_join(dst, COPY_MARKER), *mdata = NULL;
        ok(read_full_file(marker, 0, &mdata, NULL) == 0 && strstr(mdata, src), "target marked with its source");
        write_at(dst, "stale", "left from an earlier pass\n");
        r = copy_tree(src, dst, COPY_PASS_LIVE, NULL, NULL, NULL);
        ok(r == 0 && access(stale, F_OK) == 0, "a second live pass into the marked target; it does not delete");

        /* The same target for another source is refused. */
        _cleanup_free_ char *msg4 = NULL;
        r = copy_tree(sub, dst, COPY_PASS_FINAL, NULL, NULL, &msg4);
        ok_int(r, -ENOTEMPTY, "target of another source refused");
        ok(access(stale, F_OK) == 0, "… nothing deleted");

        r = copy_tree(src, dst, COPY_PASS_FINAL, NULL, NULL, &msg2);
        ok_int(r, 0, "final copy: %s", strna(msg2));
        ok(access(stale, F_OK) < 0 && errno == ENOENT, "final pass deletes what the source lacks");
        ok(access(marker, F_OK) == 0, "--delete keeps the marker");
        ok(copy_unmark(dst) == 0 && access(marker, F_OK) < 0 && copy_unmark(dst) == 0, "unmark, twice");
        ok(copy_measure_tree(dst, &td) == 0 && td.inodes == ts.inodes && td.apparent_bytes == ts.apparent_bytes,
           "target measures like the source");

        _cleanup_free_ char *missing = path_join(t, "missing"), *dst2 = path_join(t, "dst2"), *msg3 = NULL;
        r = copy_tree(missing, dst2, COPY_PASS_FINAL, NULL, NULL, &msg3);
        ok(r < 0 && msg3 && strstr(msg3, "rsync exit"), "missing source fails with rsync's words: %s", strna(msg3));

        _cleanup_free_ char *cmd = NULL;
        if (asprintf(&cmd, "rm -rf '%s'", t) > 0)
                (void) system(cmd);
}

/* The watch over a running copy: the target's device gone, the target
 * gone, and the stall limit, which progress resets. A child that only
 * waits stands for rsync (its I/O counters never move). */
static void test_watch(void) {
        char tmpl[] = "/tmp/test-copy-watch-XXXXXX";
        char *t = mkdtemp(tmpl);
        _cleanup_free_ char *dst = t ? path_join(t, "dst") : NULL, *node = t ? path_join(t, "node") : NULL;
        CopyWatch w = {};
        const char *cause = NULL;
        uint64_t bytes = 0;
        pid_t child;
        int r = 0;

        if (!t || !dst || !node || mkdir(dst, 0755) < 0) {
                ok(false, "watch: a target");
                return;
        }
        child = fork();
        if (child == 0) {
                pause();
                _exit(0);
        }
        ok_int(copy_watch_init(&w, dst, child), 0, "watch: starts");
        ok(w.stall_ms == COPY_STALL_SEC * 1000ULL || getenv("DOCKER_RELOCATE_TEST_COPY_STALL"),
           "watch: the stall limit is ten minutes");

        /* Its block device node, here a file of ours. */
        free(w.block);
        w.block = strdup(node);
        write_at(t, "node", "");
        ok_int(copy_watch_check(&w, 0, NULL, &cause), 0, "watch: all well");
        ok(unlink(node) == 0, "watch: the device goes away");
        cause = NULL;
        ok_int(copy_watch_check(&w, 0, NULL, &cause), -ENODEV, "watch: the device gone is found");
        ok(cause && strstr(cause, "block device is gone"), "watch: … and said (%s)", strna(cause));
        w.block = mfree(w.block);

        /* No limit left: the first look without any change is a stall,
         * however often progress came before. */
        w.stall_ms = 0;
        for (int i = 0; i < 20; i++)
                if ((r = copy_watch_check(&w, ++bytes, NULL, &cause)) < 0)
                        break;
        ok_int(r, 0, "watch: 20 looks with more bytes each are progress");
        for (int i = 0; i < 100; i++)
                if ((r = copy_watch_check(&w, bytes, NULL, &cause)) < 0)
                        break;
        ok_int(r, -ETIMEDOUT, "watch: no progress beyond the limit ends the copy");
        ok(cause && strstr(cause, "no progress"), "watch: … and says so (%s)", strna(cause));
        w.stall_ms = COPY_STALL_SEC * 1000ULL;
        ok_int(copy_watch_check(&w, bytes, NULL, &cause), 0, "watch: within the limit it waits");

        /* rsync reports it cannot write; the target vanishes. */
        ok_int(copy_watch_check(&w, bytes, "rsync: write failed on \"x\": No space left on device (28)\n", &cause),
               -ENOSPC, "watch: ENOSPC from rsync ends the copy");
        ok(rmdir(dst) == 0, "watch: the target goes away");
        ok_int(copy_watch_check(&w, bytes, NULL, &cause), -ENODEV, "watch: a target that is gone is found");

        copy_watch_done(&w);
        (void) kill(child, SIGKILL);
        (void) waitpid(child, NULL, 0);
        (void) rmdir(t);
}

int main(void) {
        test_progress();
        test_exit_mapping();
        test_argv();
        test_mounts_below();
        test_measure_and_copy();
        test_watch();
        return tap_done();
}
