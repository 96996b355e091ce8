/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <malloc.h>
#include <stdlib.h>

#include "config/text.h"
#include "tap.h"
#include "util/macro.h"
#include "util/strv.h"

/* Appends s as bytes off, off+1, ... of source src. */
static void append_from(Text *t, const char *s, uint32_t src, size_t off) {
        for (size_t i = 0; s[i]; i++)
                if (text_append(t, s[i], src, off + i) < 0)
                        abort();
}

static void test_append(void) {
        Text t = {}, u = {};

        ok(text_append_literal(&t, "") == 0 && t.s && streq(t.s, "") && t.len == 0,
           "an empty literal still gives a terminated, empty string");
        append_from(&t, "ab", 3, 10);
        ok(text_append_literal(&t, "c") == 0, "literal");
        ok_streq(t.s, "abc", "appended text");
        ok_int(t.len, 3, "length");
        ok_int(t.src[0], 3, "source of a");
        ok_int(t.off[1], 11, "offset of b");
        ok(t.src[2] == TEXT_NO_SOURCE, "a literal has no source");

        ok(text_append_text(&u, &t, 1, 3) == 0, "append a part of a text");
        ok_streq(u.s, "bc", "part");
        ok(u.src[0] == 3 && u.off[0] == 11, "origins travel with the characters");

        text_done(&t);
        append_from(&t, "x \t\r\n", 0, 0);
        text_rstrip(&t);
        ok_streq(t.s, "x", "rstrip removes trailing whitespace");
        ok_int(t.len, 1, "rstrip updates the length");

        /* Growth past the first allocation keeps every origin. */
        text_done(&t);
        for (size_t i = 0; i < 1000; i++)
                text_append(&t, 'a' + i % 26, (uint32_t) (i % 7), i * 2);
        bool all = t.len == 1000;
        for (size_t i = 0; i < t.len && all; i++)
                all = t.s[i] == (char) ('a' + i % 26) && t.src[i] == i % 7 && t.off[i] == i * 2;
        ok(all, "a long text keeps every character's origin");

        text_done(&t);
        text_done(&u);
        ok(t.s == NULL && t.len == 0, "text_done resets");
}

static void test_editable(void) {
        Text t = {};
        WordList l = {};

        /* "--data-root /x" from file 2 at 100: contiguous, one file. */
        append_from(&t, "--data-root /x", 2, 100);
        ok(word_list_split_text(&l, &t) == 0, "split");
        ok_int(l.n, 2, "two words");
        ok_streq(l.words[0].text, "--data-root", "word 0");
        ok(l.words[0].editable, "plain bytes are editable");
        ok_int(l.words[0].src, 2, "word 0 source");
        ok_int(l.words[0].start, 100, "word 0 start");
        ok_int(l.words[0].end, 111, "word 0 end");
        ok_streq(l.words[1].text, "/x", "word 1");
        ok(l.words[1].editable && l.words[1].start == 112 && l.words[1].end == 114, "word 1 span");
        word_list_done(&l);
        text_done(&t);

        /* A quote removed in the middle: bytes 0,1 then 3,4. */
        append_from(&t, "/a", 0, 0);
        append_from(&t, "/b", 0, 3);
        ok(word_list_add_slice(&l, &t, 0, t.len) == 0, "add slice");
        ok_streq(l.words[0].text, "/a/b", "text of a quoted word");
        ok(!l.words[0].editable, "a gap in the offsets (a quote or escape) is not editable");
        ok(l.words[0].src == TEXT_NO_SOURCE, "a non-editable word names no source");
        word_list_done(&l);
        text_done(&t);

        /* Characters from two files: a $VAR splice. */
        append_from(&t, "--data-root=", 0, 5);
        append_from(&t, "/x", 1, 17);
        ok(word_list_add_slice(&l, &t, 0, t.len) == 0 && !l.words[0].editable, "two sources: not editable");
        ok(word_list_add_slice(&l, &t, 12, t.len) == 0 && l.words[1].editable && l.words[1].src == 1 &&
                   l.words[1].start == 17 && l.words[1].end == 19,
           "the part from one file alone is editable");
        word_list_done(&l);
        text_done(&t);

        /* Same offsets, different file: still not one span. */
        append_from(&t, "a", 0, 0);
        append_from(&t, "b", 1, 1);
        ok(word_list_add_slice(&l, &t, 0, 2) == 0 && !l.words[0].editable, "contiguous offsets in two files");
        word_list_done(&l);
        text_done(&t);

        /* A synthetic character (unescaped, or a joined line). */
        append_from(&t, "/a", 0, 0);
        text_append(&t, 'b', TEXT_NO_SOURCE, 0);
        ok(word_list_add_slice(&l, &t, 0, 3) == 0 && !l.words[0].editable, "a literal character is not editable");
        text_done(&t);
        text_append(&t, 'b', TEXT_NO_SOURCE, 2);
        ok(word_list_add_slice(&l, &t, 0, 1) == 0 && !l.words[1].editable, "a lone literal is not editable");
        ok(word_list_add_slice(&l, &t, 0, 0) == 0 && !l.words[2].editable && streq(l.words[2].text, ""),
           "an empty word is not editable");
        word_list_done(&l);
        text_done(&t);
}

