/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/source.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

void source_set_done(SourceSet *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->files[i].path);
                free(s->files[i].content);
                free(s->files[i].unsafe);
        }
        free(s->files);
        s->files = NULL;
        s->n = 0;
        for (size_t i = 0; s->overlay_paths && s->overlay_paths[i]; i++)
                free(s->overlay_contents[i]);
        free(s->overlay_contents);
        s->overlay_contents = NULL;
        s->overlay_paths = strv_free(s->overlay_paths);
}

int source_set_overlay(SourceSet *s, const char *path, const char *content) {
        size_t n = strv_length(s->overlay_paths);
        char **c;
        int r;

        c = realloc(s->overlay_contents, (n + 1) * sizeof(char *));
        if (!c)
                return -ENOMEM;
        s->overlay_contents = c;
        c[n] = content ? strdup(content) : NULL;
        if (content && !c[n])
                return -ENOMEM;
        r = strv_extend(&s->overlay_paths, path);
        if (r < 0) {
                free(c[n]);
                return r;
        }
        return 0;
}

int source_set_overlay_get(const SourceSet *s, const char *path, const char **ret_content) {
        /* The latest entry for a path wins. */
        for (size_t i = strv_length(s->overlay_paths); i > 0; i--)
                if (streq(s->overlay_paths[i - 1], path)) {
                        *ret_content = s->overlay_contents[i - 1];
                        return 1;
                }
        return 0;
}

bool path_is_vendor(const char *path) {
        return path_startswith_dir(path, "/usr/lib") || path_startswith_dir(path, "/lib") ||
               path_startswith_dir(path, "/usr/share");
}

int source_set_add(SourceSet *s, const char *path, const char *content, uint32_t *ret_id) {
        SourceFile *n;
        char *p, *c;

        p = strdup(path);
        c = strdup(content);
        n = realloc(s->files, (s->n + 1) * sizeof(SourceFile));
        if (!p || !c || !n) {
                free(p);
                free(c);
                if (n)
                        s->files = n;
                return -ENOMEM;
        }
        s->files = n;
        s->files[s->n] = (SourceFile){
                .path = p,
                .content = c,
                .size = strlen(c),
                .vendor = path_is_vendor(path),
        };
        *ret_id = (uint32_t) s->n++;
        return 0;
}

int source_set_load(SourceSet *s, const char *path, uint32_t *ret_id) {
        _cleanup_free_ char *real = NULL, *full = NULL, *data = NULL;
        const char *over;
        size_t size;
        int r;

        for (size_t i = 0; i < s->n; i++)
                if (streq(s->files[i].path, path)) {
                        *ret_id = (uint32_t) i;
                        return 0;
                }

        /* Follow symlinks inside the root: an absolute link in an offline
         * tree must not lead to the running host's file. Where the file
         * really is also decides whether it belongs to a package, and is
         * the name a plan for it uses. */
        r = chase_path(s->root, path, &real);
        if (r < 0)
                return r;

        if (source_set_overlay_get(s, path, &over) > 0 || source_set_overlay_get(s, real, &over) > 0) {
                if (!over)
                        return -ENOENT;
                r = source_set_add(s, path, over, ret_id);
        } else {
                full = root_path(s->root, real);
                if (!full)
                        return -ENOMEM;
                /* The path is resolved: a symlink at its end is one that
                 * appeared since, or a dangling one (-ENOENT, as for its
                 * readers). */
                r = read_full_file_flags(full, 0, READ_NOFOLLOW, &data, &size);
                if (r < 0)
                        return r;
                /* A NUL byte: not a text file we could reason about. */
                if (strlen(data) != size)
                        return -EBADMSG;
                r = source_set_add(s, path, data, ret_id);
        }
        if (r < 0)
                return r;
        if (path_is_vendor(real))
                s->files[*ret_id].vendor = true;
        return 0;
}

int source_load_error(const SourceSet *s, const char *path, int error, char **ret) {
        _cleanup_free_ char *real = NULL, *full = NULL, *data = NULL;
        const char *type;
        size_t size = 0;
        int r;

        r = chase_path(s->root, path, &real);
        if (r < 0)
                return r;
        full = root_path(s->root, real);
        if (!full)
                return -ENOMEM;
        type = file_type_name(full);

        switch (error) {
        case -EISDIR:
        case -EBADFD:
                r = asprintf(ret, "%s is a %s, not a regular file: its readers cannot use it (dockerd refuses to "
                                  "start); put the file there, or remove it",
                             path, type ?: "special file");
                break;
        case -EFBIG:
                r = asprintf(ret, "%s is larger than %u MiB: this program does not read it; make it smaller", path,
                             READ_FULL_FILE_MAX / (1024u * 1024u));
                break;
        case -EBADMSG: {
                unsigned line = 0, col = 0;

                if (read_full_file(full, 0, &data, &size) >= 0) {
                        SourceFile f = { .content = data, .size = size };
                        const char *z = memchr(data, '\0', size);
                        source_position(&f, z ? (size_t) (z - data) : 0, &line, &col);
                }
                r = asprintf(ret, "%s:%u:%u: a NUL byte: this is not a text file its readers take as this program "
                                  "does; remove it",
                             path, line, col);
                break;
        }
        default:
                r = asprintf(ret, "%s cannot be read: %s", path, strerror(-error));
        }
        return r < 0 ? -ENOMEM : 0;
}

SourceFile *source_set_get(SourceSet *s, uint32_t id) {
        return id < s->n ? &s->files[id] : NULL;
}

void source_position(const SourceFile *f, size_t offset, unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, col = 1;

        for (size_t i = 0; i < offset && i < f->size; i++) {
                if (f->content[i] == '\n') {
                        line++;
                        col = 1;
                } else
                        col++;
        }
        *ret_line = line;
        *ret_column = col;
}
