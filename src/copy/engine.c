/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "copy/copy-internal.h"
#include "copy/engine-internal.h"
#include "copy/pace.h"
#include "util/macro.h"
#include "util/path.h"

void copy_attrs_from_statx(Attrs *a, const struct statx *sx) {
        *a = (Attrs){
                .mode = sx->stx_mode,
                .uid = sx->stx_uid,
                .gid = sx->stx_gid,
                .nlink = sx->stx_nlink,
                .ino = sx->stx_ino,
                .dev = makedev(sx->stx_dev_major, sx->stx_dev_minor),
                .rdev = makedev(sx->stx_rdev_major, sx->stx_rdev_minor),
                .size = sx->stx_size,
                .blocks = sx->stx_blocks,
                .atime = { sx->stx_atime.tv_sec, sx->stx_atime.tv_nsec },
                .mtime = { sx->stx_mtime.tv_sec, sx->stx_mtime.tv_nsec },
                .ctime_ns = (int64_t) sx->stx_ctime.tv_sec * 1000000000LL + sx->stx_ctime.tv_nsec,
        };
}

int copy_stat_at(int dirfd, const char *name, Attrs *ret) {
        struct statx sx;

        if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | (isempty(name) ? AT_EMPTY_PATH : 0), STATX_BASIC_STATS, &sx) < 0)
                return negative_errno();
        copy_attrs_from_statx(ret, &sx);
        return 0;
}

char *copy_rel_join(const char *dir, const char *name) {
        char *p;

        if (streq(dir, "."))
                return strdup(name);
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return NULL;
        return p;
}

/* ---- errors ----------------------------------------------------------------- */

_printf_(3, 4) void copy_fail(Run *r, int err, const char *fmt, ...) {
        va_list ap;

        pthread_mutex_lock(&r->err_lock);
        if (r->err == 0) {
                char *m = NULL;
                r->err = err;
                va_start(ap, fmt);
                if (vasprintf(&m, fmt, ap) < 0)
                        m = NULL;
                va_end(ap);
                r->err_msg = m;
        }
        pthread_mutex_unlock(&r->err_lock);
        atomic_store(&r->abort, true);
        pthread_mutex_lock(&r->lock);
        pthread_cond_broadcast(&r->work);
        pthread_mutex_unlock(&r->lock);
        pthread_mutex_lock(&r->map_lock);
        pthread_cond_broadcast(&r->map_cond);
        pthread_mutex_unlock(&r->map_lock);
}

/* A source entry that is gone: expected while Docker runs, an error once it
 * is stopped (something else still writes to the data root). */
void copy_vanished(Run *r, const char *rel) {
        if (r->o->pass == COPY_PASS_LIVE) {
                atomic_fetch_add(&r->vanished, 1);
                return;
        }
        copy_fail(r, -EAGAIN, "%s/%s vanished during the final pass: something still writes to the data root", r->src,
                rel);
}

/* Write errors name the target path and what the errno means for a copy. */
void copy_fail_write(Run *r, int err, const char *what, const char *rel) {
        if (err == -ENOSPC || err == -EDQUOT)
                copy_fail(r, err, "The target filesystem is full (%s %s/%s: %s)", what, r->dst, rel, strerror(-err));
        else
                copy_fail(r, err, "Cannot %s %s/%s: %s", what, r->dst, rel, strerror(-err));
}

/* ---- the run ------------------------------------------------------------------------ */

static mode_t read_umask(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned m;

        /* Not umask(2): setting it to read it would race with other threads
         * of the caller creating files. */
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Umask: %o", &m) == 1)
                        return (mode_t) m;
        return 022;
}

