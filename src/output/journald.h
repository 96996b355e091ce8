/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Structured entries for the systemd journal, beside the plain lines on
 * stderr, so that across a fleet "journalctl MESSAGE_ID=..." finds every
 * step and the result of a move with its device and data roots as fields.
 *
 * Active only when stderr is not a terminal (there a human reads the lines
 * already) and journald's socket exists. Otherwise every call is a no-op, and
 * a failed send never fails the caller: the journal is a copy, not the record. */

#define JOURNALD_SOCKET "/run/systemd/journal/socket"

/* Fixed ids, one per kind of entry (journalctl MESSAGE_ID=...). */
#define JOURNALD_MESSAGE_MOVE_STEP "47149657920f4865ad63b4d2f256ebf5"
#define JOURNALD_MESSAGE_MOVE_RESULT "17b56e3d23b94663884cc89c537de8cc"

bool journald_enabled(void);

/* One log line at its syslog priority; error is an errno (either sign) or 0.
 * Not sent when stderr itself is connected to the journal. */
void journald_log(int priority, int error, const char *file, int line, const char *message);

/* What each entry of a move carries; NULL members are left out. */
typedef struct JournaldMove {
        const char *device;
        const char *volume_id; /* the EBS volume id, when the device is one */
        const char *old_root;
        const char *new_root;
} JournaldMove;

void journald_move_step(const JournaldMove *m, const char *step, double seconds);
void journald_move_result(const JournaldMove *m, const char *status, int exit_status, double downtime_sec,
                          const char *error);
