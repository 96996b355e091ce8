/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "disk/prepare.h"
#include "disk/state.h"
#include "output/output.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/strv.h"

/* The report of --json: what was (or would be) done, step by step. */
static void set_report(int r, const PrepareResult *res, const Options *o) {
        _cleanup_json_ cJSON *j = cJSON_CreateObject();

        if (!j)
                return;
        cJSON_AddBoolToObject(j, "changed", r >= 0 ? !o->dry_run && res->changed : !!res->advice);
        cJSON_AddStringToObject(j, "status", res->changed && o->dry_run ? "planned" : res->changed ? "changed" : "unchanged");
        cJSON_AddStringToObject(j, "device", o->args[0]);
        json_add_string_or_null(j, "disk", res->disk);
        json_add_string_or_null(j, "fs_node", res->fs_node);
        json_add_string_or_null(j, "resolved_by", res->resolved_by);
        json_add_string_or_null(j, "volume_id", res->volume_id);
        json_add_string_or_null(j, "ec2_name", res->ec2_name);
        json_add_string_or_null(j, "uuid", res->uuid);
        json_add_string_or_null(j, "fstype", res->fstype);
        json_add_string_or_null(j, "label", res->label);
        json_add_string_or_null(j, "mount", res->mount);
        cJSON_AddBoolToObject(j, "reused", res->reused);
        json_add_string_or_null(j, "fstab_backup", res->fstab_backup);
        cJSON_AddItemToObject(j, "steps", step_log_to_json(&res->steps));
        cJSON_AddItemToObject(j, "warnings", json_string_array(res->warnings));
        cJSON_AddItemToObject(j, "refusals", json_string_array(res->refusals));
        if (r < 0 && res->advice) {
                cJSON *e = cJSON_AddObjectToObject(j, "error");
                if (e)
                        cJSON_AddStringToObject(e, "advice", res->advice);
        } else if (r >= 0 && res->refused) {
                /* Every reason, a line each, as a refused move says them. */
                _cleanup_free_ char *why = strv_join(res->refusals, "\n");
                cJSON *e = cJSON_AddObjectToObject(j, "error");
                if (e && why)
                        cJSON_AddStringToObject(e, "message", why);
        }
        cmd_set_report(TAKE_PTR(j));
}

int verb_prepare(const Options *o) {
        _cleanup_(prepare_result_done) PrepareResult res = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int lock_fd = -1;
        PrepareRequest req = {
                .device = o->args[0],
                .mount = o->mount,
                .fstype = o->fs,
                .label = o->label,
                .partition = o->partition,
                .wipe = o->wipe,
                .allow_instance_store = o->allow_instance_store,
                .wait_device_sec = o->wait_device_sec,
                .dry_run = o->dry_run,
                .root = o->root,
        };
        int r;

        if (!o->mount)
                return cmd_fail(EXIT_USAGE, 0, "prepare needs --mount DIR: where the volume is to be mounted.");

        /* A dry run writes nothing and may run beside a real one. */
        if (!o->dry_run) {
                r = cmd_lock_disk(&lock_fd);
                if (r != 0)
                        return r;
        }

        r = disk_prepare(&req, &res, &error);

        if (o->json)
                set_report(r, &res, o);

        /* Before a failure too: what could not be checked may be why. */
        STRV_FOREACH(w, res.warnings)
                log_warning("Warning: %s", *w);

        if (r < 0) {
                /* Changed and not taken back: a human decides what next,
                 * told what was left and what to do (the advice is there
                 * exactly when the run had changed the host). */
                int status = res.advice ? EXIT_NEEDS_HUMAN : EXIT_FAIL;

                STRV_FOREACH(s, res.steps.names)
                        log_info("Done before the failure: %s", *s);
                if (error)
                        status = cmd_fail(status, r, "%s", error);
                else
                        status = cmd_fail(status, r, "Failed to prepare %s: %m", o->args[0]);
                if (res.advice)
                        log_error("%s", res.advice);
                return status;
        }


        if (res.refused) {
                bool other = res.fs_node && !streq(res.fs_node, o->args[0]);
                log_error("Refusing to prepare %s%s%s%s:", o->args[0], other ? " (" : "", other ? res.fs_node : "",
                          other ? ")" : "");
                STRV_FOREACH(s, res.refusals)
                        log_error("  - %s", *s);
                log_error("Nothing was changed.");
                return EXIT_REFUSED;
        }

        if (res.disk && !streq(res.disk, o->args[0]))
                output_printf("%s is %s (%s%s%s%s%s).\n", o->args[0], res.disk, strempty(res.resolved_by),
                              res.volume_id ? ", " : "", strempty(res.volume_id), res.ec2_name ? ", EC2 name " : "",
                              strempty(res.ec2_name));
        if (!res.changed) {
                output_printf("Nothing to change: %s (%s, UUID=%s) is mounted on %s and in /etc/fstab.\n",
                              strempty(res.fs_node), strempty(res.fstype), strempty(res.uuid), strempty(res.mount));
                return EXIT_OK;
        }
        output_printf("%s\n", o->dry_run ? "Would:" : "Done:");
        STRV_FOREACH(s, res.steps.names)
                output_printf("  - %s\n", *s);
        return EXIT_OK;
}
