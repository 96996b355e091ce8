/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads a whole regular file (at most max_size bytes, 0 for the 16 MiB
 * default) and NUL-terminates it. -ENOENT when missing, -EFBIG when larger. */
int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size);

/* Writes data so that readers see either the old or the new file, never a
 * torn one: a temporary file in the same directory, the old file's mode and
 * owner (or mode_if_new), fsync, rename over the target, fsync of the
 * directory. Refuses (-ELOOP) when path is a symlink: callers resolve first, so
 * that a link is never silently replaced by a regular file. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode_if_new);

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
