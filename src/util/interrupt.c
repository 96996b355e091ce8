/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/interrupt.h"

static atomic_int received;
static _Atomic(const char *) notice_text;
static bool (*_Atomic at_once)(int sig);
static pthread_once_t started = PTHREAD_ONCE_INIT;
static int start_error;

static void watched(sigset_t *set) {
        sigemptyset(set);
        sigaddset(set, SIGINT);
        sigaddset(set, SIGTERM);
        sigaddset(set, SIGHUP);
}

const char *interrupt_signal_name(int sig) {
        switch (sig) {
        case SIGINT:
                return "SIGINT";
        case SIGTERM:
                return "SIGTERM";
        case SIGHUP:
                return "SIGHUP";
        default:
                return "a signal";
        }
}

static void *take_signals(void *arg) {
        sigset_t set;

        (void) arg;
        watched(&set);
        for (;;) {
                int sig = sigwaitinfo(&set, NULL), none = 0;
                bool first;

                if (sig < 0) {
                        if (errno == EINTR)
                                continue;
                        return NULL;
                }
                if (!atomic_load(&notice_text)) {
                        /* Not yet where the run stops at a safe point: it
                         * ends now, as the signal would end it, once the
                         * caller has had its say. */
                        bool (*fn)(int) = atomic_load(&at_once);
                        sigset_t one;

                        if (fn && fn(sig))
                                continue;
                        (void) signal(sig, SIG_DFL);
                        sigemptyset(&one);
                        sigaddset(&one, sig);
                        (void) pthread_sigmask(SIG_UNBLOCK, &one, NULL);
                        (void) raise(sig);
                        _exit(128 + sig);
                }
                first = atomic_compare_exchange_strong(&received, &none, sig);
                /* One write, so that it is not torn apart by the progress
                 * bar; a terminal's bar is on its own line. */
                dprintf(STDERR_FILENO, "\n%s received%s: %s\n", interrupt_signal_name(sig), first ? "" : " again",
                        atomic_load(&notice_text));
        }
}

static void start(void) {
        pthread_attr_t attr;
        pthread_t t;
        sigset_t set;

        watched(&set);
        start_error = -pthread_sigmask(SIG_BLOCK, &set, NULL);
        if (start_error < 0)
                return;
        start_error = -pthread_attr_init(&attr);
        if (start_error < 0)
                return;
        (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        start_error = -pthread_create(&t, &attr, take_signals, NULL);
        pthread_attr_destroy(&attr);
        if (start_error < 0)
                (void) pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int interrupt_setup(bool (*on_signal)(int sig)) {
        atomic_store(&at_once, on_signal);
        (void) pthread_once(&started, start);
        return start_error;
}

int interrupt_watch(const char *notice) {
        atomic_store(&notice_text, notice);
        (void) pthread_once(&started, start);
        return start_error;
}

int interrupt_pending(void) {
        return atomic_load(&received);
}

void interrupt_child_reset(void) {
        sigset_t set;

        watched(&set);
        (void) signal(SIGINT, SIG_DFL);
        (void) signal(SIGTERM, SIG_DFL);
        (void) signal(SIGHUP, SIG_DFL);
        (void) sigprocmask(SIG_UNBLOCK, &set, NULL);
}
