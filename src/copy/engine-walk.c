/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The copy engine's walk: the job stack its workers share, and what a worker
 * does with a directory (list both sides, reconcile the target, hand out its
 * entries in batches) until the last of its entries and subdirectories is in
 * place. The run around it is engine.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "copy/copy-internal.h"
#include "copy/engine-internal.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* ---- the job stack ----------------------------------------------------------- */

void copy_push(Run *r, Job *j) {
        pthread_mutex_lock(&r->lock);
        j->next = r->stack;
        r->stack = j;
        /* At the limit, a worker that ends its job takes this one: waking
         * one now would only send it back to sleep. */
        if (r->busy < r->limit)
                pthread_cond_signal(&r->work);
        pthread_mutex_unlock(&r->lock);
}

static Job *pop(Run *r) {
        Job *j;

        pthread_mutex_lock(&r->lock);
        for (;;) {
                if (r->stack && r->busy < r->limit) {
                        j = r->stack;
                        r->stack = j->next;
                        r->busy++;
                        break;
                }
                if ((!r->stack && r->busy == 0) || r->done) {
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
        /* Nobody to wake for the limit: this worker takes the next job
         * itself. */
        pthread_mutex_unlock(&r->lock);
}

/* ---- directories ------------------------------------------------------------------ */

DirNode *copy_dir_new(DirNode *parent, char *rel, const Attrs *a, bool fresh, bool shallow) {
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

/* Changes pass: whether the source's directory (attributes a), at a path
 * where the target has d, may not be the directory the pre-copy copied
 * there. Renamed onto the path (directories swapped, rm -rf x && mv new x),
 * re-created (rm -rf x; mkdir x) or changed since the record began, its
 * ctime is after since_ns: rename(2) sets the ctime of what it moves. Its
 * mtime and type are those the target got at the end of its copy
 * (dir_finish()) unless it changed since, or the target holds something
 * else. Whatever lies below such a directory may be another one's. */
bool copy_dir_in_doubt(const Run *r, const Attrs *a, const Attrs *d) {
        return !same_type(a->mode, d->mode) || ts_ns(a->mtime) != ts_ns(d->mtime) ||
               (r->since_ns > 0 && a->ctime_ns >= r->since_ns);
}

void copy_handle_subdir(Worker *w, Listing *L, const char *name, const Attrs *a, bool exists, const Attrs *d) {
        Run *r = w->run;
        _cleanup_free_ char *rel = copy_rel_join(L->dir->rel, name);
        bool fresh = false, in_doubt = false;
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
                else if (errno != EEXIST || L->dir->fresh) {
                        copy_fail_write(r, negative_errno(), "create the directory", rel);
                        return;
                }
                if (fresh)
                        atomic_fetch_add_explicit(&r->copied, 1, memory_order_relaxed);
        }
        if (!fresh && L->dir->shallow) {
                /* Changes pass: an existing subdirectory is listed by the
                 * record itself if anything in it changed, and is a job of
                 * its own. One in doubt is entered whole: nothing in the
                 * record tells that it is the directory the pre-copy
                 * copied to this path (a rename reports only the parents). */
                in_doubt = !copy_is_node(r, rel) && copy_dir_in_doubt(r, a, d);
                if (!in_doubt) {
                        atomic_fetch_add_explicit(&r->skipped, 1, memory_order_relaxed);
                        return;
                }
        }
        node = copy_dir_new(L->dir, TAKE_PTR(rel), a, fresh, L->dir->shallow && !fresh && !in_doubt);
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
int copy_read_dir(int fd, bool top, char **ret_names, Entry **ret_entries, size_t *ret_n) {
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

        k = copy_read_dir(L->dst_fd, top, &dnames, &dents, &dn);
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
                /* In the target only: the source deleted it. In a live
                 * pass too: the target's directories this run did not
                 * make hold an earlier run's copy (a move rolled back, its
                 * volume used again; the target is a copy of this source,
                 * copy_claim_target()), and the final pass from a record
                 * deletes only in the directories changed since this
                 * run's record began. */
                _cleanup_free_ char *rel = copy_rel_join(L->dir->rel, dname);
                k = copy_remove_dst(r, L, dname, rel, dents[j].type == DT_DIR || dents[j].type == DT_UNKNOWN);
                if (k < 0)
                        return k;
                atomic_fetch_add_explicit(&r->deleted, 1, memory_order_relaxed);
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
                        dir->fresh = true;
                        dir->shallow = false;
                        L->dst_fd = openat(r->dst_fd, dir->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
        }
        if (L->dst_fd < 0) {
                copy_fail_write(r, negative_errno(), "open", dir->rel);
                goto done;
        }

        k = copy_read_dir(L->src_fd, top, &L->names, &L->entries, &L->n);
        if (k < 0) {
                if (is_vanished(k))
                        copy_vanished(r, dir->rel);
                else
                        copy_fail(r, k, "Cannot read the directory %s/%s: %s", r->src, dir->rel, strerror(-k));
                goto done;
        }
        if (!dir->fresh) {
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
                if (!dir->fresh && (e->in_dst || L->dst_unread)) {
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

void *copy_worker_main(void *p) {
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
