/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The environment-file parser, in both grammars (systemd's EnvironmentFile=
 * and a file sourced by sh): every character of every value that names a
 * source byte must be that byte, and the words a value splits into must be
 * in range. */
#include "config/envfile.h"
#include "fuzz.h"
#include "util/strv.h"

static void check_origins(const SourceSet *s, const Env *e) {
        for (size_t i = 0; i < e->n; i++) {
                const Text *t = &e->vars[i].value;
                for (size_t k = 0; k < t->len; k++) {
                        if (t->src[k] == TEXT_NO_SOURCE)
                                continue;
                        fuzz_assert(t->src[k] < s->n);
                        fuzz_assert(t->off[k] < s->files[t->src[k]].size);
                        fuzz_assert(s->files[t->src[k]].content[t->off[k]] == t->s[k]);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_string(data, size);

        for (int syntax = 0; syntax < 2; syntax++) {
                SourceSet s = {};
                Env e = {};
                char **problems = NULL;
                uint32_t id;

                if (source_set_add(&s, "/etc/default/docker", text, &id) < 0)
                        abort();
                if (env_parse(&e, &s, id, syntax == 0 ? ENV_SYNTAX_SYSTEMD : ENV_SYNTAX_SHELL, &problems) < 0)
                        abort();
                check_origins(&s, &e);
                for (size_t i = 0; i < e.n; i++) {
                        WordList l = {};
                        if (word_list_split_text(&l, &e.vars[i].value) < 0)
                                abort();
                        for (size_t k = 0; k < l.n; k++)
                                if (l.words[k].editable)
                                        fuzz_assert(l.words[k].src == id && l.words[k].end <= s.files[id].size &&
                                                    l.words[k].end - l.words[k].start == strlen(l.words[k].text));
                        word_list_done(&l);

                        /* Evaluated once more, as OpenRC does: an editable
                         * word is still the bytes that spell it. */
                        const char *why = NULL;
                        uint32_t src;
                        size_t off;
                        int r = env_eval_words(&e, &e.vars[i].value, &l, &src, &off, &why);
                        if (r < 0)
                                abort();
                        fuzz_assert(r > 0 || why);
                        for (size_t k = 0; r > 0 && k < l.n; k++)
                                if (l.words[k].editable)
                                        fuzz_assert(l.words[k].src == id && l.words[k].end <= s.files[id].size &&
                                                    memcmp(s.files[id].content + l.words[k].start, l.words[k].text,
                                                           l.words[k].end - l.words[k].start) == 0);
                        word_list_done(&l);
                }
                strv_free(problems);
                env_done(&e);
                source_set_done(&s);
        }
        free(text);
        return 0;
}
