/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* SIGINT, SIGTERM and SIGHUP while the host is being changed: a Ctrl-C, a
 * dropped SSH session or a supervisor's stop must not end the process
 * between "Docker stopped" and "Docker started again". From
 * interrupt_watch() on they end nothing at once: a thread of its own takes
 * them, notes the first (interrupt_pending()) and says on stderr what
 * happens now (notice), and the caller stops at a safe point. SIGKILL
 * still ends the process, and the journal still lets the next run take it
 * up. */

/* From the start of a run, before any thread: the three signals taken by
 * the thread of interrupt_watch(), which until interrupt_watch() is called
 * ends the process at once, as the signal's default action would, after
 * on_signal(sig): that prints the --json object a run owes, or returns
 * true for the signal to be ignored (the object is out already, and the
 * run about to end with its own status). Returns 0 or a negative errno. */
int interrupt_setup(bool (*on_signal)(int sig));

/* Blocks the three signals in the calling thread, so in every thread it
 * starts later, and starts the thread that takes them. Call it in the main
 * thread before the threads it is to cover start. notice: one sentence,
 * said after "SIGINT received: " at the first signal; at any further one
 * the same, after "... again: ". Calling it again changes only the notice.
 * Returns 0 or a negative errno. */
int interrupt_watch(const char *notice);

/* The first of the three signals received since interrupt_watch(), or 0. */
int interrupt_pending(void);

/* "SIGINT", "SIGTERM", "SIGHUP" or "a signal". */
const char *interrupt_signal_name(int sig);

/* In a child just forked, before exec: the signals unblocked and at their
 * default action, so that the programs the tool runs (and the daemons an
 * init script starts) can be stopped by them as usual. Async-signal-safe. */
void interrupt_child_reset(void);
