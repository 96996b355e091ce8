/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"
#include "tree.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/process.h"

/* No child of ours is left, running or zombie. */
static bool no_children(void) {
        return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static void test_capture(void) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        int status = -1;
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "echo out; echo err >&2; exit 3", NULL };

        ok(run_command(argv, 10000, &out, &err, &status) == 0, "run");
        ok_streq(out, "out\n", "stdout captured");
        ok_streq(err, "err\n", "stderr captured");
        ok_int(status, 3, "exit code");
        ok(no_children(), "the child is reaped");
        out = mfree(out);

        char *quiet[] = { (char *) "true", NULL };
        ok(run_command(quiet, 0, &out, NULL, &status) == 0 && out && streq(out, "") && status == 0,
           "no output is an empty string, exit 0, no timeout");

        /* More than a pipe holds, on both streams at once. */
        char *big[] = { (char *) "sh", (char *) "-c",
                        (char *) "head -c 300000 /dev/zero | tr '\\0' a; head -c 200000 /dev/zero | tr '\\0' b >&2; "
                                 "head -c 100000 /dev/zero | tr '\\0' c",
                        NULL };
        out = mfree(out);
        err = mfree(err);
        ok(run_command(big, 20000, &out, &err, &status) == 0 && status == 0, "large output");
        ok(out && strlen(out) == 400000 && out[0] == 'a' && out[399999] == 'c', "all of stdout");
        ok(err && strlen(err) == 200000 && err[0] == 'b', "all of stderr");
        out = mfree(out);

        char *in[] = { (char *) "cat", NULL };
        ok(run_command(in, 10000, &out, NULL, &status) == 0 && out && streq(out, "") && status == 0,
           "stdin is /dev/null");
        ok(no_children(), "all reaped");
}

static void test_status(void) {
        int status = -1;
        char *term[] = { (char *) "sh", (char *) "-c", (char *) "kill -TERM $$", NULL };
        char *kill9[] = { (char *) "sh", (char *) "-c", (char *) "kill -KILL $$", NULL };
        char *missing[] = { (char *) "docker-relocate-no-such-program", NULL };

        ok(run_command(term, 10000, NULL, NULL, &status) == 0, "run a child that dies of SIGTERM");
        ok_int(status, 128 + SIGTERM, "signal: 128 + n");
        ok(run_command(kill9, 10000, NULL, NULL, &status) == 0 && status == 128 + SIGKILL, "SIGKILL: 137");
        ok(run_command(missing, 10000, NULL, NULL, &status) == 0, "a missing program still runs a child");
        ok_int(status, 127, "which exits 127");
        ok(no_children(), "all reaped");
}

static void test_timeout(void) {
        _cleanup_free_ char *out = NULL;
        char *slow[] = { (char *) "sh", (char *) "-c", (char *) "echo started; exec sleep 30", NULL };
        char *stubborn[] = { (char *) "sh", (char *) "-c", (char *) "trap '' TERM; exec sleep 30", NULL };
        unsigned long long t0;
        int status = -1, r;
        pid_t pid;

        t0 = now_ms();
        r = run_command(slow, 300, &out, NULL, &status);
        ok_int(r, -ETIMEDOUT, "a slow child times out");
        ok(now_ms() - t0 < 3000, "promptly (%llu ms)", now_ms() - t0);
        ok(no_children(), "and is reaped: no zombie");

        /* A child that ignores SIGTERM gets SIGKILL. */
        t0 = now_ms();
        r = run_command(stubborn, 200, NULL, NULL, &status);
        ok_int(r, -ETIMEDOUT, "a child ignoring SIGTERM times out");
        ok(now_ms() - t0 < 9000, "SIGKILL follows (%llu ms)", now_ms() - t0);
        ok(no_children(), "and is reaped");

        char *s[] = { (char *) "sleep", (char *) "30", NULL };
        ok(spawn_command(s, NULL, NULL, &pid) == 0, "spawn");
        ok_int(wait_command(pid, 100, &status), -ETIMEDOUT, "wait_command times out");
        ok(kill(pid, 0) < 0 && errno == ESRCH, "the pid is gone");
        ok(no_children(), "reaped");

        char *e[] = { (char *) "sh", (char *) "-c", (char *) "exit 5", NULL };
        ok(spawn_command(e, NULL, NULL, &pid) == 0 && wait_command(pid, 0, &status) == 0 && status == 5,
           "wait without timeout");
}

/* RUN_KILL_GROUP: on timeout what the child started in its group ends
 * too; RUN_IN_ROOT_DIR: the child starts in "/". */
