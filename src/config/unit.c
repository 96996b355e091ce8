/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/unit.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

const char *const unit_search_path[] = {
        "/etc/systemd/system",
        "/run/systemd/system",
        "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
        NULL,
};

void unit_info_done(UnitInfo *u) {
        free(u->name);
        free(u->fragment);
        strv_free(u->dropins);
        for (size_t i = 0; i < u->n_exec; i++)
                text_done(&u->exec[i].value);
        free(u->exec);
        strv_free(u->env_files);
        env_done(&u->environment);
        strv_free(u->unset_env);
        strv_free(u->problems);
        strv_free(u->unprovable);
        *u = (UnitInfo){};
}

static void clear_exec(UnitInfo *u) {
        for (size_t i = 0; i < u->n_exec; i++)
                text_done(&u->exec[i].value);
        free(u->exec);
        u->exec = NULL;
        u->n_exec = 0;
}

/* n bytes of s, which no file holds. */
static int append_synthetic(Text *t, const char *s, size_t n) {
        int r = 0;

        for (size_t k = 0; k < n && r >= 0; k++)
                r = text_append(t, s[k], TEXT_NO_SOURCE, 0);
        return r;
}

/* The specifiers systemd 252 knows in units besides those of the name: their
 * values come from the running system (%H, %m, %v, %a, %b, %o, ...), the
 * manager (%t, %S, %C, %h, %u, %g, %T, ...), the unit's file (%y, %Y) or
 * the version (%j, %J, %q: not in every version). */
static const char runtime_specifiers[] = "aAbBcCdEgGhHjJlLmMoqrRsStTuUvVwWyY";

int unit_expand_specifiers(const char *name, const Text *in, Text *out, char *ret_unknown, char *ret_invalid) {
        const char *dot = strrchr(name, '.');
        size_t base = dot ? (size_t) (dot - name) : strlen(name);
        /* The prefix as written is also its unescaped form when it holds
         * no escape ("-" for "/", "\x2d") and no instance. */
        bool plain = !memchr(name, '@', base) && !memchr(name, '-', base) && !memchr(name, '\\', base);
        char unknown = 0, invalid = 0;
        int r = 0;

        for (size_t i = 0; i < in->len && r >= 0; i++) {
                char sp = i + 1 < in->len ? in->s[i + 1] : 0;
                size_t at;

                /* A '%' at the very end stays, as in systemd. */
                if (in->s[i] != '%' || !sp) {
                        r = text_append_char_of(out, in, i);
                        continue;
                }
                i++;
                if (sp == 'n')
                        r = append_synthetic(out, name, strlen(name));
                else if (sp == 'N' || sp == 'p' || (plain && sp == 'P'))
                        r = append_synthetic(out, name, base);
                else if (plain && sp == 'f') {
                        r = append_synthetic(out, "/", 1);
                        if (r >= 0)
                                r = append_synthetic(out, name, base);
                } else if (sp == '%')
                        r = append_synthetic(out, "%", 1);
                else if (sp == 'i' || sp == 'I')
                        continue; /* the instance: empty */
                else {
                        /* Kept as written. After a character that is no
                         * letter or digit ("%/") that is what systemd
                         * does too; a letter or digit is a specifier:
                         * its value is not known here. */
                        at = out->len;
                        r = text_append_char_of(out, in, i - 1);
                        if (r >= 0)
                                r = text_append_char_of(out, in, i);
                        if (r < 0 || !isalnum((unsigned char)sp))
                                continue;
                        text_mark(out, at, TEXT_UNKNOWN);
                        if (strchr(runtime_specifiers, sp) || sp == 'P' || sp == 'f') {
                                if (!unknown)
                                        unknown = sp;
                        } else if (!invalid)
                                invalid = sp;
                }
        }
        if (r >= 0 && !out->s)
                r = text_append_literal(out, "");
        if (r < 0)
                return r;
        *ret_unknown = unknown;
        if (ret_invalid)
                *ret_invalid = invalid;
        return 0;
}

