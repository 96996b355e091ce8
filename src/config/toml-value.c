/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One TOML key or value at an offset: strings decoded (basic, literal),
 * multi-line strings, arrays and inline tables walked, integers read, the
 * rest checked for its shape and skipped. The lines and tables around them
 * are toml.c's. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml-internal.h"
#include "util/macro.h"
#include "util/strv.h"

/* Whitespace, newlines and comments, as allowed between array elements. */
static size_t skip_ws_nl(const Parser *p, size_t i) {
        for (;;) {
                size_t nl;
                i = skip_comment(p, skip_ws(p, i));
                nl = newline_at(p, i);
                if (!nl)
                        return i;
                i += nl;
        }
}

static bool is_bare_key_char(char c) {
        return isascii(c) && (isalnum((unsigned char) c) || c == '_' || c == '-');
}

static bool is_control(unsigned char c) {
        return (c < 0x20 && c != '\t') || c == 0x7f;
}

typedef struct Buf {
        char *s;
        size_t len, alloc;
} Buf;

static int buf_put(Buf *b, const char *s, size_t len) {
        if (b->len + len + 1 > b->alloc) {
                size_t a = (b->len + len + 1) * 2;
                char *n = realloc(b->s, a);
                if (!n)
                        return -ENOMEM;
                b->s = n;
                b->alloc = a;
        }
        memcpy(b->s + b->len, s, len);
        b->len += len;
        b->s[b->len] = '\0';
        return 0;
}

