/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/edit.h"
#include "util/backup.h"
#include "util/diff.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/test-hook.h"

void edit_plan_done(EditPlan *p) {
        for (size_t i = 0; i < p->n; i++) {
                free(p->edits[i].path);
                free(p->edits[i].old);
                free(p->edits[i].new);
        }
        free(p->edits);
        free(p->place);
        strv_free(p->notes);
        *p = (EditPlan){};
}

int edit_plan_add(EditPlan *p, const char *path, const char *old, const char *new, mode_t mode) {
        FileEdit *n;

        if (old && streq(old, new))
                return 0; /* nothing to change: no write, no backup */
        n = realloc(p->edits, (p->n + 1) * sizeof(FileEdit));
        if (!n)
                return -ENOMEM;
        p->edits = n;
        n[p->n] = (FileEdit){
                .path = strdup(path),
                .old = old ? strdup(old) : NULL,
                .new = strdup(new),
                .mode = mode,
        };
        if (!n[p->n].path || (old && !n[p->n].old) || !n[p->n].new) {
                free(n[p->n].path);
                free(n[p->n].old);
                free(n[p->n].new);
                return -ENOMEM;
        }
        p->n++;
        return 0;
}

static int refuse(char **ret_refusal, const char *format, ...) _printf_(2, 3);
static int refuse(char **ret_refusal, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(ret_refusal, format, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : -ECANCELED;
}

typedef struct Replacement {
        uint32_t src;
        size_t start, end;
        const char *text;
} Replacement;

static int cmp_replacement(const void *a, const void *b) {
        const Replacement *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

/* Applies the replacements of one file to the text [from, to) of its
 * content (offsets are absolute in the file). */
static char *apply_replacements(const char *content, size_t from, size_t to, Replacement *r, size_t n) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0, pos = from;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                return NULL;
        qsort(r, n, sizeof(Replacement), cmp_replacement);
        for (size_t i = 0; i < n; i++) {
                fwrite(content + pos, 1, r[i].start - pos, f);
                fputs(r[i].text, f);
                pos = r[i].end;
        }
        fwrite(content + pos, 1, to - pos, f);
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(out);
}

static int where(const DockerConfig *c, const Word *w, char **ret) {
        const SourceFile *f = w->src != TEXT_NO_SOURCE ? &c->sources.files[w->src] : NULL;
        unsigned line = 0, col = 0;

        if (!f)
                return asprintf(ret, "%s", c->exec_file ?: "the command line") < 0 ? -ENOMEM : 0;
        source_position(f, w->start, &line, &col);
        return asprintf(ret, "%s:%u:%u", f->path, line, col) < 0 ? -ENOMEM : 0;
}

static int plan_flags(const DockerConfig *c, const char *new_root, EditPlan *p, char **ret_refusal) {
        const DockerFlag *flags[32];
        size_t nflags = docker_config_data_root_flags(c, flags, ELEMENTSOF(flags));
        _cleanup_free_ Replacement *rep = calloc(nflags * 2 + 1, sizeof(Replacement));
        _cleanup_free_ char *inline_text = NULL;
        size_t nrep = 0;
        int r;

        if (!rep || asprintf(&inline_text, "--data-root=%s", new_root) < 0)
                return -ENOMEM;

        /* Every occurrence becomes "--data-root NEW" (pflag keeps the last,
         * but a stale earlier one would mislead the next reader). */
        for (size_t i = 0; i < nflags; i++) {
                const DockerFlag *fl = flags[i];
                const Word *fw = &c->argv.words[fl->word], *vw = &c->argv.words[fl->value_word];
                _cleanup_free_ char *pos = NULL;

                if (!fl->value) {
                        r = where(c, fw, &pos);
                        return r < 0 ? r : refuse(ret_refusal, "%s: '%s' has no value.", pos, fw->text);
                }
                if (fl->combined) {
                        /* "-Dg /x": rewriting the word would drop -D. */
                        r = where(c, fw, &pos);
                        return r < 0 ? r
                                     : refuse(ret_refusal,
                                              "%s: '%s' combines several flags in one word; change it by hand.",
                                              pos, fw->text);
                }
                if (fl->inline_value) {
                        if (!fw->editable) {
                                r = where(c, fw, &pos);
                                return r < 0 ? r
                                             : refuse(ret_refusal,
                                                      "%s: '%s' is built from quotes, escapes or variables; "
                                                      "change it by hand.",
                                                      pos, fw->text);
                        }
                        rep[nrep++] = (Replacement){ fw->src, fw->start, fw->end, inline_text };
                        continue;
                }
                if (!streq(fw->text, "--data-root")) {
                        if (!fw->editable) {
                                r = where(c, fw, &pos);
                                return r < 0 ? r : refuse(ret_refusal, "%s: cannot rewrite '%s' safely.", pos, fw->text);
                        }
                        rep[nrep++] = (Replacement){ fw->src, fw->start, fw->end, "--data-root" };
                }
                if (!vw->editable) {
                        r = where(c, vw, &pos);
                        return r < 0 ? r
                                     : refuse(ret_refusal,
                                              "%s: the value '%s' is built from quotes, escapes or variables; "
                                              "change it by hand.",
                                              pos, vw->text);
                }
                rep[nrep++] = (Replacement){ vw->src, vw->start, vw->end, new_root };
        }

        /* Group by file. */
        for (size_t i = 0; i < nrep; i++) {
                uint32_t src = rep[i].src;
                const SourceFile *f = &c->sources.files[src];
                Replacement group[64];
                size_t ng = 0;
                bool seen = false;

                for (size_t k = 0; k < i; k++)
                        if (rep[k].src == src)
                                seen = true;
                if (seen)
                        continue;
                for (size_t k = i; k < nrep && ng < ELEMENTSOF(group); k++)
                        if (rep[k].src == src)
                                group[ng++] = rep[k];

                if (f->unsafe)
                        return refuse(ret_refusal, "%s: cannot be edited safely (%s); change the data root by hand.",
                                      f->path, f->unsafe);

                if (!f->vendor) {
                        _cleanup_free_ char *real = NULL, *content = NULL;
                        r = chase_path(c->root, f->path, &real);
                        if (r < 0)
                                return r;
                        content = apply_replacements(f->content, 0, f->size, group, ng);
                        if (!content)
                                return -ENOMEM;
                        r = edit_plan_add(p, real, f->content, content, 0644);
                        if (r < 0)
                                return r;
                        if (!p->place && asprintf(&p->place, "%s (flag)", f->path) < 0)
                                return -ENOMEM;
                        continue;
                }

                /* A vendor file is never edited: when it is the unit's own
                 * ExecStart=, a drop-in replaces that line. */
                const UnitExecStart *e = c->unit.n_exec > 0 ? &c->unit.exec[c->unit.n_exec - 1] : NULL;
                bool inside = e && e->src == src;
                for (size_t k = 0; k < ng && inside; k++)
                        if (group[k].start < e->raw_start || group[k].end > e->raw_end)
                                inside = false;
                if (!inside)
                        return refuse(ret_refusal,
                                      "%s is a file of the distribution's package and the data root is set there "
                                      "outside ExecStart=; set it by hand in a drop-in.",
                                      f->path);

                _cleanup_free_ char *line = apply_replacements(f->content, e->raw_start, e->raw_end, group, ng),
                                    *dropin = NULL;
                if (!line)
                        return -ENOMEM;
                if (asprintf(&dropin,
                             "# Written by docker-relocate: the ExecStart= of %s with dockerd's data root\n"
                             "# changed. The empty ExecStart= clears the packaged line first.\n"
                             "[Service]\n"
                             "ExecStart=\n"
                             "ExecStart=%s\n",
                             f->path, line) < 0)
                        return -ENOMEM;
                _cleanup_free_ char *full = root_path(c->root, DOCKER_RELOCATE_DROPIN), *old = NULL;
                if (!full)
                        return -ENOMEM;
                r = read_full_file(full, 0, &old, NULL);
                if (r < 0 && r != -ENOENT)
                        return r;
                r = edit_plan_add(p, DOCKER_RELOCATE_DROPIN, old, dropin, 0644);
                if (r < 0)
                        return r;
                if (!p->place && asprintf(&p->place, "%s (flag)", DOCKER_RELOCATE_DROPIN) < 0)
                        return -ENOMEM;
                r = strv_extend(&p->notes, "The packaged unit stays untouched; a drop-in overrides its ExecStart=.");
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < nflags; i++)
                if (!streq(flags[i]->name, "data-root")) {
                        r = strv_extend(&p->notes, "The removed -g/--graph flag becomes --data-root.");
                        if (r < 0)
                                return r;
                        break;
                }
        return 0;
}

int edit_plan_set_data_root(const DockerConfig *c, const char *new_root, EditPlan *ret, char **ret_refusal) {
        EditPlan p = {};
        const DockerFlag *flags[32];
        size_t nflags;
        int r;

        if (!path_is_absolute(new_root))
                return refuse(ret_refusal, "The data root must be an absolute path: %s", new_root);
        if (!string_is_shell_safe(new_root))
                return refuse(ret_refusal,
                              "The data root '%s' contains characters that would need quoting in some config file "
                              "(allowed: letters, digits and /._+-@:,).",
                              new_root);
        if (c->json_exists && !c->json_valid)
                return refuse(ret_refusal, "%s; fix it first, nothing was changed.", c->json_error);

        nflags = docker_config_data_root_flags(c, flags, ELEMENTSOF(flags));
        if (nflags > 0) {
                r = plan_flags(c, new_root, &p, ret_refusal);
                if (r < 0)
                        goto fail;
                /* The flag is the one place: the file must not say it too. */
                if (c->json_valid && (daemon_json_member(&c->json, "data-root") || daemon_json_member(&c->json, "graph"))) {
                        _cleanup_free_ char *text = NULL;
                        r = daemon_json_remove_data_root(&c->json, &text);
                        if (r >= 0)
                                r = edit_plan_add(&p, c->json_path, c->json.text, text, 0644);
                        if (r >= 0)
                                r = strv_extend(&p.notes, "data-root/graph is removed from the JSON file, where it "
                                                          "conflicted with the flag.");
                        if (r < 0)
                                goto fail;
                }
        } else {
                _cleanup_free_ char *text = NULL;
                DaemonJson empty = {};

                if (c->json_exists)
                        r = daemon_json_set_data_root(&c->json, new_root, &text);
                else {
                        r = daemon_json_parse("", 0, &empty, &(unsigned){ 0 }, &(unsigned){ 0 });
                        if (r >= 0)
                                r = daemon_json_set_data_root(&empty, new_root, &text);
                        daemon_json_done(&empty);
                }
                if (r >= 0)
                        r = edit_plan_add(&p, c->json_path, c->json_exists ? c->json.text : NULL, text, 0644);
                if (r >= 0 && asprintf(&p.place, "%s (daemon.json)", c->json_path) < 0)
                        r = -ENOMEM;
                if (r >= 0 && c->json_valid && daemon_json_member(&c->json, "graph"))
                        r = strv_extend(&p.notes, "The removed \"graph\" key becomes \"data-root\".");
                if (r < 0)
                        goto fail;
        }

        if (!p.place) {
                p.place = strdup(c->data_root_source);
                if (!p.place) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        *ret = p;
        return 0;
fail:
        edit_plan_done(&p);
        return r;
}

static bool mentions_data_root(const char *s) {
        return strstr(s, "data-root") || strstr(s, "graph");
}

int edit_plan_verify(const EditPlan *p, const DockerConfig *c, const char *new_root, char **ret_refusal) {
        SourceSet overlay = {};
        DockerConfig after = {};
        _cleanup_free_ char *want = path_normalize(new_root), *got = NULL;
        int r;

        if (!want)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++) {
                r = source_set_overlay(&overlay, p->edits[i].path, p->edits[i].new);
                if (r < 0)
                        goto finish;
        }
        r = docker_config_load(c->root, c->init, &overlay, &after);
        if (r < 0)
                goto finish;

        got = path_normalize(after.data_root);
        if (!got) {
                r = -ENOMEM;
                goto finish;
        }
        if (!streq(got, want)) {
                r = refuse(ret_refusal,
                           "The planned change would leave dockerd's data root at %s (set in %s), not %s; nothing "
                           "was changed.",
                           after.data_root, after.data_root_source, new_root);
                goto finish;
        }
        STRV_FOREACH(m, after.conflicts)
                if (mentions_data_root(*m)) {
                        r = refuse(ret_refusal, "The planned change would leave a conflict: %s", *m);
                        goto finish;
                }
        if (docker_flags_get(&after.flags, "graph") || (after.json_valid && daemon_json_member(&after.json, "graph"))) {
                r = refuse(ret_refusal, "The planned change would leave the removed graph option in use.");
                goto finish;
        }
        r = 0;
finish:
        docker_config_done(&after);
        source_set_done(&overlay);
        return r;
}

void edit_undo_done(EditUndo *u) {
        for (size_t i = 0; i < u->n; i++) {
                free(u->files[i].path);
                free(u->files[i].backup);
                free(u->files[i].new);
        }
        free(u->files);
        *u = (EditUndo){};
}

int edit_undo_add(EditUndo *u, const char *path, const char *backup, const char *new) {
        FileUndo *n;

        n = realloc(u->files, (u->n + 1) * sizeof(FileUndo));
        if (!n)
                return -ENOMEM;
        u->files = n;
        n[u->n] = (FileUndo){
                .path = strdup(path),
                .backup = backup ? strdup(backup) : NULL,
                .new = new ? strdup(new) : NULL,
        };
        if (!n[u->n].path || (backup && !n[u->n].backup) || (new && !n[u->n].new)) {
                free(n[u->n].path);
                free(n[u->n].backup);
                free(n[u->n].new);
                return -ENOMEM;
        }
        u->n++;
        return 0;
}

int edit_plan_backup(const EditPlan *p, const char *root, EditUndo *ret) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        int r;

        /* Every backup before the first write: once the caller has recorded
         * them, there is no moment at which a file is changed and its old
         * content is not known. */
        for (size_t i = 0; i < p->n; i++) {
                _cleanup_free_ char *bak = NULL;

                r = backup_file(root, p->edits[i].path, &bak);
                if (r < 0)
                        return r;
                r = edit_undo_add(&u, p->edits[i].path, bak, p->edits[i].new);
                if (r < 0)
                        return r;
        }
        *ret = u;
        u = (EditUndo){};
        return 0;
}

