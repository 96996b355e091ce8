/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The data root set by flags: every data-root and graph flag rewritten in
 * the file that writes it, only the bytes of its name and value replaced, or
 * a drop-in where that file is the package's unit; a word that cannot be
 * rewritten in place is a refusal that names file and position. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/edit-internal.h"
#include "config/refusal.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

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

int edit_plan_flags(const DockerConfig *c, const char *new_root, EditPlan *p, char **ret_refusal) {
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
                                r = edit_plan_set_named(p, real, f->path);
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
                        r = edit_plan_set_named(p, real, DOCKER_RELOCATE_DROPIN);
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