static void report(Run *r, int64_t t0, double *rate, uint64_t *last_bytes, int64_t *last_t, bool end,
        CopyProgress *ret) {
        CopyProgress p = {};
        int64_t t = now_ns(CLOCK_MONOTONIC);
        uint64_t b = atomic_load(&r->progress_bytes), n = atomic_load(&r->progress_entries);
        double whole = (double) r->o->expected_bytes + (double) r->o->expected_inodes * ENTRY_WEIGHT;
        double part = (double) b + (double) n * ENTRY_WEIGHT, f;

        if (t > *last_t) {
                double inst = (double) (b - *last_bytes) * 1e9 / (double) (t - *last_t);
                /* Smoothed over about two seconds of 250 ms samples. */
                *rate = *rate == 0 ? inst : *rate * 0.875 + inst * 0.125;
        }
        *last_bytes = b;
        *last_t = t;
        f = whole > 0 ? part / whole : 0;
        if (f > 0.99)
                f = 0.99; /* the estimate was short: 100 % is for the end */
        p.bytes = b;
        p.files = n;
        p.rate = *rate;
        p.percent = end ? 100 : (unsigned) (f * 100);
        p.eta_sec = end || f <= 0 ? 0 : (unsigned) ((double) (t - t0) / 1e9 * (1 - f) / f);
        if (r->o->progress)
                r->o->progress(&p, r->o->userdata);
        *ret = p;
}

/* The caller's check of the copy as it goes (CopyOptions.check). */
static void check(Run *r, const CopyProgress *p) {
        _cleanup_free_ char *msg = NULL;
        int k;

        k = r->o->check(p, r->o->userdata, &msg);
        if (k < 0)
                copy_fail(r, k, "%s", msg ?: strerror(-k));
}

/* Every PACE_INTERVAL_NS: fewer workers at once while the CPUs are
 * saturated, more while they wait (pace.h). Called without r->lock. */
static void pace(Run *r, unsigned threads, unsigned lo, CpuSample *last, int64_t *last_t) {
        int64_t t = now_ns(CLOCK_MONOTONIC);
        CpuSample now;
        unsigned next;

        if (t - *last_t < PACE_INTERVAL_NS || cpu_sample_read(&now) < 0)
                return;
        pthread_mutex_lock(&r->lock);
        next = pace_next(r->limit, lo, threads, cpu_busy_between(last, &now));
        if (next > r->limit)
                pthread_cond_broadcast(&r->work);
        r->limit = next;
        if (next < r->lowest)
                r->lowest = next;
        pthread_mutex_unlock(&r->lock);
        *last = now;
        *last_t = t;
}

static int run_pass(Run *r, unsigned threads, bool fresh_root) {
        _cleanup_free_ Worker *workers = NULL;
        _cleanup_free_ DirNode **nodes = NULL;
        size_t n_nodes = 0;
        unsigned started = 0;
        int64_t t0 = now_ns(CLOCK_MONOTONIC), last_t = t0;
        uint64_t last_bytes = 0;
        double rate = 0;
        CpuSample cpu = {};
        int64_t cpu_t = t0;
        bool paced = r->paced && cpu_sample_read(&cpu) >= 0;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned lo = pace_floor(threads, cpus > 0 ? (unsigned) cpus : 1);
        int k;

        r->stack = NULL;
        r->busy = 0;
        r->limit = threads;
        r->done = false;

        /* Once before any work: a target that cannot be written is known
         * before the first file fails on it. */
        if (r->o->check) {
                check(r, &(CopyProgress){});
                if (r->err < 0)
                        return r->err;
        }

        if (r->changes_only) {
                k = copy_changes_to_nodes(r, &nodes, &n_nodes);
                if (k < 0)
                        return k;
        } else {
                Attrs a;
                char *rel = strdup(".");

                k = copy_stat_at(r->src_fd, "", &a);
                if (k < 0) {
                        free(rel);
                        return k;
                }
                nodes = calloc(1, sizeof(DirNode *));
                if (!rel || !nodes || !(nodes[0] = copy_dir_new(NULL, rel, &a, fresh_root, false)))
                        return -ENOMEM;
                nodes[0]->root = true;
                n_nodes = 1;
        }
        for (size_t i = 0; i < n_nodes; i++) {
                Job *j = calloc(1, sizeof(Job));
                if (!j)
                        return -ENOMEM; /* before any worker runs: nothing else to undo */
                *j = (Job){ .type = JOB_DIR, .dir = nodes[i] };
                j->next = r->stack;
                r->stack = j;
        }

        workers = calloc(threads, sizeof(Worker));
        if (!workers)
                return -ENOMEM;
        for (unsigned i = 0; i < threads; i++) {
                workers[i].run = r;
                workers[i].buf = malloc(RW_BUFFER);
                if (!workers[i].buf) {
                        copy_fail(r, -ENOMEM, "Out of memory");
                        break;
                }
                if (pthread_create(&workers[i].thread, NULL, copy_worker_main, &workers[i]) != 0) {
                        free(workers[i].buf);
                        if (started == 0)
                                copy_fail(r, -EAGAIN, "Cannot start the copy's threads");
                        break;
                }
                started++;
        }

        pthread_mutex_lock(&r->lock);
        while (!r->done && started > 0) {
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += PROGRESS_INTERVAL_NS;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
                (void) pthread_cond_timedwait(&r->finished, &r->lock, &until);
                if (!r->done && (r->o->progress || r->o->check || paced)) {
                        CopyProgress p;

                        pthread_mutex_unlock(&r->lock);
                        if (r->o->progress || r->o->check)
                                report(r, t0, &rate, &last_bytes, &last_t, false, &p);
                        if (r->o->check && !aborted(r))
                                check(r, &p);
                        if (paced)
                                pace(r, threads, lo, &cpu, &cpu_t);
                        pthread_mutex_lock(&r->lock);
                }
        }
        pthread_mutex_unlock(&r->lock);
        for (unsigned i = 0; i < started; i++) {
                pthread_join(workers[i].thread, NULL);
                free(workers[i].buf);
                for (int x = 0; x < 2; x++) {
                        free(workers[i].xl[x]);
                        free(workers[i].xv[x]);
                }
        }
        /* Jobs left by an abort. */
        while (r->stack) {
                Job *j = r->stack;
                r->stack = j->next;
                free(j);
        }
        if (r->o->progress && r->err == 0) {
                CopyProgress p;
                report(r, t0, &rate, &last_bytes, &last_t, true, &p);
        }
        return r->err;
}

