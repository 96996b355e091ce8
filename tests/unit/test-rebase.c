/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy/rebase.h"
#include "tap.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/path.h"

#define NEW "/mnt/docker-data/docker"

static char *fixture(void) {
        _cleanup_free_ char *d = path_join(fixtures_dir(), "containers"), *p = path_join(d, "config.v2.json");
        char *data = NULL;

        if (read_full_file(p, 0, &data, NULL) < 0)
                return NULL;
        return data;
}

static const char *str(const cJSON *o, const char *a, const char *b, const char *c) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
        if (b)
                v = cJSON_GetObjectItemCaseSensitive(v, b);
        if (c)
                v = cJSON_GetObjectItemCaseSensitive(v, c);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_fixture(void) {
        _cleanup_free_ char *json = fixture(), *out = NULL, *again = NULL;
        _cleanup_json_ cJSON *o = NULL;
        unsigned n = 0, m = 0;

        ok(json != NULL, "fixture (a real Engine 20.10 config.v2.json)");
        if (!json)
                return;
        ok(rebase_container_config(json, "/var/lib/docker/", NEW, &out, &n) == 0, "rebase");
        ok_int(n, 5, "volume source, log, hostname, hosts, resolv.conf");
        o = cJSON_Parse(out);
        ok(o != NULL, "result parses");
        ok_streq(str(o, "MountPoints", "/v", "Source"), NEW "/volumes/relocate-vol/_data", "named volume rebased");
        ok_streq(str(o, "MountPoints", "/srv", "Source"), "/srv", "bind mount untouched");
        ok_streq(str(o, "MountPoints", "/data", "Source"), "", "anonymous volume (empty source) untouched");
        ok_streq(str(o, "MountPoints", "/v", "Name"), "relocate-vol", "volume name untouched");
        ok(str(o, "LogPath", NULL, NULL) && startswith(str(o, "LogPath", NULL, NULL), NEW "/containers/"),
           "LogPath rebased");
        ok(str(o, "ResolvConfPath", NULL, NULL) &&
                   startswith(str(o, "ResolvConfPath", NULL, NULL), NEW "/containers/"),
           "ResolvConfPath rebased");
        ok(strstr(out, "/var/lib/docker/") == NULL, "no path into the old root left");
        ok_int(strlen(out), strlen(json) + 5 * (strlen(NEW) - strlen("/var/lib/docker")),
               "only those bytes changed in length");
        ok(out[strlen(out) - 1] == '\n' && strstr(out, "{\"StreamConfig\":{},") == out,
           "Docker's compact formatting kept");

        ok(rebase_container_config(out, "/var/lib/docker", NEW, &again, &m) == 0 && again == NULL && m == 0,
           "second run: nothing left to do");
}

static void test_refusals(void) {
        char *out = (char *) "untouched";
        unsigned n = 7;

        ok_int(rebase_container_config("not json", "/var/lib/docker", NEW, &out, &n), -EBADMSG, "garbage refused");
        ok_int(rebase_container_config("{}", "/", NEW, &out, &n), -EINVAL, "old root / refused");
        ok_int(rebase_container_config("{}", NEW, NEW "/", &out, &n), -EINVAL, "same root refused");
        ok(out && streq(out, "untouched") && n == 7, "outputs untouched on failure");

        /* Go escapes '&' as \u0026; cJSON would not. The edit cannot find
         * the value as cJSON writes it, and must refuse rather than guess. */
        ok_int(rebase_container_config("{\"LogPath\":\"/var/lib/docker/a\\u0026b/x.log\"}", "/var/lib/docker", NEW,
                                       &out, &n),
               -EBADMSG, "differently escaped value refused");

        /* A sibling with a common prefix is not below the root. */
        _cleanup_free_ char *o2 = NULL;
        unsigned m = 9;
        ok(rebase_container_config("{\"LogPath\":\"/var/lib/docker-old/x.log\"}", "/var/lib/docker", NEW, &o2, &m) ==
                           0 &&
                   o2 == NULL && m == 0,
           "/var/lib/docker-old is not below /var/lib/docker");
}

static void test_tree(void) {
        char tmpl[] = "/tmp/test-rebase-XXXXXX";
        char *t = mkdtemp(tmpl);
        _cleanup_free_ char *json = fixture(), *c1 = path_join(t, "containers/abc"),
                            *f1 = path_join(c1, "config.v2.json"), *c2 = path_join(t, "containers/def"),
                            *data = NULL;
        unsigned files = 0, paths = 0;
        struct stat st;

        ok(json && mkdir_p(c1, 0700) == 0 && mkdir_p(c2, 0700) == 0, "containers dir");
        ok(write_file_atomic(f1, json, strlen(json), 0600) == 0, "config of one container");
        /* The other has no config (a half-created container): skipped. */
        ok(rebase_container_configs(t, "/var/lib/docker", &files, &paths) == 0, "rebase the tree");
        ok_int(files, 1, "one file");
        ok_int(paths, 5, "five paths");
        ok(stat(f1, &st) == 0 && (st.st_mode & 0777) == 0600, "mode kept");
        ok(read_full_file(f1, 0, &data, NULL) == 0 && strstr(data, t) && !strstr(data, "\"/var/lib/docker/"),
           "file rebased onto the tree's own root");
        ok(rebase_container_configs(t, "/var/lib/docker", &files, &paths) == 0 && files == 0 && paths == 0,
           "idempotent");

        _cleanup_free_ char *cmd = NULL;
        if (asprintf(&cmd, "rm -rf '%s'", t) > 0)
                (void) system(cmd);
}

int main(void) {
        test_fixture();
        test_refusals();
        test_tree();
        return tap_done();
}