static void test_flags(void) {
        char *dir = tree_new("test-process");
        _cleanup_free_ char *file = path_join(dir, "pid"), *cmd = NULL, *text = NULL, *out = NULL, *here = NULL;
        pid_t grandchild = 0, p = 0;
        int status = -1, r;

        /* Orphans come to us, so that the grandchild's end can be seen and
         * it is reaped here. */
        ok(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "subreaper");
        if (asprintf(&cmd, "sleep 30 & echo $! > %s; wait", file) < 0)
                abort();
        char *argv[] = { (char *) "sh", (char *) "-c", cmd, NULL };
        r = run_command_full(argv, RUN_KILL_GROUP, 500, NULL, NULL, &status);
        ok_int(r, -ETIMEDOUT, "the group's leader times out");
        ok(read_full_file(file, 0, &text, NULL) >= 0 && (grandchild = atoi(text)) > 0, "its child's pid was written");
        for (int i = 0; grandchild > 0 && i < 100 && p != grandchild; i++) {
                p = waitpid(grandchild, &status, WNOHANG);
                if (p != grandchild)
                        usleep(20 * 1000);
        }
        ok(p == grandchild && WIFSIGNALED(status), "its child, in its process group, ended too");
        if (grandchild > 0 && p != grandchild) {
                (void) kill(grandchild, SIGKILL);
                (void) waitpid(grandchild, NULL, 0);
        }
        ok(no_children(), "all reaped");
        (void) prctl(PR_SET_CHILD_SUBREAPER, 0);

        char *pwd[] = { (char *) "pwd", NULL };
        here = getcwd(NULL, 0);
        ok(here && chdir(dir) == 0, "into a directory of our own");
        ok(run_command_full(pwd, RUN_IN_ROOT_DIR, 10000, &out, NULL, &status) == 0 && status == 0, "pwd runs");
        ok_streq(out, "/\n", "in /");
        out = mfree(out);
        ok(run_command(pwd, 10000, &out, NULL, &status) == 0 && out && startswith(out, dir), "without the flag, in ours");
        if (here)
                (void) chdir(here);
        tree_remove(dir);
}

static void test_find(void) {
        _cleanup_free_ char *p = NULL, *q = NULL;
        char *dir = tree_new("test-process");
        _cleanup_free_ char *tool = path_join(dir, "my-tool"), *plain = path_join(dir, "not-exec"), *old_path = NULL;

        ok(find_executable("sh", &p) && p && p[0] == '/' && endswith(p, "/sh"), "sh is found in PATH: %s", strna(p));
        ok(!find_executable("docker-relocate-no-such-program", NULL), "a missing program");
        ok(find_executable("/bin/sh", &q) && q && streq(q, "/bin/sh"), "an absolute path");
        ok(!find_executable("/nonexistent/sh", NULL), "a missing absolute path");

        tree_write(dir, "/my-tool", "#!/bin/sh\n");
        chmod(tool, 0755);
        tree_write(dir, "/not-exec", "#!/bin/sh\n");
        chmod(plain, 0644);
        old_path = strdup(getenv("PATH") ?: "");
        _cleanup_free_ char *np = NULL;
        if (asprintf(&np, "/nonexistent:%s", dir) < 0)
                abort();
        setenv("PATH", np, 1);
        p = mfree(p);
        ok(find_executable("my-tool", &p) && p && streq(p, tool), "found in a later PATH entry");
        ok(!find_executable("not-exec", NULL) || geteuid() == 0, "a file without x bit is not a program");
        setenv("PATH", old_path, 1);
        ok(!find_executable("my-tool", NULL), "not found once PATH is back");
        tree_remove(dir);
}

/* An init script that starts a daemon in the background hands it our pipes;
 * the script's own exit must end the wait, not the daemon's. */
static void test_grandchild_keeps_pipe(void) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "echo started; echo note >&2; sleep 20 & exit 3", NULL };
        unsigned long long t0 = now_ms();
        int status = -1, r;

        r = run_command(argv, 15000, &out, &err, &status);
        ok(r == 0, "a child whose grandchild keeps the pipes open returns (r=%d)", r);
        ok(now_ms() - t0 < 5000, "without waiting for the grandchild (%llu ms)", now_ms() - t0);
        ok_int(status, 3, "the child's own exit status");
        ok_streq(out, "started\n", "its stdout");
        ok_streq(err, "note\n", "its stderr");
}

int main(void) {
        test_grandchild_keeps_pipe();
        test_capture();
        test_status();
        test_timeout();
        test_flags();
        test_find();
        return tap_done();
}
