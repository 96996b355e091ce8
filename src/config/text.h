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

/* Per-character flags. */
#define TEXT_EXPANDED 0x01u /* put there by expanding a variable inside an assignment ("A=$B") or a
                             * "${NAME}" inside a word of a command line: rewriting it would mean
                             * rewriting that variable */
/* Its value is not known here: a unit specifier of the running system (%H), kept as written, or a
 * variable's value that holds one. */
#define TEXT_UNKNOWN 0x02u

typedef struct Text {
        char *s;
        uint32_t *src;  /* source file id per character */
        size_t *off;    /* byte offset in that file per character */
        uint8_t *flags; /* TEXT_* per character */
        size_t len;
        size_t alloc;
} Text;

void text_done(Text *t);
int text_append(Text *t, char c, uint32_t src, size_t off);
/* Appends character i of other with its origin and flags. */
int text_append_char_of(Text *t, const Text *other, size_t i);
int text_append_text(Text *t, const Text *other, size_t from, size_t to);
/* Sets flag on the characters from..len. */
void text_mark(Text *t, size_t from, uint8_t flag);
/* The first of the characters from..to with flag set; to when there is none. */
size_t text_find_flag(const Text *t, size_t from, size_t to, uint8_t flag);
/* Appends a literal that has no source bytes. */
int text_append_literal(Text *t, const char *s);
/* Removes trailing whitespace. */
void text_rstrip(Text *t);
/* One of systemd's C escapes (cunescape_one()), s[0..left) being what
 * follows the backslash: appends the bytes it stands for (a \x or octal
 * escape as that byte, \u and \U as UTF-8), each with origin src and off,
 * and sets *ret_len to the length of the escape after the backslash.
 * -EINVAL, with nothing appended, for an escape systemd does not know, an
 * incomplete one, one of a NUL, an octal one above 0377, and a \U one that
 * is no valid code point. */
int text_append_c_escape(Text *t, const char *s, size_t left, uint32_t src, size_t off, size_t *ret_len);

/* A span of a Text: one word of a command line. */
typedef struct Word {
        char *text;
        uint32_t src;  /* TEXT_NO_SOURCE when the characters come from several places */
        size_t start;  /* byte range in the source file, valid when editable */
        size_t end;
        bool editable; /* the word is the plain bytes start..end of one file: no quotes, escapes or splices inside */
        Text chars;    /* the characters with their origins, for parts of the word (word_span()) */
} Word;

/* Why part of a word is not plain bytes of one file. */
typedef enum WordSpan {
        WORD_SPAN_PLAIN,     /* it is: *ret_src, *ret_start..*ret_end */
        WORD_SPAN_EMPTY,     /* no characters */
        WORD_SPAN_EXPANDED,  /* a character comes from a variable expanded into the word */
        WORD_SPAN_SYNTHETIC, /* a character is not in any file (an escape, "%%", "$$") */
        WORD_SPAN_SPLIT,     /* from several files, or with quotes or escapes between the bytes */
} WordSpan;

/* Whether characters from..to of w are the plain bytes start..end of one
 * file, so that replacing those bytes rewrites exactly them and nothing
 * else (whatever quotes surround them). */
WordSpan word_span(const Word *w, size_t from, size_t to, uint32_t *ret_src, size_t *ret_start, size_t *ret_end);

typedef struct WordList {
        Word *words;
        size_t n;
} WordList;

void word_list_done(WordList *l);
int word_list_add_slice(WordList *l, const Text *t, size_t from, size_t to);
/* Splits at the shell's default IFS (space, tab, newline), no quote
 * processing: what the shell does to an unquoted $VAR. A carriage return is
 * not a separator: sh keeps it in the word. */
int word_list_split_text(WordList *l, const Text *t);
char **word_list_to_strv(const WordList *l);

/* Whether s can be written into a config file in any quoting context (shell
 * unquoted, single or double quotes, a systemd ExecStart) without escaping. */
bool string_is_shell_safe(const char *s);
