/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <cjson/cJSON.h>

/* The exit statuses of the CLI contract. */
enum {
        EXIT_OK = 0,          /* success, changed or not */
        EXIT_FAIL = 1,        /* failure */
        EXIT_USAGE = 2,       /* bad command line */
        EXIT_REFUSED = 3,     /* refused as unsafe, nothing changed */
        EXIT_ROLLED_BACK = 4, /* failed and rolled back: the system is as before */
        EXIT_NEEDS_HUMAN = 5, /* failed and NOT rolled back */
};

void output_set_json(bool json);
bool output_is_json(void);

/* Prints the one JSON object of this run on stdout (once). */
int output_json(const cJSON *o);
bool output_json_done(void);

/* Human output on stdout, suppressed in JSON mode (where stdout holds only the
 * object) and with --quiet. */
void output_set_quiet(bool quiet);
void output_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Whether stdout/stderr is a terminal, for progress bars and prompts. */
bool output_on_terminal(void);
