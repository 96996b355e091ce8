/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"

#define READ_FULL_FILE_DEFAULT_MAX (16u * 1024u * 1024u)

int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        struct stat st;

        if (max_size == 0)
                max_size = READ_FULL_FILE_DEFAULT_MAX;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;

        for (;;) {
                ssize_t n;

                if (size + 4096 + 1 > alloc) {
                        size_t na = alloc ? alloc * 2 : 8192;
                        char *nb = realloc(buf, na);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        alloc = na;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                size += n;
                if (size > max_size)
                        return -EFBIG;
        }
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = '\0';
        *ret_data = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

static int write_all(int fd, const void *data, size_t size) {
        const char *p = data;
        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += n;
                size -= n;
        }
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode_if_new) {
        _cleanup_free_ char *dir = path_dirname(path), *tmp = NULL;
        _cleanup_close_ int fd = -1, dfd = -1;
        struct stat st;
        bool exists;
        int r;

        if (!dir)
                return -ENOMEM;

        if (lstat(path, &st) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                exists = false;
        } else {
                if (S_ISLNK(st.st_mode))
                        return -ELOOP;
                if (!S_ISREG(st.st_mode))
                        return -EBADFD;
                exists = true;
        }

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();

        if (asprintf(&tmp, "%s/.#%s.XXXXXX", dir, path_basename(path)) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        r = write_all(fd, data, size);
        if (r < 0)
                goto fail;

        /* Keep what the administrator chose for the file: a daemon.json that
         * was 0600 stays 0600, an env file owned by a config group keeps it. */
        if (exists) {
                if (fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM) {
                        r = negative_errno();
                        goto fail;
                }
                if (fchmod(fd, st.st_mode & 07777) < 0) {
                        r = negative_errno();
                        goto fail;
                }
        } else if (fchmod(fd, mode_if_new) < 0) {
                r = negative_errno();
                goto fail;
        }

        if (fsync(fd) < 0) {
                r = negative_errno();
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = negative_errno();
                goto fail;
        }
        /* The rename itself is only durable once the directory is synced. */
        (void) fsync(dfd);
        return 0;

fail:
        (void) unlink(tmp);
        return r;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

int copy_file_atomic(const char *from, const char *to) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        struct stat st;
        int r;

        if (stat(from, &st) < 0)
                return negative_errno();
        r = read_full_file(from, 0, &data, &size);
        if (r < 0)
                return r;
        r = write_file_atomic(to, data, size, st.st_mode & 07777);
        if (r < 0)
                return r;
        /* write_file_atomic() keeps an existing target's mode; a backup must
         * carry the original's. */
        (void) chmod(to, st.st_mode & 07777);
        (void) chown(to, st.st_uid, st.st_gid);
        return 0;
}

bool file_exists(const char *path) {
        return access(path, F_OK) == 0;
}

bool dir_exists(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int any_file(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        /* A directory that cannot be read may hold anything. */
        return type == FTW_D ? 0 : 1;
}

int dir_holds_files(const char *dir) {
        int r;

        if (!dir_exists(dir))
                return 0;
        r = nftw(dir, any_file, 16, FTW_PHYS | FTW_MOUNT);
        if (r < 0)
                return negative_errno();
        return r > 0;
}

int files_equal(const char *a, const char *b) {
        _cleanup_free_ char *da = NULL, *db = NULL;
        size_t sa = 0, sb = 0;
        int ra, rb;

        ra = read_full_file(a, 0, &da, &sa);
        rb = read_full_file(b, 0, &db, &sb);
        if (ra == -ENOENT && rb == -ENOENT)
                return 1;
        if (ra == -ENOENT || rb == -ENOENT)
                return 0;
        if (ra < 0)
                return ra;
        if (rb < 0)
                return rb;
        return sa == sb && memcmp(da, db, sa) == 0;
}
