/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "output/output.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/string-table.h"

static const char *const output_status_table[_STATUS_MAX] = {
        [STATUS_PLANNED] = "planned", [STATUS_CHANGED] = "changed",         [STATUS_UNCHANGED] = "unchanged",
        [STATUS_REFUSED] = "refused", [STATUS_FAILED] = "failed",           [STATUS_ROLLED_BACK] = "rolled-back",
        [STATUS_NEEDS_HUMAN] = "needs-human",
};

DEFINE_STRING_TABLE_LOOKUP(output_status, OutputStatus);

static bool json_mode;
static bool json_printed;
static bool quiet;

void output_set_json(bool json) {
        json_mode = json;
}

bool output_is_json(void) {
        return json_mode;
}

void output_set_quiet(bool q) {
        quiet = q;
}

/* The one object may come from the run's own end or from the thread that
 * takes a signal (util/interrupt.h): whichever comes first prints it, whole.
 * Recursive: that thread holds it from its look to its print. */
static pthread_mutex_t json_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void output_json_lock(void) {
        pthread_mutex_lock(&json_lock);
}

void output_json_unlock(void) {
        pthread_mutex_unlock(&json_lock);
}

int output_json(const cJSON *o) {
        _cleanup_free_ char *s = NULL;
        int r = 0;

        pthread_mutex_lock(&json_lock);
        if (!json_printed) {
                s = cJSON_Print(o);
                if (s) {
                        fputs(s, stdout);
                        fputc('\n', stdout);
                        fflush(stdout);
                        json_printed = true;
                } else
                        r = -ENOMEM;
        }
        pthread_mutex_unlock(&json_lock);
        return r;
}

bool output_json_done(void) {
        bool done;

        pthread_mutex_lock(&json_lock);
        done = json_printed;
        pthread_mutex_unlock(&json_lock);
        return done;
}

static OutputStatus status_of_failure(int exit_status) {
        switch (exit_status) {
        case EXIT_REFUSED:
                return STATUS_REFUSED;
        case EXIT_ROLLED_BACK:
                return STATUS_ROLLED_BACK;
        case EXIT_NEEDS_HUMAN:
                return STATUS_NEEDS_HUMAN;
        default:
                return STATUS_FAILED;
        }
}

static const char *default_message(int exit_status) {
        switch (exit_status) {
        case EXIT_USAGE:
                return "Usage error.";
        case EXIT_REFUSED:
                return "Refused as unsafe; nothing was changed.";
        case EXIT_ROLLED_BACK:
                return "Failed and rolled back.";
        case EXIT_NEEDS_HUMAN:
                return "Failed and not rolled back.";
        default:
                return "Failed.";
        }
}

/* The error member: the exit status as its code, the report's message (or
 * r->message) and advice. */
static cJSON *error_json(const cJSON *reported, const OutputResult *r) {
        const char *message = json_get_string(reported, "message"), *advice = json_get_string(reported, "advice");
        cJSON *e;

        if (r->exit_status == EXIT_OK)
                return cJSON_CreateNull();
        e = cJSON_CreateObject();
        if (!e || !cJSON_AddNumberToObject(e, "code", r->exit_status) ||
            !cJSON_AddStringToObject(e, "message",
                                     !isempty(message)      ? message
                                     : !isempty(r->message) ? r->message
                                                            : default_message(r->exit_status)) ||
            !json_add_string_or_null(e, "advice", advice)) {
                cJSON_Delete(e);
                return NULL;
        }
        return e;
}

/* The members every object carries after the envelope's, whatever the
 * command (SPEC: one shape for every command): the report's own, or null
 * (steps: []) where they do not apply, as for a usage error. */
static const char *const common_keys[] = { "old_data_root", "new_data_root", "device", "steps" };

static int add_common(cJSON *o, cJSON *rep) {
        for (size_t i = 0; i < ELEMENTSOF(common_keys); i++) {
                cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(rep, common_keys[i]);

                if (!item)
                        item = streq(common_keys[i], "steps") ? cJSON_CreateArray() : cJSON_CreateNull();
                if (!item || !cJSON_AddItemToObject(o, common_keys[i], item)) {
                        cJSON_Delete(item);
                        return -ENOMEM;
                }
        }
        return 0;
}

static bool envelope_key(const char *k) {
        return streq_ptr(k, "schema_version") || streq_ptr(k, "command") || streq_ptr(k, "changed") ||
               streq_ptr(k, "status") || streq_ptr(k, "dry_run") || streq_ptr(k, "warnings") || streq_ptr(k, "error");
}

int output_json_result(cJSON *report, const OutputResult *r) {
        _cleanup_json_ cJSON *rep = report ?: cJSON_CreateObject(), *o = cJSON_CreateObject();
        OutputStatus status;
        cJSON *warnings, *e, *next;
        bool changed;

        if (!rep || !o)
                return -ENOMEM;

        changed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "changed"));
        if (r->exit_status == EXIT_OK) {
                status = output_status_from_string(json_get_string(rep, "status"));
                /* Success is one of three words, and "changed" and the
                 * boolean say the same. */
                if (changed && !r->dry_run)
                        status = STATUS_CHANGED;
                else if (status != STATUS_PLANNED || !r->dry_run)
                        status = STATUS_UNCHANGED;
        } else
                status = status_of_failure(r->exit_status);
        /* Where nothing was done, or all of it undone, nothing changed; only
         * a failure (exit 1 or 5) may leave a change behind. */
        if (r->dry_run || (status != STATUS_CHANGED && status != STATUS_FAILED && status != STATUS_NEEDS_HUMAN) ||
            r->exit_status == EXIT_USAGE)
                changed = false;

        if (!cJSON_AddNumberToObject(o, "schema_version", OUTPUT_SCHEMA_VERSION) ||
            !json_add_string_or_null(o, "command", r->command) || !cJSON_AddBoolToObject(o, "changed", changed) ||
            !cJSON_AddStringToObject(o, "status", output_status_to_string(status)) ||
            !cJSON_AddBoolToObject(o, "dry_run", r->dry_run) || add_common(o, rep) < 0)
                return -ENOMEM;
        /* The command's own members, in its order. */
        for (cJSON *item = rep->child; item; item = next) {
                next = item->next;
                if (envelope_key(item->string))
                        continue;
                cJSON_DetachItemViaPointer(rep, item);
                if (!cJSON_AddItemToObject(o, item->string, item)) {
                        cJSON_Delete(item);
                        return -ENOMEM;
                }
        }
        warnings = cJSON_DetachItemFromObjectCaseSensitive(rep, "warnings");
        if (!cJSON_IsArray(warnings)) {
                cJSON_Delete(warnings);
                warnings = cJSON_CreateArray();
        }
        if (!warnings || !cJSON_AddItemToObject(o, "warnings", warnings))
                return -ENOMEM;
        e = error_json(cJSON_GetObjectItemCaseSensitive(rep, "error"), r);
        if (!e || !cJSON_AddItemToObject(o, "error", e))
                return -ENOMEM;
        return output_json(o);
}

void output_printf(const char *format, ...) {
        va_list ap;

        if (json_mode || quiet)
                return;
        va_start(ap, format);
        vfprintf(stdout, format, ap);
        va_end(ap);
}

bool output_on_terminal(void) {
        return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
}
