/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A file sourced by sh (/etc/default/docker, /etc/sysconfig/docker): plain
 * assignments evaluated as sh would, quotes, backslashes, $NAME and ${NAME}
 * included; anything sh would run or evaluate beyond that is reported and
 * makes the file unsafe to edit. The variables and systemd's grammars are
 * envfile.c's. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/envfile-internal.h"
#include "util/macro.h"

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
int envfile_parse_shell(Env *e, SourceSet *s, uint32_t id, char ***problems) {
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

/* What env_eval_words() does not evaluate: why, for a message that goes
 * on "...: " after the variable's name. */
#define EVAL_CMD_SUBST_WHY \
        "command substitution (`...` or $(...)): sh runs it when the options are evaluated again, this program cannot"
#define EVAL_DOLLAR_WHY                                                                                      \
        "a '$' construct other than $NAME or ${NAME} (arithmetic, a parameter operator or a special "        \
        "parameter): sh evaluates it when the options are evaluated again, this program cannot"
#define EVAL_UNKNOWN_WHY \
        "a variable this program does not know: its value when the options are evaluated again is not known"
#define EVAL_OPERATOR_WHY                                                                                     \
        "a ';', '&', '|', '<', '>', '(' or ')': when the options are evaluated again, sh reads it as part of " \
        "the command, not of an option"
#define EVAL_TILDE_WHY "a '~' that starts a word: when the options are evaluated again, sh expands it to a home directory"
#define EVAL_PATTERN_WHY \
        "a '*', '?' or '[': the options are expanded unquoted, so sh would replace the word with matching file names"
#define EVAL_QUOTE_WHY \
        "a quote that is never closed: when the options are evaluated again, sh fails, and Docker does not start"

typedef struct EvalState {
        const Env *env;
        const Text *in;
        size_t i;
        Text word;
        bool have;     /* a word has begun (a quote makes an empty one) */
        WordList out;
        const char *why;
        size_t why_at; /* in in */
} EvalState;

static int eval_flush(EvalState *st) {
        int r;

        if (!st->have)
                return 0;
        r = st->word.s ? 0 : text_append_literal(&st->word, "");
        if (r >= 0)
                r = word_list_add_slice(&st->out, &st->word, 0, st->word.len);
        text_done(&st->word);
        st->have = false;
        return r;
}

static int eval_fail(EvalState *st, size_t at, const char *why) {
        st->why = why;
        st->why_at = at;
        return 0;
}

/* $NAME or ${NAME} at in[i]; outside double quotes its value is split at
 * blanks. 1 when done, 0 when not evaluated (st->why). */
static int eval_dollar(EvalState *st, bool quoted) {
        const Text *in = st->in;
        size_t at = st->i, j = at + 1, ns, ne;
        bool braced = false;
        const EnvVar *v;
        int r = 0;

        /* A '$' before nothing that names a parameter is itself. */
        if (j >= in->len || strchr(quoted ? " \"" : " ", in->s[j])) {
                st->have = true;
                st->i++;
                r = text_append_char_of(&st->word, in, at);
                return r < 0 ? r : 1;
        }
        if (in->s[j] == '(')
                return eval_fail(st, at, EVAL_CMD_SUBST_WHY);
        if (in->s[j] == '{') {
                braced = true;
                j++;
        }
        ns = j;
        while (j < in->len && (isalnum((unsigned char) in->s[j]) || in->s[j] == '_'))
                j++;
        ne = j;
        if (!env_name_is_valid(in->s + ns, ne - ns) || (braced && (j >= in->len || in->s[j] != '}')))
                return eval_fail(st, at, EVAL_DOLLAR_WHY);
        if (braced)
                j++;

        _cleanup_free_ char *name = strndup(in->s + ns, ne - ns);
        if (!name)
                return -ENOMEM;
        v = env_get(st->env, name);
        if (!v)
                return eval_fail(st, at, EVAL_UNKNOWN_WHY);
        for (size_t k = 0; k < v->value.len && r >= 0; k++) {
                char c = v->value.s[k];

                if (!quoted && strchr(" \t\n", c)) {
                        r = eval_flush(st);
                        continue;
                }
                if (!quoted && strchr("*?[", c))
                        return eval_fail(st, at, EVAL_PATTERN_WHY);
                st->have = true;
                r = text_append_char_of(&st->word, &v->value, k);
                if (r >= 0)
                        st->word.flags[st->word.len - 1] |= TEXT_EXPANDED;
        }
        if (r < 0)
                return r;
        if (quoted)
                st->have = true;
        st->i = j;
        return 1;
}

int env_eval_words(const Env *e, const Text *t, WordList *ret, uint32_t *ret_src, size_t *ret_off,
                   const char **ret_why) {
        _cleanup_(text_done) Text in = {};
        EvalState st = { .env = e, .in = &in };
        bool blank = false;
        char quote = 0;
        int r = 0;

        /* The unquoted expansion that hands the value to eval: fields
         * split at blanks (patterns would be expanded there already),
         * then joined with one space each. */
        for (size_t k = 0; k < t->len && r >= 0; k++) {
                if (strchr(" \t\n", t->s[k])) {
                        blank = in.len > 0;
                        continue;
                }
                if (strchr("*?[", t->s[k])) {
                        *ret_src = t->src[k];
                        *ret_off = t->off[k];
                        *ret_why = EVAL_PATTERN_WHY;
                        return 0;
                }
                if (blank)
                        r = text_append(&in, ' ', TEXT_NO_SOURCE, 0);
                blank = false;
                if (r >= 0)
                        r = text_append_char_of(&in, t, k);
        }
        if (r < 0)
                return r;

        while (r >= 0 && !st.why && st.i < in.len) {
                char ch = in.s[st.i];

                if (quote == '\'') {
                        if (ch == '\'')
                                quote = 0;
                        else
                                r = text_append_char_of(&st.word, &in, st.i);
                        st.i++;
                } else if (quote == '"') {
                        if (ch == '"') {
                                quote = 0;
                                st.i++;
                        } else if (ch == '`')
                                r = eval_fail(&st, st.i, EVAL_CMD_SUBST_WHY);
                        else if (ch == '$')
                                r = eval_dollar(&st, true);
                        else {
                                if (ch == '\\' && st.i + 1 < in.len && strchr("$`\"\\", in.s[st.i + 1]))
                                        st.i++;
                                r = text_append_char_of(&st.word, &in, st.i++);
                        }
                } else if (ch == ' ') {
                        r = eval_flush(&st);
                        st.i++;
                } else if (ch == '\'' || ch == '"') {
                        quote = ch;
                        st.have = true;
                        st.i++;
                } else if (ch == '`')
                        r = eval_fail(&st, st.i, EVAL_CMD_SUBST_WHY);
                else if (ch == '$')
                        r = eval_dollar(&st, false);
                else if (strchr(";&|<>()", ch))
                        r = eval_fail(&st, st.i, EVAL_OPERATOR_WHY);
                else if (!st.have && ch == '#')
                        break; /* a comment: the rest is not read */
                else if (!st.have && ch == '~')
                        r = eval_fail(&st, st.i, EVAL_TILDE_WHY);
                else {
                        /* A backslash takes the next character as it
                         * is; one at the very end is itself. */
                        if (ch == '\\' && st.i + 1 < in.len)
                                st.i++;
                        st.have = true;
                        r = text_append_char_of(&st.word, &in, st.i++);
                }
        }
        if (r >= 0 && !st.why && quote)
                (void) eval_fail(&st, in.len - 1, EVAL_QUOTE_WHY);
        if (r >= 0 && !st.why)
                r = eval_flush(&st);
        text_done(&st.word);
        if (r < 0 || st.why) {
                word_list_done(&st.out);
                if (r < 0)
                        return r;
                *ret_src = in.src[st.why_at];
                *ret_off = in.off[st.why_at];
                *ret_why = st.why;
                return 0;
        }
        *ret = st.out;
        return 1;
}