/* Whether the directory dfd lies inside (or is) the directory sfd: a copy
 * into itself would never end. */
static bool lies_inside(int sfd, int dfd) {
        struct stat s, d, up;
        _cleanup_close_ int fd = -1;

        if (fstat(sfd, &s) < 0 || fstat(dfd, &d) < 0 || s.st_dev != d.st_dev)
                return false;
        fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        for (int depth = 0; fd >= 0 && depth < 4096; depth++) {
                int parent;
                if (fstat(fd, &d) < 0)
                        return false;
                if (d.st_dev == s.st_dev && d.st_ino == s.st_ino)
                        return true;
                parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (parent < 0 || fstat(parent, &up) < 0 || (up.st_dev == d.st_dev && up.st_ino == d.st_ino)) {
                        if (parent >= 0)
                                close(parent);
                        return false; /* the root of the filesystem */
                }
                close(fd);
                fd = parent;
        }
        return false;
}

static bool dir_holds_only_ours(int fd) {
        _cleanup_free_ char *names = NULL;
        _cleanup_free_ Entry *entries = NULL;
        size_t n = 0;
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        bool empty;

        if (dup_fd < 0)
                return false;
        empty = copy_read_dir(dup_fd, true, &names, &entries, &n) >= 0 && n == 0;
        close(dup_fd);
        return empty;
}

