/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Planning containerd's new root: the one place its configuration sets it
 * (a TOML file of its own, an import, a drop-in that a glob of imports
 * matches, or a new file there), written as an edit plan, and the check
 * that the plan, read back the way containerd reads it, gives the new root.
 * Reading the configuration is containerd-config.c. */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/containerd-config.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* "DIR/PREFIX*SUFFIX" with no other pattern character: the name of a new
 * file there that the pattern matches. NULL when the pattern is not of
 * that form. */
static char *dropin_for_pattern(const char *pattern) {
        const char *base = path_basename(pattern), *star = strchr(base, '*');
        _cleanup_free_ char *dir = path_dirname(pattern);
        char *out;

        if (!dir || !star || strchr(star + 1, '*') || strpbrk(base, "?[\\") || strpbrk(dir, "*?[\\"))
                return NULL;
        if (asprintf(&out, "%s/%.*sdocker-relocate%s", streq(dir, "/") ? "" : dir, (int) (star - base), base, star + 1) < 0)
                return NULL;
        return out;
}

/* Whether import i of the main file may take a new drop-in: not a
 * relative glob read by containerd 1.x, which matches it from its working
 * directory ("/" under systemd: "conf.d/" is then /conf.d), a directory at
 * the filesystem's root that nobody looks in, and a file that containerd
 * 2.x, matching the same import from the file's directory, would no longer
 * read after an upgrade. */
static bool import_takes_dropin(const ContainerdConfig *c, const ContainerdFile *main_file, size_t i) {
        const TomlKeyValue *v = toml_get(&main_file->doc, NULL, "imports");

        /* files[].imports holds each import as written, resolved, in
         * order. */
        if (!v || v->type != TOML_STRING_ARRAY || strv_length(v->strings) != strv_length(main_file->imports))
                return false;
        return c->major != 1 || path_is_absolute(v->strings[i]) || !strchr(v->strings[i], '*');
}

/* A plugin directory inside the current root stays where the files say
 * when the root changes: the plan says so. */
static int note_plugin_dirs(const ContainerdConfig *c, EditPlan *p) {
        STRV_FOREACH(d, c->plugin_dirs) {
                const char *eq = strchr(*d, '=');
                int r;

                if (eq && path_startswith_dir(eq + 1, c->root_dir) &&
                    (r = strv_extendf_unique(&p->notes, "The containerd plugin %.*s keeps its data in %s, which stays there.",
                                 (int) (eq - *d), *d, eq + 1)) < 0)
                        return r;
        }
        return 0;
}

