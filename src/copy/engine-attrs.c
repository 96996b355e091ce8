/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "copy/engine-internal.h"
#include "util/macro.h"

/* ---- xattrs ------------------------------------------------------------------ */

int copy_xref_path(XRef *x, int dirfd, const char *name) {
        x->fd = -1;
        if ((size_t) snprintf(x->path, sizeof(x->path), "/proc/self/fd/%d/%s", dirfd, name) >= sizeof(x->path))
                return -ENAMETOOLONG;
        return 0;
}

static ssize_t x_list(const XRef *x, char *buf, size_t n) {
        return x->fd >= 0 ? flistxattr(x->fd, buf, n) : llistxattr(x->path, buf, n);
}
static ssize_t x_get(const XRef *x, const char *name, void *buf, size_t n) {
        return x->fd >= 0 ? fgetxattr(x->fd, name, buf, n) : lgetxattr(x->path, name, buf, n);
}
static int x_set(const XRef *x, const char *name, const void *v, size_t n) {
        return x->fd >= 0 ? fsetxattr(x->fd, name, v, n, 0) : lsetxattr(x->path, name, v, n, 0);
}
static int x_remove(const XRef *x, const char *name) {
        return x->fd >= 0 ? fremovexattr(x->fd, name) : lremovexattr(x->path, name);
}

static int grow(char **buf, size_t *size, size_t want) {
        char *b;

        if (*size >= want)
                return 0;
        b = realloc(*buf, want);
        if (!b)
                return -ENOMEM;
        *buf = b;
        *size = want;
        return 0;
}

/* The names of x's xattrs into the worker's list buffer `which`; the
 * length, 0 for none. */
static ssize_t list_xattrs(Worker *w, int which, const XRef *x) {
        /* A buffer of size 0 would be a question for the size. */
        if (grow(&w->xl[which], &w->xl_size[which], 4096) < 0)
                return -ENOMEM;
        for (;;) {
                ssize_t n = x_list(x, w->xl[which], w->xl_size[which]);
                if (n >= 0)
                        return n;
                if (errno == ENOTSUP || errno == EOPNOTSUPP)
                        return 0; /* a filesystem without xattrs has none */
                if (errno != ERANGE)
                        return negative_errno();
                n = x_list(x, NULL, 0);
                if (n < 0)
                        return negative_errno();
                if (grow(&w->xl[which], &w->xl_size[which], (size_t) n + 256) < 0)
                        return -ENOMEM;
        }
}

static ssize_t get_xattr(Worker *w, int which, const XRef *x, const char *name) {
        if (grow(&w->xv[which], &w->xv_size[which], 4096) < 0)
                return -ENOMEM;
        for (;;) {
                ssize_t n = x_get(x, name, w->xv[which], w->xv_size[which]);
                if (n >= 0)
                        return n;
                if (errno != ERANGE)
                        return negative_errno();
                n = x_get(x, name, NULL, 0);
                if (n < 0)
                        return negative_errno();
                if (grow(&w->xv[which], &w->xv_size[which], (size_t) n + 256) < 0)
                        return -ENOMEM;
        }
}

static bool name_in_list(const char *list, size_t len, const char *name) {
        for (const char *p = list; p < list + len; p += strlen(p) + 1)
                if (streq(p, name))
                        return true;
        return false;
}

/* Makes dst's xattrs those of src. With dst_clean, dst is known to have
 * none (just made, no inherited ACL): nothing to read or remove there.
 * Returns 1 when something changed, 0 when nothing did. */
