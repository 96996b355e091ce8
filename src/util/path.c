/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

bool root_is_host(const char *root) {
        return isempty(root) || streq(root, "/");
}

char *path_join(const char *a, const char *b) {
        size_t al = strlen(a);
        char *r;

        while (al > 0 && a[al - 1] == '/')
                al--;
        while (*b == '/')
                b++;
        if (asprintf(&r, "%.*s/%s", (int) al, a, b) < 0)
                return NULL;
        return r;
}

char *root_path(const char *root, const char *path) {
        if (root_is_host(root))
                return strdup(path);
        return path_join(root, path);
}

bool path_is_absolute(const char *p) {
        return p && p[0] == '/';
}

char *path_normalize(const char *path) {
        _cleanup_strv_free_ char **parts = NULL;
        _cleanup_free_ char *copy = strdup(path);
        char *saveptr = NULL, *joined;
        size_t n = 0;

        if (!copy)
                return NULL;
        for (char *t = strtok_r(copy, "/", &saveptr); t; t = strtok_r(NULL, "/", &saveptr)) {
                if (streq(t, "."))
                        continue;
                if (streq(t, "..")) {
                        if (n > 0) {
                                free(parts[--n]);
                                parts[n] = NULL;
                        }
                        continue;
                }
                if (strv_extend(&parts, t) < 0)
                        return NULL;
                n++;
        }
        joined = strv_join(parts, "/");
        if (!joined)
                return NULL;
        if (path_is_absolute(path)) {
                char *r;
                if (asprintf(&r, "/%s", joined) < 0)
                        r = NULL;
                free(joined);
                return r;
        }
        return joined;
}

bool path_startswith_dir(const char *child, const char *parent) {
        size_t pl = strlen(parent);

        while (pl > 1 && parent[pl - 1] == '/')
                pl--;
        if (pl == 1 && parent[0] == '/')
                return child[0] == '/';
        if (strncmp(child, parent, pl) != 0)
                return false;
        return child[pl] == '\0' || child[pl] == '/';
}

