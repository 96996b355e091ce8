/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/envfile-internal.h"
#include "util/macro.h"
#include "util/strv.h"
#include "util/utf8.h"

void env_done(Env *e) {
        for (size_t i = 0; i < e->n; i++) {
                free(e->vars[i].name);
                text_done(&e->vars[i].value);
        }
        free(e->vars);
        *e = (Env){};
}

const EnvVar *env_get(const Env *e, const char *name) {
        for (size_t i = 0; i < e->n; i++)
                if (streq(e->vars[i].name, name))
                        return &e->vars[i];
        return NULL;
}

void env_unset(Env *e, const char *entry) {
        const char *eq = strchr(entry, '=');
        size_t len = eq ? (size_t) (eq - entry) : strlen(entry);

        for (size_t i = 0; i < e->n; i++) {
                EnvVar *v = &e->vars[i];

                if (strlen(v->name) != len || strncmp(v->name, entry, len) != 0)
                        continue;
                if (eq && !streq(strempty(v->value.s), eq + 1))
                        return;
                free(v->name);
                text_done(&v->value);
                memmove(v, v + 1, (e->n - i - 1) * sizeof(EnvVar));
                e->n--;
                return;
        }
}

int env_set(Env *e, const char *name, const Text *value, uint32_t src, unsigned line) {
        Text copy = {};
        EnvVar *v = NULL;
        int r;

        r = text_append_text(&copy, value, 0, value->len);
        if (r >= 0 && !copy.s)
                r = text_append_literal(&copy, "");
        if (r < 0) {
                text_done(&copy);
                return r;
        }

        for (size_t i = 0; i < e->n; i++)
                if (streq(e->vars[i].name, name))
                        v = &e->vars[i];
        if (!v) {
                EnvVar *n = realloc(e->vars, (e->n + 1) * sizeof(EnvVar));
                if (!n) {
                        text_done(&copy);
                        return -ENOMEM;
                }
                e->vars = n;
                v = &e->vars[e->n];
                *v = (EnvVar){ .name = strdup(name) };
                if (!v->name) {
                        text_done(&copy);
                        return -ENOMEM;
                }
                e->n++;
        } else
                text_done(&v->value);

        v->value = copy;
        v->src = src;
        v->line = line;
        return 0;
}

bool env_name_is_valid(const char *name, size_t len) {
        if (len == 0 || !(isalpha((unsigned char) name[0]) || name[0] == '_'))
                return false;
        for (size_t i = 1; i < len; i++)
                if (!(isalnum((unsigned char) name[i]) || name[i] == '_'))
                        return false;
        return true;
}

/* What systemd makes of a value it has parsed: it refuses to load a file
 * whose keys or values are not UTF-8 (the unit fails to start), and older
 * versions drop a variable whose value holds a control character other than
 * TAB, a newline included (env_value_is_valid()). Either way dockerd would not get what
 * the file seems to say. */
static int check_systemd_value(SourceFile *f, const char *key, size_t key_len, const Text *v) {
        size_t bad = utf8_first_invalid(key, key_len);
        char buf[32];

        if (bad < key_len) {
                mark_unsafe(f, key - f->content + bad,
                            "the name is not valid UTF-8: systemd refuses to load the file and the unit fails");
                return 0;
        }
        if (!v->s)
                return 0;
        bad = utf8_first_invalid(v->s, v->len);
        if (bad < v->len) {
                mark_unsafe(f, v->src[bad] == TEXT_NO_SOURCE ? (size_t) (key - f->content) : v->off[bad],
                            "the value is not valid UTF-8: systemd refuses to load the file and the unit fails; "
                            "write it in UTF-8");
                return 0;
        }
        bad = first_control_char(v->s, v->len, "\t");
        if (bad < v->len) {
                _cleanup_free_ char *why = NULL;
                if (asprintf(&why,
                             "the value holds a %s: some systemd versions drop the whole variable; remove it",
                             byte_name((unsigned char) v->s[bad], buf)) < 0)
                        return -ENOMEM;
                mark_unsafe(f, v->src[bad] == TEXT_NO_SOURCE ? (size_t) (key - f->content) : v->off[bad], why);
        }
        return 0;
}

