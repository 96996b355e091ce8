/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON reports of the move and of "rollback" and "cleanup": what --json
 * prints, one object with the outcome, the plan and the steps. */
#include <errno.h>
#include <stdlib.h>

#include "move/move-internal.h"
#include "util/json-util.h"
#include "util/string-table.h"
#include "util/strv.h"

/* The contract's vocabulary of "status" (docker-relocate(8), JSON OUTPUT):
 * a finished move is "changed", as every command's success is. */
static const char *const move_outcome_status_table[_MOVE_OUTCOME_MAX] = {
        [MOVE_PLANNED] = "planned",          [MOVE_UNCHANGED] = "unchanged", [MOVE_REFUSED] = "refused",
        [MOVE_FAILED] = "failed",            [MOVE_DONE] = "changed",        [MOVE_ROLLED_BACK] = "rolled-back",
        [MOVE_NEEDS_HUMAN] = "needs-human",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(move_outcome_status, MoveOutcome);

static double tenths(double s) {
        return (double) (long long) (s * 10 + 0.5) / 10;
}

/* "error": null, or its code (the exit status), message and advice. */
static cJSON *error_json(const char *message, const char *advice, int exit_status) {
        cJSON *e;

        if (!message)
                return cJSON_CreateNull();
        e = cJSON_CreateObject();
        if (!e || !cJSON_AddNumberToObject(e, "code", exit_status) ||
            !cJSON_AddStringToObject(e, "message", message) || !json_add_string_or_null(e, "advice", advice)) {
                cJSON_Delete(e);
                return NULL;
        }
        return e;
}

static cJSON *size_json(const TreeSize *size) {
        cJSON *o = cJSON_CreateObject();

        if (!o || !cJSON_AddNumberToObject(o, "bytes", (double) size->bytes) ||
            !cJSON_AddNumberToObject(o, "apparent_bytes", (double) size->apparent_bytes) ||
            !cJSON_AddNumberToObject(o, "inodes", (double) size->inodes)) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

/* How Docker keeps its images, and the trees the move carries. */
static cJSON *store_json(const Move *m) {
        const StoreRecord *s = &m->store;
        _cleanup_json_ cJSON *o = cJSON_CreateObject();

        if (!o || !json_add_string_or_null(o, "store", s->store) || !json_add_string_or_null(o, "driver", s->driver) ||
            !json_add_string_or_null(o, "driver_type", s->driver_type) ||
            !json_add_string_or_null(o, "containerd_kind", s->containerd_kind) ||
            !json_add_string_or_null(o, "containerd_address", s->containerd_address) ||
            !cJSON_AddBoolToObject(o, "containerd_root_moves", s->containerd_moves) ||
            !json_add_string_or_null(o, "containerd_config_place", m->containerd_edit.place))
                return NULL;
        return TAKE_PTR(o);
}

static cJSON *tree_json(const char *what, const char *from, const char *to, const TreeSize *size) {
        cJSON *o = cJSON_CreateObject();

        if (!o || !cJSON_AddStringToObject(o, "what", what) || !json_add_string_or_null(o, "from", from) ||
            !json_add_string_or_null(o, "to", to) || !cJSON_AddNumberToObject(o, "bytes", (double) size->bytes) ||
            !cJSON_AddNumberToObject(o, "inodes", (double) size->inodes)) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

static cJSON *trees_json(const Move *m) {
        _cleanup_json_ cJSON *a = cJSON_CreateArray();

        if (!a || !cJSON_AddItemToArray(a, tree_json("data root", m->old_root, m->new_root, &m->size)))
                return NULL;
        if (with_containerd(m) &&
            !cJSON_AddItemToArray(a, tree_json("containerd root", m->store.old_containerd_root,
                                               m->store.new_containerd_root, &m->ctd.size)))
                return NULL;
        return TAKE_PTR(a);
}

/* The data root's symlink or bind mount, and what the move does with it. */
static cJSON *link_json(const Move *m) {
        static const char *const kinds[] = { [DATA_ROOT_SYMLINK] = "symlink", [DATA_ROOT_BIND] = "bind" };
        const DataRootLink *l = &m->link;
        _cleanup_json_ cJSON *o = NULL;

        if (l->kind == DATA_ROOT_DIRECT)
                return cJSON_CreateNull();
        o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "kind", kinds[l->kind]) || !json_add_string_or_null(o, "path", l->path) ||
            !json_add_string_or_null(o, "target", l->target) || !cJSON_AddBoolToObject(o, "fstab", l->fstab) ||
            !cJSON_AddBoolToObject(o, "dangling", l->dangling) ||
            !cJSON_AddBoolToObject(o, "is_target", l->is_target || (m->new_root && streq_ptr(m->old_root, m->new_root))) ||
            !json_add_string_or_null(o, "choice", m->link_choice))
                return NULL;
        return TAKE_PTR(o);
}

static cJSON *plan_json(const Move *m, char *const *steps) {
        cJSON *plan = cJSON_CreateObject();

        if (!plan || !cJSON_AddItemToObject(plan, "steps", json_string_array(steps)) ||
            !cJSON_AddItemToObject(plan, "image_store", store_json(m)) ||
            !cJSON_AddItemToObject(plan, "trees", trees_json(m)) ||
            !cJSON_AddItemToObject(plan, "data_root_link", link_json(m)) ||
            !cJSON_AddItemToObject(plan, "size", size_json(&m->size)) ||
            (m->free_known &&
             (!cJSON_AddNumberToObject(plan, "target_free_bytes", (double) m->target_free_bytes) ||
              !cJSON_AddNumberToObject(plan, "target_free_inodes", (double) m->target_free_inodes))) ||
            !cJSON_AddNumberToObject(plan, "downtime_estimate_seconds",
                                     (double) (long long) (m->estimate_sec + 0.5)) ||
            !json_add_string_or_null(plan, "config_place", m->edit.place) ||
            !json_add_string_or_null(plan, "diff", m->diff) ||
            !cJSON_AddItemToObject(plan, "notes", json_string_array(m->edit.notes)) ||
            !cJSON_AddItemToObject(plan, "refusals", json_string_array(m->refusals)) ||
            !cJSON_AddItemToObject(plan, "disk_steps", json_string_array(m->disk.steps.names))) {
                cJSON_Delete(plan);
                return NULL;
        }
        return plan;
}

/* How each tree's final pass went in this run: from the record of changes,
 * or a walk of the whole tree and why. */
static cJSON *final_pass_json(const Move *m) {
        static const char *const trees[_MOVE_TREE_MAX] = {
                [MOVE_TREE_DATA_ROOT] = "data root",
                [MOVE_TREE_CONTAINERD] = "containerd root",
        };
        _cleanup_json_ cJSON *a = cJSON_CreateArray();

        if (!a)
                return NULL;
        for (size_t i = 0; i < _MOVE_TREE_MAX; i++) {
                const FinalPass *f = &m->final_pass[i];
                cJSON *o;

                if (!f->ran)
                        continue;
                o = cJSON_CreateObject();
                if (!o)
                        return NULL;
                if (!cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        return NULL;
                }
                if (!cJSON_AddStringToObject(o, "what", trees[i]) ||
                    !cJSON_AddStringToObject(o, "kind", f->tracked ? "changes" : "full") ||
                    !(f->tracked ? cJSON_AddNumberToObject(o, "directories", (double) f->dirs)
                                 : cJSON_AddNullToObject(o, "directories")) ||
                    !json_add_string_or_null(o, "reason", f->tracked ? NULL : f->reason))
                        return NULL;
        }
        return TAKE_PTR(a);
}

/* What the move and the undo commands report alike. */
static cJSON *report_new(const Move *m, const char *status, const StepLog *steps, char *const *plan_steps,
                         const char *error, const char *advice, int exit_status) {
        _cleanup_json_ cJSON *j = cJSON_CreateObject();

        if (!j || !cJSON_AddBoolToObject(j, "changed", m->changed) || !cJSON_AddStringToObject(j, "status", status) ||
            !json_add_string_or_null(j, "old_data_root", m->old_root) ||
            !json_add_string_or_null(j, "new_data_root", m->new_root) ||
            !json_add_string_or_null(j, "old_containerd_root",
                                     with_containerd(m) ? m->store.old_containerd_root : NULL) ||
            !json_add_string_or_null(j, "new_containerd_root",
                                     with_containerd(m) ? m->store.new_containerd_root : NULL) ||
            !json_add_string_or_null(j, "device", m->device ?: m->req.device) ||
            !json_add_string_or_null(j, "mount", m->target_mount) ||
            !json_add_string_or_null(j, "volume_id", m->disk.volume_id) ||
            !json_add_string_or_null(j, "uuid", m->disk.uuid) ||
            !cJSON_AddItemToObject(j, "steps", step_log_to_json(steps)) ||
            !(m->downtime_sec > 0 ? cJSON_AddNumberToObject(j, "downtime_seconds", tenths(m->downtime_sec))
                                  : cJSON_AddNullToObject(j, "downtime_seconds")) ||
            !cJSON_AddItemToObject(j, "plan", plan_json(m, plan_steps)) ||
            !cJSON_AddItemToObject(j, "warnings", json_string_array(m->warnings)) ||
            !cJSON_AddItemToObject(j, "error", error_json(error, advice, exit_status)))
                return NULL;
        return TAKE_PTR(j);
}

cJSON *move_report(const Move *m, int exit_status) {
        _cleanup_free_ char *refusals = NULL;
        cJSON *j;
        const char *error = m->error;

        /* A refusal names every reason. */
        if (!error && m->refusals) {
                refusals = strv_join(m->refusals, "\n");
                if (!refusals)
                        return NULL;
                error = refusals;
        }
        /* A plan that did not run (a dry run) names the steps a run would
         * take, 0 s each. */
        j = report_new(m, move_outcome_status_to_string(m->outcome),
                       m->outcome == MOVE_PLANNED ? &m->planned_steps : &m->steps, m->plan_steps, error, m->advice,
                       exit_status);
        /* What copies the trees, and how the final passes went: the move's
         * alone, not its undo's. */
        if (j && (!cJSON_AddStringToObject(cJSON_GetObjectItem(j, "plan"), "copier", copier_to_string(m->req.copier)) ||
                  !cJSON_AddItemToObject(j, "final_pass", final_pass_json(m)))) {
                cJSON_Delete(j);
                return NULL;
        }
        return j;
}

cJSON *undo_report(const Undo *u, int exit_status) {
        return report_new(u->m, undo_outcome_to_string(u->outcome), &u->m->steps, u->plan, u->error, u->advice,
                          exit_status);
}
