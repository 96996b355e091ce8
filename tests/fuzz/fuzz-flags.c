/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dockerd's command line (one word a line) through the flag parser that
 * decides where the data root is set: every flag must point at words that
 * exist, its value at the word that holds it. */
#include "config/dockerd-flags.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_string(data, size);
        Text t = {};
        WordList w = {};
        DockerFlags f = {};
        size_t start = 0, len = strlen(text);

        for (size_t i = 0; i <= len; i++) {
                if (i < len && text[i] != '\n') {
                        if (text_append(&t, text[i], 0, i) < 0)
                                abort();
                        continue;
                }
                if (word_list_add_slice(&w, &t, start, t.len) < 0)
                        abort();
                start = t.len;
        }
        if (docker_flags_parse(&w, &f) < 0)
                abort();
        for (size_t k = 0; k < f.n; k++) {
                const DockerFlag *fl = &f.flags[k];
                fuzz_assert(fl->word < w.n && fl->value_word < w.n && fl->word <= fl->value_word);
                if (fl->value && !fl->inline_value)
                        fuzz_assert(strcmp(fl->value, w.words[fl->value_word].text) == 0);
                if (fl->value && fl->inline_value)
                        fuzz_assert(strstr(w.words[fl->word].text, fl->value) != NULL);
        }
        (void) docker_flags_get(&f, "data-root");
        docker_flags_done(&f);
        word_list_done(&w);
        text_done(&t);
        free(text);
        return 0;
}
