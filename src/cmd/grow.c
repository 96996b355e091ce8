/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "disk/grow.h"
#include "disk/state.h"
#include "output/output.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/strv.h"

int verb_grow(const Options *o) {
        _cleanup_(grow_result_done) GrowResult res = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int lock_fd = -1;
        int r;

        if (!o->dry_run) {
                r = cmd_lock_disk(&lock_fd);
                if (r != 0)
                        return r;
        }

        r = disk_grow(o->root, o->n_args > 0 ? o->args[0] : NULL, o->dry_run, &res, &error);

        if (o->json) {
                _cleanup_json_ cJSON *j = cJSON_CreateObject();
                if (!j)
                        return cmd_oom();
                /* A failure halfway leaves the steps done before it. */
                cJSON_AddBoolToObject(j, "changed", !o->dry_run && (r >= 0 ? res.changed : res.steps.n > 0));
                cJSON_AddStringToObject(j, "status", res.changed && o->dry_run ? "planned"
                                                     : res.changed             ? "changed"
                                                                               : "unchanged");
                json_add_string_or_null(j, "device", res.disk);
                json_add_string_or_null(j, "mount", res.mount);
                json_add_string_or_null(j, "fs_node", res.fs_node);
                json_add_string_or_null(j, "fstype", res.fstype);
                cJSON_AddBoolToObject(j, "partition_grown", res.partition_grown);
                cJSON_AddNumberToObject(j, "partition_old_bytes", (double) res.partition_old);
                cJSON_AddNumberToObject(j, "partition_new_bytes", (double) res.partition_new);
                cJSON_AddNumberToObject(j, "fs_old_bytes", (double) res.fs_old);
                cJSON_AddNumberToObject(j, "fs_new_bytes", (double) res.fs_new);
                cJSON_AddItemToObject(j, "steps", step_log_to_json(&res.steps));
                cJSON_AddItemToObject(j, "refusals", json_string_array(res.refusals));
                if (r < 0 && res.advice) {
                        cJSON *e = cJSON_AddObjectToObject(j, "error");
                        if (e)
                                cJSON_AddStringToObject(e, "advice", res.advice);
                } else if (r >= 0 && res.refused) {
                        /* Every reason, a line each, as a refused prepare says them. */
                        _cleanup_free_ char *why = strv_join(res.refusals, "\n");
                        cJSON *e = cJSON_AddObjectToObject(j, "error");
                        if (e && why)
                                cJSON_AddStringToObject(e, "message", why);
                }
                cmd_set_report(TAKE_PTR(j));
        }

        if (r < 0) {
                /* A partition grown under a filesystem that was not is a
                 * change not taken back: a human goes on from there. */
                int status = res.partition_grown ? EXIT_NEEDS_HUMAN : EXIT_FAIL;

                if (error)
                        status = cmd_fail(status, r, "%s", error);
                else
                        status = cmd_fail(status, r, "Failed to grow %s: %m", strna(res.mount));
                if (res.advice)
                        log_error("%s", res.advice);
                return status;
        }

        if (res.refused) {
                log_error("Refusing to grow %s:", o->n_args > 0 ? o->args[0] : strna(res.mount));
                STRV_FOREACH(s, res.refusals)
                        log_error("  - %s", *s);
                log_error("Nothing was changed.");
                return EXIT_REFUSED;
        }

        if (!res.changed) {
                output_printf("Nothing to grow: the %s filesystem on %s (%s) already fills the device (%llu bytes).\n",
                              strempty(res.fstype), strempty(res.mount), strempty(res.fs_node),
                              (unsigned long long) res.fs_old);
                return EXIT_OK;
        }
        output_printf("%s\n", o->dry_run ? "Would:" : "Done:");
        STRV_FOREACH(s, res.steps.names)
                output_printf("  - %s\n", *s);
        if (!o->dry_run)
                output_printf("Filesystem size: %llu → %llu bytes.\n", (unsigned long long) res.fs_old,
                              (unsigned long long) res.fs_new);
        return EXIT_OK;
}
