/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/text.h"
#include "util/macro.h"
#include "util/strv.h"

void text_done(Text *t) {
        free(t->s);
        free(t->src);
        free(t->off);
        free(t->flags);
        *t = (Text){};
}

static int text_reserve(Text *t, size_t extra) {
        size_t need = t->len + extra + 1;
        char *s;
        uint32_t *src;
        size_t *off;
        uint8_t *flags;

        if (need <= t->alloc)
                return 0;
        need = need < 64 ? 64 : need * 2;
        s = realloc(t->s, need);
        if (!s)
                return -ENOMEM;
        t->s = s;
        src = realloc(t->src, need * sizeof(uint32_t));
        if (!src)
                return -ENOMEM;
        t->src = src;
        off = realloc(t->off, need * sizeof(size_t));
        if (!off)
                return -ENOMEM;
        t->off = off;
        flags = realloc(t->flags, need);
        if (!flags)
                return -ENOMEM;
        t->flags = flags;
        t->alloc = need;
        return 0;
}

static int append_full(Text *t, char c, uint32_t src, size_t off, uint8_t flags) {
        int r = text_reserve(t, 1);
        if (r < 0)
                return r;
        t->s[t->len] = c;
        t->src[t->len] = src;
        t->off[t->len] = off;
        t->flags[t->len] = flags;
        t->len++;
        t->s[t->len] = '\0';
        return 0;
}

int text_append(Text *t, char c, uint32_t src, size_t off) {
        return append_full(t, c, src, off, 0);
}

int text_append_char_of(Text *t, const Text *other, size_t i) {
        return append_full(t, other->s[i], other->src[i], other->off[i], other->flags ? other->flags[i] : 0);
}