/* systemd's EnvironmentFile= grammar (parse_env_file_internal()): KEY=VALUE
 * per line, # and ; comments. Quotes open only where a value starts or right
 * after a closing quote, where whitespace is skipped too; elsewhere they are
 * plain characters ("A=--x=\"y\"" keeps its quotes). Single quotes are
 * literal; double quotes unescape \" \\ \` \$ and drop backslash-newline,
 * and keep any other backslash; outside quotes a backslash escapes the next
 * character and backslash-newline joins lines. Only unquoted, unescaped
 * trailing whitespace is dropped. No expansion. */
static int parse_systemd(Env *e, SourceSet *s, uint32_t id, char ***problems) {
        SourceFile *f = source_set_get(s, id);
        const char *c = f->content;
        size_t size = f->size, i = 0;
        int r;

        while (i < size) {
                enum { PRE_VALUE, VALUE, SINGLE_QUOTE, DOUBLE_QUOTE } state = PRE_VALUE;
                size_t line_start, key_start, key_end, chomp = SIZE_MAX, quote_open = 0;
                _cleanup_free_ char *key = NULL;
                Text value = {};
                unsigned line, col;

                while (i < size && strchr(" \t\r\n", c[i]))
                        i++;
                if (i >= size)
                        break;
                line_start = i;
                if (c[i] == '#' || c[i] == ';') {
                        size_t eol;

                        i = skip_to_eol(c, size, i);
                        eol = i;
                        if (eol > line_start && c[eol - 1] == '\r')
                                eol--;
                        /* Up to systemd 253 a comment ending in a backslash
                         * swallows the next line; from 254 on it does not. */
                        if (eol > line_start && c[eol - 1] == '\\')
                                mark_unsafe(f, eol - 1,
                                            "a comment line ends in a backslash: systemd before version 254 reads "
                                            "the next line as part of the comment, later versions do not; remove "
                                            "the backslash");
                        continue;
                }
                key_start = i;
                while (i < size && c[i] != '=' && !strchr("\r\n", c[i]))
                        i++;
                if (i >= size || c[i] != '=') {
                        r = add_problem(problems, f, line_start, "not an assignment, ignored");
                        if (r < 0)
                                return r;
                        i = skip_to_eol(c, size, i);
                        continue;
                }
                key_end = i;
                while (key_end > key_start && strchr(" \t", c[key_end - 1]))
                        key_end--;
                i++; /* '=' */

                for (; i < size; i++) {
                        char ch = c[i];

                        r = 0;
                        if (state == PRE_VALUE && (ch == '\'' || ch == '"'))
                                quote_open = i;
                        if (state == SINGLE_QUOTE) {
                                if (ch == '\'')
                                        state = PRE_VALUE;
                                else
                                        r = text_append(&value, ch, id, i);
                        } else if (state == DOUBLE_QUOTE) {
                                if (ch == '"')
                                        state = PRE_VALUE;
                                else if (ch == '\\' && i + 1 < size) {
                                        i++;
                                        if (strchr("\"\\`$", c[i]))
                                                r = text_append(&value, c[i], id, i);
                                        else if (c[i] != '\n') {
                                                r = text_append(&value, '\\', id, i - 1);
                                                if (r >= 0)
                                                        r = text_append(&value, c[i], id, i);
                                        }
                                } else
                                        r = text_append(&value, ch, id, i);
                        } else if (ch == '\n' || ch == '\r')
                                break;
                        else if (ch == '\\') {
                                if (i + 1 < size) {
                                        i++;
                                        if (!strchr("\r\n", c[i]))
                                                r = text_append(&value, c[i], id, i);
                                }
                                state = VALUE;
                                chomp = SIZE_MAX;
                        } else if (state == PRE_VALUE && ch == '\'')
                                state = SINGLE_QUOTE;
                        else if (state == PRE_VALUE && ch == '"')
                                state = DOUBLE_QUOTE;
                        else if (state == PRE_VALUE && strchr(" \t", ch))
                                continue;
                        else {
                                state = VALUE;
                                if (!strchr(" \t", ch))
                                        chomp = SIZE_MAX;
                                else if (chomp == SIZE_MAX)
                                        chomp = value.len;
                                r = text_append(&value, ch, id, i);
                        }
                        if (r < 0) {
                                text_done(&value);
                                return r;
                        }
                }
                if (state == VALUE && chomp != SIZE_MAX) {
                        value.len = chomp;
                        value.s[chomp] = '\0';
                }

                if (state == SINGLE_QUOTE || state == DOUBLE_QUOTE) {
                        /* systemd takes everything up to the end of the
                         * file; that is hardly what was meant. */
                        r = add_problem(problems, f, quote_open, "unterminated quote");
                        mark_unsafe(f, quote_open,
                                    "this quote is never closed: systemd reads the rest of the file into the value; "
                                    "close the quote");
                        if (r < 0) {
                                text_done(&value);
                                return r;
                        }
                }
                r = check_systemd_value(f, c + key_start, key_end - key_start, &value);
                if (r < 0) {
                        text_done(&value);
                        return r;
                }
                if (!env_name_is_valid(c + key_start, key_end - key_start)) {
                        r = add_problem(problems, f, line_start, "invalid variable name, assignment ignored");
                        text_done(&value);
                        if (r < 0)
                                return r;
                        continue;
                }
                key = strndup(c + key_start, key_end - key_start);
                if (!key) {
                        text_done(&value);
                        return -ENOMEM;
                }
                source_position(f, line_start, &line, &col);
                r = env_set(e, key, &value, id, line);
                text_done(&value);
                if (r < 0)
                        return r;
        }
        return 0;
}


