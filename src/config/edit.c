/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/edit.h"
#include "config/proof.h"
#include "config/refusal.h"
#include "util/backup.h"
#include "util/diff.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

void edit_plan_done(EditPlan *p) {
        for (size_t i = 0; i < p->n; i++) {
                free(p->edits[i].path);
                free(p->edits[i].named);
                free(p->edits[i].old);
                free(p->edits[i].new);
                free(p->edits[i].made_dir);
        }
        free(p->edits);
        free(p->place);
        strv_free(p->notes);
        *p = (EditPlan){};
}

int edit_plan_add(EditPlan *p, const char *path, const char *old, const char *new, mode_t mode) {
        FileEdit *n;

        if (streq_ptr(old, new))
                return 0; /* nothing to change: no write, no backup */
        n = realloc(p->edits, (p->n + 1) * sizeof(FileEdit));
        if (!n)
                return -ENOMEM;
        p->edits = n;
        n[p->n] = (FileEdit){
                .path = strdup(path),
                .old = old ? strdup(old) : NULL,
                .new = new ? strdup(new) : NULL,
                .mode = mode,
        };
        if (!n[p->n].path || (old && !n[p->n].old) || (new && !n[p->n].new)) {
                free(n[p->n].path);
                free(n[p->n].old);
                free(n[p->n].new);
                return -ENOMEM;
        }
        p->n++;
        return 0;
}

