/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A reader of TOML (1.0) that keeps where every key/value pair is, for
 * editing containerd's config.toml byte by byte. It walks the whole file and
 * rejects what is not TOML, but decodes only what the editor needs: one-line
 * strings (basic and literal), arrays of them, decimal integers. Every other
 * value (multi-line strings, floats, booleans, dates, inline tables, mixed
 * arrays) is skipped correctly and kept as TOML_OTHER.
 *
 * Debian (through bookworm) packages no C library for TOML, and a parser
 * that builds a tree would not give the byte ranges an edit needs to keep
 * every other byte of the file as it was. */

typedef enum TomlType {
        TOML_STRING,       /* one-line basic ("...") or literal ('...') string */
        TOML_STRING_ARRAY, /* [ "a", 'b', ... ], possibly over several lines */
        TOML_INTEGER,      /* decimal, with optional sign and underscores */
        TOML_OTHER,
} TomlType;

typedef struct TomlKeyValue {
        char **table;       /* the [table] it belongs to, one element per key part; NULL: top level */
        char **key;         /* the key's parts ("a.b" = 1 → "a", "b"), decoded */
        size_t line_start;  /* first byte of the line */
        size_t value_start; /* first byte of the value */
        size_t value_end;   /* one past the value */
        size_t line_end;    /* one past the line's newline (or the end of the text) */
        TomlType type;
        char quote;         /* TOML_STRING: '"' or '\'' */
        bool plain;         /* TOML_STRING: the bytes between the quotes are the value (no escape) */
        char *string;       /* TOML_STRING */
        char **strings;     /* TOML_STRING_ARRAY */
        long long integer;  /* TOML_INTEGER */
} TomlKeyValue;

typedef struct TomlDoc {
        TomlKeyValue *kv;   /* in file order */
        size_t n;
        size_t body;        /* after a UTF-8 byte-order mark */
        size_t first_table; /* offset of the line of the first table header; the text's size when none */
} TomlDoc;

void toml_doc_done(TomlDoc *d);

/* Parses text (size bytes, NUL-terminated). -EBADMSG on what is not TOML
 * (or what this reader does not know: it says which), with the offset of
 * the error and a static reason in ret_error_offset and ret_error_reason
 * (both may be NULL). A key defined twice is an error, as for TOML. */
int toml_parse(const char *text, size_t size, TomlDoc *ret, size_t *ret_error_offset, const char **ret_error_reason);

/* The pair with this one-part key in the table table (NULL: the top level;
 * otherwise a one-part table name such as "grpc"), or NULL. */
const TomlKeyValue *toml_get(const TomlDoc *d, const char *table, const char *key);

/* Whether s can be written between either kind of TOML quotes as it is:
 * printable ASCII without quotes or backslash. */
bool toml_string_is_plain(const char *s);

/* Returns text with the top-level string key set to value, every other byte
 * kept: an existing one-line string value is replaced inside its quotes (its
 * quote style kept); a missing key becomes a line "key = \"value\"" after the
 * top-level pair after_key (NULL, or absent: before the first top-level pair,
 * else before the first table). value must be plain (toml_string_is_plain).
 * -EINVAL when the existing value is not a plain one-line string. */
int toml_set_top_string(const char *text, const TomlDoc *d, const char *key, const char *value, const char *after_key,
                        char **ret_text);
