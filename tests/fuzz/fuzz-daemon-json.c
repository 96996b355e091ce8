/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon.json editor and the strict check of dockerd's reading. What the
 * editor writes must be valid JSON holding the new data root and no graph,
 * and keep the byte-order mark it was given; removing the data root must
 * leave valid JSON without it. */
#include <cjson/cJSON.h>

#include "config/daemon-json.h"
#include "fuzz.h"

#define NEW_ROOT "/mnt/docker-data/docker"

static void check_edit(const char *out, bool want_root) {
        DaemonJson j = {};
        unsigned line = 0, col = 0;
        char *v;

        fuzz_assert(daemon_json_parse(out, strlen(out), &j, &line, &col) == 0);
        v = daemon_json_get_string(&j, "data-root");
        if (want_root)
                fuzz_assert(v && strcmp(v, NEW_ROOT) == 0 && daemon_json_count(&j, "data-root") == 1);
        else
                fuzz_assert(!daemon_json_member(&j, "data-root"));
        fuzz_assert(!daemon_json_member(&j, "graph"));
        free(v);
        daemon_json_done(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_string(data, size), *out = NULL, *why = NULL;
        size_t n = strlen(text), off = 0;
        DaemonJson j = {};
        unsigned line = 0, col = 0;

        for (int d = 0; d < 2; d++) {
                JsonDialect dialect = { .bom = d, .empty = d };
                int r = daemon_json_check_strict((const char *) data, size, &dialect, &off, &why);
                fuzz_assert(r == 0 || (r == -EBADMSG && why && off <= size));
                free(why);
                why = NULL;
        }

        if (daemon_json_parse(text, n, &j, &line, &col) == 0) {
                if (daemon_json_set_data_root(&j, NEW_ROOT, &out) < 0)
                        abort();
                check_edit(out, true);
                if (j.body == 3)
                        fuzz_assert(memcmp(out, "\xef\xbb\xbf", 3) == 0);
                free(out);
                if (daemon_json_remove_data_root(&j, &out) < 0)
                        abort();
                if (j.root)
                        check_edit(out, false);
                free(out);
                daemon_json_done(&j);
        }
        free(text);
        return 0;
}
