/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "disk/safety.h"
#include "move/move-internal.h"
#include "util/error.h"
#include "util/process.h"
#include "util/string-table.h"
#include "util/strv.h"
#include "util/test-hook.h"

static const char *const move_outcome_table[] = {
        [MOVE_PLANNED] = "planned",    [MOVE_UNCHANGED] = "unchanged", [MOVE_REFUSED] = "refused",
        [MOVE_FAILED] = "failed",      [MOVE_DONE] = "done",           [MOVE_ROLLED_BACK] = "rolled-back",
        [MOVE_NEEDS_HUMAN] = "failed",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(move_outcome, MoveOutcome);

void daemon_state_done(DaemonState *s) {
        if (!s)
                return;
        free(s->root_dir);
        free(s->server_version);
        free(s->driver);
        free(s->driver_type);
        free(s->containerd_address);
        free(s->containerd_namespace);
        free(s->containerd_plugins_namespace);
        *s = (DaemonState){};
}

void containerd_facts_done(ContainerdFacts *f) {
        if (!f)
                return;
        containerd_config_done(&f->cfg);
        free(f->root);
        free(f->dump_root);
        free(f->dump_error);
        strv_free(f->dump_disagrees);
        free(f->namespaces_error);
        strv_free(f->namespaces_in_use);
        strv_free(f->plugin_dirs_with_files);
        target_dir_done(&f->target);
        *f = (ContainerdFacts){};
}

void data_root_link_done(DataRootLink *l) {
        if (!l)
                return;
        free(l->path);
        free(l->target);
        *l = (DataRootLink){};
}

void target_dir_done(TargetDir *t) {
        if (!t)
                return;
        free(t->path);
        free(t->unfit);
        *t = (TargetDir){};
}

int move_new(const MoveRequest *req, Move **ret) {
        Move *m = calloc(1, sizeof(Move));

        if (!m)
                return -ENOMEM;
        m->req = *req;
        m->lock_fd = -1;
        m->disk_lock_fd = -1;
        m->outcome = MOVE_PLANNED;
        *ret = m;
        return 0;
}

Move *move_free(Move *m) {
        if (!m)
                return NULL;
        if (m->lock_fd >= 0)
                close(m->lock_fd);
        if (m->disk_lock_fd >= 0)
                close(m->disk_lock_fd);
        cJSON_Delete(m->journal);
        docker_config_done(&m->cfg);
        daemon_state_done(&m->daemon);
        target_dir_done(&m->target);
        data_root_link_done(&m->link);
        prepare_result_done(&m->disk);
        image_store_info_done(&m->store_info);
        containerd_facts_done(&m->ctd);
        selinux_state_done(&m->selinux);
        strv_free(m->selinux_equals);
        store_record_done(&m->store);
        edit_plan_done(&m->containerd_edit);
        free(m->no_tracker);
        free(m->old_root);
        free(m->new_root);
        free(m->target_mount);
        free(m->device);
        edit_plan_done(&m->edit);
        free(m->diff);
        free(m->link_choice);
        strv_free(m->refusals);
        strv_free(m->warnings);
        strv_free(m->plan_steps);
        step_log_done(&m->planned_steps);
        docker_content_done(&m->content);
        step_log_done(&m->steps);
        for (size_t i = 0; i < _MOVE_TREE_MAX; i++)
                final_pass_done(&m->final_pass[i]);
        free(m->error);
        free(m->advice);
        free(m);
        return NULL;
}

TreeSize move_total_size(const Move *m) {
        TreeSize t = m->size;

        if (m->store.containerd_moves) {
                t.bytes += m->ctd.size.bytes;
                t.apparent_bytes += m->ctd.size.apparent_bytes;
                t.inodes += m->ctd.size.inodes;
        }
        return t;
}

PrepareRequest move_prepare_request(const Move *m, bool dry_run) {
        TreeSize total = move_total_size(m);

        return (PrepareRequest){
                .device = m->req.device,
                /* The act mounts where the plan resolved the mount point,
                 * and insists it still resolves so. */
                .mount = m->target_mount ?: m->req.mount ?: DEFAULT_MOUNT,
                .mount_planned = !dry_run,
                .protect = { m->old_root },
                .fstype = m->req.fs,
                .label = m->req.label,
                .partition = m->req.partition,
                .wipe = m->req.wipe,
                .allow_instance_store = m->req.allow_instance_store,
                /* Room for the data root (and containerd's root, when it
                 * moves too) with a margin; inodes too, for ext4, which makes
                 * them all at mkfs time. */
                .need_bytes = disk_size_needed(total.bytes),
                .need_inodes = total.inodes + total.inodes / 10 + 1000,
                .wait_device_sec = m->req.wait_device_sec,
                .dry_run = dry_run,
        };
}

char *move_realpath(const char *p) {
        char *r = realpath(p, NULL);
        return r ?: strdup(p);
}

int move_plan(const MoveRequest *req, Move **ret, char **ret_error) {
        _cleanup_(move_freep) Move *m = NULL;
        int r;

        r = move_new(req, &m);
        if (r < 0)
                return r;

        /* Each phase of the planning first learns (probe.c), then decides
         * (plan.c): what the journal and the configuration alone settle is
         * settled before the daemon is asked or the data measured. */
        r = probe_locks(m, ret_error);
        if (r < 0)
                return r;
        if (r == MOVE_PLANNED) {
                r = probe_journal_and_config(m, ret_error);
                if (r < 0)
                        return r;
                r = plan_begin(m);
        }
        /* A rollback that a killed run left half way is all the next run
         * does: nothing of the host is measured, no target checked. */
        if (r == MOVE_PLANNED && m->resume_phase != PHASE_ROLLING_BACK) {
                r = probe_host(m, ret_error);
                if (r < 0)
                        return r;
                if (r == MOVE_PLANNED)
                        r = plan_decide(m, ret_error);
        }
        m->outcome = r;
        *ret = TAKE_PTR(m);
        return r;
}

int move_execute(Move *m) {
        int r;

        if (m->outcome == MOVE_UNCHANGED)
                return MOVE_UNCHANGED;
        if (m->outcome != MOVE_PLANNED)
                return -EINVAL;
        m->changed = true;
        /* Where a test changes the host between the plan and the act. */
        test_hook_pause("planned");
        r = steps_run(m);
        /* A failed move takes back what it did to the disk in this run. */
        if (r == MOVE_ROLLED_BACK || r == MOVE_FAILED)
                (void) disk_prepare_undo(NULL, &m->disk, &m->warnings);
        /* Its disk step failed half way: what it wrote to the device (and
         * whatever the undo could not take back) is left for a human, told
         * what it is, as prepare tells it. */
        if (r == MOVE_FAILED && m->disk_failed) {
                m->advice = mfree(m->advice);
                if (disk_prepare_advice(&m->disk, "the move", &m->advice) < 0)
                        return -ENOMEM;
                if (m->advice)
                        r = m->outcome = MOVE_NEEDS_HUMAN;
        }
        return r;
}

void move_summary(const Move *m, MoveSummary *ret) {
        *ret = (MoveSummary){
                .outcome = m->outcome,
                .resuming = m->resume_phase != PHASE_NONE,
                .resumed_at = move_phase_to_string(m->resume_phase),
                .old_root = m->old_root,
                .new_root = m->new_root,
                .device = m->device ?: m->req.device,
                .volume_id = m->disk.volume_id,
                .bytes = m->size.bytes,
                .inodes = m->size.inodes,
                .store = m->store.store,
                .driver = m->store.driver,
                .driver_type = m->store.driver_type,
                .containerd_kind = m->store.containerd_kind,
                .old_containerd_root = with_containerd(m) ? m->store.old_containerd_root : NULL,
                .new_containerd_root = with_containerd(m) ? m->store.new_containerd_root : NULL,
                .containerd_bytes = m->ctd.size.bytes,
                .containerd_inodes = m->ctd.size.inodes,
                .free_known = m->free_known,
                .free_bytes = m->target_free_bytes,
                .free_inodes = m->target_free_inodes,
                .estimate_sec = m->estimate_sec,
                .downtime_sec = m->downtime_sec,
                .pre_copy = m->req.pre_copy,
                .copier = copier_to_string(m->req.copier),
                .delete_old = m->req.delete_old,
                .disk_steps = m->disk.steps.names,
                .plan_steps = m->plan_steps,
                .diff = m->diff,
                .notes = m->edit.notes,
                .warnings = m->warnings,
                .refusals = m->refusals,
                .steps = &m->steps,
                .final_pass = m->final_pass[MOVE_TREE_DATA_ROOT].summary,
                .final_pass_containerd = m->final_pass[MOVE_TREE_CONTAINERD].summary,
                .error = m->error,
                .advice = m->advice,
        };
}
