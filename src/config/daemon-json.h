/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* dockerd's JSON configuration file. cJSON validates it and answers
 * questions about values; edits are made on the text itself, member by
 * member, so that an administrator's formatting, key order and every other
 * byte stay exactly as they were. */

typedef struct JsonMember {
        char *key;
        size_t start;        /* the key's opening quote */
        size_t key_end;      /* one past the key's closing quote */
        size_t value_start;
        size_t value_end;    /* one past the value */
} JsonMember;

typedef struct DaemonJson {
        char *text;          /* as read, NUL-terminated */
        size_t size;
        size_t body;         /* offset after a UTF-8 byte-order mark, if any */
        cJSON *root;         /* NULL when the file is empty */
        JsonMember *members; /* top-level members in file order */
        size_t n_members;
        size_t open, close;  /* offsets of the top-level braces */
} DaemonJson;

void daemon_json_done(DaemonJson *j);

/* Parses text (which may be empty: dockerd reads that as no settings). On a
 * syntax error returns -EBADMSG and the 1-based line and column of the error
 * in ret_line and ret_column; -EMEDIUMTYPE when the top level is not an object. */
int daemon_json_parse(const char *text, size_t size, DaemonJson *ret, unsigned *ret_line, unsigned *ret_column);

/* The last member with this key (what dockerd's decoder keeps), or NULL. */
const JsonMember *daemon_json_member(const DaemonJson *j, const char *key);
size_t daemon_json_count(const DaemonJson *j, const char *key);

/* The value of a top-level string member, NULL when absent or not a string. */
char *daemon_json_get_string(const DaemonJson *j, const char *key);

/* How the installed dockerd reads its configuration file, where Engine
 * versions differ (moby's daemon/config: a json.Decoder before 23.0;
 * bytes.TrimSpace, a UTF-8 BOM skipped and json.Unmarshal since; BOM-aware
 * decoding with a UTF-8 validator since 24.0). Unknown version: neither. */
typedef struct JsonDialect {
        bool bom;   /* a UTF-8 byte-order mark is skipped (Engine >= 23) */
        bool empty; /* an empty file means no settings (Engine >= 23; before: "EOF", no start) */
} JsonDialect;

/* Checks text the way dockerd reads it (Go's encoding/json), beyond what
 * cJSON accepts: no raw control character inside a string (cJSON takes a
 * TAB, Go does not), only JSON whitespace outside strings, numbers by JSON's
 * grammar and within a float64, valid UTF-8 throughout, a top-level object
 * and nothing after it, a byte-order mark or an empty file only where the
 * dialect allows. Duplicate keys are accepted, as Go does (the last one
 * wins). Returns 0, or -EBADMSG with the byte offset of the problem and a
 * sentence saying what dockerd does with it and how to fix it. */
int daemon_json_check_strict(const char *text, size_t size, const JsonDialect *d, size_t *ret_offset,
                             char **ret_why);

/* Returns new text with "data-root" set to value and any "graph" removed
 * (a lone "graph" is renamed in place); other bytes are kept. An empty file
 * becomes a small new object. */
int daemon_json_set_data_root(const DaemonJson *j, const char *value, char **ret_text);

/* Returns new text without "data-root" and "graph". */
int daemon_json_remove_data_root(const DaemonJson *j, char **ret_text);