int text_append_text(Text *t, const Text *other, size_t from, size_t to) {
        for (size_t i = from; i < to; i++) {
                int r = text_append_char_of(t, other, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

void text_mark(Text *t, size_t from, uint8_t flag) {
        for (size_t i = from; i < t->len; i++)
                t->flags[i] |= flag;
}

size_t text_find_flag(const Text *t, size_t from, size_t to, uint8_t flag) {
        for (size_t i = from; i < to && i < t->len; i++)
                if (t->flags[i] & flag)
                        return i;
        return to;
}

int text_append_literal(Text *t, const char *s) {
        for (; *s; s++) {
                int r = text_append(t, *s, TEXT_NO_SOURCE, 0);
                if (r < 0)
                        return r;
        }
        if (!t->s) {
                /* An empty literal still makes t a valid, empty string. */
                int r = text_reserve(t, 0);
                if (r < 0)
                        return r;
                t->s[0] = '\0';
        }
        return 0;
}

void text_rstrip(Text *t) {
        while (t->len > 0 && strchr(" \t\r\n", t->s[t->len - 1]))
                t->len--;
        if (t->s)
                t->s[t->len] = '\0';
}

/* What utf8_encode_unichar() writes for code point c, or the byte c
 * itself. */
static int append_code_point(Text *t, uint32_t c, bool byte, uint32_t src, size_t off) {
        unsigned char b[4];
        size_t n;
        int r = 0;

        if (byte || c < 0x80) {
                b[0] = (unsigned char) c;
                n = 1;
        } else if (c < 0x800) {
                b[0] = (unsigned char) (0xC0 | (c >> 6));
                b[1] = (unsigned char) (0x80 | (c & 0x3F));
                n = 2;
        } else if (c < 0x10000) {
                b[0] = (unsigned char) (0xE0 | (c >> 12));
                b[1] = (unsigned char) (0x80 | ((c >> 6) & 0x3F));
                b[2] = (unsigned char) (0x80 | (c & 0x3F));
                n = 3;
        } else {
                b[0] = (unsigned char) (0xF0 | (c >> 18));
                b[1] = (unsigned char) (0x80 | ((c >> 12) & 0x3F));
                b[2] = (unsigned char) (0x80 | ((c >> 6) & 0x3F));
                b[3] = (unsigned char) (0x80 | (c & 0x3F));
                n = 4;
        }
        for (size_t i = 0; i < n && r >= 0; i++)
                r = text_append(t, (char) b[i], src, off);
        return r;
}

int text_append_c_escape(Text *t, const char *s, size_t left, uint32_t src, size_t off, size_t *ret_len) {
        static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''s ";
        size_t digits, base = 16, start = 1;
        uint32_t v = 0;
        int r;

        if (left == 0)
                return -EINVAL;
        for (size_t i = 0; simple[i]; i += 2)
                if (s[0] == simple[i]) {
                        r = text_append(t, simple[i + 1], src, off);
                        if (r < 0)
                                return r;
                        *ret_len = 1;
                        return 0;
                }
        switch (s[0]) {
        case 'x':
                digits = 2;
                break;
        case 'u':
                digits = 4;
                break;
        case 'U':
                digits = 8;
                break;
        default:
                if (s[0] < '0' || s[0] > '7')
                        return -EINVAL;
                base = 8;
                digits = 3;
                start = 0;
        }
        if (left < start + digits)
                return -EINVAL;
        for (size_t i = start; i < start + digits; i++) {
                int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                        : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                        : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                                     : 99;
                if ((size_t) d >= base)
                        return -EINVAL;
                v = v * (uint32_t) base + (uint32_t) d;
        }
        /* No NUL, no octal byte above 0377; \U must be a valid code point
         * (systemd's unichar_is_valid(): no surrogate, no noncharacter,
         * nothing beyond U+10FFFF), while \u takes any 16 bits. */
        if (v == 0 || (base == 8 && v > 0377))
                return -EINVAL;
        if (s[0] == 'U' &&
            (v > 0x10FFFF || (v & 0xFFFFF800) == 0xD800 || (v >= 0xFDD0 && v <= 0xFDEF) || (v & 0xFFFE) == 0xFFFE))
                return -EINVAL;
        r = append_code_point(t, v, s[0] == 'x' || base == 8, src, off);
        if (r < 0)
                return r;
        *ret_len = start + digits;
        return 0;
}

void word_list_done(WordList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->words[i].text);
                text_done(&l->words[i].chars);
        }
        free(l->words);
        *l = (WordList){};
}

int word_list_add_slice(WordList *l, const Text *t, size_t from, size_t to) {
        Word w = {};
        Word *nw;

        w.text = strndup(t->s ? t->s + from : "", to - from);
        if (!w.text)
                return -ENOMEM;
        if (text_append_text(&w.chars, t, from, to) < 0) {
                free(w.text);
                text_done(&w.chars);
                return -ENOMEM;
        }

        /* Editable when every character comes from the same file, one byte
         * after the other: then replacing bytes start..end rewrites exactly
         * this word. */
        w.editable = word_span(&w, 0, w.chars.len, &w.src, &w.start, &w.end) == WORD_SPAN_PLAIN;
        if (!w.editable) {
                w.src = TEXT_NO_SOURCE;
                w.start = w.end = 0;
        }

        nw = realloc(l->words, (l->n + 1) * sizeof(Word));
        if (!nw) {
                free(w.text);
                text_done(&w.chars);
                return -ENOMEM;
        }
        l->words = nw;
        l->words[l->n++] = w;
        return 0;
}

WordSpan word_span(const Word *w, size_t from, size_t to, uint32_t *ret_src, size_t *ret_start, size_t *ret_end) {
        const Text *t = &w->chars;

        if (to <= from || to > t->len)
                return WORD_SPAN_EMPTY;
        for (size_t i = from; i < to; i++) {
                if (t->flags[i] & TEXT_EXPANDED)
                        return WORD_SPAN_EXPANDED;
                if (t->src[i] == TEXT_NO_SOURCE)
                        return WORD_SPAN_SYNTHETIC;
        }
        for (size_t i = from + 1; i < to; i++)
                if (t->src[i] != t->src[from] || t->off[i] != t->off[i - 1] + 1)
                        return WORD_SPAN_SPLIT;
        *ret_src = t->src[from];
        *ret_start = t->off[from];
        *ret_end = t->off[to - 1] + 1;
        return WORD_SPAN_PLAIN;
}

static bool is_ifs(char c) {
        return c == ' ' || c == '\t' || c == '\n';
}

int word_list_split_text(WordList *l, const Text *t) {
        size_t i = 0;

        while (i < t->len) {
                size_t start;
                int r;

                while (i < t->len && is_ifs(t->s[i]))
                        i++;
                if (i >= t->len)
                        break;
                start = i;
                while (i < t->len && !is_ifs(t->s[i]))
                        i++;
                r = word_list_add_slice(l, t, start, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

char **word_list_to_strv(const WordList *l) {
        _cleanup_strv_free_ char **v = calloc(l->n + 1, sizeof(char *));

        if (!v)
                return NULL;
        for (size_t i = 0; i < l->n; i++) {
                v[i] = strdup(l->words[i].text);
                if (!v[i])
                        return NULL;
        }
        return TAKE_PTR(v);
}

bool string_is_shell_safe(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-@:,", *s))
                        return false;
        return true;
}