static int buf_put_utf8(Buf *b, unsigned long cp) {
        char u[4];
        size_t l;

        if (cp < 0x80) {
                u[0] = (char) cp;
                l = 1;
        } else if (cp < 0x800) {
                u[0] = (char) (0xc0 | (cp >> 6));
                u[1] = (char) (0x80 | (cp & 0x3f));
                l = 2;
        } else if (cp < 0x10000) {
                u[0] = (char) (0xe0 | (cp >> 12));
                u[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char) (0x80 | (cp & 0x3f));
                l = 3;
        } else {
                u[0] = (char) (0xf0 | (cp >> 18));
                u[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                u[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[3] = (char) (0x80 | (cp & 0x3f));
                l = 4;
        }
        return buf_put(b, u, l);
}

/* A one-line basic string at i (the opening quote). */
static int parse_basic(Parser *p, size_t i, char **ret, bool *ret_plain, size_t *ret_end) {
        _cleanup_free_ char *s = NULL;
        Buf b = {};
        bool plain = true;
        int r;

        if ((r = buf_put(&b, "", 0)) < 0)
                return r;
        for (i++;; i++) {
                unsigned char c;

                if (i >= p->n || newline_at(p, i)) {
                        free(b.s);
                        return fail(p, i, "a string is not closed on its line");
                }
                c = (unsigned char) p->t[i];
                if (c == '"')
                        break;
                if (is_control(c)) {
                        free(b.s);
                        return fail(p, i, "a control character in a string");
                }
                if (c != '\\') {
                        r = buf_put(&b, p->t + i, 1);
                } else {
                        unsigned long cp = 0;
                        size_t digits = 0;
                        char e = i + 1 < p->n ? p->t[i + 1] : '\0';

                        plain = false;
                        i++;
                        switch (e) {
                        case 'b': r = buf_put(&b, "\b", 1); break;
                        case 't': r = buf_put(&b, "\t", 1); break;
                        case 'n': r = buf_put(&b, "\n", 1); break;
                        case 'f': r = buf_put(&b, "\f", 1); break;
                        case 'r': r = buf_put(&b, "\r", 1); break;
                        case 'e': r = buf_put(&b, "\033", 1); break;
                        case '"': r = buf_put(&b, "\"", 1); break;
                        case '\\': r = buf_put(&b, "\\", 1); break;
                        case 'u': digits = 4; break;
                        case 'U': digits = 8; break;
                        default:
                                free(b.s);
                                return fail(p, i - 1, "an unknown escape in a string");
                        }
                        if (digits) {
                                for (size_t k = 0; k < digits; k++) {
                                        char h = i + 1 + k < p->n ? p->t[i + 1 + k] : '\0';
                                        if (!isxdigit((unsigned char) h)) {
                                                free(b.s);
                                                return fail(p, i - 1, "a \\u escape needs hex digits");
                                        }
                                        cp = cp * 16 + (unsigned long) (isdigit((unsigned char) h) ? h - '0'
                                                                                                   : (tolower(h) - 'a' + 10));
                                }
                                if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                                        free(b.s);
                                        return fail(p, i - 1, "a \\u escape that is not a Unicode scalar value");
                                }
                                i += digits;
                                r = buf_put_utf8(&b, cp);
                        }
                }
                if (r < 0) {
                        free(b.s);
                        return r;
                }
        }
        s = b.s;
        *ret = TAKE_PTR(s);
        *ret_plain = plain;
        *ret_end = i + 1;
        return 0;
}

/* A one-line literal string at i (the opening quote). */
static int parse_literal(Parser *p, size_t i, char **ret, size_t *ret_end) {
        size_t start = i + 1;
        char *s;

        for (i = start;; i++) {
                if (i >= p->n || newline_at(p, i))
                        return fail(p, i, "a string is not closed on its line");
                if (p->t[i] == '\'')
                        break;
                if (is_control((unsigned char) p->t[i]))
                        return fail(p, i, "a control character in a string");
        }
        s = strndup(p->t + start, i - start);
        if (!s)
                return -ENOMEM;
        *ret = s;
        *ret_end = i + 1;
        return 0;
}

/* A multi-line string (''' or """) at i: skipped, not decoded. */
static int skip_multiline(Parser *p, size_t i, size_t *ret_end) {
        char q = p->t[i];
        size_t start = i;

        for (i += 3; i + 2 < p->n; i++) {
                if (q == '"' && p->t[i] == '\\') {
                        i++;
                        continue;
                }
                if (p->t[i] == q && p->t[i + 1] == q && p->t[i + 2] == q) {
                        i += 3;
                        /* Up to two more quotes belong to the content. */
                        for (int k = 0; k < 2 && i < p->n && p->t[i] == q; k++)
                                i++;
                        *ret_end = i;
                        return 0;
                }
        }
        return fail(p, start, "a multi-line string is not closed");
}

static bool starts3(const Parser *p, size_t i, char q) {
        return i + 2 < p->n && p->t[i] == q && p->t[i + 1] == q && p->t[i + 2] == q;
}

/* One or more key parts joined by dots. */
int toml_parse_key(Parser *p, size_t i, char ***ret, size_t *ret_end) {
        _cleanup_strv_free_ char **parts = NULL;
        int r;

        for (;;) {
                _cleanup_free_ char *part = NULL;
                size_t end;

                i = skip_ws(p, i);
                if (i >= p->n)
                        return fail(p, i, "a key is missing");
                if (p->t[i] == '"') {
                        bool plain;
                        if (starts3(p, i, '"'))
                                return fail(p, i, "a multi-line string cannot be a key");
                        r = parse_basic(p, i, &part, &plain, &end);
                } else if (p->t[i] == '\'') {
                        if (starts3(p, i, '\''))
                                return fail(p, i, "a multi-line string cannot be a key");
                        r = parse_literal(p, i, &part, &end);
                } else {
                        end = i;
                        while (end < p->n && is_bare_key_char(p->t[end]))
                                end++;
                        if (end == i)
                                return fail(p, i, "a key is missing");
                        part = strndup(p->t + i, end - i);
                        r = part ? 0 : -ENOMEM;
                }
                if (r < 0)
                        return r;
                r = strv_consume(&parts, TAKE_PTR(part));
                if (r < 0)
                        return r;
                i = skip_ws(p, end);
                if (i < p->n && p->t[i] == '.') {
                        i++;
                        continue;
                }
                *ret = TAKE_PTR(parts);
                *ret_end = i;
                return 0;
        }
}

static bool is_decimal_integer(const char *s) {
        const char *q = s;

        if (*q == '+' || *q == '-')
                q++;
        if (!isdigit((unsigned char) *q))
                return false;
        if (*q == '0')
                return q[1] == '\0';
        for (; *q; q++) {
                if (*q == '_') {
                        if (!isdigit((unsigned char) q[1]) || !isdigit((unsigned char) q[-1]))
                                return false;
                        continue;
                }
                if (!isdigit((unsigned char) *q))
                        return false;
        }
        return true;
}

static bool is_date(const char *s, size_t len) {
        return len == 10 && isdigit((unsigned char) s[0]) && isdigit((unsigned char) s[3]) && s[4] == '-' && s[7] == '-';
}

/* A value at i. kv (may be NULL: inside an array or inline table) gets its
 * type and decoded content. */
int toml_parse_value(Parser *p, size_t i, TomlKeyValue *kv, size_t *ret_end, unsigned depth) {
        TomlKeyValue scratch = {};
        int r;

        if (!kv)
                kv = &scratch;
        kv->type = TOML_OTHER;
        if (depth > 64)
                return fail(p, i, "values nested too deep");
        if (i >= p->n || newline_at(p, i) || p->t[i] == '#')
                return fail(p, i, "a value is missing");

        switch (p->t[i]) {
        case '"':
                if (starts3(p, i, '"'))
                        return skip_multiline(p, i, ret_end);
                r = parse_basic(p, i, &kv->string, &kv->plain, ret_end);
                if (r < 0)
                        return r;
                kv->type = TOML_STRING;
                kv->quote = '"';
                break;
        case '\'':
                if (starts3(p, i, '\''))
                        return skip_multiline(p, i, ret_end);
                r = parse_literal(p, i, &kv->string, ret_end);
                if (r < 0)
                        return r;
                kv->type = TOML_STRING;
                kv->quote = '\'';
                kv->plain = true;
                break;
        case '[': {
                _cleanup_strv_free_ char **strings = calloc(1, sizeof(char *));
                bool all_strings = true;

                if (!strings)
                        return -ENOMEM;
                for (i = skip_ws_nl(p, i + 1);;) {
                        TomlKeyValue el = {};
                        size_t end;

                        if (i < p->n && p->t[i] == ']')
                                break;
                        r = toml_parse_value(p, i, &el, &end, depth + 1);
                        if (r >= 0 && el.type == TOML_STRING)
                                r = strv_extend(&strings, el.string);
                        else
                                all_strings = false;
                        toml_kv_done(&el);
                        if (r < 0)
                                return r;
                        i = skip_ws_nl(p, end);
                        if (i < p->n && p->t[i] == ',') {
                                i = skip_ws_nl(p, i + 1);
                                continue;
                        }
                        if (i < p->n && p->t[i] == ']')
                                break;
                        return fail(p, i, "an array element is followed by neither ',' nor ']'");
                }
                *ret_end = i + 1;
                if (all_strings) {
                        kv->type = TOML_STRING_ARRAY;
                        kv->strings = TAKE_PTR(strings);
                }
                break;
        }
        case '{':
                i = skip_ws(p, i + 1);
                if (i < p->n && p->t[i] == '}') {
                        *ret_end = i + 1;
                        break;
                }
                for (;;) {
                        _cleanup_strv_free_ char **key = NULL;
                        size_t end;

                        r = toml_parse_key(p, i, &key, &end);
                        if (r < 0)
                                return r;
                        i = skip_ws(p, end);
                        if (i >= p->n || p->t[i] != '=')
                                return fail(p, i, "'=' is missing after a key");
                        r = toml_parse_value(p, skip_ws(p, i + 1), NULL, &end, depth + 1);
                        if (r < 0)
                                return r;
                        i = skip_ws(p, end);
                        if (i < p->n && p->t[i] == ',') {
                                i = skip_ws(p, i + 1);
                                continue;
                        }
                        if (i < p->n && p->t[i] == '}')
                                break;
                        return fail(p, i, "an inline table is not closed on its line");
                }
                *ret_end = i + 1;
                break;
        default: {
                _cleanup_free_ char *tok = NULL;
                size_t end = i;

                while (end < p->n && !strchr(" \t\r\n,]}#", p->t[end]))
                        end++;
                /* A date and a time may be separated by a space. */
                if (is_date(p->t + i, end - i) && end + 1 < p->n && p->t[end] == ' ' &&
                    isdigit((unsigned char) p->t[end + 1]))
                        for (end++; end < p->n && !strchr(" \t\r\n,]}#", p->t[end]);)
                                end++;
                tok = strndup(p->t + i, end - i);
                if (!tok)
                        return -ENOMEM;
                if (!(isdigit((unsigned char) tok[0]) || tok[0] == '+' || tok[0] == '-' || streq(tok, "true") ||
                      streq(tok, "false") || streq(tok, "inf") || streq(tok, "nan")))
                        return fail(p, i, "not a TOML value (a string needs quotes)");
                if (is_decimal_integer(tok)) {
                        char *w = tok;
                        for (char *q = tok; *q; q++)
                                if (*q != '_')
                                        *w++ = *q;
                        *w = '\0';
                        errno = 0;
                        kv->integer = strtoll(tok, NULL, 10);
                        if (errno == 0)
                                kv->type = TOML_INTEGER;
                }
                *ret_end = end;
                break;
        }
        }
        toml_kv_done(&scratch);
        return 0;
}
