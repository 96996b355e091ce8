/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A string whose every character remembers where it came from: which source
 * file and which byte of it. Parsers of unit files, env files and scripts
 * produce Texts, expansion of $VAR splices them together, and so each word of
 * the final dockerd command line can be traced to the bytes that wrote it.
 * That is what lets set-data-root change exactly those bytes and nothing
 * else. Synthetic characters (a space that replaced a line continuation, a
 * literal from an unescape) carry TEXT_NO_SOURCE. */

#define TEXT_NO_SOURCE UINT32_MAX

typedef struct Text {
        char *s;
        uint32_t *src;  /* source file id per character */
        size_t *off;    /* byte offset in that file per character */
        size_t len;
        size_t alloc;
} Text;

void text_done(Text *t);
int text_append(Text *t, char c, uint32_t src, size_t off);
int text_append_text(Text *t, const Text *other, size_t from, size_t to);
/* Appends a literal that has no source bytes. */
int text_append_literal(Text *t, const char *s);
/* Removes trailing whitespace. */
void text_rstrip(Text *t);

/* A span of a Text: one word of a command line. */
typedef struct Word {
        char *text;
        uint32_t src;  /* TEXT_NO_SOURCE when the characters come from several places */
        size_t start;  /* byte range in the source file, valid when editable */
        size_t end;
        bool editable; /* the word is the plain bytes start..end of one file: no quotes, escapes or splices inside */
} Word;

typedef struct WordList {
        Word *words;
        size_t n;
} WordList;

void word_list_done(WordList *l);
int word_list_add_slice(WordList *l, const Text *t, size_t from, size_t to);
/* Splits at whitespace (" \t\n\r"), no quote processing: what the shell does
 * to an unquoted $VAR. */
int word_list_split_text(WordList *l, const Text *t);
char **word_list_to_strv(const WordList *l);

/* Whether s can be written into a config file in any quoting context (shell
 * unquoted, single or double quotes, a systemd ExecStart) without escaping. */
bool string_is_shell_safe(const char *s);
