/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "util/macro.h"

/* Entries for the systemd journal, beside the plain lines on stderr: every
 * log line with its priority, and structured entries with fields of their
 * own, so that across a fleet "journalctl MESSAGE_ID=..." finds them.
 *
 * Active only in unattended runs, where neither stderr nor stdin is a
 * terminal (someone at a terminal reads the lines already, also when piping
 * them into another program), and when journald's socket exists. Otherwise
 * every call is a no-op, and a failed send never fails the caller: the
 * journal is a copy, not the record. */

#define JOURNALD_SOCKET "/run/systemd/journal/socket"

bool journald_enabled(void);

/* One log line at its syslog priority; error is an errno (either sign) or 0.
 * Not sent when stderr itself is connected to the journal. */
void journald_log(int priority, int error, const char *file, int line, const char *message);

/* One structured entry: MESSAGE_ID=message_id, PRIORITY=priority, the
 * formatted MESSAGE, and fields, "NAME=value" strings (a NULL-terminated
 * list; may be NULL). */
void journald_send(const char *message_id, int priority, char *const *fields, const char *format, ...) _printf_(4, 5);
