/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Texts that a command this process runs reads by name (diff's two sides,
 * the environment files sh sources, the daemon.json "dockerd --validate"
 * checks), without leaving anything behind when this process is killed
 * while the command runs: each text is a close-on-exec memfd, named through
 * this process's /proc entry, which lives while it waits for the command.
 * Where that cannot be (no /proc in a chroot that builds an image, memfds
 * refused by a system call filter), or when on_disk is set before the first
 * text, the texts are files (0600) in a private directory (0700) below
 * $TMPDIR or /tmp, removed by text_files_done().
 *
 *     _cleanup_(text_files_done) TextFiles t = {};
 *     const char *path;
 *     r = text_files_add(&t, "daemon.json", data, size, &path);
 */
typedef struct TextFiles {
        bool on_disk;  /* files below /tmp: set by the caller, or on the way */
        char *dir;     /* their directory, once made */
        size_t n;
        int *fds;      /* -1 for a file */
        char **paths;  /* the names the command opens them by */
} TextFiles;

/* Adds a text; *ret_path (owned by t) is the name to give the command. name
 * labels the memfd (as /proc/PID/fd shows it). */
int text_files_add(TextFiles *t, const char *name, const void *data, size_t size, const char **ret_path);

/* text with each of t's paths (where a whole path, not the start of a
 * longer one) replaced by the name at the same index of names: what a
 * command says of a text, said of the file the text came from. */
char *text_files_rename(const TextFiles *t, const char *text, char *const *names);

/* The index of the text whose path text names last (whole, as above): the
 * one a command that stops at its first error stopped at; -1 for none. */
ssize_t text_files_last_named(const TextFiles *t, const char *text);

/* Closes the memfds, removes the files and their directory. */
void text_files_done(TextFiles *t);
