/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dockerd's reading of the file: what Go's encoding/json refuses and cJSON
 * takes, and what each Engine version makes of a byte-order mark or an empty
 * file. The reading and editing are in daemon-json.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/daemon-json.h"
#include "util/macro.h"
#include "util/utf8.h"

#define STRICT_MAX_DEPTH 1000 /* cJSON's nesting limit; Go's is higher */

typedef struct Scan {
        const char *t;
        size_t n, i;
        unsigned depth;
        size_t err_off;
        char *err;
} Scan;

static bool scan_fail(Scan *s, size_t off, const char *format, ...) _printf_(3, 4);
static bool scan_fail(Scan *s, size_t off, const char *format, ...) {
        va_list ap;

        if (s->err)
                return false;
        s->err_off = off;
        va_start(ap, format);
        if (vasprintf(&s->err, format, ap) < 0)
                s->err = NULL;
        va_end(ap);
        return false;
}

static void scan_ws(Scan *s) {
        while (s->i < s->n && strchr(" \t\r\n", s->t[s->i]) && s->t[s->i])
                s->i++;
}

static bool scan_string(Scan *s) {
        char buf[32];

        s->i++; /* the opening quote */
        for (;;) {
                unsigned char c;

                if (s->i >= s->n)
                        return scan_fail(s, s->n, "a string that is never closed");
                c = (unsigned char) s->t[s->i];
                if (c == '"') {
                        s->i++;
                        return true;
                }
                if (c < 0x20)
                        return scan_fail(s, s->i,
                                         "a raw %s inside a string: cJSON takes it, Go's JSON decoder (dockerd) "
                                         "refuses the file (\"invalid character in string literal\"); write it "
                                         "escaped (\\t, \\n, \\r, \\u00XX) or remove it",
                                         byte_name(c, buf));
                if (c == '\\') {
                        char e = s->i + 1 < s->n ? s->t[s->i + 1] : '\0';
                        if (e && strchr("\"\\/bfnrt", e)) {
                                s->i += 2;
                                continue;
                        }
                        if (e == 'u') {
                                for (size_t k = 2; k < 6; k++)
                                        if (s->i + k >= s->n || !strchr("0123456789abcdefABCDEF", s->t[s->i + k]) ||
                                            !s->t[s->i + k])
                                                return scan_fail(s, s->i, "an invalid \\u escape in a string");
                                s->i += 6;
                                continue;
                        }
                        return scan_fail(s, s->i, "an invalid escape in a string (\\%c)", e ? e : ' ');
                }
                s->i++;
        }
}

static bool scan_digits(Scan *s) {
        size_t start = s->i;
        while (s->i < s->n && s->t[s->i] >= '0' && s->t[s->i] <= '9')
                s->i++;
        return s->i > start;
}

static bool scan_number(Scan *s) {
        size_t start = s->i;
        char *copy;
        double v;

        if (s->t[s->i] == '-')
                s->i++;
        if (s->i < s->n && s->t[s->i] == '0')
                s->i++;
        else if (!scan_digits(s))
                return scan_fail(s, start, "an invalid number");
        if (s->i < s->n && s->t[s->i] == '.') {
                s->i++;
                if (!scan_digits(s))
                        return scan_fail(s, start, "an invalid number (no digit after the '.')");
        }
        if (s->i < s->n && (s->t[s->i] == 'e' || s->t[s->i] == 'E')) {
                s->i++;
                if (s->i < s->n && (s->t[s->i] == '+' || s->t[s->i] == '-'))
                        s->i++;
                if (!scan_digits(s))
                        return scan_fail(s, start, "an invalid number (no digit in the exponent)");
        }
        /* dockerd reads every number of the file into a float64 first. */
        copy = strndup(s->t + start, s->i - start);
        if (!copy)
                return scan_fail(s, start, "out of memory");
        v = strtod(copy, NULL);
        free(copy);
        if (isinf(v))
                return scan_fail(s, start, "a number too large for dockerd, which reads numbers as 64-bit floats");
        return true;
}

static bool scan_literal(Scan *s, const char *lit) {
        size_t l = strlen(lit);
        if (s->n - s->i < l || memcmp(s->t + s->i, lit, l) != 0)
                return scan_fail(s, s->i, "an invalid value");
        s->i += l;
        return true;
}