int copy_sync_xattrs(Worker *w, const XRef *src, const XRef *dst, bool dst_clean, const char *rel) {
        Run *r = w->run;
        ssize_t ns, nd = 0;
        int changed = 0;

        ns = list_xattrs(w, 0, src);
        if (ns < 0) {
                if (is_vanished((int) ns))
                        return (int) ns;
                copy_fail(r, (int) ns, "Cannot list the xattrs of %s/%s: %s", r->src, rel, strerror((int) -ns));
                return (int) ns;
        }
        if (!dst_clean) {
                nd = list_xattrs(w, 1, dst);
                if (nd < 0) {
                        copy_fail_write(r, (int) nd, "list the xattrs of", rel);
                        return (int) nd;
                }
                for (const char *p = w->xl[1]; p < w->xl[1] + nd; p += strlen(p) + 1)
                        if (!name_in_list(w->xl[0], (size_t) ns, p)) {
                                if (x_remove(dst, p) < 0 && errno != ENODATA) {
                                        copy_fail_write(r, negative_errno(), "remove an xattr of", rel);
                                        return -EIO;
                                }
                                changed = 1;
                        }
        }
        for (const char *p = w->xl[0]; p < w->xl[0] + ns; p += strlen(p) + 1) {
                ssize_t v = get_xattr(w, 0, src, p);
                if (v == -ENODATA)
                        continue; /* removed since it was listed */
                if (v < 0) {
                        if (is_vanished((int) v))
                                return (int) v;
                        copy_fail(r, (int) v, "Cannot read xattr %s of %s/%s: %s", p, r->src, rel, strerror((int) -v));
                        return (int) v;
                }
                if (!dst_clean && name_in_list(w->xl[1], (size_t) nd, p)) {
                        ssize_t dv = get_xattr(w, 1, dst, p);
                        if (dv == v && memcmp(w->xv[0], w->xv[1], (size_t) v) == 0)
                                continue;
                }
                if (x_set(dst, p, w->xv[0], (size_t) v) < 0) {
                        int e = negative_errno();
                        if (e == -EOPNOTSUPP)
                                copy_fail(r, e, "The target filesystem cannot hold xattr %s of %s/%s (%s)", p, r->src,
                                        rel, strerror(-e));
                        else if (e == -EPERM)
                                copy_fail(r, e, "Not allowed to set xattr %s on %s/%s (%s): copy as root", p, r->dst,
                                        rel, strerror(-e));
                        else
                                copy_fail_write(r, e, "set an xattr of", rel);
                        return e;
                }
                changed = 1;
        }
        return changed;
}

/* ---- attributes ---------------------------------------------------------------- */

/* cur: what the target's entry has now (for one this run created). */
static bool need_chown(Run *r, const Attrs *a, bool created, const struct stat *cur) {
        /* Only root can give files away; rsync without root keeps its own
         * owner too. What this run created has its owner from the creation:
         * the copier's own user, but the group of the directory when that
         * has the set-group-id bit, so it is what the entry has that counts,
         * not the copier's ids. */
        if (r->euid != 0)
                return false;
        return !created || a->uid != cur->st_uid || a->gid != cur->st_gid;
}

static bool need_chmod(Run *r, const Attrs *a, bool created, bool clean) {
        /* open() and mknod() applied the umask, or an inherited default
         * ACL (then the mode is whatever the ACL made it). */
        return !created || !clean || (a->mode & 07777) != (a->mode & 0777 & ~r->umask);
}

/* Owner, xattrs, mode and times of an open file or directory, in that order:
 * chown clears set-id bits and security.capability, so both come after it,
 * and setting an xattr would not disturb the times set last. created: this
 * run made dst; clean: and it has no xattrs (no inherited ACL). */
int copy_apply_attrs_fd(Worker *w, int src_fd, int dst_fd, const Attrs *a, bool created, bool clean, const char *rel) {
        Run *r = w->run;
        XRef xs = { .fd = src_fd }, xd = { .fd = dst_fd };
        struct stat cur = {};
        int k;

        if (r->euid == 0 && created && fstat(dst_fd, &cur) < 0) {
                copy_fail_write(r, negative_errno(), "stat", rel);
                return -EIO;
        }
        if (need_chown(r, a, created, &cur) && fchown(dst_fd, a->uid, a->gid) < 0) {
                copy_fail_write(r, negative_errno(), "set the owner of", rel);
                return -EIO;
        }
        k = copy_sync_xattrs(w, &xs, &xd, created && clean, rel);
        if (k < 0)
                return k;
        if (need_chmod(r, a, created, clean) && fchmod(dst_fd, a->mode & 07777) < 0) {
                copy_fail_write(r, negative_errno(), "set the mode of", rel);
                return -EIO;
        }
        if (futimens(dst_fd, (const struct timespec[2]){ a->atime, a->mtime }) < 0) {
                copy_fail_write(r, negative_errno(), "set the times of", rel);
                return -EIO;
        }
        return 0;
}

