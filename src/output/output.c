/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "output/output.h"
#include "util/macro.h"

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

int output_json(const cJSON *o) {
        _cleanup_free_ char *s = NULL;

        if (json_printed)
                return 0;
        s = cJSON_Print(o);
        if (!s)
                return -ENOMEM;
        fputs(s, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        json_printed = true;
        return 0;
}

bool output_json_done(void) {
        return json_printed;
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