static bool scan_value(Scan *s) {
        char c, buf[32];

        scan_ws(s);
        if (s->i >= s->n)
                return scan_fail(s, s->n, "the file ends where a value should be");
        c = s->t[s->i];
        if (c == '{' || c == '[') {
                char close = c == '{' ? '}' : ']';
                bool first = true;

                if (++s->depth > STRICT_MAX_DEPTH)
                        return scan_fail(s, s->i, "nested deeper than %u levels", STRICT_MAX_DEPTH);
                s->i++;
                for (;;) {
                        scan_ws(s);
                        if (s->i >= s->n)
                                return scan_fail(s, s->n, "the file ends inside an %s",
                                                 c == '{' ? "object" : "array");
                        if (s->t[s->i] == close) {
                                if (!first)
                                        return scan_fail(s, s->i, "a comma before '%c'", close);
                                s->i++;
                                break;
                        }
                        if (c == '{') {
                                if (s->t[s->i] != '"')
                                        return scan_fail(s, s->i, "a member name must be a string");
                                if (!scan_string(s))
                                        return false;
                                scan_ws(s);
                                if (s->i >= s->n || s->t[s->i] != ':')
                                        return scan_fail(s, s->i, "a ':' is missing after the member name");
                                s->i++;
                        }
                        if (!scan_value(s))
                                return false;
                        scan_ws(s);
                        if (s->i < s->n && s->t[s->i] == ',') {
                                s->i++;
                                first = false; /* a close right after it is an error, above */
                                continue;
                        }
                        if (s->i < s->n && s->t[s->i] == close) {
                                s->i++;
                                break;
                        }
                        return scan_fail(s, s->i, "a ',' or '%c' is missing", close);
                }
                s->depth--;
                return true;
        }
        if (c == '"')
                return scan_string(s);
        if (c == '-' || (c >= '0' && c <= '9'))
                return scan_number(s);
        if (c == 't')
                return scan_literal(s, "true");
        if (c == 'f')
                return scan_literal(s, "false");
        if (c == 'n')
                return scan_literal(s, "null");
        return scan_fail(s, s->i, "an invalid character (%s) where a value should be",
                         (unsigned char) c < 0x20 || c == 0x7f ? byte_name((unsigned char) c, buf) : "not JSON");
}

int daemon_json_check_strict(const char *text, size_t size, const JsonDialect *d, size_t *ret_offset,
                             char **ret_why) {
        Scan s = { .t = text, .n = size };
        size_t bad;

        if (size >= 2 && ((unsigned char) text[0] == 0xff && (unsigned char) text[1] == 0xfe)) {
                scan_fail(&s, 0, "UTF-16 (a byte-order mark FF FE): Docker Engine before 24 refuses it and this "
                                 "program does not edit it; save the file as UTF-8");
                goto fail;
        }
        if (size >= 2 && ((unsigned char) text[0] == 0xfe && (unsigned char) text[1] == 0xff)) {
                scan_fail(&s, 0, "UTF-16 big-endian (a byte-order mark FE FF): dockerd refuses it; save the file "
                                 "as UTF-8");
                goto fail;
        }
        if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
                if (!d->bom) {
                        scan_fail(&s, 0, "a UTF-8 byte-order mark: Docker Engine before 23 refuses the file "
                                         "(\"invalid character 'ï' looking for beginning of value\"); remove it "
                                         "(sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)");
                        goto fail;
                }
                s.i = 3;
        }
        bad = utf8_first_invalid(text + s.i, size - s.i);
        if (bad < size - s.i) {
                scan_fail(&s, s.i + bad, "not valid UTF-8: Docker Engine 24 and later refuse the file, earlier "
                                         "versions read U+FFFD instead of these bytes; write it in UTF-8");
                goto fail;
        }
        scan_ws(&s);
        if (s.i >= size) {
                if (d->empty)
                        return 0;
                scan_fail(&s, 0, "an empty file: Docker Engine before 23 refuses to start with it (\"EOF\"); write "
                                 "{} into it, or remove it");
                goto fail;
        }
        if (text[s.i] != '{') {
                scan_fail(&s, s.i, "the top level is not a JSON object: dockerd refuses the file");
                goto fail;
        }
        if (!scan_value(&s))
                goto fail;
        scan_ws(&s);
        if (s.i < size) {
                scan_fail(&s, s.i, "content after the JSON object: Docker Engine 23 and later refuse the file; "
                                   "remove it");
                goto fail;
        }
        return 0;

fail:
        if (!s.err)
                return -ENOMEM;
        *ret_offset = s.err_off;
        *ret_why = s.err;
        return -EBADMSG;
}