int copy_engine_run(
        const char *src, const char *dst, const CopyOptions *opts, CopyStats *ret_stats, char **ret_message) {
        _cleanup_(inode_map_freep) InodeMap *map = NULL;
        _cleanup_close_ int sfd = -1, dfd = -1;
        _cleanup_free_ char *claim_msg = NULL;
        CopyStats st = {};
        unsigned threads = opts->threads ? opts->threads : COPY_ENGINE_THREADS;
        Run r = {
                .o = opts,
                .src = src,
                .dst = dst,
                .src_fd = -1,
                .dst_fd = -1,
                .lock = PTHREAD_MUTEX_INITIALIZER,
                .work = PTHREAD_COND_INITIALIZER,
                .finished = PTHREAD_COND_INITIALIZER,
                .map_lock = PTHREAD_MUTEX_INITIALIZER,
                .map_cond = PTHREAD_COND_INITIALIZER,
                .err_lock = PTHREAD_MUTEX_INITIALIZER,
        };
        Attrs root;
        bool fresh;
        int k;

        if (ret_message)
                *ret_message = NULL;
        if (opts->changes && !opts->changes->complete) {
                /* Not one directory of it can be trusted: a swapped
                 * directory's files, older than the record, would be taken
                 * for the target's copies of them. */
                if (ret_message && asprintf(ret_message,
                                           "The record of changes is incomplete (%s): a final pass "
                                           "cannot be made from it",
                                           strna(opts->changes->reason)) < 0)
                        *ret_message = NULL;
                return -EINVAL;
        }
        if (threads > 256)
                threads = 256;
        r.paced = opts->threads == 0;
        r.lowest = threads;

        sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sfd < 0) {
                k = negative_errno();
                if (ret_message && asprintf(ret_message, "Cannot open the source %s: %s", src, strerror(-k)) < 0)
                        *ret_message = NULL;
                return k;
        }
        {
                /* Before the target is made or marked: not inside the source. */
                _cleanup_free_ char *parent = path_dirname(dst);
                _cleanup_close_ int pfd = parent ? open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
                if (pfd >= 0 && lies_inside(sfd, pfd)) {
                        if (ret_message &&
                                asprintf(ret_message, "The target %s lies inside the source %s", dst, src) < 0)
                                *ret_message = NULL;
                        return -EINVAL;
                }
        }
        k = copy_claim_target(src, dst, &claim_msg);
        if (k < 0) {
                if (ret_message)
                        *ret_message = claim_msg ? TAKE_PTR(claim_msg) : NULL;
                if (ret_message && !*ret_message &&
                        asprintf(ret_message, "Cannot use %s as the target: %s", dst, strerror(-k)) < 0)
                        *ret_message = NULL;
                return k;
        }
        dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();

        k = copy_stat_at(sfd, "", &root);
        if (k < 0)
                return k;
        k = inode_map_new(&map);
        if (k < 0)
                return k;

        r.src_fd = sfd;
        r.dst_fd = dfd;
        r.root_dev = root.dev;
        r.map = map;
        r.umask = read_umask();
        r.euid = geteuid();
        switch (opts->data_method) {
        case COPY_DATA_READ_WRITE:
                atomic_init(&r.method, METHOD_READ_WRITE);
                r.method_fixed = true;
                break;
        case COPY_DATA_SENDFILE:
                atomic_init(&r.method, METHOD_SENDFILE);
                r.method_fixed = true;
                break;
        case COPY_DATA_COPY_FILE_RANGE:
                atomic_init(&r.method, METHOD_COPY_FILE_RANGE);
                r.method_fixed = true;
                break;
        default:
                atomic_init(&r.method, METHOD_REFLINK);
        }
        if (opts->changes) {
                r.since_ns = opts->changes->since_ns;
                r.changes_only = true;
        }
        /* Only the marker: every directory of the target is made by this
         * run, and none of them is read. */
        fresh = dir_holds_only_ours(dfd);

        k = run_pass(&r, threads, fresh);
        if (k >= 0 && r.changes_only) {
                const char *why = copy_verify_links(&r);
                if (why) {
                        /* The record was short after all: the whole tree,
                         * still skipping what did not change since. */
                        st.fell_back = true;
                        st.fallback_reason = why;
                        r.changes_only = false;
                        inode_map_free(r.map);
                        r.map = map = NULL;
                        k = inode_map_new(&map);
                        if (k >= 0) {
                                r.map = map;
                                k = run_pass(&r, threads, false);
                        }
                }
        }

        st.entries = atomic_load(&r.entries);
        st.copied = atomic_load(&r.copied);
        st.updated = atomic_load(&r.updated);
        st.linked = atomic_load(&r.linked);
        st.deleted = atomic_load(&r.deleted);
        st.vanished = atomic_load(&r.vanished);
        st.bytes = atomic_load(&r.bytes);
        st.skipped = atomic_load(&r.skipped);
        st.threads = threads;
        st.threads_lowest = r.lowest;
        st.data_method = copy_method_names[atomic_load(&r.method)];
        if (ret_stats)
                *ret_stats = st;
        if (k < 0 && ret_message) {
                *ret_message = TAKE_PTR(r.err_msg);
                if (!*ret_message &&
                        asprintf(ret_message, "The copy of %s to %s failed: %s", src, dst, strerror(-k)) < 0)
                        *ret_message = NULL;
        }
        free(r.err_msg);
        copy_changes_plan_free(&r);
        return k;
}
