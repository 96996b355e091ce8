/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/test-hook.h"

int read_full_file_flags(const char *path, size_t max_size, ReadFlags flags, char **ret_data, size_t *ret_size) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        struct stat st;

        if (max_size == 0)
                max_size = READ_FULL_FILE_MAX;

        /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
         * writer for ever. It changes nothing for a regular file. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | ((flags & READ_NOFOLLOW) ? O_NOFOLLOW : 0));
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        /* No early check of st_size: sysfs says 4096 for a ten-byte
         * attribute; the bytes read are the measure. */

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
                /* The file may grow while we read it. */
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

int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        return read_full_file_flags(path, max_size, 0, ret_data, ret_size);
}

const char *file_type_name(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return NULL;
        switch (st.st_mode & S_IFMT) {
        case S_IFREG:
                return NULL;
        case S_IFDIR:
                return "directory";
        case S_IFLNK:
                return "symlink";
        case S_IFIFO:
                return "FIFO (named pipe)";
        case S_IFSOCK:
                return "socket";
        case S_IFCHR:
                return "character device";
        case S_IFBLK:
                return "block device";
        default:
                return "special file";
        }
}

int write_all(int fd, const void *data, size_t size) {
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

static int read_mnt_id(int fd, int *ret) {
        char p[64];
        _cleanup_free_ char *data = NULL;
        const char *s;

        snprintf(p, sizeof(p), "/proc/self/fdinfo/%i", fd);
        if (read_full_file(p, 64 * 1024, &data, NULL) < 0)
                return -EOPNOTSUPP;
        s = strstr(data, "\nmnt_id:");
        if (!s)
                return -EOPNOTSUPP;
        *ret = atoi(s + strlen("\nmnt_id:"));
        return 0;
}

int file_is_mount_point_at(int dfd, const char *name) {
        struct statx sx = {};
        _cleanup_close_ int fd = -1;
        int a, b;

        if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &sx) < 0)
                return negative_errno();
        if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
                return !!(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);

        /* Kernels before 5.8: compare the mount ids of the entry and of the
         * directory it is in. */
        fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (read_mnt_id(fd, &a) < 0 || read_mnt_id(dfd, &b) < 0)
                return 0;
        return a != b;
}

int file_is_mount_point(const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);
        _cleanup_close_ int dfd = -1;
        const char *base = path_basename(path);

        if (!dir)
                return -ENOMEM;
        if (isempty(base))
                return 1; /* "/" */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        return file_is_mount_point_at(dfd, base);
}

bool file_is_torn_write(const char *content, size_t size, const char *old, size_t old_size, const char *new,
                        size_t new_size) {
        size_t p = 0, s;

        /* p: how far content agrees with new. */
        while (p < size && p < new_size && content[p] == new[p])
                p++;
        /* Stopped before reaching the end of old: new[0..k) + old[k..), for
         * any k <= p from which content agrees with old to the end. */
        if (size == old_size) {
                s = size;
                while (s > 0 && content[s - 1] == old[s - 1])
                        s--;
                if (s <= p)
                        return true;
        }
        /* Stopped past the end of old: a prefix of new. */
        return size >= old_size && p == size;
}

/* A target that is a mount point: the same inode is rewritten. Content
 * first, then the length, so that an interruption leaves new[0..k) +
 * old[k..) (see file_is_torn_write()). */
static int write_in_place(int dfd, const char *name, const void *data, size_t size) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        const char *p = data;
        size_t done = 0;

        fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        while (done < size) {
                ssize_t n = pwrite(fd, p + done, size - done, (off_t) done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                done += n;
        }
        /* Test hook: killed with the content written, not yet cut to its
         * length (what a shorter new content leaves then: its old tail). */
        test_hook_crash("in-place-%s", name);
        if (ftruncate(fd, (off_t) size) < 0)
                return negative_errno();
        if (fsync(fd) < 0)
                return negative_errno();
        return 0;
}

static unsigned random_u32(void) {
        unsigned v;

        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t) sizeof(v))
                return v;
        return (unsigned) time(NULL) ^ ((unsigned) getpid() << 16) ^ (unsigned) clock();
}

