/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SIGINT, SIGTERM and SIGHUP taken over while the host is changed: noted,
 * said on stderr, not fatal; the copy's watch stops a copy on them; the
 * commands the tool runs get them back, in a process group of their own. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "copy/watch.h"
#include "tap.h"
#include "tree.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/macro.h"
#include "util/process.h"

static bool wait_pending(int sig) {
        for (int i = 0; i < 500 && interrupt_pending() != sig; i++)
                usleep(10 * 1000);
        return interrupt_pending() == sig;
}

static void *mask_of_thread(void *arg) {
        sigset_t *set = arg;

        (void) pthread_sigmask(SIG_BLOCK, NULL, set);
        return NULL;
}

/* What fd 2 received since it was made the memfd. */
static char *stderr_text(int fd) {
        char *s = NULL;
        size_t n = 0;
        char path[64];

        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        return read_full_file(path, 0, &s, &n) < 0 ? NULL : s;
}

static void test_taken_over(void) {
        _cleanup_free_ char *said = NULL;
        int saved = dup(STDERR_FILENO), fd = memfd_create("stderr", MFD_CLOEXEC);
        sigset_t set;
        pthread_t t;

        ok_int(interrupt_pending(), 0, "nothing pending before");
        ok(saved >= 0 && fd >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO, "stderr to a memfd");
        ok_int(interrupt_watch("the test goes on."), 0, "signals taken over");
        ok_int(kill(getpid(), SIGTERM), 0, "SIGTERM sent to this process");
        ok(wait_pending(SIGTERM), "SIGTERM noted, and the process lives on");
        ok_streq(interrupt_signal_name(interrupt_pending()), "SIGTERM", "by its name");
        ok_int(kill(getpid(), SIGINT), 0, "then SIGINT");
        for (int i = 0; i < 500; i++) {
                free(said);
                said = stderr_text(fd);
                if (said && strstr(said, "SIGINT"))
                        break;
                usleep(10 * 1000);
        }
        ok_int(interrupt_pending(), SIGTERM, "the first signal stays the one noted");
        (void) dup2(saved, STDERR_FILENO);
        ok_streq(said, "\nSIGTERM received: the test goes on.\n\nSIGINT received again: the test goes on.\n",
                 "each said on stderr, with the notice");

        sigemptyset(&set);
        ok(pthread_create(&t, NULL, mask_of_thread, &set) == 0 && pthread_join(t, NULL) == 0, "a thread started later");
        ok(sigismember(&set, SIGINT) == 1 && sigismember(&set, SIGTERM) == 1 && sigismember(&set, SIGHUP) == 1,
           "… has the three blocked, so that none ends the process");
        close(fd);
        close(saved);
}

static void test_children(void) {
        /* Programs that read their own state, and do nothing to their
         * signals first (as a shell might). */
        char *stat_argv[] = { "cat", "/proc/self/stat", NULL };
        char *status_argv[] = { "grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", NULL };
        _cleanup_free_ char *stat = NULL, *status = NULL;
        unsigned long long blocked = 1, ignored = 1;
        long pgrp = 0, pid = -1;
        int s1 = -1, s2 = -1;

        ok(run_command(stat_argv, 10000, &stat, NULL, &s1) == 0 && s1 == 0 &&
                   run_command(status_argv, 10000, &status, NULL, &s2) == 0 && s2 == 0,
           "commands run meanwhile");
        ok(stat && sscanf(stat, "%ld (cat) %*c %*d %ld", &pid, &pgrp) == 2, "… tell their process group (%ld)", pgrp);
        ok(pgrp == pid && pgrp != getpgrp(), "… in a process group of their own");
        ok(status && sscanf(status, "SigBlk: %llx SigIgn: %llx", &blocked, &ignored) == 2, "… and signals (%s)",
           strna(status));
        ok_int(blocked, 0, "… block no signal");
        ok(!(ignored & (1ULL << (SIGINT - 1))) && !(ignored & (1ULL << (SIGTERM - 1))) &&
                   !(ignored & (1ULL << (SIGHUP - 1))),
           "… and ignore none of the three");
}

static void test_copy_watch(void) {
        char *dir = tree_new("test-interrupt");
        const char *cause = NULL;
        CopyWatch w = {};

        ok_int(copy_watch_init(&w, dir, 0), 0, "a copy's watch");
        ok_int(copy_watch_check(&w, 0, NULL, &cause), -EINTR, "stops the copy once a signal is noted");
        ok_streq(cause, "SIGTERM", "… naming it");
        copy_watch_done(&w);
        tree_remove(dir);
}

int main(void) {
        test_taken_over();
        test_children();
        test_copy_watch();
        return tap_done();
}
