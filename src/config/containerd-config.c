/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading containerd's configuration as containerd does: its unit or
 * script and flags, its config file and the imports it pulls in, the root
 * and state directories they set. Asking the containerd binary (its
 * version, "containerd config dump") is containerd-binary.c; planning a
 * new root is containerd-plan.c. */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/containerd-binary.h"
#include "config/containerd-config.h"
#include "config/containerd-internal.h"
#include "config/envfile.h"
#include "config/unit.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

void containerd_config_done(ContainerdConfig *c) {
        source_set_done(&c->sources);
        free(c->unit_file);
        strv_free(c->argv);
        free(c->binary);
        free(c->config_path);
        for (size_t i = 0; i < c->n_files; i++) {
                free(c->files[i].path);
                toml_doc_done(&c->files[i].doc);
                strv_free(c->files[i].imports);
        }
        free(c->files);
        strv_free(c->imports);
        free(c->root_dir);
        free(c->root_dir_source);
        free(c->config_root_dir);
        free(c->state_dir);
        free(c->state_dir_source);
        free(c->config_state_dir);
        free(c->address);
        strv_free(c->plugin_dirs);
        free(c->error);
        strv_free(c->warnings);
        strv_free(c->unprovable);
        *c = (ContainerdConfig){};
}

/* A finding that keeps containerd's configuration from being known, in
 * both lists once. */
static int add_unprovable(ContainerdConfig *c, const char *format, ...) _printf_(2, 3);
static int add_unprovable(ContainerdConfig *c, const char *format, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (strv_contains(c->unprovable, s))
                return 0;
        r = strv_extend(&c->unprovable, s);
        if (r >= 0)
                r = strv_extend(&c->warnings, s);
        return r;
}

/* containerd's global options (urfave/cli on Go's flag package: one or two
 * dashes, "=value" or the next word). The first word that is not an option
 * is a subcommand. */
typedef struct ContainerdFlags {
        const char *config, *root, *state, *address;
} ContainerdFlags;

static void parse_flags(char *const *argv, ContainerdFlags *ret) {
        static const char *const with_value[] = { "config", "c", "root", "state", "address", "a", "log-level", "l" };
        ContainerdFlags f = {};

        for (size_t i = 1; argv && argv[0] && argv[i]; i++) {
                const char *w = argv[i], *name, *eq, *value = NULL;
                _cleanup_free_ char *n = NULL;
                bool takes = false;

                if (w[0] != '-' || streq(w, "-") || streq(w, "--"))
                        break;
                name = w + (w[1] == '-' ? 2 : 1);
                eq = strchr(name, '=');
                n = eq ? strndup(name, eq - name) : strdup(name);
                if (!n)
                        break;
                for (size_t k = 0; k < ELEMENTSOF(with_value); k++)
                        if (streq(n, with_value[k]))
                                takes = true;
                if (eq)
                        value = eq + 1;
                else if (takes && argv[i + 1])
                        value = argv[++i];
                if (!value)
                        continue;
                if (streq(n, "config") || streq(n, "c"))
                        f.config = value;
                else if (streq(n, "root"))
                        f.root = value;
                else if (streq(n, "state"))
                        f.state = value;
                else if (streq(n, "address") || streq(n, "a"))
                        f.address = value;
        }
        *ret = f;
}

