/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An ExecStart= line as systemd turns it into the words of a command: its
 * own quoting and escapes, and $VAR and ${VAR} from the unit's
 * environment; every word traced back to the bytes it comes from. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/unit.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* One word of an ExecStart= line as systemd's extract_first_word() takes
 * it with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE: quotes removed wherever they
 * open, C escapes resolved inside quotes and out. An escape systemd does
 * not know is kept as written, backslash and all, as systemd does after
 * its warning ("Ignoring unknown escape sequences"); so is a backslash at
 * the very end. *ret_unclosed: a quote that is never closed, for which
 * systemd ignores the whole line. */
static int next_exec_word(const Text *v, size_t *i, Text *ret_word, bool *ret_found, bool *ret_unclosed) {
        size_t j = *i;
        char quote = 0;
        int r;

        while (j < v->len && strchr(" \t\n\r", v->s[j]))
                j++;
        if (j >= v->len) {
                *i = j;
                *ret_found = false;
                return 0;
        }
        *ret_word = (Text){};
        while (j < v->len && (quote || !strchr(" \t\n\r", v->s[j]))) {
                char ch = v->s[j];
                size_t len;

                if (!quote && (ch == '"' || ch == '\'')) {
                        quote = ch;
                        j++;
                        continue;
                }
                if (quote && ch == quote) {
                        quote = 0;
                        j++;
                        continue;
                }
                if (ch == '\\' && j + 1 < v->len) {
                        /* The unescaped character is synthetic: a word
                         * holding it cannot be edited in place. */
                        r = text_append_c_escape(ret_word, v->s + j + 1, v->len - j - 1, TEXT_NO_SOURCE, 0, &len);
                        if (r >= 0) {
                                j += 1 + len;
                                continue;
                        }
                        if (r != -EINVAL)
                                return r;
                        r = text_append_char_of(ret_word, v, j++);
                        if (r >= 0)
                                r = text_append_char_of(ret_word, v, j++);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = text_append_char_of(ret_word, v, j);
                if (r < 0)
                        return r;
                j++;
        }
        if (!ret_word->s)
                (void) text_append_literal(ret_word, "");
        *i = j;
        *ret_found = true;
        *ret_unclosed = quote != 0;
        return 0;
}

/* systemd splits the value of a "$NAME" word the way extract_first_word()
 * does with EXTRACT_RELAX|EXTRACT_UNQUOTE: at whitespace, quotes removed, a
 * backslash taking the next character as it is. Each character keeps its
 * origin; a removed quote or backslash inside a word leaves a gap in the
 * offsets, so such a word is not editable in place. */
static int split_unquote(WordList *l, const Text *v) {
        size_t i = 0;

        while (i < v->len) {
                Text w = {};
                char quote = 0;
                int r = 0;

                while (i < v->len && strchr(" \t\n\r", v->s[i]))
                        i++;
                if (i >= v->len)
                        break;
                while (i < v->len && r >= 0 && (quote || !strchr(" \t\n\r", v->s[i]))) {
                        char ch = v->s[i];

                        if (ch == '\\') {
                                if (i + 1 < v->len)
                                        r = text_append_char_of(&w, v, i + 1);
                                i += 2;
                        } else if (!quote && (ch == '\'' || ch == '"')) {
                                quote = ch;
                                i++;
                        } else if (quote && ch == quote) {
                                quote = 0;
                                i++;
                        } else {
                                r = text_append_char_of(&w, v, i);
                                i++;
                        }
                }
                if (r >= 0 && !w.s)
                        r = text_append_literal(&w, "");
                if (r >= 0)
                        r = word_list_add_slice(l, &w, 0, w.len);
                text_done(&w);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ExecStart= expands "$NAME", a word of its own, whose value holds a
 * specifier not known here: how many words it makes is not known. */
static int exec_uses_unknown(char ***unprovable, const EnvVar *v) {
        return strv_extendf_unique(unprovable,
                "ExecStart= uses $%s, whose value (%s) has %s, so the words systemd makes of it "
                "are not known",
                v->name, strna(v->value.s), UNIT_SPECIFIER_UNKNOWN);
}

int unit_exec_to_words(const UnitExecStart *e, const char *name, const Env *env, WordList *ret,
                       char ***ret_unprovable) {
        _cleanup_strv_free_ char **unprovable = NULL;
        const Text *value = &e->value;
        WordList out = {};
        size_t i = 0, nth = 0;
        bool argv0_pending = false;
        int r;

        for (;; nth++) {
                Text raw = {}, w = {}, x = {};
                bool found, unclosed = false, split;
                char unknown = 0, invalid = 0;

                r = next_exec_word(value, &i, &raw, &found, &unclosed);
                if (r < 0)
                        goto fail;
                if (!found)
                        break;
                /* systemd expands the specifiers of each word once it is
                 * unquoted and unescaped ("\x25n" is the unit's name), the
                 * variables only when it runs the command. */
                r = unit_expand_specifiers(name, &raw, &w, &unknown, &invalid);
                /* One of the running system is one word all the same:
                 * its characters are marked TEXT_UNKNOWN, for the caller
                 * to tell whether they matter. */
                if (r >= 0 && invalid)
                        r = strv_extendf(&unprovable, "ExecStart= word '%s' has %%%c: %s", raw.s, invalid,
                                UNIT_SPECIFIER_INVALID);
                if (r >= 0 && unclosed)
                        r = strv_extendf(&unprovable,
                                         "ExecStart= word '%s': a quote that is never closed: systemd ignores the "
                                         "whole line (\"Unbalanced quoting\"), and %s runs another command, or "
                                         "none",
                                         raw.s, name);
                text_done(&raw);
                if (r < 0) {
                        text_done(&w);
                        goto fail;
                }
                split = !e->no_env && w.len > 1 && w.s[0] == '$' && env_name_is_valid(w.s + 1, w.len - 1);
                /* "@/usr/bin/dockerd dockerd -H fd://": the second word
                 * is argv[0], which dockerd does not read. */
                if (nth == 1)
                        argv0_pending = e->argv0;
                if (argv0_pending && !split) {
                        argv0_pending = false;
                        text_done(&w);
                        continue;
                }

                /* The ':' prefix: no variable is expanded. */
                if (e->no_env) {
                        r = word_list_add_slice(&out, &w, 0, w.len);
                        text_done(&w);
                        if (r < 0)
                                goto fail;
                        continue;
                }

                /* "$NAME" as a word of its own: the value split into
                 * zero or more words, quotes removed. (systemd expands
                 * variables after specifiers: a specifier's value that
                 * were "$NAME" would be split too; no host name, ID or
                 * path of the running system has that form.) */
                if (split) {
                        const EnvVar *v = env_get(env, w.s + 1);
                        WordList values = {};

                        if (v && text_find_flag(&v->value, 0, v->value.len, TEXT_UNKNOWN) < v->value.len)
                                r = exec_uses_unknown(&unprovable, v);
                        if (v && r >= 0)
                                r = split_unquote(&values, &v->value);
                        /* systemd expands argv[0] too: the first of its
                         * words is argv[0] (none: the next word is). */
                        for (size_t k = 0; r >= 0 && k < values.n; k++) {
                                if (argv0_pending) {
                                        argv0_pending = false;
                                        continue;
                                }
                                r = word_list_add_slice(&out, &values.words[k].chars, 0, values.words[k].chars.len);
                        }
                        word_list_done(&values);
                        text_done(&w);
                        if (r < 0)
                                goto fail;
                        continue;
                }

                /* ${NAME} anywhere: replaced in place, not split. "$$" is a
                 * literal dollar. */
                for (size_t k = 0; k < w.len;) {
                        if (w.s[k] == '$' && k + 1 < w.len && w.s[k + 1] == '$') {
                                r = text_append(&x, '$', TEXT_NO_SOURCE, 0);
                                k += 2;
                        } else if (w.s[k] == '$' && k + 1 < w.len && w.s[k + 1] == '{') {
                                char *close = strchr(w.s + k + 2, '}');
                                if (close && env_name_is_valid(w.s + k + 2, close - (w.s + k + 2))) {
                                        _cleanup_free_ char *n = strndup(w.s + k + 2, close - (w.s + k + 2));
                                        const EnvVar *v = n ? env_get(env, n) : NULL;
                                        size_t at = x.len;
                                        /* In place: the characters of
                                         * the value keep their flags. */
                                        r = v ? text_append_text(&x, &v->value, 0, v->value.len) : (n ? 0 : -ENOMEM);
                                        if (r >= 0)
                                                text_mark(&x, at, TEXT_EXPANDED);
                                        k = close - w.s + 1;
                                } else {
                                        r = text_append_char_of(&x, &w, k);
                                        k++;
                                }
                        } else {
                                r = text_append_char_of(&x, &w, k);
                                k++;
                        }
                        if (r < 0)
                                break;
                }
                if (r >= 0) {
                        if (!x.s)
                                (void) text_append_literal(&x, "");
                        r = word_list_add_slice(&out, &x, 0, x.len);
                }
                text_done(&w);
                text_done(&x);
                if (r < 0)
                        goto fail;
        }

        if (e->argv0 && nth < 2) {
                r = strv_extendf(&unprovable,
                        "ExecStart= has the '@' prefix but no argv[0] after the program: systemd ignores "
                        "the whole line (\"Empty executable name or zeroeth argument\"), and %s runs "
                        "another command, or none",
                        name);
                if (r < 0)
                        goto fail;
        }
        if (ret_unprovable) {
                r = strv_extend_strv(ret_unprovable, unprovable);
                if (r < 0)
                        goto fail;
        }
        *ret = out;
        return 0;
fail:
        word_list_done(&out);
        return r;
}

int unit_words_unknown(const WordList *l, char ***ret_unprovable) {
        for (size_t i = 0; i < l->n; i++) {
                const Text *t = &l->words[i].chars;
                int r;

                if (text_find_flag(t, 0, t->len, TEXT_UNKNOWN) >= t->len)
                        continue;
                r = strv_extendf_unique(ret_unprovable,
                        "ExecStart= word '%s' has %s, so the command line systemd runs is not known", l->words[i].text,
                        UNIT_SPECIFIER_UNKNOWN);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Where systemd (since 239) looks for an ExecStart= program named without
 * a path: a list fixed when it was built, not the PATH of whoever runs
 * this tool. */
static const char *const systemd_exec_dirs[] = {
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
};

int unit_exec_program(const char *root, const char *program, char **ret) {
        char *p;

        if (!program || (!path_is_absolute(program) && strchr(program, '/'))) {
                *ret = NULL; /* systemd refuses a relative path with a '/' */
                return 0;
        }
        if (path_is_absolute(program)) {
                p = root_path(root, program);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(systemd_exec_dirs); i++) {
                _cleanup_free_ char *in = path_join(systemd_exec_dirs[i], program);

                p = in ? root_path(root, in) : NULL;
                if (!p)
                        return -ENOMEM;
                if (access(p, X_OK) == 0) {
                        *ret = p;
                        return 0;
                }
                free(p);
        }
        *ret = NULL;
        return 0;
}