/* The same for an entry without an fd: symlinks and special files. */
int copy_apply_attrs_at(Worker *w, Listing *L, const char *src_name, const char *dst_name, const Attrs *a,
        bool created, bool clean, const char *rel) {
        Run *r = w->run;
        XRef xs, xd;
        struct stat cur = {};
        int k;

        if (r->euid == 0 && created && fstatat(L->dst_fd, dst_name, &cur, AT_SYMLINK_NOFOLLOW) < 0) {
                copy_fail_write(r, negative_errno(), "stat", rel);
                return -EIO;
        }
        if (need_chown(r, a, created, &cur) && fchownat(L->dst_fd, dst_name, a->uid, a->gid, AT_SYMLINK_NOFOLLOW) < 0) {
                copy_fail_write(r, negative_errno(), "set the owner of", rel);
                return -EIO;
        }
        if (copy_xref_path(&xs, L->src_fd, src_name) < 0 || copy_xref_path(&xd, L->dst_fd, dst_name) < 0) {
                copy_fail(r, -ENAMETOOLONG, "Path too long: %s/%s", r->src, rel);
                return -ENAMETOOLONG;
        }
        k = copy_sync_xattrs(w, &xs, &xd, created && clean, rel);
        if (k < 0)
                return k;
        /* Symlinks have no mode of their own on Linux. */
        if (!S_ISLNK(a->mode) && need_chmod(r, a, created, clean) &&
                fchmodat(L->dst_fd, dst_name, a->mode & 07777, 0) < 0) {
                copy_fail_write(r, negative_errno(), "set the mode of", rel);
                return -EIO;
        }
        if (utimensat(L->dst_fd, dst_name, (const struct timespec[2]){ a->atime, a->mtime }, AT_SYMLINK_NOFOLLOW) <
                0) {
                copy_fail_write(r, negative_errno(), "set the times of", rel);
                return -EIO;
        }
        return 0;
}

/* A directory's owner, xattrs, mode and times. One this run made gets them
 * all (it may have inherited a default ACL); an existing one only what
 * differs, so that a final pass with nothing to do writes nothing. */
static int apply_dir_attrs(Worker *w, int s, int t, const DirNode *d) {
        Run *r = w->run;
        const Attrs *a = &d->attrs;
        Attrs cur;
        bool changed = false;
        int k;

        if (d->fresh && !d->root)
                return copy_apply_attrs_fd(w, s, t, a, true, false, d->rel);
        k = copy_stat_at(t, "", &cur);
        if (k < 0) {
                copy_fail_write(r, k, "stat", d->rel);
                return k;
        }
        /* Unchanged since the record began, and nothing was added to or
         * removed from its copy (that would have moved its mtime); in a
         * directory in doubt, its copy may be another directory's. */
        if (r->since_ns > 0 && a->ctime_ns < r->since_ns && ts_ns(cur.mtime) == ts_ns(a->mtime) &&
                !node_in_doubt(r, d))
                return 0;
        if (r->euid == 0 && (cur.uid != a->uid || cur.gid != a->gid)) {
                if (fchown(t, a->uid, a->gid) < 0) {
                        copy_fail_write(r, negative_errno(), "set the owner of", d->rel);
                        return -EIO;
                }
                changed = true;
        }
        k = copy_sync_xattrs(w, &(XRef){ .fd = s }, &(XRef){ .fd = t }, false, d->rel);
        if (k < 0)
                return k;
        if (changed || k > 0 || (cur.mode & 07777) != (a->mode & 07777)) {
                if (fchmod(t, a->mode & 07777) < 0) {
                        copy_fail_write(r, negative_errno(), "set the mode of", d->rel);
                        return -EIO;
                }
                changed = true;
        }
        if (changed || ts_ns(cur.mtime) != ts_ns(a->mtime)) {
                if (futimens(t, (const struct timespec[2]){ a->atime, a->mtime }) < 0) {
                        copy_fail_write(r, negative_errno(), "set the times of", d->rel);
                        return -EIO;
                }
        }
        return 0;
}

int copy_apply_dir_attrs(Worker *w, int s, int t, const DirNode *d) {
        int k = apply_dir_attrs(w, s, t, d);

        /* The caller has nothing more to do with an error: each one reaches
         * the run's result here, those the steps above leave unreported
         * (the source gone while its xattrs were read) too. */
        if (k < 0 && is_vanished(k))
                copy_vanished(w->run, d->rel);
        else if (k < 0)
                copy_fail(w->run, k, "Cannot copy the attributes of %s/%s: %s", w->run->src, d->rel, strerror(-k));
        return k;
}
