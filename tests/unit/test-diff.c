/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "tree.h"
#include "util/diff.h"
#include "util/macro.h"
#include "util/process.h"

/* The entries of $TMPDIR (this test's own) called like the files this
 * program keeps texts in when they cannot be in memory. */
static int tmp_leftovers(void) {
        return tree_count_entries(getenv("TMPDIR"), "docker-relocate-");
}

static int open_fds(void) {
        return tree_count_entries("/proc/self/fd", NULL);
}

/* A process killed while diff runs leaves nothing behind: a stand-in diff
 * copies the two inputs it was given, then SIGKILLs its caller. */
static void test_killed(void) {
        char *dir = tree_new("test-diff");
        _cleanup_free_ char *seen = path_join(dir, "seen"), *script = NULL, *got = NULL;
        int before = tmp_leftovers(), status = 0;
        pid_t pid;

        if (asprintf(&script, "#!/bin/sh\ncat \"$6\" \"$7\" > '%s'\nkill -KILL $PPID\nsleep 5\n", seen) < 0)
                abort();
        tree_write(dir, "/diff", script);
        _cleanup_free_ char *fake = path_join(dir, "diff");
        chmod(fake, 0755);

        pid = fork();
        if (pid == 0) {
                _cleanup_free_ char *d = NULL, *path = NULL;
                if (asprintf(&path, "%s:%s", dir, getenv("PATH") ?: "/usr/bin:/bin") < 0)
                        _exit(1);
                setenv("PATH", path, 1);
                (void) unified_diff("/etc/docker/daemon.json", "old text\n", "new text\n", &d);
                _exit(0);
        }
        ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
           "the caller was killed while diff ran");
        got = tree_read(dir, "/seen");
        ok_streq(got, "old text\nnew text\n", "diff was given both texts");
        ok(before >= 0 && tmp_leftovers() == before, "nothing left in $TMPDIR (%d entries before, %d after)", before,
           tmp_leftovers());
        tree_remove(dir);
}

/* Without /proc (a chroot that builds an image) the texts go to files
 * below /tmp, removed afterwards: the diff is the same. Root only (a
 * private mount namespace to unmount /proc in). */
static void test_without_proc(void) {
        int before = tmp_leftovers(), status = 0;
        pid_t pid;

        if (geteuid() != 0) {
                tap_skip("without /proc", "needs root for a private mount namespace");
                return;
        }
        pid = fork();
        if (pid == 0) {
                _cleanup_free_ char *d = NULL;
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    umount2("/proc", MNT_DETACH) < 0)
                        _exit(2);
                if (access("/proc/self", F_OK) == 0)
                        _exit(3);
                if (unified_diff("/etc/x.conf", "a\nold\n", "a\nnew\n", &d) < 0)
                        _exit(4);
                _exit(d && strstr(d, "--- a/etc/x.conf\n") && strstr(d, "\n-old\n+new\n") ? 0 : 5);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                status = -1;
        ok(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "without /proc the diff is made from files (status %d)", status);
        ok(tmp_leftovers() == before, "and they are removed");
}

int main(void) {
        _cleanup_free_ char *changed = NULL, *created = NULL, *removed = NULL, *same = NULL;
        int fds;

        if (!find_executable("diff", NULL))
                return tap_skip_all_missing("diff (package diffutils)");
        char *tmp = tree_set_tmpdir("test-diff-tmp");
        fds = open_fds();

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
        ok(fds > 0 && open_fds() == fds, "no fd left open (%d before, %d after)", fds, open_fds());

        test_killed();
        test_without_proc();
        tree_remove(tmp);
        return tap_done();
}
