/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Removing what the target has and the source lacks: a whole tree, without
 * recursion, with a bounded number of directory fds open, never crossing
 * into a filesystem mounted in the target. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy/engine-internal.h"
#include "util/macro.h"

/* Removing a tree holds a directory fd for at most this many levels above
 * the one at hand; a level above them is opened again through ".." of the
 * one below, and must be the directory that was left. */
#define REMOVE_OPEN_LEVELS 16U
/* A directory is listed again while entries remain (removing entries while
 * reading may make the cursor skip some, and something may add some), but
 * not forever. */
#define REMOVE_LISTINGS 4U

typedef struct RemoveLevel {
        int fd; /* -1 while closed, above REMOVE_OPEN_LEVELS */
        dev_t dev;
        ino_t ino;
        char *name;     /* its name in the level above */
        char **subdirs; /* its subdirectories from the last listing */
        size_t n_subdirs, next;
        unsigned listings;
} RemoveLevel;

static void remove_level_done(RemoveLevel *l) {
        closep(&l->fd);
        free(l->name);
        for (size_t i = 0; i < l->n_subdirs; i++)
                free(l->subdirs[i]);
        free(l->subdirs);
        *l = (RemoveLevel){ .fd = -1 };
}

/* Lists level l once: removes what is not a directory, keeps the names of
 * the subdirectories. Returns 1 when it found something, 0 when empty. */
static int remove_list(RemoveLevel *l) {
        char buf[32768];
        size_t cap = 0;
        int found = 0;

        for (size_t i = 0; i < l->n_subdirs; i++)
                free(l->subdirs[i]);
        l->n_subdirs = l->next = 0;
        if (lseek(l->fd, 0, SEEK_SET) < 0)
                return negative_errno();
        for (;;) {
                ssize_t n = getdents64(l->fd, buf, sizeof(buf));
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return found;
                for (ssize_t p = 0; p < n;) {
                        struct dirent64 *d = (struct dirent64 *) (buf + p);
                        p += d->d_reclen;
                        if (streq(d->d_name, ".") || streq(d->d_name, ".."))
                                continue;
                        found = 1;
                        if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN) {
                                if (unlinkat(l->fd, d->d_name, 0) >= 0 || errno == ENOENT)
                                        continue;
                                if (errno != EISDIR)
                                        return negative_errno();
                        }
                        if (l->n_subdirs == cap) {
                                char **x = reallocarray(l->subdirs, cap ? cap * 2 : 16, sizeof(char *));
                                if (!x)
                                        return -ENOMEM;
                                l->subdirs = x;
                                cap = cap ? cap * 2 : 16;
                        }
                        l->subdirs[l->n_subdirs] = strdup(d->d_name);
                        if (!l->subdirs[l->n_subdirs])
                                return -ENOMEM;
                        l->n_subdirs++;
                }
        }
}

/* Opens name below dirfd (on device dev) as a new level. Returns 0, or 1
 * when it is gone or not a directory after all (then unlinked); -EXDEV for
 * a mount point, whose filesystem is never emptied: what is mounted in the
 * target is not the copy's to remove. */
static int remove_open(int dirfd, dev_t dev, const char *name, RemoveLevel *ret) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 1;
                if (errno != ENOTDIR && errno != ELOOP)
                        return negative_errno();
                if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                        return negative_errno();
                return 1;
        }
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_dev != dev)
                return -EXDEV;
        *ret = (RemoveLevel){ .fd = TAKE_FD(fd), .dev = st.st_dev, .ino = st.st_ino, .name = strdup(name) };
        if (!ret->name) {
                close(ret->fd);
                return -ENOMEM;
        }
        return 0;
}

/* The path of the subdirectory of the deepest level that remove_open()
 * refused, below the tree's directory. */
static char *mount_path(const RemoveLevel *levels, size_t depth, const char *name) {
        char *p = strdup(name), *q;

        for (size_t i = depth; p && i > 0; i--) {
                if (asprintf(&q, "%s/%s", levels[i - 1].name, p) < 0)
                        q = NULL;
                free(p);
                p = q;
        }
        return p;
}

