/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The largest file read_full_file() reads by default. Configuration files of
 * several MiB exist (a daemon.json with thousands of labels); a larger one is
 * refused rather than read in part. */
#define READ_FULL_FILE_MAX (64u * 1024u * 1024u)

typedef enum ReadFlags {
        READ_NOFOLLOW = 1 << 0, /* the last component must not be a symlink: -ELOOP */
} ReadFlags;

/* Reads a whole regular file (at most max_size bytes, 0 for READ_FULL_FILE_MAX)
 * and NUL-terminates it. Never blocks: the file is opened O_NONBLOCK and must
 * be a regular file, so a FIFO or a device in its place is an error, not a
 * hang. -ENOENT when missing, -EISDIR for a directory, -EBADFD for any other
 * kind of file (FIFO, socket, device), -EFBIG when larger than max_size. */
int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size);
int read_full_file_flags(const char *path, size_t max_size, ReadFlags flags, char **ret_data, size_t *ret_size);

/* "FIFO", "directory", "socket", ... for messages about a path that is not a
 * regular file; NULL when it is one or does not exist. Does not follow a
 * symlink at the last component ("symlink"). */
const char *file_type_name(const char *path);

/* Writes all of data to fd, retrying short writes and EINTR. */
int write_all(int fd, const void *data, size_t size);

/* Writes data so that readers see either the old or the new file, never a
 * torn one: a temporary file in the same directory (created O_EXCL, never
 * through a symlink), the old file's mode and owner (or mode_if_new), fsync,
 * rename over the target, fsync of the directory. Refuses (-ELOOP) when path
 * is a symlink: callers resolve first, so that a link is never silently
 * replaced by a regular file; -EBADFD when it is not a regular file.
 *
 * A target that is a mount point (a file bind-mounted over, as in containers
 * and some images) cannot be replaced by rename (EBUSY): it is written in
 * place instead, content first then truncated to size, and fsynced. Such a
 * write is not atomic; callers keep a backup first (the configuration's
 * write-ahead record does) and recognise a torn write by
 * file_is_torn_write(). */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode_if_new);

/* The same relative to a directory fd. */
int write_file_atomic_at(int dfd, const char *name, const void *data, size_t size, mode_t mode_if_new);

/* Opens the directory path below trusted (NULL or "/": the host's root) the
 * way a planted symlink cannot redirect: trusted itself is opened as it is,
 * every component below it with O_NOFOLLOW, so a symlink on the way gives
 * -ELOOP and a file -ENOTDIR. With create_mode != 0, missing directories are
 * made with exactly that mode (not subject to the umask). Returns an
 * O_DIRECTORY fd. */
int open_dir_beneath(const char *trusted, const char *path, mode_t create_mode, int *ret_fd);

/* write_file_atomic() of path (inside trusted) through open_dir_beneath():
 * missing directories are created with dir_mode. */
int write_file_beneath(const char *trusted, const char *path, const void *data, size_t size, mode_t mode_if_new,
                       mode_t dir_mode);

/* Whether path (or name in dfd) is the root of a mount: 1, 0, or a negative
 * errno (-ENOENT when missing). A symlink at the last component is not
 * followed. */
int file_is_mount_point(const char *path);
int file_is_mount_point_at(int dfd, const char *name);

/* Whether content is what an interrupted in-place write (see
 * write_file_atomic()) of new over old leaves behind: the first k bytes of
 * new followed by the rest of old, for some k, or new followed by the tail of
 * old that the final truncate did not cut yet. */
bool file_is_torn_write(const char *content, size_t size, const char *old, size_t old_size, const char *new,
                        size_t new_size);

/* Removes the file path (inside trusted) through open_dir_beneath(), and
 * syncs its directory; a file (or directory on the way) that is not there
 * is no error. */
int unlink_file_beneath(const char *trusted, const char *path);
/* Removes the directories of path (inside trusted), its own first, up to and
 * including top (an ancestor of path), each only while it is empty: returns
 * 0 at the first that holds something, or is not there, and -EINVAL when top
 * is not above path. Syncs the directory each removal changed. */
int rmdir_empty_beneath(const char *trusted, const char *path, const char *top);

/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);

/* Copies a file's bytes, mode and owner to a new path (atomically). */
int copy_file_atomic(const char *from, const char *to);

bool file_exists(const char *path);
bool dir_exists(const char *path);
/* Whether anything but directories lies below dir, on dir's filesystem: 1
 * yes, 0 no (also when dir does not exist), or a negative errno. */
int dir_holds_files(const char *dir);

/* Whether two files have exactly the same content (missing == missing). */
int files_equal(const char *a, const char *b);
