/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "copy/rebase.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* The top-level fields that hold paths into the data root. */
static const char *const path_fields[] = { "LogPath", "HostnamePath", "HostsPath", "ResolvConfPath" };

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

/* If s lies below old_root, the same path below new_root. */
static char *rebased(const char *s, const char *old_root, const char *new_root) {
        const char *rest = startswith(s, old_root);
        char *r;

        if (!rest || rest[0] != '/')
                return NULL;
        if (asprintf(&r, "%s%s", new_root, rest) < 0)
                return NULL;
        return r;
}

/* Collects (item, new value) pairs; the items stay owned by the tree. */
typedef struct Change {
        cJSON *item;
        char *new_value;
} Change;

typedef struct Changes {
        Change *c;
        size_t n;
} Changes;

static void changes_free(Changes *ch) {
        for (size_t k = 0; k < ch->n; k++)
                free(ch->c[k].new_value);
        free(ch->c);
}

static int consider(Changes *ch, cJSON *item, const char *old_root, const char *new_root) {
        Change *nc;
        char *v;

        if (!cJSON_IsString(item))
                return 0;
        v = rebased(item->valuestring, old_root, new_root);
        if (!v)
                return 0;
        nc = realloc(ch->c, (ch->n + 1) * sizeof(Change));
        if (!nc) {
                free(v);
                return -ENOMEM;
        }
        ch->c = nc;
        ch->c[ch->n++] = (Change){ item, v };
        return 0;
}

/* The JSON text of a string value, quotes included. */
static char *json_quoted(const char *s) {
        _cleanup_json_ cJSON *j = cJSON_CreateString(s);
        return j ? cJSON_PrintUnformatted(j) : NULL;
}

static size_t count_occurrences(const char *hay, const char *needle) {
        size_t n = 0, l = strlen(needle);

        for (const char *p = strstr(hay, needle); p; p = strstr(p + l, needle))
                n++;
        return n;
}

/* Replaces every occurrence of from by to. */
static char *replace_all(const char *s, const char *from, const char *to) {
        size_t fl = strlen(from), tl = strlen(to), n = count_occurrences(s, from);
        char *r, *w;

        r = w = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1);
        if (!r)
                return NULL;
        for (const char *p = s, *q; (q = strstr(p, from)); p = q + fl) {
                memcpy(w, p, q - p);
                w += q - p;
                memcpy(w, to, tl);
                w += tl;
                s = q + fl;
        }
        strcpy(w, s);
        return r;
}

int rebase_container_config(const char *json, const char *old_root, const char *new_root, char **ret,
                            unsigned *ret_paths) {
        _cleanup_json_ cJSON *orig = NULL, *patched = NULL;
        _cleanup_free_ char *o = path_normalize(old_root), *nr = path_normalize(new_root), *text = NULL;
        _cleanup_(changes_free) Changes ch = {};
        cJSON *mps, *mp;
        int r;

        if (!o || !nr)
                return -ENOMEM;
        if (streq(o, "/") || streq(nr, "/") || streq(o, nr))
                return -EINVAL;

        orig = cJSON_Parse(json);
        if (!cJSON_IsObject(orig))
                return -EBADMSG;

        for (size_t k = 0; k < ELEMENTSOF(path_fields); k++) {
                r = consider(&ch, cJSON_GetObjectItemCaseSensitive(orig, path_fields[k]), o, nr);
                if (r < 0)
                        return r;
        }
        mps = cJSON_GetObjectItemCaseSensitive(orig, "MountPoints");
        if (cJSON_IsObject(mps))
                cJSON_ArrayForEach(mp, mps) {
                        const cJSON *type = cJSON_GetObjectItemCaseSensitive(mp, "Type");
                        /* Volumes only: a bind mount's source is the user's
                         * path, wherever it is. */
                        if (!cJSON_IsString(type) || !streq(type->valuestring, "volume"))
                                continue;
                        r = consider(&ch, cJSON_GetObjectItemCaseSensitive(mp, "Source"), o, nr);
                        if (r < 0)
                                return r;
                }

        if (ch.n == 0) {
                *ret = NULL;
                *ret_paths = 0;
                return 0;
        }

        /* Edit the text, not a re-serialisation: everything but these
         * values stays byte for byte what Docker wrote. */
        text = strdup(json);
        if (!text)
                return -ENOMEM;
        for (size_t k = 0; k < ch.n; k++) {
                _cleanup_free_ char *from = json_quoted(ch.c[k].item->valuestring), *to = json_quoted(ch.c[k].new_value);
                char *t;

                if (!from || !to)
                        return -ENOMEM;
                /* Already replaced together with an equal value earlier. */
                if (!strstr(text, from)) {
                        bool done = false;
                        for (size_t j = 0; j < k; j++)
                                if (streq(ch.c[j].item->valuestring, ch.c[k].item->valuestring))
                                        done = true;
                        if (!done)
                                return -EBADMSG; /* escaped differently than cJSON would */
                        continue;
                }
                t = replace_all(text, from, to);
                if (!t)
                        return -ENOMEM;
                free(text);
                text = t;
        }

        /* The proof: the edited text must be the original with exactly these
         * values replaced, nothing else. */
        for (size_t k = 0; k < ch.n; k++)
                if (!cJSON_SetValuestring(ch.c[k].item, ch.c[k].new_value))
                        return -ENOMEM;
        patched = cJSON_Parse(text);
        if (!patched || !cJSON_Compare(orig, patched, true))
                return -EBADMSG;

        *ret_paths = (unsigned) ch.n;
        *ret = TAKE_PTR(text);
        return 0;
}

int rebase_container_configs(const char *new_root, const char *old_root, unsigned *ret_files,
                             unsigned *ret_paths) {
        _cleanup_free_ char *dir = path_join(new_root, "containers");
        _cleanup_(closedirp) DIR *d = NULL;
        unsigned files = 0, paths = 0;
        struct dirent *de;
        int r;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        goto done; /* no containers at all */
                return negative_errno();
        }

        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *cdir = NULL, *f = NULL, *json = NULL, *out = NULL;
                unsigned n = 0;

                if (de->d_name[0] == '.')
                        continue;
                cdir = path_join(dir, de->d_name);
                f = cdir ? path_join(cdir, "config.v2.json") : NULL;
                if (!f)
                        return -ENOMEM;
                r = read_full_file(f, 0, &json, NULL);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                r = rebase_container_config(json, old_root, new_root, &out, &n);
                if (r < 0)
                        return r;
                if (!out)
                        continue;
                r = write_file_atomic(f, out, strlen(out), 0600);
                if (r < 0)
                        return r;
                files++;
                paths += n;
        }
        if (errno != 0)
                return negative_errno();

done:
        if (ret_files)
                *ret_files = files;
        if (ret_paths)
                *ret_paths = paths;
        return 0;
}