int containerd_plan_set_root(const ContainerdConfig *c, const char *new_root, EditPlan *ret, char **ret_refusal) {
        _cleanup_(edit_plan_done) EditPlan p = {};
        _cleanup_free_ char *want = NULL, *have = NULL, *text = NULL, *real = NULL;
        int r;

        if (!path_is_absolute(new_root))
                return error_set(ret_refusal, -ECANCELED, "containerd's root must be an absolute path: %s", new_root);
        if (!string_is_shell_safe(new_root) || !toml_string_is_plain(new_root))
                return error_set(ret_refusal, -ECANCELED, "containerd's root '%s' contains characters that would need quoting (allowed: "
                              "letters, digits and /._+-@:,).",
                              new_root);
        if (c->error)
                return error_set(ret_refusal, -ECANCELED, "%s: containerd cannot start with this configuration; fix it first, nothing was changed.",
                              c->error);
        if (c->unprovable)
                return error_set(ret_refusal, -ECANCELED, "%s; containerd's root is not changed, nothing was changed.",
                                 c->unprovable[0]);
        if (c->root_dir_from_flag)
                return error_set(ret_refusal, -ECANCELED, "containerd's root is set on its command line (%s); change it there by hand.",
                              c->root_dir_source);

        want = path_normalize(new_root);
        have = path_normalize(c->root_dir);
        if (!want || !have)
                return -ENOMEM;
        if (streq(want, have)) {
                /* Nothing to write; the place is where it is set. */
                if (c->root_dir_source && !(p.place = strdup(c->root_dir_source)))
                        return -ENOMEM;
                *ret = p;
                p = (EditPlan){};
                return 0;
        }

        if (c->root_dir_file >= 0) {
                const ContainerdFile *f = &c->files[c->root_dir_file];
                const TomlKeyValue *v = toml_get(&f->doc, NULL, "root");
                const SourceFile *sf = &c->sources.files[f->src];

                if (sf->vendor)
                        return error_set(ret_refusal, -ECANCELED, "containerd's root is set in %s, a file of the distribution's package; set it by "
                                      "hand in /etc.",
                                      f->path);
                if (!v || v->type != TOML_STRING || !v->plain) {
                        unsigned line = 0, col = 0;
                        if (v)
                                source_position(sf, v->value_start, &line, &col);
                        return error_set(ret_refusal, -ECANCELED, "%s:%u:%u: containerd's root is not a plain one-line string; change it by hand.",
                                      f->path, line, col);
                }
                r = toml_set_top_string(sf->content, &f->doc, "root", new_root, NULL, &text);
                if (r < 0)
                        return r;
                r = chase_path(c->root, f->path, &real);
                if (r >= 0)
                        r = edit_plan_add(&p, real, sf->content, text, 0644);
                if (r >= 0 && asprintf(&p.place, "%s (root)", f->path) < 0)
                        r = -ENOMEM;
                if (r < 0)
                        return r;
                for (ssize_t i = 0; i < c->root_dir_file; i++) {
                        const TomlKeyValue *o = toml_get(&c->files[i].doc, NULL, "root");
                        if (o && o->type == TOML_STRING && !isempty(o->string) &&
                            (r = strv_extendf_unique(&p.notes, "%s sets root too, to %s, which %s overrides; it is left as it is.",
                                         c->files[i].path, o->string, f->path)) < 0)
                                return r;
                }
                r = note_plugin_dirs(c, &p);
                if (r < 0)
                        return r;
                *ret = p;
                p = (EditPlan){};
                return 0;
        }

        /* Nothing sets the root: a drop-in where the main file imports a
         * directory of them, else the main file. */
        const ContainerdFile *main_file = c->config_exists && c->n_files > 0 ? &c->files[0] : NULL;
        /* A drop-in is read only when no missing import ends the reading
         * first; then the main file is the place. */
        char **imports = main_file && !c->imports_cut ? main_file->imports : NULL;
        _cleanup_free_ char *dropin = NULL;
        bool skipped = false;

        for (size_t i = strv_length(imports); i > 0 && !dropin; i--) {
                if (!import_takes_dropin(c, main_file, i - 1)) {
                        skipped = true;
                        continue;
                }
                dropin = dropin_for_pattern(imports[i - 1]);
        }
        if (dropin) {
                _cleanup_free_ char *version = NULL, *full = NULL, *old = NULL;
                const char *over;

                if (main_file->version != 0 && asprintf(&version, "version = %lld\n", main_file->version) < 0)
                        return -ENOMEM;
                if (asprintf(&text,
                             "# Written by docker-relocate: containerd's root directory. Its version is not\n"
                             "# higher than %s's, which containerd requires of an import.\n"
                             "%sroot = \"%s\"\n",
                             main_file->path, strempty(version), new_root) < 0)
                        return -ENOMEM;
                r = chase_path(c->root, dropin, &real);
                if (r < 0)
                        return r;
                /* What is there as the configuration was read: an overlay's
                 * content (NULL: the file was not there), else the disk's. */
                if (source_set_overlay_get(&c->sources, real, &over) > 0 ||
                    source_set_overlay_get(&c->sources, dropin, &over) > 0)
                        r = over && !(old = strdup(over)) ? -ENOMEM : 0;
                else {
                        full = root_path(c->root, real);
                        if (!full)
                                return -ENOMEM;
                        r = read_full_file(full, 0, &old, NULL);
                        if (r == -ENOENT)
                                r = 0;
                }
                if (r < 0)
                        return r;
                r = edit_plan_add(&p, real, old, text, 0644);
                if (r >= 0 && asprintf(&p.place, "%s (an import of %s)", dropin, main_file->path) < 0)
                        r = -ENOMEM;
                if (r < 0)
                        return r;
                r = note_plugin_dirs(c, &p);
                if (r < 0)
                        return r;
                *ret = p;
                p = (EditPlan){};
                return 0;
        }

        if (main_file) {
                const SourceFile *sf = &c->sources.files[main_file->src];

                if (sf->vendor)
                        return error_set(ret_refusal, -ECANCELED, "%s is a file of the distribution's package; set containerd's root by hand.",
                                      main_file->path);
                r = toml_set_top_string(sf->content, &main_file->doc, "root", new_root, "version", &text);
                if (r < 0)
                        return r;
                r = chase_path(c->root, main_file->path, &real);
                if (r >= 0)
                        r = edit_plan_add(&p, real, sf->content, text, 0644);
        } else {
                if (asprintf(&text,
                             "# Written by docker-relocate: containerd's root directory; everything else is\n"
                             "# containerd's default.\n"
                             "version = %d\n"
                             "root = \"%s\"\n",
                             CONTAINERD_NEW_FILE_VERSION, new_root) < 0)
                        return -ENOMEM;
                r = chase_path(c->root, c->config_path, &real);
                if (r >= 0)
                        r = edit_plan_add(&p, real, NULL, text, 0644);
        }
        if (r >= 0 && asprintf(&p.place, "%s (root)", c->config_path) < 0)
                r = -ENOMEM;
        if (r >= 0 && skipped)
                r = strv_extendf_unique(&p.notes,
                                        "%s imports a relative pattern, which containerd 1.x matches from its "
                                        "working directory and 2.x from the file's: the root is set in the file "
                                        "itself, which both read.",
                                        c->config_path);
        if (r >= 0)
                r = note_plugin_dirs(c, &p);
        if (r < 0)
                return r;
        *ret = p;
        p = (EditPlan){};
        return 0;
}

