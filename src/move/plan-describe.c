/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the plan says of the move it decided (plan.c): the expected
 * downtime and the steps, in sentences. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "disk/mount-dropin.h"
#include "move/move-internal.h"
#include "util/strv.h"

/* The downtime estimate, item by item, from what bench/run.sh --move and
 * --tracker measured on the benchmark's 113k-inode data root
 * (docs/PERFORMANCE.md, "The move's downtime against a plain restart"):
 * - Docker's stop, start and verification, the containers' restart: 1.3 s
 *   on the 113k- and the million-inode trees, as long as a restart by hand
 *   (1.4 s); 2.4 and 2.9 s where dockerd's parent reaped it late. A margin
 *   for a slower daemon (more containers and images to load at its start;
 *   containers that ignore SIGTERM add their grace period, which the plan
 *   does not know);
 * - the final pass from the change tracker's record: 0.09 s, whatever the
 *   tree's size (what changes while the pre-copy runs is not known to the
 *   plan, which is made before it; a margin for a busy host), never more
 *   than the walk below;
 * - the final pass that walks both trees (rsync, a resumed move, no
 *   tracker): 116k entries in 4.2 s with cold caches;
 * - without a pre-copy, the whole copy: its data at an EBS gp3 baseline
 *   (the volume, not the engine, bounds it there), its inodes at the rate
 *   the engine made them (113k in 9.5 s, data included).
 * Per-item figures rather than a prediction from the pre-copy's own rate:
 * the estimate is shown before the move begins. */
#define EST_RESTART_SEC 3.0
#define EST_TRACKED_FINAL_SEC 1.0
#define EST_WALK_INODES_PER_SEC 25000.0
#define EST_COPY_INODES_PER_SEC 12000.0
#define EST_COPY_BYTES_PER_SEC (125.0 * 1000 * 1000)

/* Whether the final pass will go by the change tracker's record. */
static bool plan_tracked(const Move *m) {
        return !final_pass_full_walk_reason(m) && !m->no_tracker;
}

void plan_estimate(Move *m) {
        TreeSize total = move_total_size(m);
        double walk = total.inodes / EST_WALK_INODES_PER_SEC, final;

        if (!m->req.pre_copy)
                final = total.bytes / EST_COPY_BYTES_PER_SEC + total.inodes / EST_COPY_INODES_PER_SEC;
        else if (plan_tracked(m))
                final = walk < EST_TRACKED_FINAL_SEC ? walk : EST_TRACKED_FINAL_SEC;
        else
                final = walk;
        m->estimate_sec = EST_RESTART_SEC + final;
}

/* A line of the plan, for containerd's root only when it moves. */
static int step_line(Move *m, bool containerd, const char *format, ...) _printf_(3, 4);
static int step_line(Move *m, bool containerd, const char *format, ...) {
        va_list ap;
        int r;

        if (containerd && !with_containerd(m))
                return 0;
        va_start(ap, format);
        r = strv_extendfv(&m->plan_steps, false, format, ap);
        va_end(ap);
        return r;
}

int plan_steps(Move *m) {
        const char *old = strna(m->old_root), *new = strna(m->new_root);
        const char *final = m->req.copier == COPIER_RSYNC ? "rsync --delete"
                             : plan_tracked(m)
                                     ? "the copy engine, only the directories changed since the pre-copy began, "
                                       "deleting what the source lacks"
                                     : "the copy engine, deleting what the source lacks";
        const char *cold = strna(m->store.old_containerd_root), *cnew = strna(m->store.new_containerd_root);
        bool systemd = m->cfg.init == INIT_SYSTEMD, ctd = with_containerd(m);
        int r = 0;

        /* With --device, the volume's own steps come first (m->disk.steps). */
        if (m->req.device && m->disk.refused)
                r = step_line(m, false, "Prepare %s and mount it on %s (refused: see below)", strna(m->device),
                              strna(m->target_mount));
        else if (m->req.device && m->disk.steps.n == 0)
                r = step_line(m, false, "Use %s, mounted on %s, as it is", strna(m->device), strna(m->target_mount));
        if (r >= 0 && m->req.pre_copy)
                r = step_line(m, false, "Copy %s to %s while Docker runs", old, new);
        if (r >= 0 && m->req.pre_copy)
                r = step_line(m, true, "Copy containerd's root %s to %s while it runs", cold, cnew);
        if (r >= 0)
                r = step_line(m, false,
                              "Record image, container and volume ids through the Engine API, and the image store "
                              "(driver %s%s%s)",
                              strna(m->store.driver), m->store.driver_type ? ", " : "", strempty(m->store.driver_type));
        if (r >= 0 && m->daemon.live_restore)
                r = step_line(m, false, "Stop the running containers (live-restore would keep them running)");
        if (r >= 0 && ctd)
                r = step_line(m, false, "Stop Docker and containerd (%s)",
                              systemd ? "docker.socket, then docker.service and containerd.service, over D-Bus"
                                      : "through their init scripts");
        else if (r >= 0)
                r = step_line(m, false, "Stop Docker (%s)",
                              systemd ? "docker.socket, then docker.service, over D-Bus" : "through its init script");
        if (r >= 0)
                r = step_line(m, true, "Check that no task, shim or mount of a container remains below %s or %s", cold,
                              strna(m->store.containerd_state));
        if (r >= 0)
                r = step_line(m, false, "Copy %s to %s with Docker stopped (%s)", old, new, final);
        if (r >= 0)
                r = step_line(m, true, "Copy containerd's root %s to %s with containerd stopped (%s)", cold, cnew,
                              final);
        if (r >= 0)
                r = plan_selinux_steps(m, &m->plan_steps);
        if (r >= 0)
                r = step_line(m, false, "Set the data root to %s in %s", new, m->edit.place ?: "(already set)");
        if (r >= 0)
                r = step_line(m, true, "Set containerd's root to %s in %s", cnew,
                              m->containerd_edit.place ?: "(already set)");
        if (r >= 0 && m->link_choice)
                r = step_line(m, false, "%s", m->link_choice);
        if (r >= 0 && systemd)
                r = step_line(m, false, "Add %s/%s (RequiresMountsFor=%s) and reload systemd", MOUNT_DROPIN_DIR,
                              MOUNT_DROPIN_NAME, new);
        if (r >= 0 && systemd)
                r = step_line(m, true, "Add %s/%s (RequiresMountsFor=%s)", CONTAINERD_MOUNT_DROPIN_DIR,
                              MOUNT_DROPIN_NAME, cnew);
        if (r >= 0 && m->store.driver && !m->store.driver_type)
                r = step_line(m, false, "Check that the copy holds the %s layers (%s/%s/)", m->store.driver, new,
                              m->store.driver);
        if (r >= 0)
                r = step_line(m, true, "Check that 'containerd config dump' names %s", cnew);
        if (r >= 0)
                r = step_line(m, false,
                              "Start %sDocker and verify through the Engine API: root dir, image store, images, "
                              "containers, volumes%s",
                              ctd ? "containerd, then " : "", ctd ? "; and containerd's root" : "");
        if (r >= 0)
                r = step_line(m, false, "Start the containers that were running");
        if (r >= 0 && m->req.delete_old) {
                r = step_line(m, false, "Delete the old data root %s", old);
                if (r >= 0)
                        r = step_line(m, true, "Delete containerd's old root %s", cold);
        } else if (r >= 0) {
                r = step_line(m, false, "Keep the old data root %s (remove it later with 'docker-relocate cleanup')",
                              old);
                if (r >= 0)
                        r = step_line(m, true, "Keep containerd's old root %s (and 'cleanup' removes it too)", cold);
        }
        return r;
}
