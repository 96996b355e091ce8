/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "disk/blockdev.h"
#include "disk/probe.h"
#include "disk/safety.h"
#include "disk/state.h"
#include "disk/usage.h"
#include "output/output.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/strv.h"

static void format_size(uint64_t bytes, char *buf, size_t size) {
        static const char *const units[] = { "B", "K", "M", "G", "T", "P" };
        double v = (double) bytes;
        size_t u = 0;

        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        snprintf(buf, size, u == 0 ? "%.0f%s" : "%.1f%s", v, units[u]);
}

/* One device (disk or partition) as a JSON object, plus its human line. */
static int describe(const BlockDev *d, cJSON **ret, bool human, const char *indent) {
        _cleanup_json_ cJSON *j = cJSON_CreateObject();
        _cleanup_(eligibility_done) Eligibility e = {};
        EligibilityRequest req = {};
        DiskRecord rec = {};
        FsInfo fs = {};
        bool ours = false;
        char size[32];
        int r;

        if (!j)
                return -ENOMEM;

        /* The facts about use and signatures come from the same check that
         * prepare runs, so "eligible" here means prepare would accept it
         * (without --wipe). */
        r = disk_check_eligibility(NULL, d, &req, &e);

        cJSON_AddStringToObject(j, "name", d->name);
        cJSON_AddStringToObject(j, "node", d->node);
        cJSON_AddNumberToObject(j, "size", (double) d->size);
        json_add_string_or_null(j, "model", d->model);
        json_add_string_or_null(j, "serial", d->serial);
        cJSON_AddStringToObject(j, "kind", disk_kind_to_string(r < 0 ? d->kind : e.kind));
        json_add_string_or_null(j, "volume_id", d->volume_id);
        json_add_string_or_null(j, "ec2_name", d->ec2_name);
        json_add_string_or_null(j, "backing_file", d->backing_file);
        cJSON_AddBoolToObject(j, "read_only", d->read_only);
        cJSON_AddItemToObject(j, "holders", json_string_array(d->holders));

        /* A filesystem this tool made (recorded by UUID) is not eligible to
         * be formatted, but it is what prepare and move reuse. */
        if (probe_filesystem(d->node, &fs) >= 0 && fs.uuid && disk_state_find_uuid(NULL, fs.uuid, &rec) >= 0)
                ours = true;
        disk_record_done(&rec);
        fs_info_done(&fs);
        cJSON_AddBoolToObject(j, "prepared", ours);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "cannot be checked: %s", strerror(-r)) < 0)
                        return -ENOMEM;
                cJSON_AddNullToObject(j, "signatures");
                cJSON_AddNullToObject(j, "mounts");
                cJSON_AddBoolToObject(j, "eligible", false);
                cJSON_AddItemToObject(j, "reasons", cJSON_CreateStringArray((const char *[]){ msg }, 1));
        } else {
                cJSON_AddItemToObject(j, "signatures", json_string_array(e.signatures));
                cJSON_AddItemToObject(j, "mounts", json_string_array(e.mounts));
                cJSON_AddBoolToObject(j, "eligible", strv_length(e.refusals) == 0);
                cJSON_AddItemToObject(j, "reasons", json_string_array(e.refusals));
        }
        /* What the check could not tell (an EC2 Xen disk that may be
         * instance store): eligible, but not without a doubt. */
        cJSON_AddItemToObject(j, "warnings", json_string_array(e.warnings));

        if (human) {
                _cleanup_free_ char *mounts = strv_join(e.mounts, ",");
                char what[128];

                format_size(d->size, size, sizeof(size));
                if (d->volume_id || d->ec2_name)
                        snprintf(what, sizeof(what), "%s%s%s", strempty(d->volume_id),
                                 d->volume_id && d->ec2_name ? " " : "", strempty(d->ec2_name));
                else
                        snprintf(what, sizeof(what), "%s", d->model ?: d->backing_file ?: "-");
                output_printf("%s%-*s %8s  %-8s %-34s %-16s %s\n", indent, (int) (16 - strlen(indent)), d->name,
                              size, disk_kind_to_string(r < 0 ? d->kind : e.kind), what, isempty(mounts) ? "-" : mounts,
                              r < 0 ? "?" : strv_length(e.refusals) == 0 ? "yes" : "no");
                if (ours)
                        output_printf("%s    (prepared by docker-relocate: prepare and move reuse it)\n", indent);
                if (r < 0)
                        output_printf("%s    cannot be checked: %s\n", indent, strerror(-r));
                STRV_FOREACH(s, e.refusals)
                        output_printf("%s    - %s\n", indent, *s);
                STRV_FOREACH(s, e.warnings)
                        output_printf("%s    warning: %s\n", indent, *s);
        }

        *ret = TAKE_PTR(j);
        return 0;
}

int verb_disks(const Options *o) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_json_ cJSON *root = cJSON_CreateObject();
        cJSON *arr;
        int r;

        if (!root || !(arr = cJSON_AddArrayToObject(root, "disks")))
                return cmd_oom();

        r = blockdev_list_disks(NULL, &names);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Failed to list block devices in /sys/block: %m");

        output_printf("%-16s %8s  %-8s %-34s %-16s %s\n", "DEVICE", "SIZE", "KIND", "IDENTITY", "MOUNTED", "ELIGIBLE");
        STRV_FOREACH(n, names) {
                _cleanup_blockdev_ BlockDev *d = NULL;
                cJSON *dj, *parts;

                r = blockdev_load(NULL, *n, &d);
                if (r == -ENOENT)
                        continue; /* detached meanwhile */
                if (r < 0)
                        return cmd_fail(EXIT_FAIL, r, "Failed to read /sys/block/%s: %m", *n);
                /* An unattached loop device (no backing file, no media) is no
                 * disk anyone could pick; listing dozens of them hides the
                 * real ones. */
                if (startswith(*n, "loop") && !d->backing_file && d->size == 0)
                        continue;

                r = describe(d, &dj, !o->json, "");
                if (r < 0)
                        return cmd_fail(EXIT_FAIL, r, "Failed to describe %s: %m", d->node);
                cJSON_AddItemToArray(arr, dj);
                parts = cJSON_AddArrayToObject(dj, "partitions");
                STRV_FOREACH(p, d->partitions) {
                        _cleanup_blockdev_ BlockDev *pd = NULL;
                        cJSON *pj;

                        if (blockdev_load(NULL, *p, &pd) < 0)
                                continue;
                        r = describe(pd, &pj, !o->json, "  ");
                        if (r < 0)
                                return cmd_fail(EXIT_FAIL, r, "Failed to describe %s: %m", pd->node);
                        cJSON_AddItemToArray(parts, pj);
                }
        }

        if (o->json)
                cmd_set_report(TAKE_PTR(root));
        return EXIT_OK;
}