int edit_plan_write(const EditPlan *p, const char *root, const EditUndo *u) {
        int r;

        for (size_t i = 0; i < p->n; i++) {
                const FileEdit *e = &p->edits[i];
                _cleanup_free_ char *full = root_path(root, e->path), *dir = NULL;

                if (!full || !(dir = path_dirname(full))) {
                        r = -ENOMEM;
                        goto undo;
                }
                r = mkdir_p(dir, 0755);
                if (r < 0)
                        goto undo;
                r = write_file_atomic(full, e->new, strlen(e->new), e->mode);
                if (r < 0)
                        goto undo;
                /* Test hook: killed with i + 1 files written. */
                test_hook_crash("config-file-%zu", i + 1);
        }
        return 0;

undo:
        /* Leave the host as it was: put back what was already written. */
        (void) edit_undo_restore(u, root, NULL);
        return r;
}

static bool content_is(const char *data, size_t size, const char *s) {
        return size == strlen(s) && memcmp(data, s, size) == 0;
}

int edit_undo_restore(const EditUndo *u, const char *root, char ***ret_changed) {
        _cleanup_strv_free_ char **changed = NULL;
        int ret = 0, r;

        for (size_t i = 0; i < u->n; i++) {
                const FileUndo *f = &u->files[i];
                _cleanup_free_ char *full = root_path(root, f->path), *bfull = NULL, *now = NULL, *old = NULL;
                size_t now_size = 0, old_size = 0;
                bool exists;

                if (!full)
                        return -ENOMEM;
                r = read_full_file(full, 0, &now, &now_size);
                if (r < 0 && r != -ENOENT) {
                        if (ret == 0)
                                ret = r;
                        continue;
                }
                exists = r >= 0;

                if (!f->backup) {
                        /* The plan created the file: it goes, unless it is
                         * not the plan's. */
                        if (!exists)
                                continue;
                        if (f->new && !content_is(now, now_size, f->new)) {
                                r = strv_extend(&changed, f->path);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (unlink(full) < 0 && errno != ENOENT && ret == 0)
                                ret = negative_errno();
                        continue;
                }

                bfull = root_path(root, f->backup);
                if (!bfull)
                        return -ENOMEM;
                r = read_full_file(bfull, 0, &old, &old_size);
                if (r < 0) {
                        /* The backup is gone: the old content is not known. */
                        if (ret == 0)
                                ret = r;
                        continue;
                }
                if (exists && now_size == old_size && memcmp(now, old, now_size) == 0)
                        continue; /* not written yet, or restored already */
                if (exists && f->new && !content_is(now, now_size, f->new)) {
                        r = strv_extend(&changed, f->path);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* The backup has the original's mode and owner. */
                r = copy_file_atomic(bfull, full);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (ret == 0 && changed)
                ret = -EBUSY;
        if (ret_changed)
                *ret_changed = TAKE_PTR(changed);
        return ret;
}

int edit_undo_overlay(const EditUndo *u, const char *root, SourceSet *overlay) {
        int r;

        for (size_t i = 0; i < u->n; i++) {
                _cleanup_free_ char *bfull = NULL, *old = NULL;

                if (u->files[i].backup) {
                        bfull = root_path(root, u->files[i].backup);
                        if (!bfull)
                                return -ENOMEM;
                        r = read_full_file(bfull, 0, &old, NULL);
                        if (r < 0)
                                return r;
                }
                r = source_set_overlay(overlay, u->files[i].path, old);
                if (r < 0)
                        return r;
        }
        return 0;
}

int edit_undo_to_backups(const EditUndo *u, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        for (size_t i = 0; i < u->n; i++) {
                char *entry;

                if (asprintf(&entry, "%s=%s", u->files[i].path, strempty(u->files[i].backup)) < 0)
                        return -ENOMEM;
                r = strv_consume(&l, entry);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int edit_undo_from_backups(char *const *backups, EditUndo *ret) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        int r;

        STRV_FOREACH(b, backups) {
                _cleanup_free_ char *path = strdup(*b);
                char *eq;

                if (!path)
                        return -ENOMEM;
                eq = strchr(path, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                r = edit_undo_add(&u, path, isempty(eq + 1) ? NULL : eq + 1, NULL);
                if (r < 0)
                        return r;
        }
        *ret = u;
        u = (EditUndo){};
        return 0;
}

int edit_plan_restore(const char *root, char *const *backups) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        int r;

        r = edit_undo_from_backups(backups, &u);
        if (r < 0)
                return r;
        return edit_undo_restore(&u, root, NULL);
}

int edit_plan_apply(const EditPlan *p, const char *root, char ***ret_backups) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_strv_free_ char **backups = NULL;
        int r;

        r = edit_plan_backup(p, root, &u);
        if (r < 0)
                return r;
        if (ret_backups) {
                r = edit_undo_to_backups(&u, &backups);
                if (r < 0)
                        return r;
        }
        r = edit_plan_write(p, root, &u);
        if (r < 0)
                return r;
        if (ret_backups)
                *ret_backups = TAKE_PTR(backups);
        return 0;
}

int edit_plan_diff(const EditPlan *p, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        int r = 0;

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++) {
                _cleanup_free_ char *d = NULL;
                r = unified_diff(p->edits[i].path, p->edits[i].old, p->edits[i].new, &d);
                if (r < 0)
                        break;
                fputs(d, f);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}
