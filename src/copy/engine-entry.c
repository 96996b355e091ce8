/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy/engine-internal.h"
#include "util/macro.h"
#include "util/test-hook.h"

/* ---- entries -------------------------------------------------------------------- */

static char *tmp_name(Run *r) {
        char *n;

        if (test_hook_fail("copy-tmp-name") < 0)
                return NULL;
        if (asprintf(&n, TMP_PREFIX "%d.%u", (int) getpid(), atomic_fetch_add(&r->tmp_counter, 1)) < 0)
                return NULL;
        return n;
}

/* A replacement made under a temporary name takes the entry's name. */
static int rename_into_place(Run *r, Listing *L, const char *tmp, const char *name, const char *rel) {
        int k;

        if (!tmp || renameat(L->dst_fd, tmp, L->dst_fd, name) >= 0)
                return 0;
        k = negative_errno();
        copy_fail_write(r, k, "rename into place", rel);
        return k;
}

/* Opens a source file for reading (O_NONBLOCK: should it have become a
 * fifo meanwhile, the open must not wait for a writer). */
static int open_source(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
        if (fd < 0 && errno == EPERM)
                /* O_NOATIME is for the owner (or root) only. */
                fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

/* Creates the copy of a regular file; in_fd, when not -1, is the source
 * already open, and *a what it showed. */
static int copy_regular(Worker *w, Listing *L, int in_fd, const char *name, const char *rel, Attrs *a, Placement place,
        ino_t *ret_dst_ino) {
        Run *r = w->run;
        _cleanup_close_ int in = in_fd, out = -1;
        _cleanup_free_ char *tmp = NULL;
        const char *target = name;
        struct statx sx;
        uint64_t bytes = 0;
        int k;

        if (in < 0) {
                in = open_source(L->src_fd, name);
                if (in < 0) {
                        k = in;
                        if (is_vanished(k) || k == -ELOOP)
                                return -ENOENT; /* gone, or no longer a regular file */
                        copy_fail(r, k, "Cannot open %s/%s: %s", r->src, rel, strerror(-k));
                        return k;
                }
                /* What is read is what this fd shows, whatever the walk saw. */
                if (statx(in, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0) {
                        k = negative_errno();
                        copy_fail(r, k, "Cannot stat %s/%s: %s", r->src, rel, strerror(-k));
                        return k;
                }
                copy_attrs_from_statx(a, &sx);
        }
        if (!S_ISREG(a->mode))
                return -ENOENT;

        if (place == PLACE_REPLACE) {
                tmp = tmp_name(r);
                if (!tmp)
                        return -ENOMEM;
                target = tmp;
        }
        if (place == PLACE_INPLACE)
                out = openat(L->dst_fd, target, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        else
                out = openat(L->dst_fd, target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, a->mode & 0777);
        if (out < 0) {
                k = negative_errno();
                copy_fail_write(r, k, "create", rel);
                return k;
        }
        k = copy_file_data(w, in, out, a, &bytes);
        if (k < 0) {
                if (k == -ENOSPC || k == -EDQUOT || k == -EIO)
                        copy_fail_write(r, k, "write", rel);
                else if (k == -ENODATA)
                        copy_fail(r, k,
                                "Cannot copy %s/%s: it ended before its %" PRIu64
                                " bytes were read (it shrank, or the kernel read it short)",
                                r->src, rel, a->size);
                else
                        copy_fail(r, k, "Cannot copy %s/%s: %s", r->src, rel, strerror(-k));
                goto undo;
        }
        atomic_fetch_add_explicit(&r->bytes, bytes, memory_order_relaxed);
        k = copy_apply_attrs_fd(w, in, out, a, place != PLACE_INPLACE, !L->dst_default_acl, rel);
        if (k < 0)
                goto undo;
        if (ret_dst_ino) {
                struct stat st;
                if (fstat(out, &st) < 0) {
                        k = negative_errno();
                        copy_fail_write(r, k, "stat", rel);
                        goto undo;
                }
                *ret_dst_ino = st.st_ino;
        }
        /* Errors of delayed writes may only show at close. */
        k = close(TAKE_FD(out));
        if (k < 0) {
                k = negative_errno();
                copy_fail_write(r, k, "write", rel);
                goto undo;
        }
        k = rename_into_place(r, L, tmp, name, rel);
        if (k < 0)
                goto undo;
        return 0;
undo:
        if (place != PLACE_INPLACE)
                (void) unlinkat(L->dst_fd, target, 0);
        return k;
}

/* Creates the copy of a symlink, device node, fifo or socket. */
static int copy_special(Worker *w, Listing *L, const char *name, const char *rel, const Attrs *a, Placement place) {
        Run *r = w->run;
        _cleanup_free_ char *tmp = NULL;
        const char *target = name;
        int k;

        if (place != PLACE_NEW) {
                tmp = tmp_name(r);
                if (!tmp)
                        return -ENOMEM;
                target = tmp;
        }
        if (S_ISLNK(a->mode)) {
                char link[PATH_MAX + 1];
                ssize_t n = readlinkat(L->src_fd, name, link, sizeof(link) - 1);
                if (n < 0) {
                        k = negative_errno();
                        if (is_vanished(k) || k == -EINVAL)
                                return -ENOENT;
                        copy_fail(r, k, "Cannot read the link %s/%s: %s", r->src, rel, strerror(-k));
                        return k;
                }
                link[n] = '\0';
                if (symlinkat(link, L->dst_fd, target) < 0) {
                        k = negative_errno();
                        copy_fail_write(r, k, "create the symlink", rel);
                        return k;
                }
        } else if (mknodat(L->dst_fd, target, (a->mode & S_IFMT) | (a->mode & 0777), a->rdev) < 0) {
                k = negative_errno();
                copy_fail_write(r, k, "create the node", rel);
                return k;
        }
        k = copy_apply_attrs_at(w, L, name, target, a, true, !L->dst_default_acl, rel);
        if (k < 0)
                goto undo;
        k = rename_into_place(r, L, tmp, name, rel);
        if (k < 0)
                goto undo;
        return 0;
undo:
        (void) unlinkat(L->dst_fd, target, 0);
        return k;
}

static int copy_entry(
        Worker *w, Listing *L, const char *name, const char *rel, Attrs *a, Placement place, ino_t *ret_dst_ino) {
        int k;

        if (S_ISREG(a->mode))
                return copy_regular(w, L, -1, name, rel, a, place, ret_dst_ino);
        k = copy_special(w, L, name, rel, a, place);
        if (k >= 0 && ret_dst_ino) {
                struct stat st;
                if (fstatat(L->dst_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        k = negative_errno();
                        copy_fail_write(w->run, k, "stat", rel);
                        return k;
                }
                *ret_dst_ino = st.st_ino;
        }
        return k;
}

/* Whether the target's entry (attributes d) holds the source's content:
 * same type, and for files the size and mtime (rsync's quick check), or
 * for symlinks the target, for devices the numbers. Entries written since
 * the record began are copied again whatever their mtime says, as writes in
 * the same clock tick leave it unchanged, and a rewrite may put it back (cp
 * -p onto the file, rsync --inplace): the ctime tells, which no one can set;
 * so are those below a directory in
 * doubt, whose copy in the target may be another file of the same size and
 * mtime. */
static bool content_matches(Listing *L, const char *name, const Attrs *a, const Attrs *d, Run *r) {
        if (!same_type(a->mode, d->mode))
                return false;
        if (S_ISREG(a->mode))
                return !node_in_doubt(r, L->dir) && a->size == d->size && ts_ns(a->mtime) == ts_ns(d->mtime) &&
                       !(r->since_ns > 0 && a->ctime_ns >= r->since_ns);
        if (S_ISLNK(a->mode)) {
                char x[PATH_MAX + 1], y[PATH_MAX + 1];
                ssize_t n = readlinkat(L->src_fd, name, x, sizeof(x) - 1), m;
                if (n < 0)
                        return false;
                m = readlinkat(L->dst_fd, name, y, sizeof(y) - 1);
                return m == n && memcmp(x, y, (size_t) n) == 0;
        }
        if (S_ISCHR(a->mode) || S_ISBLK(a->mode))
                return a->rdev == d->rdev;
        return true;
}

/* Whether the target's entry is linked no further than the source's: a
 * target inode with more names than the source's (a hard link the source
 * broke, say by replacing a name with an equal copy) is shared with entries
 * that are no longer the same file, and a change made through one name
 * would show in the others. Such an entry is copied afresh, a new inode.
 * Fewer names are fine: the other names are linked to it when met. */
static bool links_match(const Attrs *a, const Attrs *d) {
        return S_ISDIR(d->mode) || d->nlink <= a->nlink;
}

/* The target has an entry of this name with the right content: bring its
 * attributes in line. */
static int update_attrs(Worker *w, Listing *L, const char *name, const char *rel, const Attrs *a, const Attrs *d) {
        Run *r = w->run;
        int changed = 0, k;

        /* Unchanged since the record began (a change of owner, mode or
         * xattr moves the ctime too), and the target's copy of it the
         * pre-copy's, which its attributes agree with: nothing to bring in
         * line, and no need to open both files to compare their xattrs. */
        if (r->since_ns > 0 && !node_in_doubt(r, L->dir) && a->ctime_ns < r->since_ns && a->uid == d->uid &&
                a->gid == d->gid && ((a->mode ^ d->mode) & 07777) == 0 && ts_ns(a->mtime) == ts_ns(d->mtime)) {
                atomic_fetch_add_explicit(&r->skipped, 1, memory_order_relaxed);
                return 0;
        }

        if (r->euid == 0 && (a->uid != d->uid || a->gid != d->gid)) {
                if (fchownat(L->dst_fd, name, a->uid, a->gid, AT_SYMLINK_NOFOLLOW) < 0) {
                        copy_fail_write(r, negative_errno(), "set the owner of", rel);
                        return -EIO;
                }
                changed = 1;
        }
        if (S_ISREG(a->mode)) {
                _cleanup_close_ int in = -1, out = -1;
                in = openat(L->src_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                if (in < 0) {
                        k = negative_errno();
                        if (is_vanished(k) || k == -ELOOP)
                                return -ENOENT; /* gone, or no longer a regular file */
                        copy_fail(r, k, "Cannot open %s/%s: %s", r->src, rel, strerror(-k));
                        return k;
                }
                /* O_PATH is not enough for xattrs; a write-only open would
                 * fail on a file mode 0000 for non-root. */
                out = openat(L->dst_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                if (out < 0) {
                        copy_fail_write(r, negative_errno(), "open", rel);
                        return -EIO;
                }
                k = copy_sync_xattrs(w, &(XRef){ .fd = in }, &(XRef){ .fd = out }, false, rel);
        } else {
                XRef xs, xd;
                if (copy_xref_path(&xs, L->src_fd, name) < 0 || copy_xref_path(&xd, L->dst_fd, name) < 0) {
                        copy_fail(r, -ENAMETOOLONG, "Path too long: %s/%s", r->src, rel);
                        return -ENAMETOOLONG;
                }
                k = copy_sync_xattrs(w, &xs, &xd, false, rel);
        }
        if (k < 0)
                return k;
        changed |= k;
        if (!S_ISLNK(a->mode) && ((a->mode ^ d->mode) & 07777 || changed)) {
                /* chown may have cleared set-id bits: set the mode again. */
                if (fchmodat(L->dst_fd, name, a->mode & 07777, 0) < 0) {
                        copy_fail_write(r, negative_errno(), "set the mode of", rel);
                        return -EIO;
                }
                changed = 1;
        }
        if (ts_ns(a->mtime) != ts_ns(d->mtime) || changed) {
                if (utimensat(L->dst_fd, name, (const struct timespec[2]){ a->atime, a->mtime }, AT_SYMLINK_NOFOLLOW) <
                        0) {
                        copy_fail_write(r, negative_errno(), "set the times of", rel);
                        return -EIO;
                }
                changed = 1;
        }
        atomic_fetch_add_explicit(changed ? &r->updated : &r->skipped, 1, memory_order_relaxed);
        return 0;
}

/* One name of an inode with several: the first name met is copied (or
 * checked), the others become links to its copy. */
static int handle_hardlink(
        Worker *w, Listing *L, const char *name, const char *rel, Attrs *a, bool exists, const Attrs *d) {
        Run *r = w->run;
        InodeLink *l;
        int k;

        pthread_mutex_lock(&r->map_lock);
        for (;;) {
                l = inode_map_get(r->map, a->dev, (ino_t) a->ino);
                if (!l || l->ready || aborted(r))
                        break;
                /* Another worker is copying this inode right now. */
                pthread_cond_wait(&r->map_cond, &r->map_lock);
        }
        if (aborted(r)) {
                pthread_mutex_unlock(&r->map_lock);
                return -ECANCELED;
        }
        if (l) {
                _cleanup_free_ char *path = strdup(l->path);
                ino_t dst_ino = l->dst_ino;

                if (++l->seen >= l->nlink)
                        inode_map_remove(r->map, l);
                pthread_mutex_unlock(&r->map_lock);
                if (!path)
                        return -ENOMEM;
                if (exists && (ino_t) d->ino == dst_ino) {
                        atomic_fetch_add_explicit(&r->skipped, 1, memory_order_relaxed);
                        return 0;
                }
                if (exists) {
                        _cleanup_free_ char *tmp = tmp_name(r);
                        if (!tmp)
                                return -ENOMEM;
                        if (S_ISDIR(d->mode)) {
                                k = copy_remove_dst(r, L, name, rel, true);
                                if (k < 0)
                                        return k;
                        } else if (linkat(r->dst_fd, path, L->dst_fd, tmp, 0) >= 0) {
                                if (renameat(L->dst_fd, tmp, L->dst_fd, name) < 0) {
                                        k = negative_errno();
                                        (void) unlinkat(L->dst_fd, tmp, 0);
                                        copy_fail_write(r, k, "link", rel);
                                        return k;
                                }
                                atomic_fetch_add_explicit(&r->linked, 1, memory_order_relaxed);
                                return 0;
                        }
                }
                if (linkat(r->dst_fd, path, L->dst_fd, name, 0) < 0) {
                        k = negative_errno();
                        copy_fail_write(r, k, "link", rel);
                        return k;
                }
                atomic_fetch_add_explicit(&r->linked, 1, memory_order_relaxed);
                return 0;
        }

        /* The first name: claim the inode, then copy without the lock. */
        k = inode_map_add(r->map, a->dev, (ino_t) a->ino, a->nlink, &l);
        pthread_mutex_unlock(&r->map_lock);
        if (k < 0) {
                copy_fail(r, k, "Out of memory");
                return k;
        }

        ino_t dst_ino = 0;
        if (exists && links_match(a, d) && content_matches(L, name, a, d, r)) {
                k = update_attrs(w, L, name, rel, a, d);
                dst_ino = (ino_t) d->ino;
        } else if (exists && !node_in_doubt(r, L->dir) && links_match(a, d) && S_ISREG(a->mode) && S_ISREG(d->mode) &&
                   d->nlink > 1) {
                /* The target's file has other names too: rewriting it in
                 * place keeps them, as the source's names are kept. Not
                 * below a directory in doubt, whose target file may be
                 * another inode's, its other names in directories this pass
                 * does not walk: a new inode there, and the link check
                 * (copy_verify_links()) sees the names the pass did not reach. */
                k = copy_regular(w, L, -1, name, rel, a, PLACE_INPLACE, &dst_ino);
                if (k >= 0)
                        atomic_fetch_add_explicit(&r->copied, 1, memory_order_relaxed);
        } else {
                if (exists && S_ISDIR(d->mode)) {
                        k = copy_remove_dst(r, L, name, rel, true);
                        if (k < 0)
                                goto out;
                        exists = false;
                }
                k = copy_entry(w, L, name, rel, a, exists ? PLACE_REPLACE : PLACE_NEW, &dst_ino);
                if (k >= 0)
                        atomic_fetch_add_explicit(&r->copied, 1, memory_order_relaxed);
        }
out:
        pthread_mutex_lock(&r->map_lock);
        l = inode_map_get(r->map, a->dev, (ino_t) a->ino);
        if (l) {
                if (k >= 0 && !(l->path = strdup(rel)))
                        /* The other names would be copied apart, as
                         * separate inodes: an error, not a quiet start
                         * over. */
                        k = -ENOMEM;
                if (k >= 0) {
                        l->dst_ino = dst_ino;
                        l->ready = true;
                } else
                        /* Nothing to link to: the next name starts over. */
                        inode_map_remove(r->map, l);
        }
        pthread_cond_broadcast(&r->map_cond);
        pthread_mutex_unlock(&r->map_lock);
        return k;
}

/* One entry done: its bytes (holes included, as the expected size counts
 * them) less what was counted while it was copied. */
static void count_progress(Worker *w, const Attrs *a) {
        Run *r = w->run;

        atomic_fetch_add_explicit(&r->progress_entries, 1, memory_order_relaxed);
        if (S_ISREG(a->mode) && a->size > w->counted)
                atomic_fetch_add_explicit(&r->progress_bytes, a->size - w->counted, memory_order_relaxed);
        w->counted = 0;
}

/* One non-directory entry of a listing (or a directory whose type changed
 * since it was listed). */
void copy_do_entry(Worker *w, Listing *L, Entry *e, bool allow_defer) {
        Run *r = w->run;
        const char *name = L->names + e->name_off;
        _cleanup_free_ char *rel = NULL;
        _cleanup_close_ int in = -1;
        Attrs a, d = {};
        bool exists = false;
        int k;

        w->counted = 0;
        k = -ENOENT;
        if (L->dir->fresh && e->type == DT_REG) {
                /* Open first, stat the fd: one lookup instead of two, and
                 * the attributes are those of what is read. */
                struct statx sx;
                in = open_source(L->src_fd, name);
                if (in >= 0 && statx(in, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) >= 0) {
                        copy_attrs_from_statx(&a, &sx);
                        k = 0;
                }
        }
        if (k < 0) {
                closep(&in);
                in = -1;
                k = copy_stat_at(L->src_fd, name, &a);
        }
        rel = copy_rel_join(L->dir->rel, name);
        if (!rel) {
                copy_fail(r, -ENOMEM, "Out of memory");
                return;
        }
        if (k < 0) {
                if (is_vanished(k))
                        copy_vanished(r, rel);
                else
                        copy_fail(r, k, "Cannot stat %s/%s: %s", r->src, rel, strerror(-k));
                return;
        }
        if (S_ISREG(a.mode) && a.size >= BIG_FILE && allow_defer) {
                /* A job of its own, so that the rest of the batch goes on. */
                Job *j = calloc(1, sizeof(Job));
                if (!j) {
                        copy_fail(r, -ENOMEM, "Out of memory");
                        return;
                }
                *j = (Job){ .type = JOB_ENTRIES, .listing = L, .first = (size_t) (e - L->entries), .count = 1 };
                atomic_fetch_add(&L->users, 1);
                copy_push(r, j);
                return;
        }
        atomic_fetch_add_explicit(&r->entries, 1, memory_order_relaxed);

        if (!L->dir->fresh && (e->in_dst || L->dst_unread)) {
                if (r->since_ns > 0 && a.ctime_ns < r->since_ns && !S_ISDIR(a.mode) && a.nlink == 1 &&
                    !r->changes_only) {
                        /* Unchanged since the record began and present in
                         * the target: the pre-copy's copy stands. (Replacing
                         * an entry makes a new inode, with a new ctime.) Not
                         * in a changes pass, which compares each entry of
                         * the few directories it walks with the target: its
                         * directory may have been renamed onto this path (a
                         * swap), or a write begun before the record may have
                         * gone on while the pre-copy read the file. Nor a
                         * file with other names: its target's names must be
                         * checked to be one inode as the source's are (a
                         * swapped directory may have left them split). */
                        atomic_fetch_add_explicit(&r->skipped, 1, memory_order_relaxed);
                        count_progress(w, &a);
                        return;
                }
                k = copy_stat_at(L->dst_fd, name, &d);
                if (k >= 0)
                        exists = true;
                else if (k != -ENOENT) {
                        copy_fail_write(r, k, "stat", rel);
                        return;
                }
        }

        if (S_ISDIR(a.mode)) {
                copy_handle_subdir(w, L, name, &a, exists, &d);
                return;
        }
        if (a.dev != r->root_dev) {
                /* A file bind-mounted over another: not ours to copy. */
                if (r->o->pass == COPY_PASS_FINAL)
                        copy_fail(r, -EBUSY, "%s/%s is a mount point: unmount it before the final pass", r->src, rel);
                return;
        }

        if (a.nlink > 1)
                k = handle_hardlink(w, L, name, rel, &a, exists, &d);
        else if (exists && links_match(&a, &d) && content_matches(L, name, &a, &d, r))
                k = update_attrs(w, L, name, rel, &a, &d);
        else {
                if (exists && S_ISDIR(d.mode)) {
                        k = copy_remove_dst(r, L, name, rel, true);
                        if (k < 0)
                                return;
                        exists = false;
                }
                if (S_ISREG(a.mode))
                        k = copy_regular(w, L, TAKE_FD(in), name, rel, &a, exists ? PLACE_REPLACE : PLACE_NEW, NULL);
                else
                        k = copy_entry(w, L, name, rel, &a, exists ? PLACE_REPLACE : PLACE_NEW, NULL);
                if (k >= 0)
                        atomic_fetch_add_explicit(&r->copied, 1, memory_order_relaxed);
        }
        if (k >= 0)
                count_progress(w, &a);
        else if (is_vanished(k))
                copy_vanished(r, rel);
        else
                /* Most steps report their error themselves; this keeps any
                 * they do not (out of memory, say) from being lost, which
                 * would take an entry left as it was for a copied one.
                 * Only the first error of a run is kept. */
                copy_fail(r, k, "Cannot copy %s/%s: %s", r->src, rel, strerror(-k));
}