int containerd_plan_verify(const EditPlan *p, const ContainerdConfig *c, const char *new_root, char **ret_refusal) {
        _cleanup_(containerd_config_done) ContainerdConfig after = {};
        _cleanup_free_ char *want = path_normalize(new_root), *got = NULL;
        SourceSet overlay = {};
        int r;

        if (!want)
                return -ENOMEM;
        /* The files as c was read (with the overlay it was loaded with),
         * then the plan's contents over them: the plan is checked against
         * the configuration it was made from, not against the disk. */
        for (size_t i = 0; c->sources.overlay_paths && c->sources.overlay_paths[i]; i++) {
                r = source_set_overlay(&overlay, c->sources.overlay_paths[i], c->sources.overlay_contents[i]);
                if (r < 0)
                        goto finish;
        }
        for (size_t i = 0; i < p->n; i++) {
                r = source_set_overlay(&overlay, p->edits[i].path, p->edits[i].new);
                if (r < 0)
                        goto finish;
        }
        r = containerd_config_load_full(c->root, c->init, &overlay,
                                        c->major > 0 || !c->ask_major ? c->major : CONTAINERD_MAJOR_ASK, &after);
        if (r < 0)
                goto finish;
        if (after.error) {
                r = error_set(ret_refusal, -ECANCELED, "The planned change would stop containerd from starting: %s", after.error);
                goto finish;
        }
        if (after.unprovable) {
                r = error_set(ret_refusal, -ECANCELED, "With the planned change, %s", after.unprovable[0]);
                goto finish;
        }
        got = path_normalize(after.root_dir);
        if (!got) {
                r = -ENOMEM;
                goto finish;
        }
        if (!streq(got, want))
                r = error_set(ret_refusal, -ECANCELED, "The planned change would leave containerd's root at %s (set in %s), not %s; nothing was "
                           "changed.",
                           after.root_dir, after.root_dir_source, new_root);
        else
                r = 0;
finish:
        source_set_done(&overlay);
        return r;
}
