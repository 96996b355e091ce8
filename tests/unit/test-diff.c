/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "tap.h"
#include "util/diff.h"
#include "util/macro.h"
#include "util/process.h"

int main(void) {
        _cleanup_free_ char *changed = NULL, *created = NULL, *removed = NULL, *same = NULL;

        if (!find_executable("diff", NULL))
                return tap_skip_all_missing("diff (package diffutils)");

        ok(unified_diff("/etc/docker/daemon.json", "{\n  \"a\": 1,\n  \"data-root\": \"/old\"\n}\n",
                        "{\n  \"a\": 1,\n  \"data-root\": \"/new\"\n}\n", &changed) == 0,
           "diff of a changed file");
        ok(changed && strstr(changed, "--- a/etc/docker/daemon.json\n"), "old label");
        ok(changed && strstr(changed, "+++ b/etc/docker/daemon.json\n"), "new label");
        ok(changed && strstr(changed, "@@ -1,4 +1,4 @@\n"), "hunk header");
        ok(changed && strstr(changed, "\n-  \"data-root\": \"/old\"\n+  \"data-root\": \"/new\"\n"), "changed line");
        ok(changed && strstr(changed, "\n   \"a\": 1,\n"), "context line");

        ok(unified_diff("/etc/default/docker", NULL, "DOCKER_OPTS=\"--data-root /x\"\n", &created) == 0,
           "diff of a new file");
        ok(created && startswith(created, "--- /dev/null\n+++ b/etc/default/docker\n"), "a new file comes from /dev/null");
        ok(created && strstr(created, "@@ -0,0 +1 @@\n+DOCKER_OPTS=\"--data-root /x\"\n"), "all lines added");

        ok(unified_diff("/etc/x.conf", "gone\n", NULL, &removed) == 0, "diff of a removed file");
        ok(removed && startswith(removed, "--- a/etc/x.conf\n+++ /dev/null\n"), "a removed file goes to /dev/null");
        ok(removed && strstr(removed, "-gone\n"), "all lines removed");

        ok(unified_diff("/etc/x.conf", "same\n", "same\n", &same) == 0, "diff of identical content");
        ok_streq(same, "", "identical files: empty diff");

        _cleanup_free_ char *nonl = NULL;
        ok(unified_diff("/f", "a", "b", &nonl) == 0 && nonl && strstr(nonl, "\\ No newline at end of file"),
           "missing final newline is shown");
        return tap_done();
}
