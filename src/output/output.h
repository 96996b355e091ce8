/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
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

/* The JSON contract (docs/docker-relocate.schema.json, docker-relocate(8)
 * JSON OUTPUT): the version of the result object's shape, and the one
 * vocabulary of its "status" for every command. */
#define OUTPUT_SCHEMA_VERSION 1

typedef enum OutputStatus {
        STATUS_PLANNED,     /* a dry run that would change something */
        STATUS_CHANGED,     /* done: the system changed as asked */
        STATUS_UNCHANGED,   /* nothing to do, or a command that only reads */
        STATUS_REFUSED,     /* refused as unsafe, nothing changed (exit 3) */
        STATUS_FAILED,      /* failed (exit 1), or a usage error (exit 2) */
        STATUS_ROLLED_BACK, /* failed and rolled back: as before (exit 4) */
        STATUS_NEEDS_HUMAN, /* failed and not rolled back (exit 5) */
        _STATUS_MAX,
        _STATUS_INVALID = -EINVAL,
} OutputStatus;

const char *output_status_to_string(OutputStatus s);
OutputStatus output_status_from_string(const char *s);

void output_set_json(bool json);
bool output_is_json(void);

/* Prints a JSON object on stdout, once per run: the result object below,
 * or a protocol's own (the Docker CLI's plugin metadata). */
int output_json(const cJSON *o);
bool output_json_done(void);

/* What a result object carries besides the command's own report. */
typedef struct OutputResult {
        const char *command; /* NULL: the command line named none */
        bool dry_run;
        int exit_status;     /* error.code; 0: error is null */
        const char *message; /* the failure, when the report has no error.message */
} OutputResult;

/* Prints the one result object of the run: the envelope of the contract
 * (schema_version, command, changed, status, dry_run, warnings, error)
 * around report, the command's own members (NULL: none), those every
 * command shares first (old_data_root, new_data_root, device, steps: the
 * report's, else null and []). The exit status decides: error is null for
 * 0, else its code is the exit status; status is the word of that exit
 * status, or for 0 the report's planned, changed or unchanged; changed is
 * false where the status says nothing changed. The report's own
 * error.message and error.advice are kept. Takes report. */
int output_json_result(cJSON *report, const OutputResult *r);

/* Held, no other thread prints the object: for one that looks whether it
 * is out (output_json_done()) and prints it if not, as one act. */
void output_json_lock(void);
void output_json_unlock(void);

/* Human output on stdout, suppressed in JSON mode (where stdout holds only the
 * object) and with --quiet. */
void output_set_quiet(bool quiet);
void output_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Whether stdout/stderr is a terminal, for progress bars and prompts. */
bool output_on_terminal(void);