int edit_plan_add_all(EditPlan *p, const EditPlan *from) {
        int r;

        for (size_t i = 0; i < from->n; i++) {
                r = edit_plan_add(p, from->edits[i].path, from->edits[i].old, from->edits[i].new, from->edits[i].mode);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Records that the last edit's file is reached as named (through a symlink). */
static int set_named(EditPlan *p, const char *path, const char *named) {
        if (p->n == 0 || !streq(p->edits[p->n - 1].path, path) || streq(path, named))
                return 0;
        free(p->edits[p->n - 1].named);
        p->edits[p->n - 1].named = strdup(named);
        return p->edits[p->n - 1].named ? 0 : -ENOMEM;
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
        qsort_safe(r, n, sizeof(Replacement), cmp_replacement);
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

/* file:line:col of a source byte, for messages. */
static int position(const DockerConfig *c, uint32_t src, size_t off, char **ret) {
        unsigned line = 0, col = 0;

        if (src >= c->sources.n)
                return asprintf(ret, "%s", c->exec_file ?: "the command line") < 0 ? -ENOMEM : 0;
        source_position(&c->sources.files[src], off, &line, &col);
        return asprintf(ret, "%s:%u:%u", c->sources.files[src].path, line, col) < 0 ? -ENOMEM : 0;
}

/* Where a word is written: its first character that is not the value of a
 * variable expanded into it. */
static int where(const DockerConfig *c, const Word *w, char **ret) {
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < w->chars.len; i++)
                        if (w->chars.src[i] != TEXT_NO_SOURCE && (pass == 1 || !(w->chars.flags[i] & TEXT_EXPANDED)))
                                return position(c, w->chars.src[i], w->chars.off[i], ret);
        return position(c, TEXT_NO_SOURCE, 0, ret);
}

/* Why part of a word (what: "the value", "the option") cannot be rewritten
 * in place. */
static int refuse_span(const DockerConfig *c, const Word *w, size_t from, size_t to, WordSpan why, const char *what,
                       char **ret_refusal) {
        _cleanup_free_ char *pos = NULL, *var = NULL, *part = strndup(w->text + from, to - from), *subject = NULL;
        int r;

        if (!part)
                return -ENOMEM;
        r = where(c, w, &pos);
        if (r < 0)
                return r;
        if (from == 0 && to == strlen(w->text))
                r = asprintf(&subject, "%s '%s'", what, part);
        else
                r = asprintf(&subject, "%s '%s' of '%s'", what, part, w->text);
        if (r < 0)
                return -ENOMEM;
        switch (why) {
        case WORD_SPAN_EMPTY:
                return config_refuse(ret_refusal, "%s: '%s' has an empty value; set the data root by hand.", pos, w->text);
        case WORD_SPAN_EXPANDED:
                for (size_t i = from; i < to && !var; i++)
                        if (w->chars.flags[i] & TEXT_EXPANDED) {
                                r = position(c, w->chars.src[i], w->chars.off[i], &var);
                                if (r < 0)
                                        return r;
                        }
                return config_refuse(ret_refusal,
                              "%s: %s is built from a variable (set at %s): rewriting it would change that "
                              "variable; set the data root by hand.",
                              pos, subject, strna(var));
        case WORD_SPAN_SYNTHETIC:
                return config_refuse(ret_refusal,
                              "%s: %s is written with escapes (\\x, %%%%, $$): write it plainly, or set the data "
                              "root by hand.",
                              pos, subject);
        default:
                return config_refuse(ret_refusal,
                              "%s: %s is put together from several quoted or escaped parts: write it as one part, "
                              "or set the data root by hand.",
                              pos, subject);
        }
}

/* Adds the replacement of characters from..to of w by text, or refuses. */
static int replace_span(const DockerConfig *c, const Word *w, size_t from, size_t to, const char *text,
                        const char *what, Replacement *rep, size_t *nrep, char **ret_refusal) {
        Replacement x = { .text = text };
        WordSpan why = word_span(w, from, to, &x.src, &x.start, &x.end);

        if (why != WORD_SPAN_PLAIN)
                return refuse_span(c, w, from, to, why, what, ret_refusal);
        /* The same bytes reached twice ("$DOCKER_OPTS" used twice): once. */
        for (size_t i = 0; i < *nrep; i++) {
                if (rep[i].src != x.src || rep[i].end <= x.start || x.end <= rep[i].start)
                        continue;
                if (rep[i].start == x.start && rep[i].end == x.end && streq(rep[i].text, x.text))
                        return 0;
                return config_refuse(ret_refusal, "%s: the same bytes set the data root in two ways; set it by hand.",
                              c->sources.files[x.src].path);
        }
        rep[(*nrep)++] = x;
        return 0;
}

static int plan_flags(const DockerConfig *c, const char *new_root, EditPlan *p, char **ret_refusal) {
        const DockerFlag *flags[32];
        size_t nflags = docker_config_data_root_flags(c, flags, ELEMENTSOF(flags));
        _cleanup_free_ Replacement *rep = calloc(nflags * 2 + 1, sizeof(Replacement));
        size_t nrep = 0;
        int r;

        if (!rep)
                return -ENOMEM;

        /* Every occurrence becomes "--data-root NEW" (pflag keeps the last,
         * but a stale earlier one would mislead the next reader). Only the
         * bytes of the flag's name and of its value are replaced, so quotes
         * around them stay as they are: systemd and sh both unquote inside a
         * word, --data-root="/x" is the value /x, and becomes
         * --data-root="/new". The new root needs no quoting anywhere
         * (string_is_shell_safe()). */
        for (size_t i = 0; i < nflags; i++) {
                const DockerFlag *fl = flags[i];
                const Word *fw = &c->argv.words[fl->word], *vw = &c->argv.words[fl->value_word];
                _cleanup_free_ char *pos = NULL;

                if (!fl->value) {
                        r = where(c, fw, &pos);
                        return r < 0 ? r : config_refuse(ret_refusal, "%s: '%s' has no value.", pos, fw->text);
                }
                if (fl->combined) {
                        /* "-Dg /x": rewriting the word would drop -D. */
                        r = where(c, fw, &pos);
                        return r < 0 ? r
                                     : config_refuse(ret_refusal,
                                              "%s: '%s' combines several flags in one word; change it by hand.",
                                              pos, fw->text);
                }
                if (fl->inline_value) {
                        /* "--name=value", "-gvalue", "-g=value". */
                        const char *t = fw->text, *eq = strchr(t, '=');
                        size_t len = strlen(t), name_end, value_start;
                        bool long_form = startswith(t, "--");

                        if (long_form) {
                                name_end = eq ? (size_t) (eq - t) : len;
                                value_start = name_end + 1;
                        } else {
                                name_end = 2;
                                value_start = t[2] == '=' ? 3 : 2;
                        }
                        if (value_start > len)
                                value_start = len;
                        r = replace_span(c, fw, value_start, len, new_root, "the value", rep, &nrep, ret_refusal);
                        if (r < 0)
                                return r;
                        if (!(long_form && streq(fl->name, "data-root"))) {
                                /* "-g/x" has no '=' to keep: the new name brings one. */
                                r = replace_span(c, fw, 0, name_end,
                                                 value_start == name_end ? "--data-root=" : "--data-root", "the option",
                                                 rep, &nrep, ret_refusal);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                if (!streq(fw->text, "--data-root")) {
                        r = replace_span(c, fw, 0, strlen(fw->text), "--data-root", "the option", rep, &nrep,
                                         ret_refusal);
                        if (r < 0)
                                return r;
                }
                r = replace_span(c, vw, 0, strlen(vw->text), new_root, "the value", rep, &nrep, ret_refusal);
                if (r < 0)
                        return r;
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
                        return config_refuse(ret_refusal, "%s: cannot be edited safely (%s); change the data root by hand.",
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
                        if (r >= 0)
                                r = set_named(p, real, f->path);
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
                        return config_refuse(ret_refusal,
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
                _cleanup_free_ char *real = NULL, *full = NULL, *old = NULL;
                r = chase_path(c->root, DOCKER_RELOCATE_DROPIN, &real);
                if (r < 0)
                        return r;
                full = root_path(c->root, real);
                if (!full)
                        return -ENOMEM;
                r = read_full_file_flags(full, 0, READ_NOFOLLOW, &old, NULL);
                if (r < 0 && r != -ENOENT)
                        return r;
                r = edit_plan_add(p, real, old, dropin, 0644);
                if (r >= 0)
                        r = set_named(p, real, DOCKER_RELOCATE_DROPIN);
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

static const char *access_problem(int error) {
        switch (error) {
        case EROFS:
                return "is on a read-only file system";
        case EPERM:
                return "is immutable or append-only (chattr -i / -a)";
        case EACCES:
                return "is not writable";
        default:
                return strerror(error);
        }
}

/* Whether the apply can write e the way it will: refuses what would fail
 * only once Docker is stopped, or would write where the readers do not
 * look. */
static int check_target(EditPlan *p, FileEdit *e, const char *root, char **ret_refusal) {
        _cleanup_free_ char *full = root_path(root, e->path), *dir = NULL;
        const char *named = e->named ?: e->path;
        struct stat st;
        int r;

        if (!full)
                return -ENOMEM;

        if (e->named) {
                _cleanup_free_ char *nfull = root_path(root, e->named);
                if (!nfull)
                        return -ENOMEM;
                if (path_startswith_dir(e->named, "/etc") && !path_startswith_dir(e->path, "/etc"))
                        return config_refuse(ret_refusal,
                                      "%s is reached through a symlink and really is %s, outside /etc: this program "
                                      "does not write configuration through a link that leaves /etc; change it by "
                                      "hand, or replace the link with the file.",
                                      e->named, e->path);
                if (!e->old && lstat(nfull, &st) == 0 && S_ISLNK(st.st_mode))
                        return config_refuse(ret_refusal,
                                      "%s is a symlink to %s, which does not exist (a dangling link): dockerd reads "
                                      "it as missing, and this program does not create files through a link; "
                                      "remove the link, or create %s.",
                                      e->named, e->path, e->path);
        }

        if (e->old) {
                r = file_is_mount_point(full);
                if (r < 0 && r != -ENOENT)
                        return r;
                e->in_place = r > 0;
                if (faccessat(AT_FDCWD, full, W_OK, AT_EACCESS) < 0)
                        return config_refuse(ret_refusal, "%s cannot be written: it %s.", named, access_problem(errno));
                if (e->in_place) {
                        _cleanup_free_ char *note = NULL;
                        if (asprintf(&note,
                                     "%s is a mount point (a file bind-mounted over it): it is written in place "
                                     "after its backup, as a rename cannot replace it.",
                                     named) < 0)
                                return -ENOMEM;
                        r = strv_consume(&p->notes, TAKE_PTR(note));
                        if (r < 0)
                                return r;
                        return 0;
                }
        }

        /* A new file, or one replaced by rename: its directory (or the
         * first that exists, where the rest is created) takes the entry. */
        dir = path_dirname(full);
        while (dir && lstat(dir, &st) < 0 && errno == ENOENT && !streq(dir, "/")) {
                char *up = path_dirname(dir);
                free(dir);
                dir = up;
        }
        if (!dir)
                return -ENOMEM;
        if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) < 0)
                return config_refuse(ret_refusal, "%s cannot be written: its directory %s %s.", named, dir,
                              access_problem(errno));
        return 0;
}

static int check_targets(EditPlan *p, const char *root, char **ret_refusal) {
        int r;

        if (p->n == 0)
                return 0;
        for (size_t i = 0; i < p->n; i++) {
                r = check_target(p, &p->edits[i], root, ret_refusal);
                if (r < 0)
                        return r;
        }
        /* The backups are written before any file is. */
        r = backup_dir_check(root);
        if (r == -ELOOP || r == -ENOTDIR)
                return config_refuse(ret_refusal,
                              "%s: a %s stands on the way to this program's backup directory, and this program "
                              "does not write backups through it; remove it.",
                              BACKUP_DIR, r == -ELOOP ? "symlink" : "file");
        return r;
}

static int prove(const DockerConfig *c, char **ret_refusal) {
        _cleanup_(proof_context_done) ProofContext ctx = {};
        int r;

        r = proof_context_init(c->root, &ctx);
        if (r < 0)
                return r;
        return config_prove(c, &ctx, ret_refusal);
}

int edit_plan_set_data_root(const DockerConfig *c, const char *new_root, EditPlan *ret, char **ret_refusal) {
        EditPlan p = {};
        const DockerFlag *flags[32];
        size_t nflags;
        int r;

        /* The plan is made from this program's reading of the files: it
         * must be the reading of their readers, or the edit lands where
         * they do not look (a CR kept after the new value, a variable that
         * the shell sets otherwise). It is also what a rollback puts back. */
        r = prove(c, ret_refusal);
        if (r < 0)
                return r;

        if (!path_is_absolute(new_root))
                return config_refuse(ret_refusal, "The data root must be an absolute path: %s", new_root);
        if (!string_is_shell_safe(new_root))
                return config_refuse(ret_refusal,
                              "The data root '%s' contains characters that would need quoting in some config file "
                              "(allowed: letters, digits and /._+-@:,).",
                              new_root);
        if (c->json_exists && !c->json_valid)
                return config_refuse(ret_refusal, "%s; fix it first, nothing was changed.", c->json_error);

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
                                r = set_named(&p, c->json_path, c->json_path_named);
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
                if (r >= 0)
                        r = set_named(&p, c->json_path, c->json_path_named);
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
        r = check_targets(&p, c->root, ret_refusal);
        if (r < 0)
                goto fail;
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
                r = config_refuse(ret_refusal,
                           "The planned change would leave dockerd's data root at %s (set in %s), not %s; nothing "
                           "was changed.",
                           after.data_root, after.data_root_source, new_root);
                goto finish;
        }
        STRV_FOREACH(m, after.conflicts)
                if (mentions_data_root(*m)) {
                        r = config_refuse(ret_refusal, "The planned change would leave a conflict: %s", *m);
                        goto finish;
                }
        if (docker_flags_get(&after.flags, "graph") || (after.json_valid && daemon_json_member(&after.json, "graph"))) {
                r = config_refuse(ret_refusal, "The planned change would leave the removed graph option in use.");
                goto finish;
        }
        /* What dockerd, systemd and sh read at the next start must be what
         * was checked above. */
        r = prove(&after, ret_refusal);
finish:
        docker_config_done(&after);
        source_set_done(&overlay);
        return r;
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
                /* Said where the change is shown: it is how this file is written. */
                if (p->edits[i].in_place)
                        fprintf(f, "# %s is a mount point: written in place, after its backup\n",
                                p->edits[i].named ?: p->edits[i].path);
                fputs(d, f);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}