static int apply_setting(UnitInfo *u, SourceFile *f, uint32_t id, const char *key, Text *value, unsigned line,
                         size_t raw_start, size_t raw_end) {
        int r;

        if (streq(key, "ExecStart")) {
                UnitExecStart *n;
                size_t skip = 0;

                if (value->len == 0) {
                        /* "ExecStart=" resets the list, as a drop-in must do
                         * before it sets its own. */
                        clear_exec(u);
                        return 0;
                }
                while (skip < value->len && strchr("-@:+!", value->s[skip]))
                        skip++;
                n = realloc(u->exec, (u->n_exec + 1) * sizeof(UnitExecStart));
                if (!n)
                        return -ENOMEM;
                u->exec = n;
                n[u->n_exec] = (UnitExecStart){
                        .src = id,
                        .line = line,
                        .raw_start = raw_start,
                        .raw_end = raw_end,
                        .no_env = memchr(value->s, ':', skip),
                        .argv0 = memchr(value->s, '@', skip),
                };
                r = text_append_text(&n[u->n_exec].value, value, skip, value->len);
                if (r < 0)
                        return r;
                u->n_exec++;
                return 0;
        }

        if (streq(key, "EnvironmentFile")) {
                _cleanup_(text_done) Text path = {};
                char unknown, invalid;

                if (value->len == 0) {
                        u->env_files = strv_free(u->env_files);
                        return 0;
                }
                r = unit_expand_specifiers(u->name ?: "docker.service", value, &path, &unknown, &invalid);
                if (r < 0)
                        return r;
                if (unknown || invalid) {
                        /* Which file systemd reads is not known here:
                         * nothing that depends on it can be proved. */
                        r = strv_extendf(&u->problems,
                                "%s:%u: EnvironmentFile=%s: %s, so which file systemd reads is not known", f->path,
                                line, value->s, invalid ? UNIT_SPECIFIER_INVALID : UNIT_SPECIFIER_UNKNOWN);
                        return r < 0 ? r : strv_extend(&u->unprovable, u->problems[strv_length(u->problems) - 1]);
                }
                return strv_extend(&u->env_files, path.s);
        }

        if (streq(key, "UnsetEnvironment")) {
                _cleanup_free_ char *copy = NULL;
                char *save = NULL;

                if (value->len == 0) {
                        u->unset_env = strv_free(u->unset_env);
                        return 0;
                }
                copy = strdup(value->s);
                if (!copy)
                        return -ENOMEM;
                for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        r = strv_extend(&u->unset_env, w);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        if (streq(key, "Environment")) {
                _cleanup_(env_done) Env assigned = {};

                if (value->len == 0) {
                        env_done(&u->environment);
                        return 0;
                }
                r = env_parse_assignments(&assigned, value, id, line, &u->problems);
                /* systemd expands the specifiers of each assignment once
                 * it is unquoted and unescaped. */
                for (size_t k = 0; r >= 0 && k < assigned.n; k++) {
                        const EnvVar *v = &assigned.vars[k];
                        _cleanup_(text_done) Text x = {};
                        char unknown, invalid;

                        r = unit_expand_specifiers(u->name ?: "docker.service", &v->value, &x, &unknown, &invalid);
                        /* Unknown only matters where ExecStart= uses it (a
                         * proxy's password with "%40" in it does not), and
                         * there only where it could change what dockerd
                         * reads: its characters are marked TEXT_UNKNOWN.
                         * With a specifier systemd does not know, which of
                         * the assignments it keeps is not known: all of
                         * the value is. */
                        if (r >= 0 && (unknown || invalid))
                                r = strv_extendf(&u->problems,
                                        "%s:%u: Environment= %s=%s has %%%c: %s, so its value is not known", f->path,
                                        line, v->name, v->value.s, invalid ?: unknown,
                                        invalid ? UNIT_SPECIFIER_INVALID : UNIT_SPECIFIER_UNKNOWN);
                        if (r >= 0 && invalid)
                                text_mark(&x, 0, TEXT_UNKNOWN);
                        if (r >= 0)
                                r = env_set(&u->environment, v->name, &x, v->src, v->line);
                }
                return r;
        }

        return 0;
}

/* Reads one unit file or drop-in: sections, comments, continuation lines
 * (a trailing backslash joins the next line, replaced by a space), and hands
 * each [Service] assignment to apply_setting(). */
int unit_parse_file(UnitInfo *u, SourceSet *s, uint32_t id) {
        SourceFile *f = source_set_get(s, id);
        const char *c = f->content;
        size_t size = f->size, i = 0;
        bool in_service = false;
        unsigned lineno = 0;
        int r;

        /* A byte order mark opens the file for some editors; systemd skips
         * it, and so the "[Service]" right after it counts. */
        if (size >= 3 && memcmp(c, "\xEF\xBB\xBF", 3) == 0)
                i = 3;
        while (i < size) {
                size_t ls = i, le, stmt_line;
                lineno++;
                le = ls;
                while (le < size && c[le] != '\n')
                        le++;
                i = le < size ? le + 1 : le;

                size_t a = ls;
                while (a < le && strchr(" \t\r", c[a]))
                        a++;
                if (a >= le || c[a] == '#' || c[a] == ';')
                        continue;
                if (c[a] == '[') {
                        in_service = strneq(c + a, "[Service]", 9);
                        continue;
                }

                stmt_line = lineno;
                size_t eq = a;
                while (eq < le && c[eq] != '=')
                        eq++;
                if (eq >= le) {
                        char *m;
                        if (asprintf(&m, "%s:%u: not an assignment, ignored", f->path, lineno) < 0 ||
                            strv_consume(&u->problems, m) < 0)
                                return -ENOMEM;
                        continue;
                }
                size_t ke = eq;
                while (ke > a && strchr(" \t", c[ke - 1]))
                        ke--;
                _cleanup_free_ char *key = strndup(c + a, ke - a);
                if (!key)
                        return -ENOMEM;

                size_t vs = eq + 1;
                while (vs < le && strchr(" \t", c[vs]))
                        vs++;

                Text value = {};
                size_t raw_start = vs, cur_s = vs, cur_e = le;
                for (;;) {
                        size_t e = cur_e, run = 0;

                        /* A line continues when its very last character
                         * (before the newline, or a CRLF) is a backslash
                         * that no other backslash escapes: "\ " with a
                         * space after it, or "\\", ends the line. */
                        if (e > cur_s && c[e - 1] == '\r')
                                e--;
                        while (run < e - cur_s && c[e - 1 - run] == '\\')
                                run++;
                        bool cont = run % 2 == 1;
                        for (size_t k = cur_s; k < (cont ? e - 1 : e); k++) {
                                r = text_append(&value, c[k], id, k);
                                if (r < 0) {
                                        text_done(&value);
                                        return r;
                                }
                        }
                        if (!cont || i >= size)
                                break;
                        r = text_append(&value, ' ', TEXT_NO_SOURCE, 0);
                        if (r < 0) {
                                text_done(&value);
                                return r;
                        }
                        /* Next physical line; comment lines inside a
                         * continuation are skipped, as systemd does. */
                        for (;;) {
                                cur_s = i;
                                cur_e = cur_s;
                                while (cur_e < size && c[cur_e] != '\n')
                                        cur_e++;
                                i = cur_e < size ? cur_e + 1 : cur_e;
                                lineno++;
                                size_t t = cur_s;
                                while (t < cur_e && strchr(" \t", c[t]))
                                        t++;
                                if (t < cur_e && (c[t] == '#' || c[t] == ';') && i < size)
                                        continue;
                                break;
                        }
                }
                size_t raw_end = cur_e;
                while (raw_end > raw_start && strchr(" \t\r", c[raw_end - 1]))
                        raw_end--;
                text_rstrip(&value);
                if (!value.s)
                        (void) text_append_literal(&value, "");

                if (in_service)
                        r = apply_setting(u, f, id, key, &value, (unsigned) stmt_line, raw_start, raw_end);
                else
                        r = 0;
                text_done(&value);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cmp_basename(const void *a, const void *b) {
        return strcmp(path_basename(*(char *const *) a), path_basename(*(char *const *) b));
}

/* Adds drop-in d/file unless a higher-priority directory had the same file
 * name. An overlay entry stands in for the disk: a planned file counts as
 * present, a planned deletion as absent (so it masks nothing). */
static int consider_dropin(const SourceSet *s, const char *d, const char *file, char ***names, char ***found) {
        _cleanup_free_ char *p = NULL;
        const char *content;

        if (!endswith(file, ".conf") || file[0] == '.' || strv_contains(*names, file))
                return 0;
        p = path_join(d, file);
        if (!p)
                return -ENOMEM;
        if (source_set_overlay_get(s, p, &content) > 0 && !content)
                return 0;
        if (strv_extend(names, file) < 0 || strv_extend(found, p) < 0)
                return -ENOMEM;
        return 0;
}

/* systemd collects *.conf from every NAME.d/ (and the type-wide service.d/)
 * in the search path; a file name seen in a higher-priority directory hides
 * the same name lower down; the survivors apply sorted by file name. */
static int find_dropins(const SourceSet *s, const char *name, char ***ret) {
        const char *root = s->root;
        _cleanup_strv_free_ char **found = NULL, **names = NULL;
        const char *dot = strrchr(name, '.');
        _cleanup_free_ char *type_dir = NULL, *unit_dir = NULL;
        int r;

        if (asprintf(&unit_dir, "%s.d", name) < 0 || asprintf(&type_dir, "%s.d", dot ? dot + 1 : name) < 0)
                return -ENOMEM;

        for (const char *const *sp = unit_search_path; *sp; sp++) {
                const char *dirs[] = { unit_dir, type_dir };
                for (size_t k = 0; k < ELEMENTSOF(dirs); k++) {
                        _cleanup_free_ char *d = NULL, *real = NULL, *full = NULL;
                        DIR *dir;
                        struct dirent *de;

                        if (asprintf(&d, "%s/%s", *sp, dirs[k]) < 0)
                                return -ENOMEM;
                        r = chase_path(root, d, &real);
                        if (r < 0)
                                return r;
                        full = root_path(root, real);
                        if (!full)
                                return -ENOMEM;
                        dir = opendir(full);
                        while (dir && (de = readdir(dir))) {
                                r = consider_dropin(s, d, de->d_name, &names, &found);
                                if (r < 0) {
                                        closedir(dir);
                                        return r;
                                }
                        }
                        if (dir)
                                closedir(dir);

                        /* Planned drop-ins in this directory that do not
                         * exist yet. */
                        STRV_FOREACH(p, s->overlay_paths) {
                                _cleanup_free_ char *pd = path_dirname(*p);
                                if (!pd)
                                        return -ENOMEM;
                                if (!streq(pd, d))
                                        continue;
                                r = consider_dropin(s, d, path_basename(*p), &names, &found);
                                if (r < 0)
                                        return r;
                        }
                }
        }

        size_t n = strv_length(found);
        if (n > 1)
                qsort_safe(found, n, sizeof(char *), cmp_basename);
        *ret = TAKE_PTR(found);
        return 0;
}

int unit_load(SourceSet *s, const char *name, UnitInfo *ret) {
        UnitInfo u = { .name = strdup(name) };
        int r;

        if (!u.name)
                return -ENOMEM;

        for (const char *const *sp = unit_search_path; *sp; sp++) {
                _cleanup_free_ char *p = path_join(*sp, name), *full = NULL, *real = NULL, *real_full = NULL;
                struct stat st;

                if (!p)
                        return -ENOMEM;
                full = root_path(s->root, p);
                if (!full)
                        return -ENOMEM;
                if (lstat(full, &st) < 0)
                        continue;
                /* Links are followed inside the root: an offline tree's
                 * absolute links must not reach into the running host. A
                 * link to /dev/null masks, even when the tree has none. */
                r = chase_path(s->root, p, &real);
                if (r < 0) {
                        unit_info_done(&u);
                        return r;
                }
                if (streq(real, "/dev/null")) {
                        u.masked = true;
                        u.fragment = TAKE_PTR(p);
                        break;
                }
                real_full = root_path(s->root, real);
                if (!real_full) {
                        unit_info_done(&u);
                        return -ENOMEM;
                }
                if (access(real_full, F_OK) < 0)
                        continue; /* a dangling link */
                u.fragment = TAKE_PTR(p);
                break;
        }

        r = find_dropins(s, name, &u.dropins);
        if (r < 0) {
                unit_info_done(&u);
                return r;
        }
        if (!u.fragment && strv_length(u.dropins) == 0) {
                unit_info_done(&u);
                return -ENOENT;
        }

        if (u.fragment && !u.masked) {
                uint32_t id;
                r = source_set_load(s, u.fragment, &id);
                if (r >= 0) {
                        source_set_get(s, id)->role = SOURCE_UNIT;
                        r = unit_parse_file(&u, s, id);
                }
                if (r < 0) {
                        unit_info_done(&u);
                        return r;
                }
        }
        STRV_FOREACH(d, u.dropins) {
                uint32_t id;
                r = source_set_load(s, *d, &id);
                if (r == -ENOENT)
                        continue;
                if (r >= 0) {
                        source_set_get(s, id)->role = SOURCE_UNIT;
                        r = unit_parse_file(&u, s, id);
                }
                if (r < 0) {
                        unit_info_done(&u);
                        return r;
                }
        }

        *ret = u;
        return 0;
}
