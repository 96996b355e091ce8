/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The TOML reader's insides, shared by its files and nobody else: the
 * document, line by line, with its table headers, pairs and duplicate keys
 * (toml.c), and one key or one value at an offset (toml-value.c). */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/toml.h"

typedef struct Parser {
        const char *t;
        size_t n;
        size_t err_off;
        const char *err;
} Parser;

static inline int fail(Parser *p, size_t off, const char *why) {
        p->err_off = off;
        p->err = why;
        return -EBADMSG;
}

static inline size_t skip_ws(const Parser *p, size_t i) {
        while (i < p->n && (p->t[i] == ' ' || p->t[i] == '\t'))
                i++;
        return i;
}

/* The length of the newline at i (1 or 2), 0 when there is none. */
static inline size_t newline_at(const Parser *p, size_t i) {
        if (i < p->n && p->t[i] == '\n')
                return 1;
        if (i + 1 < p->n && p->t[i] == '\r' && p->t[i + 1] == '\n')
                return 2;
        return 0;
}

static inline size_t skip_comment(const Parser *p, size_t i) {
        if (i < p->n && p->t[i] == '#')
                while (i < p->n && !newline_at(p, i))
                        i++;
        return i;
}

/* toml.c */
void toml_kv_done(TomlKeyValue *kv);

/* toml-value.c */
/* One or more key parts joined by dots. */
int toml_parse_key(Parser *p, size_t i, char ***ret, size_t *ret_end);
/* A value at i. kv (may be NULL: inside an array or inline table) gets its
 * type and decoded content. */
int toml_parse_value(Parser *p, size_t i, TomlKeyValue *kv, size_t *ret_end, unsigned depth);
