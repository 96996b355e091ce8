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
#include "util/strv.h"

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

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static ssize_t find_dir(char *const *sorted, size_t n, const char *rel) {
        char *const *p = bsearch(&rel, sorted, n, sizeof(char *), cmp_str);
        return p ? p - sorted : -1;
}

bool copy_is_node(const Run *r, const char *rel) {
        return r->n_node_rels > 0 && find_dir(r->node_rels, r->n_node_rels, rel) >= 0;
}

static bool is_fresh(const Run *r, const char *rel) {
        return r->n_fresh_rels > 0 && find_dir(r->fresh_rels, r->n_fresh_rels, rel) >= 0;
}

/* Whether rel lies below a directory the record says was created or moved
 * into place: that one is walked whole, rel with it (or, when the target
 * lacks it, made whole by the walk of its parent). */
static int below_fresh(const Run *r, const char *rel) {
        _cleanup_free_ char *p = NULL;
        char *slash;

        if (r->n_fresh_rels == 0)
                return 0;
        p = strdup(rel);
        if (!p)
                return -ENOMEM;
        while ((slash = strrchr(p, '/'))) {
                *slash = '\0';
                if (is_fresh(r, p))
                        return 1;
        }
        return 0;
}

/* Whether a listed directory lies below a directory that the walk of its
 * nearest listed ancestor enters whole (copy_handle_subdir(): one in doubt),
 * or below one that does itself: 1 when it does, as it is then synchronised
 * there, and a job of its own would work on the same target directory at the
 * same time. The walk decides the same way, on the same attributes: the
 * source no longer changes, and nothing else writes to these directories of
 * the target. */
static int walked_deep(Run *r, char *const *dirs, size_t n, const bool *deep, const char *d) {
        _cleanup_free_ char *p = NULL, *child = NULL;
        ssize_t i;
        Attrs a, t;
        int k;

        if (streq(d, "."))
                return 0;
        k = below_fresh(r, d);
        if (k != 0)
                return k;
        p = strdup(d);
        if (!p)
                return -ENOMEM;
        /* Up to the nearest listed ancestor. */
        for (;;) {
                char *slash = strrchr(p, '/');

                if (slash)
                        *slash = '\0';
                else
                        strcpy(p, ".");
                i = find_dir(dirs, n, p);
                if (i >= 0 || streq(p, "."))
                        break;
        }
        if (i < 0)
                return 0;
        if (deep[i])
                return 1;
        /* The child of that ancestor: d itself is a job of its own. */
        {
                const char *start = d + (streq(p, ".") ? 0 : strlen(p) + 1);
                const char *end = strchr(start, '/');

                if (!end)
                        return 0;
                child = strndup(d, (size_t) (end - d));
        }
        if (!child)
                return -ENOMEM;
        if (copy_stat_at(r->src_fd, child, &a) < 0 || copy_stat_at(r->dst_fd, child, &t) < 0)
                return 0;
        return S_ISDIR(a.mode) && copy_dir_in_doubt(r, &a, &t);
}

/* Adds the directory d, or when the target lacks it the nearest ancestor
 * the target has, to dirs. */
