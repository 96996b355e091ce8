/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/text-files.h"

/* The text in a memfd and the name another process opens it by. */
static int text_in_memory(const char *name, const void *data, size_t size, int *ret_fd, char **ret_path) {
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC);
        _cleanup_free_ char *p = NULL;
        int r;

        if (fd < 0)
                return negative_errno();
        r = write_all(fd, data, size);
        if (r < 0)
                return r;
        if (asprintf(&p, "/proc/%d/fd/%d", (int) getpid(), fd) < 0)
                return -ENOMEM;
        if (access(p, R_OK) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        *ret_path = TAKE_PTR(p);
        return 0;
}

/* The text in a file of the private directory, named by its index. */
static int text_on_disk(TextFiles *t, const void *data, size_t size, char **ret_path) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (!t->dir) {
                const char *tmp = secure_getenv("TMPDIR");
                _cleanup_free_ char *d = NULL;

                if (asprintf(&d, "%s/docker-relocate-text.XXXXXX", isempty(tmp) ? "/tmp" : tmp) < 0)
                        return -ENOMEM;
                if (!mkdtemp(d))
                        return negative_errno();
                t->dir = TAKE_PTR(d);
        }
        if (asprintf(&p, "%s/%zu", t->dir, t->n) < 0)
                return -ENOMEM;
        r = write_file_atomic(p, data, size, 0600);
        if (r < 0) {
                (void) unlink(p);
                return r;
        }
        *ret_path = TAKE_PTR(p);
        return 0;
}

int text_files_add(TextFiles *t, const char *name, const void *data, size_t size, const char **ret_path) {
        _cleanup_free_ char *p = NULL;
        int fd = -1, r = -EOPNOTSUPP;
        int *fds;
        char **paths;

        if (!t->on_disk) {
                r = text_in_memory(name, data, size, &fd, &p);
                if (r == -ENOMEM)
                        return r;
                t->on_disk = r < 0;
        }
        if (t->on_disk) {
                r = text_on_disk(t, data, size, &p);
                if (r < 0)
                        return r;
        }

        fds = reallocarray(t->fds, t->n + 1, sizeof(int));
        if (fds)
                t->fds = fds;
        paths = reallocarray(t->paths, t->n + 2, sizeof(char *));
        if (paths)
                t->paths = paths;
        if (!fds || !paths) {
                if (fd >= 0)
                        close(fd);
                else
                        (void) unlink(p);
                return -ENOMEM;
        }
        t->fds[t->n] = fd;
        t->paths[t->n] = TAKE_PTR(p);
        t->paths[++t->n] = NULL;
        *ret_path = t->paths[t->n - 1];
        return 0;
}

/* The paths end in a number (an fd, an index), so a match followed by a
 * digit is the start of another one's (".../fd/4" of ".../fd/40"); any
 * other character ends it (".../fd/4: line 3", ".../fd/4.") */
static bool continues_path(char c) {
        return c >= '0' && c <= '9';
}

/* The first place at or after from where path is named whole, or NULL. */
static const char *find_whole(const char *from, const char *path) {
        size_t len = strlen(path);

        for (const char *at = from; (at = strstr(at, path)); at += len)
                if (!continues_path(at[len]))
                        return at;
        return NULL;
}

char *text_files_rename(const TextFiles *t, const char *text, char *const *names) {
        char *s = strdup(text);

        for (size_t i = 0; s && i < t->n; i++) {
                const char *at = s;

                while ((at = find_whole(at, t->paths[i]))) {
                        char *x;
                        size_t off = at - s;

                        if (asprintf(&x, "%.*s%s%s", (int) off, s, names[i], at + strlen(t->paths[i])) < 0)
                                x = NULL;
                        free(s);
                        s = x;
                        if (!s)
                                break;
                        at = s + off + strlen(names[i]);
                }
        }
        return s;
}

ssize_t text_files_last_named(const TextFiles *t, const char *text) {
        const char *last = NULL;
        ssize_t which = -1;

        for (size_t i = 0; i < t->n; i++)
                for (const char *at = text; (at = find_whole(at, t->paths[i])); at++)
                        if (!last || at > last) {
                                last = at;
                                which = (ssize_t) i;
                        }
        return which;
}

void text_files_done(TextFiles *t) {
        for (size_t i = 0; i < t->n; i++) {
                if (t->fds[i] >= 0)
                        close(t->fds[i]);
                else
                        (void) unlink(t->paths[i]);
                free(t->paths[i]);
        }
        if (t->dir)
                (void) rmdir(t->dir);
        free(t->dir);
        free(t->fds);
        free(t->paths);
        *t = (TextFiles) { .on_disk = false };
}