const char *path_basename(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

char *path_dirname(const char *p) {
        const char *s = strrchr(p, '/');
        if (!s)
                return strdup(".");
        if (s == p)
                return strdup("/");
        return strndup(p, s - p);
}

int chase_path(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *todo = path_normalize(path), *done = strdup("");
        unsigned hops = 0;

        if (!todo || !done)
                return -ENOMEM;
        if (!path_is_absolute(todo))
                return -EINVAL;

        /* Walk component by component; on a link, splice its target in front
         * of what is left and start over from "/" (absolute) or from the
         * current directory (relative). */
        const char *rest = todo + 1;
        _cleanup_free_ char *rest_buf = NULL;
        while (*rest) {
                const char *slash = strchr(rest, '/');
                size_t len = slash ? (size_t) (slash - rest) : strlen(rest);
                _cleanup_free_ char *comp = strndup(rest, len), *cand = NULL, *full = NULL;
                char target[PATH_MAX];
                ssize_t tl;
                struct stat st;

                if (!comp)
                        return -ENOMEM;
                if (asprintf(&cand, "%s/%s", done, comp) < 0)
                        return -ENOMEM;
                full = root_path(root, cand);
                if (!full)
                        return -ENOMEM;

                if (lstat(full, &st) < 0 || !S_ISLNK(st.st_mode)) {
                        free(done);
                        done = TAKE_PTR(cand);
                        rest = slash ? slash + 1 : rest + len;
                        continue;
                }

                if (++hops > 40)
                        return -ELOOP;
                tl = readlink(full, target, sizeof(target) - 1);
                if (tl < 0)
                        return negative_errno();
                target[tl] = '\0';

                _cleanup_free_ char *spliced = NULL, *base = NULL;
                const char *after = slash ? slash + 1 : "";
                if (target[0] == '/') {
                        if (asprintf(&spliced, "%s/%s", target, after) < 0)
                                return -ENOMEM;
                } else {
                        if (asprintf(&spliced, "%s/%s/%s", isempty(done) ? "" : done, target, after) < 0)
                                return -ENOMEM;
                }
                base = path_normalize(spliced[0] == '/' ? spliced : spliced);
                if (!base)
                        return -ENOMEM;
                free(rest_buf);
                rest_buf = strdup(base[0] == '/' ? base + 1 : base);
                if (!rest_buf)
                        return -ENOMEM;
                rest = rest_buf;
                free(done);
                done = strdup("");
                if (!done)
                        return -ENOMEM;
        }

        if (isempty(done)) {
                *ret = strdup("/");
                return *ret ? 0 : -ENOMEM;
        }
        *ret = TAKE_PTR(done);
        return 0;
}

int path_resolve_physical(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *todo = NULL, *done = strdup("");
        bool missing = false;
        unsigned hops = 0;

        if (!path_is_absolute(path))
                return -EINVAL;
        todo = strdup(path);
        if (!todo || !done)
                return -ENOMEM;

        /* todo holds what is left to walk; done what is walked, each of its
         * components an existing directory (until one is missing) with no
         * link left in it, so that its dirname is the real parent. */
        for (char *rest = todo; *rest;) {
                char *slash = strchr(rest, '/'), *next = slash ? slash + 1 : rest + strlen(rest);
                _cleanup_free_ char *comp = strndup(rest, slash ? (size_t) (slash - rest) : strlen(rest));
                _cleanup_free_ char *cand = NULL, *full = NULL;
                struct stat st;

                if (!comp)
                        return -ENOMEM;
                rest = next;
                if (isempty(comp) || streq(comp, "."))
                        continue;
                if (streq(comp, "..")) {
                        char *s;

                        if (missing)
                                return -ENOENT;
                        s = strrchr(done, '/');
                        if (s)
                                *s = '\0';
                        continue;
                }
                if (asprintf(&cand, "%s/%s", done, comp) < 0)
                        return -ENOMEM;
                if (missing) {
                        free(done);
                        done = TAKE_PTR(cand);
                        continue;
                }
                full = root_path(root, cand);
                if (!full)
                        return -ENOMEM;
                if (lstat(full, &st) < 0) {
                        if (errno != ENOENT)
                                return negative_errno();
                        missing = true;
                        free(done);
                        done = TAKE_PTR(cand);
                        continue;
                }
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t tl;
                        char *spliced;

                        if (++hops > 40)
                                return -ELOOP;
                        tl = readlink(full, target, sizeof(target) - 1);
                        if (tl < 0)
                                return negative_errno();
                        target[tl] = '\0';
                        /* The link's own text comes first, then what was
                         * left; an absolute one starts over from the root,
                         * a relative one from the directory holding it. */
                        if (asprintf(&spliced, "%s/%s", target, rest) < 0)
                                return -ENOMEM;
                        free(todo);
                        todo = spliced;
                        rest = todo;
                        if (target[0] == '/')
                                done[0] = '\0';
                        continue;
                }
                if (!S_ISDIR(st.st_mode) && rest[strspn(rest, "/")] != '\0')
                        return -ENOTDIR;
                free(done);
                done = TAKE_PTR(cand);
        }

        if (isempty(done))
                return (*ret = strdup("/")) ? 0 : -ENOMEM;
        *ret = TAKE_PTR(done);
        return 0;
}

int path_canonicalize(const char *root, const char *path, char **ret, char **ret_other) {
        _cleanup_free_ char *physical = NULL, *lexical = NULL, *norm = NULL;
        int r;

        r = path_resolve_physical(root, path, &physical);
        if (r < 0)
                return r;
        norm = path_normalize(path);
        if (!norm)
                return -ENOMEM;
        /* The reading of a shell's "cd": ".." taken from the spelling, links
         * resolved after. Where it differs, the user may have meant either. */
        r = path_resolve_physical(root, norm, &lexical);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0 && streq(lexical, physical)) {
                *ret = TAKE_PTR(physical);
                return 0;
        }
        *ret = TAKE_PTR(physical);
        if (ret_other)
                *ret_other = TAKE_PTR(lexical);
        return 1;
}

int mkdir_p_nofollow(const char *path, mode_t mode, char **ret_created, int *ret_fd) {
        _cleanup_free_ char *p = path_normalize(path), *created = NULL;
        _cleanup_close_ int fd = -1;

        if (!p)
                return -ENOMEM;
        if (!path_is_absolute(p))
                return -EINVAL;
        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        for (const char *c = p + 1; *c;) {
                const char *end = strchrnul(c, '/');
                _cleanup_free_ char *name = strndup(c, (size_t) (end - c));
                int next;

                if (!name)
                        return -ENOMEM;
                next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == ENOENT) {
                        if (mkdirat(fd, name, mode) < 0 && errno != EEXIST)
                                return negative_errno();
                        if (!created && !(created = strndup(p, (size_t) (end - p))))
                                return -ENOMEM;
                        next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (next < 0)
                        return negative_errno();
                close(fd);
                fd = next;
                c = *end ? end + 1 : end;
        }

        if (ret_fd) {
                int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (d < 0)
                        return negative_errno();
                *ret_fd = d;
        }
        if (ret_created)
                *ret_created = TAKE_PTR(created);
        return 0;
}
