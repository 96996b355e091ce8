/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A unit file or drop-in, then the ExecStart= it leaves in effect split into
 * words (with its Environment= variables) and read by the dockerd flag
 * parser, as docker_config_load() does. An editable word must name bytes of
 * the file that spell it. */
#include "config/dockerd-flags.h"
#include "config/unit.h"
#include "fuzz.h"
#include "util/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_string(data, size);
        SourceSet s = {};
        UnitInfo u = {};
        uint32_t id;

        if (source_set_add(&s, "/etc/systemd/system/docker.service.d/override.conf", text, &id) < 0)
                abort();
        if (unit_parse_file(&u, &s, id) < 0)
                abort();
        for (size_t i = 0; i < u.n_exec; i++) {
                const UnitExecStart *e = &u.exec[i];
                WordList w = {};
                DockerFlags f = {};
                char **problems = NULL;

                fuzz_assert(e->raw_start <= e->raw_end && e->raw_end <= s.files[id].size);
                if (unit_exec_to_words(e, "docker.service", &u.environment, &w, &problems) < 0)
                        abort();
                for (size_t k = 0; k < w.n; k++)
                        if (w.words[k].editable && w.words[k].src == id)
                                fuzz_assert(w.words[k].end <= s.files[id].size &&
                                            memcmp(s.files[id].content + w.words[k].start, w.words[k].text,
                                                   w.words[k].end - w.words[k].start) == 0);
                if (docker_flags_parse(&w, &f) < 0)
                        abort();
                for (size_t k = 0; k < f.n; k++)
                        fuzz_assert(f.flags[k].word < w.n && f.flags[k].value_word < w.n);
                docker_flags_done(&f);
                word_list_done(&w);
                strv_free(problems);
        }
        unit_info_done(&u);
        source_set_done(&s);
        free(text);
        return 0;
}