static void test_split(void) {
        Text t = {};
        WordList l = {};
        _cleanup_strv_free_ char **v = NULL;
        _cleanup_free_ char *j = NULL;

        append_from(&t, " \t -H  fd://\n--data-root /srv/docker\r\t\t", 4, 0);
        ok(word_list_split_text(&l, &t) == 0, "split");
        ok_int(l.n, 4, "runs of space, tab and LF separate words");
        v = word_list_to_strv(&l);
        j = strv_join(v, "|");
        ok_streq(j, "-H|fd://|--data-root|/srv/docker\r", "the words: a CR stays in its word, as sh keeps it");
        ok(l.words[3].editable && l.words[3].start == 25 && l.words[3].end == 37, "offsets of the last word");
        ok(memcmp(t.s + l.words[3].start, "/srv/docker\r", 12) == 0, "the span names the bytes of the word");
        word_list_done(&l);
        text_done(&t);

        /* No quote processing: quotes are characters like any other. */
        append_from(&t, "'a b'", 0, 0);
        ok(word_list_split_text(&l, &t) == 0 && l.n == 2, "quotes do not group");
        ok_streq(l.words[0].text, "'a", "first half keeps the quote");
        ok(l.words[0].editable, "a word with a quote character is still plain bytes");
        word_list_done(&l);
        text_done(&t);

        append_from(&t, "  \t ", 0, 0);
        ok(word_list_split_text(&l, &t) == 0 && l.n == 0, "only whitespace: no words");
        text_done(&t);
        ok(word_list_split_text(&l, &t) == 0 && l.n == 0, "empty text: no words");
        word_list_done(&l);
}

static void test_shell_safe(void) {
        static const char *const good[] = {
                "/var/lib/docker", "/mnt/docker-data/docker", "/srv/d_1.2+x@y:z,w", "relative", "/",
        };
        static const char *const bad[] = {
                "", "/a b", "/a\tb", "/a\nb", "/a$b", "/a'b", "/a\"b", "/a\\b", "/a`b", "/a;b", "/a*b",
                "/a?b", "/a[b]", "/a{b}", "/a(b)", "/a|b", "/a&b", "/a<b", "/a>b", "/a#b", "/a~b", "/a%b",
                "/a=b", "/a!b", "/caf\xc3\xa9",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                ok(string_is_shell_safe(good[i]), "safe: '%s'", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ok(!string_is_shell_safe(bad[i]), "unsafe: case %zu", i);
        ok(!string_is_shell_safe(NULL), "NULL is not safe");
}

int main(void) {
        /* Fresh allocations are not zero, so a missing terminator shows. */
        mallopt(M_PERTURB, 0x5a);
        test_append();
        test_editable();
        test_split();
        test_shell_safe();
        return tap_done();
}