int env_parse(Env *e, SourceSet *s, uint32_t id, EnvSyntax syntax, char ***ret_problems) {
        return syntax == ENV_SYNTAX_SHELL ? envfile_parse_shell(e, s, id, ret_problems)
                                          : parse_systemd(e, s, id, ret_problems);
}

/* systemd's Environment= value: whitespace-separated words, each possibly
 * quoted, each an assignment. Offsets come from t. */
int env_parse_assignments(Env *e, const Text *t, uint32_t src, unsigned line, char ***ret_problems) {
        size_t i = 0;
        int r;

        while (i < t->len) {
                Text word = {};
                char quote = 0;
                bool bad_escape = false;

                while (i < t->len && strchr(" \t", t->s[i]))
                        i++;
                if (i >= t->len)
                        break;
                /* As systemd's extract_first_word() with EXTRACT_UNQUOTE and
                 * EXTRACT_CUNESCAPE: quotes of either kind, and C escapes
                 * inside them as well as outside. */
                while (i < t->len && (quote || !strchr(" \t", t->s[i]))) {
                        char ch = t->s[i];
                        if (!quote && (ch == '"' || ch == '\'')) {
                                quote = ch;
                                i++;
                                continue;
                        }
                        if (quote && ch == quote) {
                                quote = 0;
                                i++;
                                continue;
                        }
                        if (ch == '\\') {
                                size_t len;

                                r = text_append_c_escape(&word, t->s + i + 1, t->len - i - 1, t->src[i], t->off[i],
                                                         &len);
                                if (r == -EINVAL) {
                                        bad_escape = true;
                                        i++;
                                        continue;
                                }
                                if (r < 0) {
                                        text_done(&word);
                                        return r;
                                }
                                i += 1 + len;
                                continue;
                        }
                        r = text_append(&word, ch, t->src[i], t->off[i]);
                        if (r < 0) {
                                text_done(&word);
                                return r;
                        }
                        i++;
                }
                if (bad_escape) {
                        /* systemd stops reading the line there, with a
                         * warning: that assignment and those after it are
                         * ignored. */
                        r = strv_extendf(ret_problems,
                                         "Environment= line %u: '%s' has an escape systemd does not know: it "
                                         "ignores that assignment and the rest of the line",
                                         line, strempty(word.s));
                        text_done(&word);
                        return r < 0 ? r : 0;
                }

                if (quote) {
                        /* A quote never closed: systemd 252 says "Invalid
                         * syntax, ignoring" and sets nothing of the line's
                         * last word. */
                        r = strv_extendf(ret_problems,
                                         "Environment= line %u: '%s' has a quote that is never closed: systemd "
                                         "ignores that assignment",
                                         line, strempty(word.s));
                        text_done(&word);
                        return r < 0 ? r : 0;
                }

                char *eq = word.s ? strchr(word.s, '=') : NULL;
                if (!eq || !env_name_is_valid(word.s, eq - word.s)) {
                        r = strv_extendf(ret_problems, "Environment= line %u: '%s' is not an assignment", line,
                                         strempty(word.s));
                        text_done(&word);
                        if (r < 0)
                                return r;
                        continue;
                }

                _cleanup_free_ char *name = strndup(word.s, eq - word.s);
                Text value = {};
                size_t vs = eq - word.s + 1;
                r = name ? text_append_text(&value, &word, vs, word.len) : -ENOMEM;
                if (r >= 0)
                        r = env_set(e, name, &value, src, line);
                text_done(&value);
                text_done(&word);
                if (r < 0)
                        return r;
        }
        return 0;
}
