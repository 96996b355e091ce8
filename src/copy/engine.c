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

/* ---- the job stack ----------------------------------------------------------- */

void copy_push(Run *r, Job *j) {
        pthread_mutex_lock(&r->lock);
        j->next = r->stack;
        r->stack = j;
        pthread_cond_signal(&r->work);
        pthread_mutex_unlock(&r->lock);
}

static Job *pop(Run *r) {
        Job *j;

        pthread_mutex_lock(&r->lock);
        for (;;) {
                if (r->stack) {
                        j = r->stack;
                        r->stack = j->next;
                        r->busy++;
                        break;
                }
                if (r->busy == 0 || r->done) {
                        /* Nothing queued, nothing running that could queue
                         * more: the copy is complete. */
                        r->done = true;
                        pthread_cond_broadcast(&r->work);
                        pthread_cond_broadcast(&r->finished);
                        j = NULL;
                        break;
                }
                pthread_cond_wait(&r->work, &r->lock);
        }
        pthread_mutex_unlock(&r->lock);
        return j;
}

static void job_done(Run *r) {
        pthread_mutex_lock(&r->lock);
        r->busy--;
        if (r->busy == 0 && !r->stack) {
                r->done = true;
                pthread_cond_broadcast(&r->work);
                pthread_cond_broadcast(&r->finished);
        }
        pthread_mutex_unlock(&r->lock);
}

/* ---- directories ------------------------------------------------------------------ */

static DirNode *dir_new(DirNode *parent, char *rel, const Attrs *a, bool fresh, bool shallow) {
        DirNode *d = calloc(1, sizeof(DirNode));

        if (!d) {
                free(rel);
                return NULL;
        }
        d->parent = parent;
        atomic_init(&d->pending, 1);
        d->rel = rel;
        d->attrs = *a;
        d->fresh = fresh;
        d->shallow = shallow;
        return d;
}

/* All of a directory's entries are in place: its own attributes last, so
 * that creating them did not touch its mtime afterwards. */
