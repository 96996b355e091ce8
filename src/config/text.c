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
