/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "util/process.h"
#include "util/step-log.h"
#include "util/strv.h"

void step_log_done(StepLog *l) {
        if (!l)
                return;
        strv_free(l->names);
        free(l->seconds);
        *l = (StepLog){};
}

void step_log_begin(StepLog *l) {
        l->mark_ms = now_ms();
}

int step_log_add(StepLog *l, const char *format, ...) {
        unsigned long long now = now_ms();
        double *s;
        va_list ap;
        int r;

        s = realloc(l->seconds, (l->n + 1) * sizeof(double));
        if (!s)
                return -ENOMEM;
        l->seconds = s;
        va_start(ap, format);
        r = strv_extendfv(&l->names, false, format, ap);
        va_end(ap);
        if (r < 0)
                return r;
        s[l->n++] = l->mark_ms ? (now - l->mark_ms) / 1000.0 : 0;
        if (l->mark_ms)
                l->mark_ms = now;
        return 0;
}

cJSON *step_log_to_json(const StepLog *l) {
        cJSON *a = cJSON_CreateArray();

        for (size_t i = 0; a && i < l->n; i++) {
                cJSON *o = cJSON_CreateObject();

                if (!o || !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        cJSON_Delete(a);
                        return NULL;
                }
                if (!cJSON_AddStringToObject(o, "name", l->names[i]) ||
                    !cJSON_AddNumberToObject(o, "seconds", (double) (long long) (l->seconds[i] * 1000 + 0.5) / 1000)) {
                        cJSON_Delete(a);
                        return NULL;
                }
        }
        return a;
}