int write_file_atomic_at(int dfd, const char *name, const void *data, size_t size, mode_t mode_if_new) {
        _cleanup_close_ int fd = -1;
        char tmp[256];
        struct stat st;
        bool exists;
        int r;

        if (isempty(name) || strchr(name, '/'))
                return -EINVAL;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
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

        if (exists) {
                r = file_is_mount_point_at(dfd, name);
                if (r < 0)
                        return r;
                if (r > 0)
                        return write_in_place(dfd, name, data, size);
        }

        /* O_EXCL never follows a symlink planted under the temporary name. */
        for (unsigned attempt = 0;; attempt++) {
                snprintf(tmp, sizeof(tmp), ".#%.200s.%08x", name, random_u32());
                fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0)
                        break;
                if (errno != EEXIST || attempt >= 100)
                        return negative_errno();
        }

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
        if (renameat(dfd, tmp, dfd, name) < 0) {
                r = negative_errno();
                goto fail;
        }
        /* The rename itself is only durable once the directory is synced. */
        (void) fsync(dfd);
        return 0;

fail:
        (void) unlinkat(dfd, tmp, 0);
        return r;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode_if_new) {
        _cleanup_free_ char *dir = path_dirname(path);
        _cleanup_close_ int dfd = -1;

        if (!dir)
                return -ENOMEM;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        return write_file_atomic_at(dfd, path_basename(path), data, size, mode_if_new);
}

int open_dir_beneath(const char *trusted, const char *path, mode_t create_mode, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        const char *p = path;

        fd = open(root_is_host(trusted) ? "/" : trusted, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        while (*p) {
                char comp[NAME_MAX + 1];
                size_t len;
                int nfd;
                bool made = false, tried = false;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                len = strcspn(p, "/");
                if (len > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(comp, p, len);
                comp[len] = '\0';
                p += len;
                if (streq(comp, "."))
                        continue;
                if (streq(comp, ".."))
                        return -EINVAL;

                for (;;) {
                        nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (nfd >= 0 || errno != ENOENT || create_mode == 0 || tried)
                                break;
                        tried = true;
                        if (mkdirat(fd, comp, create_mode) == 0)
                                made = true;
                        else if (errno != EEXIST)
                                return negative_errno();
                }
                if (nfd < 0) {
                        struct stat st;
                        int e = errno;

                        /* A symlink where a directory must be: say so, whichever
                         * errno the kernel chose for O_NOFOLLOW|O_DIRECTORY. */
                        if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                                return -ELOOP;
                        return -e;
                }
                /* mkdirat() applies the umask; the mode asked for is the mode. */
                if (made && fchmod(nfd, create_mode) < 0) {
                        int e = errno;
                        close(nfd);
                        return -e;
                }
                close(fd);
                fd = nfd;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int write_file_beneath(const char *trusted, const char *path, const void *data, size_t size, mode_t mode_if_new,
                       mode_t dir_mode) {
        _cleanup_free_ char *dir = path_dirname(path);
        _cleanup_close_ int dfd = -1;
        int r;

        if (!dir)
                return -ENOMEM;
        r = open_dir_beneath(trusted, dir, dir_mode, &dfd);
        if (r < 0)
                return r;
        return write_file_atomic_at(dfd, path_basename(path), data, size, mode_if_new);
}

int unlink_file_beneath(const char *trusted, const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);
        _cleanup_close_ int dfd = -1;
        int r;

        if (!dir)
                return -ENOMEM;
        r = open_dir_beneath(trusted, dir, 0, &dfd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (unlinkat(dfd, path_basename(path), 0) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        /* The removal, like a rename, lasts once its directory is on
         * disk. */
        (void) fsync(dfd);
        return 0;
}

int rmdir_empty_beneath(const char *trusted, const char *path, const char *top) {
        _cleanup_free_ char *dir = path_dirname(path);

        if (!dir)
                return -ENOMEM;
        if (!path_startswith_dir(dir, top) || streq(top, "/") || streq(top, "."))
                return -EINVAL;
        for (;;) {
                _cleanup_free_ char *parent = path_dirname(dir);
                _cleanup_close_ int dfd = -1;
                int r;

                if (!parent)
                        return -ENOMEM;
                r = open_dir_beneath(trusted, parent, 0, &dfd);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                if (unlinkat(dfd, path_basename(dir), AT_REMOVEDIR) < 0)
                        return errno == ENOTEMPTY || errno == EEXIST || errno == ENOENT ? 0 : negative_errno();
                (void) fsync(dfd);
                if (streq(dir, top))
                        return 0;
                free(dir);
                dir = TAKE_PTR(parent);
        }
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