/* Removes name below dirfd, a whole tree if it is a directory. Without
 * recursion, and with a bounded number of fds open, however deep the tree:
 * the levels are kept on the heap. -EXDEV when the tree holds a mount
 * point, with *ret_mount (when given) its path below dirfd. */
static int remove_tree_at(int dirfd, const char *name, bool is_dir, char **ret_mount) {
        RemoveLevel *levels = NULL;
        size_t depth = 0, cap = 0;
        dev_t dev;
        int k;

        if (!is_dir) {
                if (unlinkat(dirfd, name, 0) >= 0)
                        return 0;
                if (errno != EISDIR)
                        return errno == ENOENT ? 0 : negative_errno();
        }
        {
                struct stat st;
                if (fstat(dirfd, &st) < 0)
                        return negative_errno();
                dev = st.st_dev;
        }
        levels = calloc(16, sizeof(RemoveLevel));
        if (!levels)
                return -ENOMEM;
        cap = 16;
        k = remove_open(dirfd, dev, name, &levels[0]);
        if (k == -EXDEV && ret_mount)
                *ret_mount = strdup(name);
        if (k != 0)
                goto out;
        depth = 1;

        while (depth > 0) {
                RemoveLevel *l = &levels[depth - 1];

                if (l->next < l->n_subdirs) {
                        /* Down into the next subdirectory. */
                        if (depth == cap) {
                                RemoveLevel *x = reallocarray(levels, cap * 2, sizeof(RemoveLevel));
                                if (!x) {
                                        k = -ENOMEM;
                                        goto out;
                                }
                                levels = x;
                                cap *= 2;
                                l = &levels[depth - 1];
                        }
                        k = remove_open(l->fd, l->dev, l->subdirs[l->next++], &levels[depth]);
                        if (k == -EXDEV && ret_mount)
                                *ret_mount = mount_path(levels, depth, l->subdirs[l->next - 1]);
                        if (k < 0)
                                goto out;
                        if (k > 0)
                                continue;
                        depth++;
                        if (depth > REMOVE_OPEN_LEVELS) {
                                closep(&levels[depth - 1 - REMOVE_OPEN_LEVELS].fd);
                                levels[depth - 1 - REMOVE_OPEN_LEVELS].fd = -1;
                        }
                        continue;
                }
                if (l->listings < REMOVE_LISTINGS) {
                        l->listings++;
                        k = remove_list(l);
                        if (k < 0)
                                goto out;
                        if (k > 0)
                                continue;
                } else {
                        k = -ENOTEMPTY;
                        goto out;
                }

                /* Empty: up one level, and remove it there. */
                int parent = dirfd;
                if (depth > 1) {
                        RemoveLevel *p = &levels[depth - 2];
                        if (p->fd < 0) {
                                struct stat st;
                                p->fd = openat(l->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                                if (p->fd < 0) {
                                        k = negative_errno();
                                        goto out;
                                }
                                if (fstat(p->fd, &st) < 0 || st.st_dev != p->dev || st.st_ino != p->ino) {
                                        /* Moved meanwhile: not ours to follow. */
                                        k = -ESTALE;
                                        goto out;
                                }
                        }
                        parent = p->fd;
                }
                if (unlinkat(parent, l->name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                        k = negative_errno();
                        if (k != -ENOTEMPTY)
                                goto out;
                        /* Something was added: list it again. */
                        continue;
                }
                remove_level_done(l);
                depth--;
        }
        k = 0;
out:
        for (size_t i = 0; i < depth; i++)
                remove_level_done(&levels[i]);
        free(levels);
        return k < 0 ? k : 0;
}

int copy_remove_dst(Run *r, Listing *L, const char *name, const char *rel, bool is_dir) {
        _cleanup_free_ char *mount = NULL, *mount_rel = NULL;
        int k;

        k = remove_tree_at(L->dst_fd, name, is_dir, &mount);
        if (k == -EXDEV && mount && (mount_rel = copy_rel_join(L->dir->rel, mount)))
                copy_fail(r, k, "Cannot remove %s/%s: %s/%s is a mount point, whose filesystem is not the copy's",
                        r->dst, rel ?: name, r->dst, mount_rel);
        else if (k < 0)
                copy_fail_write(r, k, "remove", rel ?: name);
        return k;
}