static void dir_finish(Worker *w, DirNode *d) {
        Run *r = w->run;

        while (d) {
                DirNode *parent = d->parent;

                if (!aborted(r)) {
                        _cleanup_close_ int s = -1, t = -1;
                        int k = 0;

                        s = openat(r->src_fd, d->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s < 0)
                                k = negative_errno();
                        if (s < 0 && is_vanished(k))
                                copy_vanished(r, d->rel);
                        else if (s < 0)
                                copy_fail(r, k, "Cannot open %s/%s: %s", r->src, d->rel, strerror(-k));
                        else if ((t = openat(r->dst_fd, d->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                                copy_fail_write(r, negative_errno(), "open", d->rel);
                        else
                                (void) copy_apply_dir_attrs(w, s, t, d);
                }
                free(d->rel);
                free(d);
                if (!parent || atomic_fetch_sub(&parent->pending, 1) != 1)
                        break;
                d = parent;
        }
}

static void dir_release(Worker *w, DirNode *d) {
        if (atomic_fetch_sub(&d->pending, 1) == 1)
                dir_finish(w, d);
}

static void listing_release(Worker *w, Listing *L) {
        DirNode *d;

        if (atomic_fetch_sub(&L->users, 1) != 1)
                return;
        d = L->dir;
        closep(&L->src_fd);
        closep(&L->dst_fd);
        free(L->names);
        free(L->entries);
        free(L);
        dir_release(w, d);
}

void copy_handle_subdir(Worker *w, Listing *L, const char *name, const Attrs *a, bool exists, const Attrs *d) {
        Run *r = w->run;
        _cleanup_free_ char *rel = copy_rel_join(L->dir->rel, name);
        bool fresh = false;
        DirNode *node;
        Job *j;

        if (!rel) {
                copy_fail(r, -ENOMEM, "Out of memory");
                return;
        }
        atomic_fetch_add_explicit(&r->entries, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->progress_entries, 1, memory_order_relaxed);
        if (a->dev != r->root_dev && r->o->pass == COPY_PASS_FINAL) {
                copy_fail(r, -EBUSY, "%s/%s is a mount point: unmount it before the final pass", r->src, rel);
                return;
        }
        if (exists && !S_ISDIR(d->mode)) {
                if (unlinkat(L->dst_fd, name, 0) < 0 && errno != ENOENT) {
                        copy_fail_write(r, negative_errno(), "remove", rel);
                        return;
                }
                atomic_fetch_add_explicit(&r->deleted, 1, memory_order_relaxed);
                exists = false;
        }
        if (!exists) {
                /* Owner-only until its contents are in: a directory of mode
                 * 0555 would refuse them, one with a default ACL would hand
                 * it on to them. */
                if (mkdirat(L->dst_fd, name, 0700) >= 0)
                        fresh = true;
                else if (errno != EEXIST || L->fresh) {
                        copy_fail_write(r, negative_errno(), "create the directory", rel);
                        return;
                }
                if (fresh)
                        atomic_fetch_add_explicit(&r->copied, 1, memory_order_relaxed);
        }
        if (!fresh && L->dir->shallow) {
                /* Changes pass: an existing subdirectory is listed by the
                 * record itself if anything in it changed. */
                atomic_fetch_add_explicit(&r->skipped, 1, memory_order_relaxed);
                return;
        }
        node = dir_new(L->dir, TAKE_PTR(rel), a, fresh, L->dir->shallow && !fresh);
        j = calloc(1, sizeof(Job));
        if (!node || !j) {
                free(j);
                if (node) {
                        free(node->rel);
                        free(node);
                }
                copy_fail(r, -ENOMEM, "Out of memory");
                return;
        }
        if (a->dev != r->root_dev) {
                /* A mount point in the live pass: the directory is made (its
                 * attributes those the mount shows), its contents are not
                 * ours. */
                atomic_fetch_add(&L->dir->pending, 1);
                free(j);
                dir_release(w, node);
                return;
        }
        atomic_fetch_add(&L->dir->pending, 1);
        *j = (Job){ .type = JOB_DIR, .dir = node };
        copy_push(r, j);
}

static int cmp_ino(const void *a, const void *b) {
        const Entry *x = a, *y = b;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int cmp_name(const void *a, const void *b, void *names) {
        const Entry *x = a, *y = b;
        return strcmp((const char *) names + x->name_off, (const char *) names + y->name_off);
}

/* Reads a directory's entries (without "." and "..", and at the top without
 * our marker and lost+found) into an arena. */
static int read_dir(int fd, bool top, char **ret_names, Entry **ret_entries, size_t *ret_n) {
        _cleanup_free_ char *names = NULL;
        _cleanup_free_ Entry *entries = NULL;
        size_t n = 0, cap = 0, used = 0, names_cap = 0;
        char buf[65536];

        for (;;) {
                ssize_t k = getdents64(fd, buf, sizeof(buf));
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                for (ssize_t p = 0; p < k;) {
                        struct dirent64 *d = (struct dirent64 *) (buf + p);
                        size_t l = strlen(d->d_name) + 1;

                        p += d->d_reclen;
                        if (streq(d->d_name, ".") || streq(d->d_name, ".."))
                                continue;
                        if (top && (streq(d->d_name, COPY_MARKER) || streq(d->d_name, "lost+found")))
                                continue;
                        if (n == cap) {
                                Entry *e = reallocarray(entries, cap ? cap * 2 : 64, sizeof(Entry));
                                if (!e)
                                        return -ENOMEM;
                                entries = e;
                                cap = cap ? cap * 2 : 64;
                        }
                        if (used + l > names_cap) {
                                size_t nc = names_cap ? names_cap * 2 : 4096;
                                char *x;
                                while (nc < used + l)
                                        nc *= 2;
                                if (nc > UINT32_MAX)
                                        return -E2BIG;
                                x = realloc(names, nc);
                                if (!x)
                                        return -ENOMEM;
                                names = x;
                                names_cap = nc;
                        }
                        memcpy(names + used, d->d_name, l);
                        entries[n++] = (Entry){ .ino = d->d_ino, .name_off = (uint32_t) used, .type = d->d_type };
                        used += l;
                }
        }
        *ret_names = TAKE_PTR(names);
        *ret_entries = TAKE_PTR(entries);
        *ret_n = n;
        return 0;
}

/* Deletes from the target what the source lacks and marks which source
 * entries the target has. */
static int reconcile_dst(Worker *w, Listing *L, bool top) {
        Run *r = w->run;
        _cleanup_free_ char *dnames = NULL;
        _cleanup_free_ Entry *dents = NULL;
        size_t dn = 0, i = 0, j = 0;
        int k;

        k = read_dir(L->dst_fd, top, &dnames, &dents, &dn);
        if (k < 0) {
                copy_fail_write(r, k, "read the directory", L->dir->rel);
                return k;
        }
        qsort_r_safe(L->entries, L->n, sizeof(Entry), cmp_name, L->names);
        qsort_r_safe(dents, dn, sizeof(Entry), cmp_name, dnames);
        while (j < dn) {
                const char *dname = dnames + dents[j].name_off;
                int c = i < L->n ? strcmp(L->names + L->entries[i].name_off, dname) : 1;

                if (c < 0) {
                        i++;
                        continue;
                }
                if (c == 0) {
                        L->entries[i].in_dst = true;
                        i++;
                        j++;
                        continue;
                }
                /* In the target only: the source deleted it. */
                if (r->o->pass == COPY_PASS_FINAL || startswith(dname, TMP_PREFIX)) {
                        _cleanup_free_ char *rel = copy_rel_join(L->dir->rel, dname);
                        k = copy_remove_tree_at(
                                L->dst_fd, dname, dents[j].type == DT_DIR || dents[j].type == DT_UNKNOWN);
                        if (k < 0) {
                                copy_fail_write(r, k, "remove", rel ?: dname);
                                return k;
                        }
                        atomic_fetch_add_explicit(&r->deleted, 1, memory_order_relaxed);
                }
                j++;
        }
        return 0;
}

static bool dst_has_default_acl(int fd) {
        return fgetxattr(fd, "system.posix_acl_default", NULL, 0) > 0;
}

static void do_dir(Worker *w, DirNode *dir) {
        Run *r = w->run;
        Listing *L;
        bool top = streq(dir->rel, ".");
        size_t nondir = 0;
        int k;

        L = calloc(1, sizeof(Listing));
        if (!L) {
                copy_fail(r, -ENOMEM, "Out of memory");
                dir_release(w, dir);
                return;
        }
        L->dir = dir;
        L->src_fd = L->dst_fd = -1;
        atomic_init(&L->users, 1);
        L->fresh = dir->fresh;

        L->src_fd = openat(r->src_fd, dir->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (L->src_fd < 0) {
                k = negative_errno();
                if (is_vanished(k) || k == -ELOOP)
                        copy_vanished(r, dir->rel);
                else
                        copy_fail(r, k, "Cannot open %s/%s: %s", r->src, dir->rel, strerror(-k));
                goto done;
        }
        L->dst_fd = openat(r->dst_fd, dir->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (L->dst_fd < 0 && errno == ENOENT && !dir->fresh) {
                /* Taken for present (an unchanged directory's subdirectory),
                 * but missing: copied whole. */
                if (mkdirat(r->dst_fd, dir->rel, 0700) >= 0) {
                        dir->fresh = L->fresh = true;
                        dir->shallow = false;
                        L->dst_fd = openat(r->dst_fd, dir->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
        }
        if (L->dst_fd < 0) {
                copy_fail_write(r, negative_errno(), "open", dir->rel);
                goto done;
        }

        k = read_dir(L->src_fd, top, &L->names, &L->entries, &L->n);
        if (k < 0) {
                if (is_vanished(k))
                        copy_vanished(r, dir->rel);
                else
                        copy_fail(r, k, "Cannot read the directory %s/%s: %s", r->src, dir->rel, strerror(-k));
                goto done;
        }
        if (!L->fresh) {
                /* A directory unchanged since the record began lost and
                 * gained no entry: the target's list is not needed. */
                if (r->since_ns > 0 && dir->attrs.ctime_ns < r->since_ns && !r->changes_only)
                        L->dst_unread = true;
                else if (reconcile_dst(w, L, top) < 0)
                        goto done;
        }
        L->dst_default_acl = dst_has_default_acl(L->dst_fd);
        /* In inode order: on ext4 and xfs neighbouring inodes share blocks
         * of the inode table, so a cold walk reads each block once. */
        qsort_safe(L->entries, L->n, sizeof(Entry), cmp_ino);

        /* Subdirectories first, so that other workers can start on them
         * while this one copies files. */
        for (size_t i = 0; i < L->n && !aborted(r); i++) {
                Entry *e = &L->entries[i];
                if (e->type != DT_DIR && e->type != DT_UNKNOWN) {
                        nondir++;
                        continue;
                }
                const char *name = L->names + e->name_off;
                Attrs a, d = {};
                bool exists = false;

                k = copy_stat_at(L->src_fd, name, &a);
                if (k < 0) {
                        _cleanup_free_ char *rel = copy_rel_join(dir->rel, name);
                        if (is_vanished(k))
                                copy_vanished(r, rel ?: name);
                        else
                                copy_fail(r, k, "Cannot stat %s/%s: %s", r->src, rel ?: name, strerror(-k));
                        e->type = DT_WHT; /* done with */
                        continue;
                }
                if (!S_ISDIR(a.mode)) {
                        e->type = DT_REG; /* a non-directory after all: with the files */
                        nondir++;
                        continue;
                }
                if (!L->fresh && (e->in_dst || L->dst_unread)) {
                        if (copy_stat_at(L->dst_fd, name, &d) >= 0)
                                exists = true;
                }
                e->type = DT_WHT;
                copy_handle_subdir(w, L, name, &a, exists, &d);
        }

        /* The other entries: batches for other workers, the first one here. */
        if (nondir > 0 && !aborted(r)) {
                size_t i = 0, first_end = 0;
                size_t total = L->n;

                /* Compact the non-directories to the front, keeping order. */
                for (size_t s = 0; s < total; s++)
                        if (L->entries[s].type != DT_WHT && L->entries[s].type != DT_DIR &&
                                L->entries[s].type != DT_UNKNOWN)
                                L->entries[i++] = L->entries[s];
                L->n = i;
                first_end = L->n < BATCH_ENTRIES ? L->n : BATCH_ENTRIES;
                for (size_t b = first_end; b < L->n; b += BATCH_ENTRIES) {
                        Job *j = calloc(1, sizeof(Job));
                        if (!j) {
                                copy_fail(r, -ENOMEM, "Out of memory");
                                break;
                        }
                        *j = (Job){ .type = JOB_ENTRIES,
                                .listing = L,
                                .first = b,
                                .count = L->n - b < BATCH_ENTRIES ? L->n - b : BATCH_ENTRIES };
                        atomic_fetch_add(&L->users, 1);
                        copy_push(r, j);
                }
                for (size_t x = 0; x < first_end && !aborted(r); x++)
                        copy_do_entry(w, L, &L->entries[x], true);
        }
done:
        listing_release(w, L);
}

static void do_entries(Worker *w, Listing *L, size_t first, size_t count) {
        for (size_t i = first; i < first + count && !aborted(w->run); i++)
                copy_do_entry(w, L, &L->entries[i], count > 1);
        /* The last user of a listing releases its directory. */
        listing_release(w, L);
}

static void *worker_main(void *p) {
        Worker *w = p;
        Job *j;

        while ((j = pop(w->run))) {
                if (j->type == JOB_DIR) {
                        if (aborted(w->run))
                                dir_release(w, j->dir);
                        else
                                do_dir(w, j->dir);
                } else
                        do_entries(w, j->listing, j->first, j->count);
                free(j);
                job_done(w->run);
        }
        return NULL;
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

/* The directories of a complete record, as jobs: each listed directory the
 * target has is synchronised alone; one it lacks is made whole by the
 * nearest listed ancestor the target has (added when not listed). */
static int changes_to_nodes(Run *r, DirNode ***ret, size_t *ret_n) {
        _cleanup_strv_free_ char **dirs = NULL;
        DirNode **nodes = NULL;
        size_t n = 0;
        int k;

        STRV_FOREACH (d, r->o->changes->dirs) {
                _cleanup_free_ char *p = strdup(*d);
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
                if (!strv_contains(dirs, p) && (k = strv_consume(&dirs, TAKE_PTR(p))) < 0)
                        return k;
        }
        nodes = calloc(strv_length(dirs) + 1, sizeof(DirNode *));
        if (!nodes)
                return -ENOMEM;
        STRV_FOREACH (d, dirs) {
                Attrs a;
                DirNode *node;
                char *rel;

                k = copy_stat_at(r->src_fd, *d, &a);
                if (k < 0 || !S_ISDIR(a.mode) || a.dev != r->root_dev)
                        /* Gone since (its parent, changed too, is listed),
                         * or not a directory any more. */
                        continue;
                rel = strdup(*d);
                node = rel ? dir_new(NULL, rel, &a, false, true) : NULL;
                if (!node) {
                        for (size_t i = 0; i < n; i++) {
                                free(nodes[i]->rel);
                                free(nodes[i]);
                        }
                        free(nodes);
                        return -ENOMEM;
                }
                node->root = streq(*d, ".");
                nodes[n++] = node;
        }
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

static int run_pass(Run *r, unsigned threads, bool fresh_root) {
        _cleanup_free_ Worker *workers = NULL;
        _cleanup_free_ DirNode **nodes = NULL;
        size_t n_nodes = 0;
        unsigned started = 0;
        int64_t t0 = now_ns(CLOCK_MONOTONIC), last_t = t0;
        uint64_t last_bytes = 0;
        double rate = 0;
        int k;

        r->stack = NULL;
        r->busy = 0;
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
                if (!rel || !nodes || !(nodes[0] = dir_new(NULL, rel, &a, fresh_root, false)))
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
                if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
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
                if (!r->done && (r->o->progress || r->o->check)) {
                        CopyProgress p;

                        pthread_mutex_unlock(&r->lock);
                        report(r, t0, &rate, &last_bytes, &last_t, false, &p);
                        if (r->o->check && !aborted(r))
                                check(r, &p);
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
        empty = read_dir(dup_fd, true, &names, &entries, &n) >= 0 && n == 0;
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
        r.egid = getegid();
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
        return k;
}
