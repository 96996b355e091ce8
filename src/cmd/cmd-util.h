/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "move/undo.h"
#include "util/macro.h"

/* What the commands share. */

/* Every failure of a command is reported once, through here: the sentence
 * is logged (stderr, and the journal) and kept as the run's error, which the
 * JSON object carries when the command printed none of its own. "%m" is
 * strerror(error) (0: no errno). Returns exit_status, for
 *
 *         return cmd_fail(EXIT_FAIL, r, "Failed to read %s: %m", path);
 */
int cmd_fail_internal(int exit_status, int error, const char *file, int line, const char *format, ...) _printf_(5, 6);
#define cmd_fail(exit_status, error, ...) cmd_fail_internal((exit_status), (error), __FILE__, __LINE__, __VA_ARGS__)
#define cmd_oom() cmd_fail(EXIT_FAIL, -ENOMEM, "Out of memory.")

/* The failure reported last, NULL when none was. */
const char *cmd_failure(void);

/* The one confirmation prompt: 1 when yes is set or the user answers y, 0
 * when the answer is no, -ENOTTY when stdin or stderr is not a terminal
 * (nobody to ask: the caller says to pass --yes). */
int cmd_confirm(bool yes, const char *question);

/* The disk lock of prepare, grow and move --device, waited for up to 60 s.
 * Returns 0, or the exit status after reporting. */
int cmd_lock_disk(int *ret_fd);

/* With --json, the command's report: its own members of the result object
 * (takes report; a later one replaces it). main prints the object once the
 * command returned, around the report, with the exit status it returned
 * (output_json_result()): error.code is the exit status by construction.
 * cmd_take_report() hands it over (NULL when there is none). */
void cmd_set_report(cJSON *report);
cJSON *cmd_take_report(void);

/* With json, the report of rollback or cleanup. Returns exit_status. */
int cmd_report_undo(const Undo *u, bool json, int exit_status);
