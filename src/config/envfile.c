/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/envfile.h"
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

static int add_problem(char ***problems, const SourceFile *f, size_t offset, const char *why) {
        unsigned line, col;
        char *m;

        source_position(f, offset, &line, &col);
        if (asprintf(&m, "%s:%u: %s", f->path, line, why) < 0)
                return -ENOMEM;
        return strv_consume(problems, m);
}

static void mark_unsafe(SourceFile *f, size_t offset, const char *why) {
        unsigned line, col;

        if (f->unsafe)
                return;
        source_position(f, offset, &line, &col);
        if (asprintf(&f->unsafe, "%s:%u:%u: %s", f->path, line, col, why) < 0)
                f->unsafe = NULL;
}

static size_t skip_to_eol(const char *c, size_t size, size_t i) {
        while (i < size && c[i] != '\n')
                i++;
        return i;
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

/* Expands $NAME or ${NAME} at c[*i] (which is '$') into t. Returns 1 when
 * expanded, 0 when the construct is beyond what we evaluate safely. */
static int expand_shell_var(const Env *e, const char *c, size_t size, size_t *i, Text *t) {
        size_t j = *i + 1, ns, ne;
        bool braced = false;
        const EnvVar *v;
        char name[256];

        if (j < size && c[j] == '{') {
                braced = true;
                j++;
        }
        ns = j;
        while (j < size && (isalnum((unsigned char) c[j]) || c[j] == '_'))
                j++;
        ne = j;
        if (!env_name_is_valid(c + ns, ne - ns) || ne - ns >= sizeof(name))
                return 0;
        if (braced) {
                if (j >= size || c[j] != '}')
                        return 0; /* ${X:-y} and friends */
                j++;
        }
        memcpy(name, c + ns, ne - ns);
        name[ne - ns] = '\0';
        v = env_get(e, name);
        if (v) {
                size_t at = t->len;
                int r = text_append_text(t, &v->value, 0, v->value.len);
                if (r < 0)
                        return r;
                text_mark(t, at, TEXT_EXPANDED);
        }
        *i = j;
        return 1;
}

/* Why parse_shell_value() stopped: a sentence with a "%s" for the
 * variable's name. */
#define CMD_SUBST_WHY                                                                                  \
        "command substitution (`...`) in the value of %s: sh runs it when Docker starts, this program " \
        "cannot; write the value out, or set the data root by hand"
#define DOLLAR_WHY                                                                                       \
        "a '$' construct other than $NAME or ${NAME} in the value of %s (command substitution, "          \
        "arithmetic, a parameter operator or a special parameter): sh evaluates it when Docker starts, " \
        "this program cannot; write the value out, or set the data root by hand"

#define UNTERMINATED_WHY                                                                                  \
        "this %s quote (in the value of %s) is never closed: sh cannot source the file (\"Unterminated " \
        "quoted string\"), so the init script fails and Docker does not start; close the quote"

/* Why parse_shell_value() stopped. */
typedef struct ShellStop {
        size_t pos; /* the byte it could not evaluate */
        char *why;
} ShellStop;

static int stop_at(ShellStop *st, size_t pos, const char *format, ...) _printf_(3, 4);
static int stop_at(ShellStop *st, size_t pos, const char *format, ...) {
        va_list ap;
        int r;

        st->pos = pos;
        va_start(ap, format);
        r = vasprintf(&st->why, format, ap);
        va_end(ap);
        if (r < 0) {
                st->why = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Parses one shell word of an assignment value at c[*i]. Returns 1 when
 * parsed, 0 when it contains something we do not evaluate (command
 * substitution, parameter operators, a quote that is never closed), with
 * where and why in *stop; negative on OOM. */
static int parse_shell_value(const Env *e, uint32_t id, const char *c, size_t size, size_t *i, Text *t,
                             const char *name, ShellStop *stop) {
        size_t j = *i;
        int r;

        while (j < size && !strchr(" \t\n;&|<>()", c[j])) {
                /* sh expands a leading ~ (and one after ':') in an
                 * assignment to a home directory. */
                if (c[j] == '~' && (j == *i || c[j - 1] == ':'))
                        return stop_at(stop, j,
                                       "'~' in the value of %s: sh expands it to a home directory, this program "
                                       "does not; write the path out",
                                       name);
                if (c[j] == '\'') {
                        size_t open = j++;
                        while (j < size && c[j] != '\'') {
                                r = text_append(t, c[j], id, j);
                                if (r < 0)
                                        return r;
                                j++;
                        }
                        if (j >= size)
                                return stop_at(stop, open, UNTERMINATED_WHY, "single", name);
                        j++;
                } else if (c[j] == '"') {
                        size_t open = j++;
                        while (j < size && c[j] != '"') {
                                if (c[j] == '`')
                                        return stop_at(stop, j, CMD_SUBST_WHY, name);
                                if (c[j] == '$') {
                                        size_t at = j;
                                        r = expand_shell_var(e, c, size, &j, t);
                                        if (r < 0)
                                                return r;
                                        if (r == 0)
                                                return stop_at(stop, at, DOLLAR_WHY, name);
                                        continue;
                                }
                                if (c[j] == '\\' && j + 1 < size && c[j + 1] == '\n') {
                                        j += 2;
                                        continue;
                                }
                                if (c[j] == '\\' && j + 1 < size && strchr("\"\\`$", c[j + 1]))
                                        j++;
                                r = text_append(t, c[j], id, j);
                                if (r < 0)
                                        return r;
                                j++;
                        }
                        if (j >= size)
                                return stop_at(stop, open, UNTERMINATED_WHY, "double", name);
                        j++;
                } else if (c[j] == '`') {
                        return stop_at(stop, j, CMD_SUBST_WHY, name);
                } else if (c[j] == '$') {
                        size_t at = j;
                        r = expand_shell_var(e, c, size, &j, t);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return stop_at(stop, at, DOLLAR_WHY, name);
                } else if (c[j] == '\\' && j + 1 < size) {
                        if (c[j + 1] != '\n') {
                                r = text_append(t, c[j + 1], id, j + 1);
                                if (r < 0)
                                        return r;
                        }
                        j += 2;
                } else {
                        r = text_append(t, c[j], id, j);
                        if (r < 0)
                                return r;
                        j++;
                }
        }
        if (!t->s) {
                r = text_append_literal(t, "");
                if (r < 0)
                        return r;
        }
        *i = j;
        return 1;
}

/* A file sourced by sh. We evaluate plain assignments only; anything else
 * (a command, an if, a function) might change the variables in ways we
 * cannot know, so it makes the file unsafe to edit and is reported. */
static int parse_shell(Env *e, SourceSet *s, uint32_t id, char ***problems) {
        SourceFile *f = source_set_get(s, id);
        const char *c = f->content;
        size_t size = f->size, i = 0;
        int r;

        while (i < size) {
                size_t stmt, ns;
                unsigned line, col;

                while (i < size && strchr(" \t\r\n;", c[i]))
                        i++;
                if (i >= size)
                        break;
                if (c[i] == '#') {
                        i = skip_to_eol(c, size, i);
                        continue;
                }
                stmt = i;
                if (startswith(c + i, "export") && i + 6 < size && strchr(" \t", c[i + 6])) {
                        i += 6;
                        while (i < size && strchr(" \t", c[i]))
                                i++;
                }
                ns = i;
                while (i < size && (isalnum((unsigned char) c[i]) || c[i] == '_'))
                        i++;
                if (i >= size || c[i] != '=' || !env_name_is_valid(c + ns, i - ns)) {
                        /* "export NAME" alone is harmless. */
                        size_t eol = skip_to_eol(c, size, stmt);
                        bool bare_export = i > ns && env_name_is_valid(c + ns, i - ns) && ns > stmt;
                        size_t k = i;
                        while (k < eol && strchr(" \t", c[k]))
                                k++;
                        if (bare_export && (k >= eol || c[k] == '#')) {
                                i = eol;
                                continue;
                        }
                        r = add_problem(problems, f, stmt, "not a plain assignment; its effect is not evaluated");
                        if (r < 0)
                                return r;
                        mark_unsafe(f, stmt,
                                    "a shell command, not a plain NAME=value assignment: sh runs it when Docker "
                                    "starts, and this program cannot tell what it does to dockerd's options; move "
                                    "it out of the file, or set the data root by hand");
                        i = eol;
                        continue;
                }

                _cleanup_free_ char *name = strndup(c + ns, i - ns);
                ShellStop st = {};
                Text value = {};
                if (!name)
                        return -ENOMEM;
                i++; /* '=' */
                r = parse_shell_value(e, id, c, size, &i, &value, name, &st);
                if (r < 0) {
                        text_done(&value);
                        return r;
                }
                if (r == 0) {
                        _cleanup_free_ char *why = st.why;

                        text_done(&value);
                        if (!why)
                                return -ENOMEM;
                        r = add_problem(problems, f, st.pos, why);
                        if (r < 0)
                                return r;
                        mark_unsafe(f, st.pos, why);
                        i = skip_to_eol(c, size, stmt);
                        continue;
                }
                /* "A=1 command" runs a command with A in its environment only. */
                while (i < size && strchr(" \t", c[i]))
                        i++;
                if (i < size && !strchr("\n;#", c[i])) {
                        text_done(&value);
                        r = add_problem(problems, f, stmt, "assignment followed by a command; not evaluated");
                        if (r < 0)
                                return r;
                        mark_unsafe(f, stmt,
                                    "an assignment followed by a command: sh runs the command when Docker starts; "
                                    "put each assignment on a line of its own and remove the command");
                        i = skip_to_eol(c, size, i);
                        continue;
                }
                source_position(f, stmt, &line, &col);
                r = env_set(e, name, &value, id, line);
                text_done(&value);
                if (r < 0)
                        return r;
        }
        return 0;
}

int env_parse(Env *e, SourceSet *s, uint32_t id, EnvSyntax syntax, char ***ret_problems) {
        return syntax == ENV_SYNTAX_SHELL ? parse_shell(e, s, id, ret_problems) : parse_systemd(e, s, id, ret_problems);
}

/* systemd's Environment= value: whitespace-separated words, each possibly
 * quoted, each an assignment. Offsets come from t. */
int env_parse_assignments(Env *e, const Text *t, uint32_t src, unsigned line, char ***ret_problems) {
        size_t i = 0;
        int r;

        while (i < t->len) {
                Text word = {};
                char quote = 0;

                while (i < t->len && strchr(" \t", t->s[i]))
                        i++;
                if (i >= t->len)
                        break;
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
                        if (ch == '\\' && i + 1 < t->len && quote != '\'') {
                                i++;
                                ch = t->s[i];
                        }
                        r = text_append(&word, ch, t->src[i], t->off[i]);
                        if (r < 0) {
                                text_done(&word);
                                return r;
                        }
                        i++;
                }

                char *eq = word.s ? strchr(word.s, '=') : NULL;
                if (!eq || !env_name_is_valid(word.s, eq - word.s)) {
                        char *m;
                        if (asprintf(&m, "Environment= line %u: '%s' is not an assignment", line, strempty(word.s)) < 0 ||
                            strv_consume(ret_problems, m) < 0) {
                                text_done(&word);
                                return -ENOMEM;
                        }
                        text_done(&word);
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