static int add_nearest(Run *r, char ***dirs, const char *d) {
        _cleanup_free_ char *p = strdup(d);
        struct stat st;

        if (!p)
                return -ENOMEM;
        for (;;) {
                if (fstatat(r->dst_fd, p, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISDIR(st.st_mode))
                        break;
                char *slash = strrchr(p, '/');
                if (streq(p, "."))
                        break;
                if (slash)
                        *slash = '\0';
                else
                        strcpy(p, ".");
        }
        if (strv_contains(*dirs, p))
                return 0;
        return strv_consume(dirs, TAKE_PTR(p));
}

/* The directories of a complete record, as jobs: each listed directory the
 * target has is synchronised alone; one it lacks is made whole by the
 * nearest listed ancestor the target has (added when not listed); one below
 * a directory in doubt is synchronised with it (walked_deep()). A fresh
 * directory (created or moved into place) is a job too, walked whole
 * whether listed or not, and takes with it whatever is listed below it:
 * the kernel said it is not the directory the pre-copy copied to its path,
 * which its times cannot tell once something in it changed. */
static int changes_to_nodes(Run *r, DirNode ***ret, size_t *ret_n) {
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ bool *deep = NULL;
        DirNode **nodes = NULL;
        size_t n = 0, nd;
        int k;

        STRV_FOREACH (d, r->o->changes->dirs)
                if ((k = add_nearest(r, &dirs, *d)) < 0)
                        return k;
        STRV_FOREACH (d, r->o->changes->fresh)
                if ((k = add_nearest(r, &dirs, *d)) < 0)
                        return k;
        r->fresh_rels = strv_copy(r->o->changes->fresh);
        if (r->o->changes->fresh && !r->fresh_rels)
                return -ENOMEM;
        r->n_fresh_rels = strv_length(r->fresh_rels);
        if (r->n_fresh_rels > 0)
                qsort(r->fresh_rels, r->n_fresh_rels, sizeof(char *), cmp_str);
        /* Sorted, each directory after its ancestors. */
        nd = strv_length(dirs);
        if (nd > 0)
                qsort(dirs, nd, sizeof(char *), cmp_str);
        deep = calloc(nd + 1, sizeof(bool));
        nodes = calloc(nd + 1, sizeof(DirNode *));
        r->node_rels = calloc(nd + 1, sizeof(char *));
        if (!deep || !nodes || !r->node_rels) {
                free(nodes);
                return -ENOMEM;
        }
        for (size_t x = 0; x < nd; x++) {
                const char *d = dirs[x];
                Attrs a;
                DirNode *node;
                char *rel;

                k = walked_deep(r, dirs, nd, deep, d);
                if (k != 0) {
                        if (k < 0) {
                                for (size_t i = 0; i < n; i++) {
                                        free(nodes[i]->rel);
                                        free(nodes[i]);
                                }
                                free(nodes);
                                return k;
                        }
                        deep[x] = true;
                        continue;
                }
                k = copy_stat_at(r->src_fd, d, &a);
                if (k < 0 || !S_ISDIR(a.mode) || a.dev != r->root_dev)
                        /* Gone since (its parent, changed too, is listed),
                         * or not a directory any more. */
                        continue;
                rel = strdup(d);
                /* Not shallow: in doubt (do_dir()), entered whole. */
                node = rel ? copy_dir_new(NULL, rel, &a, false, !is_fresh(r, d)) : NULL;
                if (!node) {
                        for (size_t i = 0; i < n; i++) {
                                free(nodes[i]->rel);
                                free(nodes[i]);
                        }
                        free(nodes);
                        return -ENOMEM;
                }
                node->root = streq(d, ".");
                r->node_rels[r->n_node_rels++] = dirs[x]; /* sorted still */
                nodes[n++] = node;
        }
        /* The names stay, in node_rels, until the run ends. */
        r->node_dirs = TAKE_PTR(dirs);
        *ret = nodes;
        *ret_n = n;
        return 0;
}

/* After a changes-only pass: every inode with several names that it touched
 * must have as many names in the target as in the source, or some of its
 * names lie in directories the record did not list. */
static const char *verify_links(Run *r) {
        size_t it = 0;
        InodeLink *l;

        while ((l = inode_map_next(r->map, &it))) {
                struct stat s, d;
                if (!l->ready)
                        continue;
                if (fstatat(r->src_fd, l->path, &s, AT_SYMLINK_NOFOLLOW) < 0 ||
                        fstatat(r->dst_fd, l->path, &d, AT_SYMLINK_NOFOLLOW) < 0 || s.st_nlink != d.st_nlink)
                        return "a file with several names had names outside the changed directories";
        }
        return NULL;
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
                k = changes_to_nodes(r, &nodes, &n_nodes);
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

CopyChanges *copy_changes_free(CopyChanges *c) {
        if (!c)
                return NULL;
        strv_free(c->dirs);
        strv_free(c->fresh);
        free(c->reason);
        free(c);
        return NULL;
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
                r.changes_only = opts->changes->complete;
        }
        fresh = dir_holds_only_ours(dfd);
        /* A target that holds an earlier run's copy (a move rolled back,
         * its volume used again) has what the source deleted since. The
         * final pass of a record deletes only in the directories changed
         * since this run's record began: the live pass, which reads every
         * target directory of such a target anyway, deletes the rest. The
         * target is ours, a copy of this source (copy_claim_target()). */
        r.prune = !fresh;

        k = run_pass(&r, threads, fresh);
        if (k >= 0 && r.changes_only) {
                const char *why = verify_links(&r);
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
        free(r.node_rels);
        strv_free(r.node_dirs);
        strv_free(r.fresh_rels);
        return k;
}