static int load_unit(ContainerdConfig *c) {
        UnitInfo u = {};
        Env env = {};
        WordList words = {};
        _cleanup_strv_free_ char **problems = NULL;
        int r;

        r = unit_load(&c->sources, "containerd.service", &u);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (u.masked || !u.fragment || u.n_exec == 0)
                goto finish;
        r = free_and_strdup(&c->unit_file, u.fragment);
        for (size_t i = 0; r >= 0 && i < u.environment.n; i++) {
                const EnvVar *v = &u.environment.vars[i];
                r = env_set(&env, v->name, &v->value, v->src, v->line);
        }
        STRV_FOREACH(f, u.env_files) {
                const char *p = *f + (**f == '-');
                uint32_t id;

                if (r < 0)
                        break;
                r = source_set_load(&c->sources, p, &id);
                if (r == -ENOENT) {
                        r = 0;
                        continue;
                }
                if (r >= 0)
                        r = env_parse(&env, &c->sources, id, ENV_SYNTAX_SYSTEMD, &problems);
        }
        if (r >= 0) {
                _cleanup_strv_free_ char **unknown = NULL;
                const UnitExecStart *e = &u.exec[u.n_exec - 1];

                r = unit_exec_to_words(e, u.name, &env, &words, &unknown);
                /* Its --config, --root or --state may be what is not
                 * known. */
                if (r >= 0)
                        r = unit_words_unknown(&words, &unknown);
                STRV_FOREACH(w, unknown)
                        if (r >= 0)
                                r = add_unprovable(c, "%s:%u: %s", c->sources.files[e->src].path, e->line, *w);
                STRV_FOREACH(w, u.unprovable)
                        if (r >= 0)
                                r = add_unprovable(c, "%s", *w);
        }
        if (r >= 0) {
                c->argv = word_list_to_strv(&words);
                if (!c->argv)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = unit_exec_program(c->root, c->argv[0], &c->binary);
finish:
        word_list_done(&words);
        env_done(&env);
        unit_info_done(&u);
        return r;
}

/* The major version of the containerd that reads the files, where it
 * matters: the binary containerd.service runs, asked (once a process: a
 * plan reads the configuration several times) when c says so; else 2 for a
 * main file of version 3 or later, 2.x's format, with a warning when the
 * binary could not tell. 0 when nothing tells; why the binary did not is
 * then in *ret_why (NULL when it was not asked). */
static int reader_major(ContainerdConfig *c, char **ret_why) {
        static struct {
                char *binary;
                int major;
                char *why;
        } asked = { .major = -1 };
        int r;

        if (c->major > 0)
                return 0;
        if (c->ask_major) {
                if (asked.major < 0 || !streq_ptr(asked.binary, c->binary)) {
                        _cleanup_free_ char *why = NULL, *b = NULL;

                        r = containerd_binary_major(c->binary, &why);
                        if (r == -ENOMEM || (c->binary && !(b = strdup(c->binary))))
                                return -ENOMEM;
                        free(asked.binary);
                        asked.binary = TAKE_PTR(b);
                        free(asked.why);
                        asked.why = TAKE_PTR(why);
                        asked.major = r > 0 ? r : 0;
                }
                c->major = asked.major;
                if (c->major == 0 && asked.why && !(*ret_why = strdup(asked.why)))
                        return -ENOMEM;
        }
        if (c->major == 0 && c->n_files > 0 && c->files[0].version >= 3) {
                c->major = 2;
                if (*ret_why) {
                        r = strv_extendf_unique(&c->warnings,
                                                "%s: which containerd reads it is not known (%s); its imports are "
                                                "read as containerd 2.x reads them, as its version %lld is 2.x's "
                                                "format.",
                                                c->files[0].path, *ret_why, c->files[0].version);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The pattern of one import of file parent as the containerd that reads
 * it resolves it: cleaned, relative to parent's directory; a relative glob
 * containerd 1.x matches from its working directory, "/" (2.x from
 * parent's directory: containerd pull request 9746). NULL on OOM. */
static char *import_pattern(const ContainerdConfig *c, const char *parent, const char *imp) {
        _cleanup_free_ char *dir = NULL, *joined = NULL;

        if (path_is_absolute(imp))
                return path_normalize(imp);
        if (strchr(imp, '*') && c->major == 1)
                dir = strdup("/");
        else
                dir = path_dirname(parent);
        joined = dir ? path_join(dir, imp) : NULL;
        return joined ? path_normalize(joined) : NULL;
}

/* The import paths of file f (where: "FILE:LINE:COL" of its imports): each
 * pattern resolved by import_pattern(); one with a '*' is expanded
 * (matches in byte order, as Go's filepath.Glob returns them), with the
 * files of an overlay counted in. */
static int resolve_imports(ContainerdConfig *c, size_t f, const char *where, char *const *imports, char ***pending) {
        int r;

        STRV_FOREACH(imp, imports) {
                bool relative_glob = !path_is_absolute(*imp) && strchr(*imp, '*');
                _cleanup_free_ char *pattern = NULL, *why = NULL;

                if (relative_glob && (r = reader_major(c, &why)) < 0)
                        return r;
                pattern = import_pattern(c, c->files[f].path, *imp);
                if (!pattern)
                        return -ENOMEM;
                if (relative_glob && c->major == 0) {
                        r = add_unprovable(c,
                                           "%s: the import '%s' is a relative pattern, which containerd 1.x matches "
                                           "from its working directory (/) and 2.x from the directory of %s; which "
                                           "containerd reads it is not known here (%s%sa main file of version 3 "
                                           "is 2.x's format): write the pattern as an absolute path",
                                           where, *imp, c->files[f].path, strempty(why), why ? "; " : "");
                        if (r < 0)
                                return r;
                }
                if ((r = strv_extend(&c->files[f].imports, pattern)) < 0 ||
                    (!strv_contains(c->imports, pattern) && (r = strv_extend(&c->imports, pattern)) < 0))
                        return r;

                if (!strchr(pattern, '*')) {
                        r = strv_extend(pending, pattern);
                        if (r < 0)
                                return r;
                        continue;
                }

                _cleanup_free_ char *full = root_path(c->root, pattern);
                _cleanup_strv_free_ char **matches = NULL;
                size_t prefix = root_is_host(c->root) ? 0 : strlen(c->root);
                glob_t g = {};

                if (!full)
                        return -ENOMEM;
                /* Go's "*" matches a leading dot too. */
                r = glob(full, GLOB_NOSORT | GLOB_PERIOD, NULL, &g);
                if (r != 0 && r != GLOB_NOMATCH) {
                        globfree(&g);
                        return r == GLOB_NOSPACE ? -ENOMEM : -EIO;
                }
                for (size_t k = 0; r == 0 && k < g.gl_pathc; k++) {
                        const char *m = g.gl_pathv[k] + prefix, *b = path_basename(m), *over;

                        if (streq(b, ".") || streq(b, ".."))
                                continue;
                        if (source_set_overlay_get(&c->sources, m, &over) > 0 && !over)
                                continue; /* deleted by the plan */
                        if (!strv_contains(matches, m) && strv_extend(&matches, m) < 0) {
                                globfree(&g);
                                return -ENOMEM;
                        }
                }
                globfree(&g);
                STRV_FOREACH(o, c->sources.overlay_paths) {
                        const char *over;
                        if (fnmatch(pattern, *o, FNM_PATHNAME) == 0 && !strv_contains(matches, *o) &&
                            source_set_overlay_get(&c->sources, *o, &over) > 0 && over &&
                            (r = strv_extend(&matches, *o)) < 0)
                                return r;
                }
                strv_sort(matches);
                r = strv_extend_strv(pending, matches);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Directories a plugin keeps its data in, set in a file: a snapshotter's
 * "root_path", the opt plugin's "path" (Debian sets it to
 * /var/lib/containerd/opt). They do not follow the root when it changes. */
int containerd_collect_plugin_dirs(const TomlDoc *doc, char ***dirs) {
        for (size_t k = 0; k < doc->n; k++) {
                const TomlKeyValue *kv = &doc->kv[k];
                char *e;
                int r;

                if (strv_length(kv->table) != 2 || !streq(kv->table[0], "plugins") || strv_length(kv->key) != 1 ||
                    kv->type != TOML_STRING || isempty(kv->string))
                        continue;
                if (!streq(kv->key[0], "root_path") &&
                    !(streq(kv->key[0], "path") && streq(kv->table[1], "io.containerd.internal.v1.opt")))
                        continue;
                if (asprintf(&e, "%s=%s", kv->table[1], kv->string) < 0)
                        return -ENOMEM;
                /* A later file's value for the same plugin replaces it. */
                for (size_t i = 0; *dirs && (*dirs)[i]; i++) {
                        const char *eq = strchr((*dirs)[i], '=');
                        if (eq && (size_t) (eq - (*dirs)[i]) == strlen(kv->table[1]) &&
                            strneq((*dirs)[i], kv->table[1], eq - (*dirs)[i])) {
                                free((*dirs)[i]);
                                (*dirs)[i] = e;
                                e = NULL;
                                break;
                        }
                }
                if (e && (r = strv_consume(dirs, e)) < 0)
                        return r;
        }
        return 0;
}

static int add_file(ContainerdConfig *c, const char *path, uint32_t src, TomlDoc *doc, ContainerdFile **ret) {
        ContainerdFile *n = realloc(c->files, (c->n_files + 1) * sizeof(ContainerdFile));
        const TomlKeyValue *v;
        char *p = strdup(path);

        if (n)
                c->files = n;
        if (!n || !p) {
                free(p);
                return -ENOMEM;
        }
        v = toml_get(doc, NULL, "version");
        n[c->n_files] = (ContainerdFile){
                .path = p,
                .src = src,
                .doc = *doc,
                .version = v && v->type == TOML_INTEGER ? v->integer : 0,
        };
        *doc = (TomlDoc){};
        *ret = &n[c->n_files++];
        return 0;
}

static int read_files(ContainerdConfig *c) {
        _cleanup_strv_free_ char **pending = NULL, **loaded = NULL;
        long long main_version = 0;
        int r;

        r = strv_extend(&pending, c->config_path);
        if (r < 0)
                return r;

        for (size_t next = 0; pending[next]; next++) {
                const char *path = pending[next];
                const TomlKeyValue *v;
                ContainerdFile *f;
                SourceFile *sf;
                TomlDoc doc = {};
                const char *why = NULL;
                size_t off = 0;
                uint32_t id;

                if (strv_contains(loaded, path))
                        continue;
                r = source_set_load(&c->sources, path, &id);
                if (r == -ENOENT) {
                        if (next == 0)
                                return 0; /* no config file: the defaults */
                        c->imports_cut = true;
                        return strv_extendf_unique(&c->warnings,
                                       "%s does not exist: containerd stops reading its configuration there, "
                                       "without an error.",
                                       path);
                }
                if (r == -EBADMSG || r == -EISDIR) {
                        r = asprintf(&c->error, "%s: not a text file", path);
                        return r < 0 ? -ENOMEM : 0;
                }
                if (r < 0)
                        return r;
                if (next == 0)
                        c->config_exists = true;
                sf = source_set_get(&c->sources, id);

                r = toml_parse(sf->content, sf->size, &doc, &off, &why);
                if (r == -EBADMSG) {
                        unsigned line = 0, col = 0;
                        source_position(sf, off, &line, &col);
                        r = asprintf(&c->error, "%s:%u:%u: %s", path, line, col, why);
                        return r < 0 ? -ENOMEM : 0;
                }
                if (r < 0)
                        return r;
                r = add_file(c, path, id, &doc, &f);
                if (r < 0) {
                        toml_doc_done(&doc);
                        return r;
                }
                if (next == 0)
                        main_version = f->version;
                else if (main_version != 0 && f->version > main_version) {
                        r = asprintf(&c->error, "%s: version %lld is higher than the %lld of %s: containerd 2 refuses that",
                                     path, f->version, main_version, c->config_path);
                        return r < 0 ? -ENOMEM : 0;
                }

                /* A later non-empty value overrides. */
                v = toml_get(&f->doc, NULL, "root");
                if (v && v->type == TOML_STRING && !isempty(v->string)) {
                        if ((r = free_and_strdup(&c->config_root_dir, v->string)) < 0 ||
                            (r = free_and_strdup(&c->root_dir_source, path)) < 0)
                                return r;
                        c->root_dir_file = (ssize_t) (c->n_files - 1);
                } else if (v && v->type != TOML_STRING) {
                        unsigned line, col;
                        source_position(sf, v->value_start, &line, &col);
                        r = asprintf(&c->error, "%s:%u:%u: root is not a string", path, line, col);
                        return r < 0 ? -ENOMEM : 0;
                }
                v = toml_get(&f->doc, NULL, "state");
                if (v && v->type == TOML_STRING && !isempty(v->string)) {
                        if ((r = free_and_strdup(&c->config_state_dir, v->string)) < 0 ||
                            (r = free_and_strdup(&c->state_dir_source, path)) < 0)
                                return r;
                }
                r = containerd_collect_plugin_dirs(&f->doc, &c->plugin_dirs);
                if (r < 0)
                        return r;

                r = strv_extend(&loaded, path);
                if (r < 0)
                        return r;
                v = toml_get(&f->doc, NULL, "imports");
                if (v && v->type == TOML_STRING_ARRAY) {
                        _cleanup_free_ char *where = NULL;
                        unsigned line, col;

                        source_position(sf, v->value_start, &line, &col);
                        if (asprintf(&where, "%s:%u:%u", path, line, col) < 0)
                                return -ENOMEM;
                        r = resolve_imports(c, c->n_files - 1, where, v->strings, &pending);
                        if (r < 0)
                                return r;
                } else if (v) {
                        unsigned line, col;
                        source_position(sf, v->value_start, &line, &col);
                        r = asprintf(&c->error, "%s:%u:%u: imports is not an array of strings", path, line, col);
                        return r < 0 ? -ENOMEM : 0;
                }
        }
        return 0;
}

int containerd_config_load(const char *root, InitSystem init, const SourceSet *overlay, ContainerdConfig *ret) {
        /* Another tree's containerd is not run. */
        return containerd_config_load_full(root, init, overlay, root_is_host(root) ? CONTAINERD_MAJOR_ASK : 0, ret);
}

int containerd_config_load_full(const char *root, InitSystem init, const SourceSet *overlay, int major,
                                ContainerdConfig *ret) {
        ContainerdConfig c = {
                .root = root,
                .sources.root = root,
                .root_dir_file = -1,
                .major = major > 0 ? major : 0,
                .ask_major = major == CONTAINERD_MAJOR_ASK,
        };
        ContainerdFlags fl = {};
        int r;

        if (overlay)
                for (size_t i = 0; overlay->overlay_paths && overlay->overlay_paths[i]; i++) {
                        r = source_set_overlay(&c.sources, overlay->overlay_paths[i], overlay->overlay_contents[i]);
                        if (r < 0)
                                goto fail;
                }

        c.init = init != INIT_UNKNOWN ? init : detect_init_system(root);
        if (c.init == INIT_SYSTEMD) {
                r = load_unit(&c);
                if (r < 0)
                        goto fail;
        }
        parse_flags(c.argv, &fl);

        if (fl.config) {
                _cleanup_free_ char *abs = NULL;
                /* containerd runs in "/", where a relative path leads. */
                if (!path_is_absolute(fl.config) && asprintf(&abs, "/%s", fl.config) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                c.config_path = path_normalize(abs ?: fl.config);
                c.config_from_flag = true;
        } else
                c.config_path = strdup(CONTAINERD_CONFIG_FILE);
        if (!c.config_path) {
                r = -ENOMEM;
                goto fail;
        }

        r = read_files(&c);
        if (r < 0)
                goto fail;

        if ((!c.config_root_dir && (r = free_and_strdup(&c.config_root_dir, CONTAINERD_DEFAULT_ROOT)) < 0) ||
            (!c.config_state_dir && (r = free_and_strdup(&c.config_state_dir, CONTAINERD_DEFAULT_STATE)) < 0) ||
            (!c.root_dir_source && (r = free_and_strdup(&c.root_dir_source, "default")) < 0) ||
            (!c.state_dir_source && (r = free_and_strdup(&c.state_dir_source, "default")) < 0))
                goto fail;

        /* The command line overrides the files. */
        if (!isempty(fl.root)) {
                _cleanup_free_ char *src = NULL;
                if (asprintf(&src, "--root in %s", strna(c.unit_file)) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                if ((r = free_and_strdup(&c.root_dir, fl.root)) < 0 ||
                    (r = free_and_strdup(&c.root_dir_source, src)) < 0)
                        goto fail;
                c.root_dir_from_flag = true;
        } else if ((r = free_and_strdup(&c.root_dir, c.config_root_dir)) < 0)
                goto fail;
        if (!isempty(fl.state)) {
                _cleanup_free_ char *src = NULL;
                if (asprintf(&src, "--state in %s", strna(c.unit_file)) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                if ((r = free_and_strdup(&c.state_dir, fl.state)) < 0 ||
                    (r = free_and_strdup(&c.state_dir_source, src)) < 0)
                        goto fail;
        } else if ((r = free_and_strdup(&c.state_dir, c.config_state_dir)) < 0)
                goto fail;
        if ((r = free_and_strdup(&c.address, !isempty(fl.address) ? fl.address : CONTAINERD_DEFAULT_SOCKET)) < 0)
                goto fail;

        if (!path_is_absolute(c.root_dir) &&
            (r = strv_extendf_unique(&c.warnings, "containerd's root '%s' is not an absolute path.", c.root_dir)) < 0)
                goto fail;
        STRV_FOREACH(p, c.plugin_dirs) {
                const char *eq = strchr(*p, '=');
                if (eq && !path_startswith_dir(eq + 1, c.root_dir) &&
                    (r = strv_extendf_unique(&c.warnings, "The containerd plugin %.*s keeps its data in %s, outside containerd's root.",
                                 (int) (eq - *p), *p, eq + 1)) < 0)
                        goto fail;
        }

        *ret = c;
        return 0;
fail:
        containerd_config_done(&c);
        return r;
}
