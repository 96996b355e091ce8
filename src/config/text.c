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
        *t = (Text){};
}

static int text_reserve(Text *t, size_t extra) {
        size_t need = t->len + extra + 1;
        char *s;
        uint32_t *src;
        size_t *off;

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
        t->alloc = need;
        return 0;
}

int text_append(Text *t, char c, uint32_t src, size_t off) {
        int r = text_reserve(t, 1);
        if (r < 0)
                return r;
        t->s[t->len] = c;
        t->src[t->len] = src;
        t->off[t->len] = off;
        t->len++;
        t->s[t->len] = '\0';
        return 0;
}

int text_append_text(Text *t, const Text *other, size_t from, size_t to) {
        for (size_t i = from; i < to; i++) {
                int r = text_append(t, other->s[i], other->src[i], other->off[i]);
                if (r < 0)
                        return r;
        }
        return 0;
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
        for (size_t i = 0; i < l->n; i++)
                free(l->words[i].text);
        free(l->words);
        *l = (WordList){};
}

int word_list_add_slice(WordList *l, const Text *t, size_t from, size_t to) {
        Word w = {};
        Word *nw;

        w.text = strndup(t->s ? t->s + from : "", to - from);
        if (!w.text)
                return -ENOMEM;

        /* Editable when every character comes from the same file, one byte
         * after the other: then replacing bytes start..end rewrites exactly
         * this word. */
        w.editable = to > from;
        w.src = to > from ? t->src[from] : TEXT_NO_SOURCE;
        for (size_t i = from; i < to; i++) {
                if (t->src[i] == TEXT_NO_SOURCE || t->src[i] != w.src ||
                    (i > from && t->off[i] != t->off[i - 1] + 1)) {
                        w.editable = false;
                        break;
                }
        }
        if (w.editable) {
                w.start = t->off[from];
                w.end = t->off[to - 1] + 1;
        } else
                w.src = TEXT_NO_SOURCE;

        nw = realloc(l->words, (l->n + 1) * sizeof(Word));
        if (!nw) {
                free(w.text);
                return -ENOMEM;
        }
        l->words = nw;
        l->words[l->n++] = w;
        return 0;
}

int word_list_split_text(WordList *l, const Text *t) {
        size_t i = 0;

        while (i < t->len) {
                size_t start;
                int r;

                while (i < t->len && strchr(" \t\n\r", t->s[i]))
                        i++;
                if (i >= t->len)
                        break;
                start = i;
                while (i < t->len && !strchr(" \t\n\r", t->s[i]))
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
