/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Throw-away system trees for unit tests: a fresh directory under $TMPDIR
 * that stands in for "/", files written into it by their path inside it,
 * and removal of the whole tree at the end. */

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"

static inline char *tree_new(const char *name) {
        const char *tmp = getenv("TMPDIR");
        char *t;

        if (asprintf(&t, "%s/%s-XXXXXX", isempty(tmp) ? "/tmp" : tmp, name) < 0)
                abort();
        if (!mkdtemp(t))
                abort();
        return t;
}

/* A fresh directory made $TMPDIR for the rest of the test, so that what
 * the code under test leaves below $TMPDIR is counted apart from what
 * tests running beside it make. */
static inline char *tree_set_tmpdir(const char *name) {
        char *t = tree_new(name);

        if (setenv("TMPDIR", t, 1) < 0)
                abort();
        return t;
}

/* Writes content to path inside root, creating the parent directories. */
static inline int tree_write(const char *root, const char *path, const char *content) {
        _cleanup_free_ char *full = path_join(root, path), *dir = NULL;
        FILE *f;

        if (!full || !(dir = path_dirname(full)))
                return -ENOMEM;
        if (mkdir_p(dir, 0755) < 0)
                return -EIO;
        f = fopen(full, "we");
        if (!f)
                return -errno;
        fputs(content, f);
        return fclose(f) == 0 ? 0 : -EIO;
}

static inline int tree_symlink(const char *root, const char *path, const char *target) {
        _cleanup_free_ char *full = path_join(root, path), *dir = NULL;

        if (!full || !(dir = path_dirname(full)))
                return -ENOMEM;
        if (mkdir_p(dir, 0755) < 0)
                return -EIO;
        return symlink(target, full) < 0 ? -errno : 0;
}

static inline int tree_mkdir(const char *root, const char *path) {
        _cleanup_free_ char *full = path_join(root, path);
        return full ? mkdir_p(full, 0755) : -ENOMEM;
}

/* The content of path inside root, or NULL when it cannot be read. */
static inline char *tree_read(const char *root, const char *path) {
        _cleanup_free_ char *full = path_join(root, path);
        char *data = NULL;

        if (!full || read_full_file(full, 0, &data, NULL) < 0)
                return NULL;
        return data;
}

/* How many entries of dir (any directory, not only a tree's) have names
 * starting with prefix (NULL: all, "." and ".." too); -1 when it cannot be
 * read. What a test counts before and after to see what was left behind:
 * temporary files, open fds (in /proc/self/fd). */
static inline int tree_count_entries(const char *dir, const char *prefix) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                n += !prefix || startswith(de->d_name, prefix) != NULL;
        closedir(d);
        return n;
}

static inline int tree_exists(const char *root, const char *path) {
        _cleanup_free_ char *full = path_join(root, path);
        struct stat st;
        return full && lstat(full, &st) == 0;
}

static inline int tree_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (flag == FTW_DP)
                (void) rmdir(p);
        else
                (void) unlink(p);
        return 0;
}

static inline void tree_remove(char *root) {
        if (!root)
                return;
        (void) nftw(root, tree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}
