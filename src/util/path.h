/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The system root that configuration is read from and written to: NULL or "/"
 * for the running host, otherwise a directory holding a whole tree (an offline
 * image, a test fixture). Every path the program reasons about is an absolute
 * path *inside* that root; only the I/O layer prefixes it. */

/* Returns malloc'ed root + path ("/" root or NULL → a copy of path). */
char *root_path(const char *root, const char *path);

/* True when root names the running host. */
bool root_is_host(const char *root);

/* Joins two path components with exactly one '/' between them. */
char *path_join(const char *a, const char *b);

/* Resolves symlinks of an absolute path inside root, the way the kernel would
 * if root were "/": absolute link targets stay inside root. Components that do
 * not exist are appended unresolved. Returns the path inside root (without the
 * prefix). Used to find where a config file really is, and whether the data
 * root is reached through a link. */
int chase_path(const char *root, const char *path, char **ret);

/* Resolves an absolute path inside root exactly as the kernel would: each
 * symlink is followed where it is met, and ".." steps up from the directory
 * reached so far, not from what the path spells ("/mnt/lnk/../data" with lnk
 * a link to /srv/x is /srv/data). Components that do not exist are appended
 * as written; a ".." after one of them is -ENOENT (the kernel cannot go up
 * from a directory that is not there), a component below an existing
 * non-directory -ENOTDIR, too many links -ELOOP. Returns the path inside
 * root. */
int path_resolve_physical(const char *root, const char *path, char **ret);

/* The one canonical form of an absolute path a user gave: resolved as the
 * kernel does (path_resolve_physical()) into *ret. Returns 0, or 1 when the
 * path reads two ways: a ".." after a symlink, which a shell's "cd" takes
 * lexically and the kernel after the link; *ret_other (may be NULL) then
 * gets the lexical reading, resolved. Negative: the errors of the
 * resolution. */
int path_canonicalize(const char *root, const char *path, char **ret, char **ret_other);

/* Creates the directory path (absolute, normalised) with its missing
 * parents, never through a symlink: each component is opened with
 * O_NOFOLLOW from its parent's descriptor, so that a link planted anywhere
 * on the way is -ELOOP or -ENOTDIR, not followed. *ret_created (may be NULL)
 * gets the topmost directory it made (NULL when all existed); *ret_fd (may
 * be NULL) an O_DIRECTORY descriptor of path. */
int mkdir_p_nofollow(const char *path, mode_t mode, char **ret_created, int *ret_fd);

/* Lexically normalises an absolute path: "//" → "/", "/./" → "/", drops a
 * trailing "/", resolves ".." textually. */
char *path_normalize(const char *path);

bool path_is_absolute(const char *p);

/* Whether child equals parent or lies below it (lexically). */
bool path_startswith_dir(const char *child, const char *parent);

const char *path_basename(const char *p);
/* malloc'ed dirname. */
char *path_dirname(const char *p);
