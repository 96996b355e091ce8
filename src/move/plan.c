/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the move decides before it acts: whether an earlier run is resumed or
 * was done already, the old and the new data root, where the configuration
 * changes, the steps, the expected downtime, and every refusal. Decisions
 * only, on the facts that probe.c gathered (or a unit test wrote). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/proof.h"
#include "disk/safety.h"
#include "move/move-internal.h"
#include "util/error.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/strv.h"

static int refuse(Move *m, int outcome, const char *reason) {
        return strv_extend(&m->refusals, reason) < 0 ? -ENOMEM : outcome;
}

/* A plan that cannot run while Docker is down because of the move it was to
 * resume: this run changed nothing, but the host is not as it was before
 * that move, and "Refused; nothing was changed" alone would leave the user
 * at a dead end. Says how out, in m->advice. */
static int advise_docker_down(Move *m) {
        const char *target = strna(json_get_string(m->journal, "new_data_root"));
        const char *old = strna(json_get_string(m->journal, "old_data_root"));
        const char *at = move_phase_to_string(m->resume_phase);
        int r;

        if (m->resume_phase == PHASE_NONE || m->daemon.running)
                return 0;
        m->advice = mfree(m->advice);
        r = asprintf(&m->advice,
                     m->resume_phase >= PHASE_STOPPED
                             ? "Docker is stopped: the interrupted move to %s (it reached '%s') stopped it, and it "
                               "stays stopped until that move is finished or abandoned. 'docker-relocate rollback "
                               "--yes' abandons it: the configuration as it was before, Docker started again on the "
                               "old data root %s. Or run the move again with the same target (%s) to finish it."
                             : "Docker is not running, and the move to %s was interrupted (at '%s') around the point "
                               "where it stops Docker. 'docker-relocate rollback --yes' abandons that move and starts "
                               "Docker again on the old data root %s; or start Docker and run the move again with the "
                               "same target (%s).",
                     target, at, old, target);
        if (r < 0) {
                m->advice = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Ends a plan that cannot run. */
static int plan_end(Move *m, int outcome) {
        int r = advise_docker_down(m);
        return r < 0 ? r : outcome;
}

/* The move the journal records as done or cleaned, when it is this very
 * move and the configuration still says so. */
static bool done_already(const Move *m) {
        const char *nr = json_get_string(m->journal, "new_data_root");
        _cleanup_free_ char *want = NULL, *mnt = NULL;

        if (m->req.to)
                want = move_realpath(m->req.to);
        else if (path_resolve_physical(NULL, m->req.mount ?: DEFAULT_MOUNT, &mnt) >= 0)
                want = path_join(mnt, "docker");
        return nr && want && streq(nr, want) && streq_ptr(m->cfg.data_root, nr);
}

/* A Docker this program does not manage (the snap, rootless Docker): the
 * refusal gives the steps by hand, with this move's own target, and with
 * --device the volume prepared by this program first. */
static int plan_install_kind(Move *m) {
        _cleanup_free_ char *new_root = NULL, *prepare = NULL, *refusal = NULL;
        const char *mount = m->req.mount ?: DEFAULT_MOUNT;
        int r;

        if (m->cfg.install != INSTALL_SNAP && m->cfg.install != INSTALL_ROOTLESS)
                return MOVE_PLANNED;
        new_root = m->req.to ? move_realpath(m->req.to) : path_join(mount, "docker");
        if (!new_root)
                return -ENOMEM;
        if (m->req.device &&
            asprintf(&prepare, "docker-relocate prepare %s --mount %s%s%s%s%s%s%s", m->req.device, mount,
                     m->req.fs ? " --fs " : "", strempty(m->req.fs), m->req.label ? " --label " : "",
                     strempty(m->req.label), m->req.partition ? " --partition" : "", m->req.wipe ? " --wipe" : "") < 0) {
                prepare = NULL;
                return -ENOMEM;
        }
        r = docker_installs_refusal(&m->cfg.installs, m->cfg.install, m->cfg.service_file, new_root, prepare,
                                    &refusal);
        if (r == -ECANCELED)
                return refuse(m, MOVE_REFUSED, refusal);
        return r < 0 ? r : MOVE_PLANNED;
}

/* How the interrupted move found Docker keeping its images, and whether it
 * moves containerd's root too: its journal says (a journal of an earlier
 * version has no record, and such a move carries the data root only). */
static int plan_resume_store(Move *m) {
        int r;

        store_record_done(&m->store);
        r = journal_get_store(m->journal, &m->store);
        if (r == -ENOENT)
                return 0;
        if (r == -EBADMSG)
                return strv_extendf(&m->refusals,
                                    "The record \"image_store\" in %s is incomplete: the interrupted move cannot be "
                                    "taken up.",
                                    JOURNAL_PATH);
        return r;
}

int plan_begin(Move *m) {
        const char *old;
        int r;

        r = strv_extend_strv(&m->warnings, m->cfg.warnings);
        if (r < 0)
                return r;

        if (m->journal) {
                MovePhase p = journal_phase(m->journal);

                if (p == PHASE_UNDOING)
                        return strv_extendf(&m->refusals,
                                            "A rollback of the move to %s was interrupted (%s): run 'docker-relocate "
                                            "rollback --yes' again to finish it.",
                                            strna(json_get_string(m->journal, "new_data_root")), JOURNAL_PATH) < 0
                                       ? -ENOMEM
                                       : MOVE_REFUSED;
                if (p == PHASE_FAILED)
                        return strv_extendf(&m->refusals,
                                            "An earlier move to %s failed and could not be rolled back (%s says what "
                                            "happened): run 'docker-relocate rollback --yes' to try the rollback "
                                            "again, or, once you have put Docker back by hand, 'docker-relocate "
                                            "rollback --resolved' to check it and close the record.",
                                            strna(json_get_string(m->journal, "new_data_root")), JOURNAL_PATH) < 0
                                       ? -ENOMEM
                                       : MOVE_REFUSED;
                if (p == PHASE_ROLLING_BACK) {
                        /* Finished before anything else (move_finish_rollback()). */
                        m->resume_phase = p;
                        m->old_root = strdup(strempty(json_get_string(m->journal, "old_data_root")));
                        m->new_root = strdup(strempty(json_get_string(m->journal, "new_data_root")));
                        if (!m->old_root || !m->new_root ||
                            strv_extendf(&m->plan_steps,
                                         "Finish the interrupted rollback of the failed move to %s: stop Docker, put "
                                         "back its configuration, start it on %s and verify it; no new move",
                                         m->new_root, m->old_root) < 0)
                                return -ENOMEM;
                        /* containerd's root goes back too, when the move
                         * carried it. */
                        r = plan_resume_store(m);
                        return r < 0 ? r : MOVE_PLANNED;
                }
                if (p >= PHASE_PLANNED && p <= PHASE_VERIFIED) {
                        m->resume_phase = p;
                        r = plan_resume_store(m);
                        if (r < 0)
                                return r;
                }
                if ((p == PHASE_DONE || p == PHASE_CLEANED) && done_already(m)) {
                        m->new_root = strdup(json_get_string(m->journal, "new_data_root"));
                        m->old_root = strdup(strempty(json_get_string(m->journal, "old_data_root")));
                        return m->new_root && m->old_root ? MOVE_UNCHANGED : -ENOMEM;
                }
        }

        /* The snap and rootless Docker are refused before the daemon is
         * asked or the data measured. */
        r = plan_install_kind(m);
        if (r != MOVE_PLANNED)
                return r;
        if (m->cfg.init == INIT_UNKNOWN)
                return refuse(m, MOVE_REFUSED, "No init system that starts Docker was found.");
        STRV_FOREACH(c, m->cfg.conflicts)
                if (strv_extendf(&m->refusals, "%s Fix this first.", *c) < 0)
                        return -ENOMEM;
        /* Nothing is measured or planned from files their readers read otherwise. */
        r = config_prove_refusals(&m->cfg, &m->refusals);
        if (r != 0)
                return r < 0 ? r : MOVE_REFUSED;

        /* Nothing is measured through a link that leads nowhere. */
        if (m->link.dangling) {
                r = strv_extendf(&m->refusals,
                                 "The data root %s is a symlink to %s, which does not exist (a dangling link): Docker "
                                 "cannot run on it. Point the link at the directory that holds Docker's data, or "
                                 "remove it, and run the move again.",
                                 m->link.path, m->link.target);
                return r < 0 ? r : MOVE_REFUSED;
        }

        /* When an interrupted move had already rewritten the configuration,
         * the old root is the journal's. */
        old = m->resume_phase != PHASE_NONE ? json_get_string(m->journal, "old_data_root") : NULL;
        m->old_root = old ? strdup(old) : move_realpath(m->cfg.data_root);
        return m->old_root ? MOVE_PLANNED : -ENOMEM;
}

static int plan_daemon(Move *m) {
        const DaemonState *d = &m->daemon;
        int r = 0;

        if (!d->running) {
                /* A run killed while it stopped Docker, after it recorded
                 * the content: the move goes on from there. */
                if (m->resume_phase < PHASE_STOPPED &&
                    !(m->resume_phase != PHASE_NONE &&
                      cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(m->journal, "recorded"))))
                        r = strv_extendf(&m->refusals,
                                         "Docker is not running on %s: start it, so that its content can be recorded "
                                         "and verified after the move.",
                                         m->cfg.socket);
                return r;
        }
        if (d->swarm_manager && !m->req.force)
                r = strv_extend(&m->refusals, "This node is a swarm manager: stopping Docker affects the swarm's "
                                              "quorum. Use --force after checking the other managers.");
        if (r < 0 || streq_ptr(d->root_dir, m->old_root))
                return r;
        if (m->resume_phase >= PHASE_CONFIGURED &&
            streq_ptr(json_get_string(m->journal, "new_data_root"), d->root_dir))
                return 0; /* an interrupted move already restarted Docker on the new root */
        if (m->config_interrupted)
                return strv_extendf(&m->refusals,
                                    "Docker runs on %s, started from the configuration that an interrupted move had "
                                    "begun to write (%s): stop Docker and run the move again to finish it.",
                                    strna(d->root_dir), JOURNAL_PATH);
        return strv_extendf(&m->refusals,
                            "Docker runs on %s but its configuration says %s: restart Docker (or fix the "
                            "configuration) first.",
                            strna(d->root_dir), m->old_root);
}

/* The data root's symlink or bind already leads to the target: there is
 * nothing to copy, and a copy (or --delete-old) would work on the very data
 * the new root reads. */
static int plan_link_is_target(Move *m) {
        const DataRootLink *l = &m->link;

        if (l->kind == DATA_ROOT_DIRECT || !(l->is_target || streq_ptr(m->old_root, m->new_root)))
                return 0;
        return strv_extendf(&m->refusals,
                            "The data root %s is %s %s, which is the target %s itself: Docker's data is there "
                            "already, and there is nothing to move. To name that directory in Docker's "
                            "configuration instead of reaching it through the %s, run 'docker-relocate "
                            "set-data-root %s' and restart Docker; then remove the %s%s.",
                            l->path, l->kind == DATA_ROOT_SYMLINK ? "a symlink to" : "a bind mount of",
                            strna(l->target), strna(m->new_root), l->kind == DATA_ROOT_SYMLINK ? "symlink" : "bind mount",
                            strna(m->new_root), l->kind == DATA_ROOT_SYMLINK ? "symlink" : "bind mount",
                            l->fstab ? " and its line in /etc/fstab" : "") < 0
                       ? -ENOMEM
                       : 1;
}

/* What becomes of the data root's symlink or bind mount: it stays as it is.
 * Once the data root is set, Docker no longer reads through it; "rollback"
 * only has to put the configuration back to find it working; and the old
 * data stays where it is until "cleanup" (or --delete-old). */
static int plan_link(Move *m) {
        const DataRootLink *l = &m->link;
        const char *old = strna(m->old_root);
        int r;

        m->link_choice = mfree(m->link_choice);
        if (l->kind == DATA_ROOT_SYMLINK)
                r = asprintf(&m->link_choice,
                             "Leave the symlink %s -> %s as it is: with the data root set, Docker no longer reads "
                             "through it, and 'rollback' finds it unchanged; the old data stays in %s until "
                             "'cleanup' (or --delete-old) removes that directory by its own name, never through the "
                             "link, which then leads nowhere (remove it with 'rm %s')",
                             l->path, strna(l->target), old, l->path);
        else if (l->kind == DATA_ROOT_BIND)
                r = asprintf(&m->link_choice,
                             "Leave the bind mount of %s on %s%s as it is: with the data root set, Docker no longer "
                             "reads it, and 'rollback' finds it unchanged; 'cleanup' (or --delete-old) empties %s, "
                             "which empties %s, and leaves the mount%s (remove %s by hand)",
                             strna(l->target), l->path, l->fstab ? " and its line in /etc/fstab" : "", old,
                             strna(l->target), l->fstab ? " and the line" : "", l->fstab ? "both" : "it");
        else
                return 0;
        if (r < 0) {
                m->link_choice = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int plan_target_volume(Move *m) {
        int r;

        /* The volume could not even be checked (m->error says why). */
        if (m->error)
                return plan_end(m, MOVE_FAILED);
        /* The mount point as prepare resolved it: the one path for the
         * mount, fstab, the copy and the configuration. A refused volume's
         * plan names them as asked. */
        m->target_mount = strdup(m->disk.mount ?: m->req.mount ?: DEFAULT_MOUNT);
        m->device = strdup(m->disk.fs_node ?: m->req.device);
        m->new_root = m->target_mount ? path_join(m->target_mount, "docker") : NULL;
        if (!m->target_mount || !m->device || !m->new_root)
                return -ENOMEM;
        if (m->disk.refused)
                return strv_extend_strv(&m->refusals, m->disk.refusals) < 0 ? -ENOMEM : MOVE_PLANNED;
        r = strv_extend_strv(&m->warnings, m->disk.warnings);
        if (r < 0)
                return r;
        r = plan_link_is_target(m);
        return r < 0 ? r : MOVE_PLANNED;
}

static int plan_target_dir(Move *m) {
        const TargetDir *t = &m->target;
        int r;

        if (!t->is_dir)
                return strv_extendf(&m->refusals, "--to %s is not an existing directory.", m->req.to) < 0
                               ? -ENOMEM
                               : MOVE_PLANNED;
        m->new_root = strdup(t->path);
        if (!m->new_root)
                return -ENOMEM;
        r = plan_link_is_target(m);
        if (r != 0)
                return r < 0 ? r : MOVE_PLANNED;
        if (path_startswith_dir(m->new_root, m->old_root))
                return strv_extendf(&m->refusals, "The target %s lies inside the current data root %s.", m->new_root,
                                    m->old_root) < 0
                               ? -ENOMEM
                               : MOVE_PLANNED;
        if (path_startswith_dir(m->old_root, m->new_root))
                return strv_extendf(&m->refusals, "The current data root %s lies inside the target %s.", m->old_root,
                                    m->new_root) < 0
                               ? -ENOMEM
                               : MOVE_PLANNED;
        if (t->same_fs)
                return strv_extendf(&m->refusals,
                                    "%s is on the same filesystem as the current data root %s: moving frees no "
                                    "space.",
                                    m->new_root, m->old_root) < 0
                               ? -ENOMEM
                               : MOVE_PLANNED;
        if (t->unfit)
                return strv_extendf(&m->refusals, "%s cannot hold a data root: %s", m->new_root, t->unfit) < 0
                               ? -ENOMEM
                               : MOVE_PLANNED;
        /* A resumed move finds its own partial copy there. */
        if (!t->empty && m->resume_phase == PHASE_NONE)
                return strv_extendf(&m->refusals,
                                    "%s is not empty, and it is not this tool's own earlier copy; give an empty "
                                    "directory.",
                                    m->new_root) < 0
                               ? -ENOMEM
                               : MOVE_PLANNED;
        m->free_known = t->free_known;
        m->target_free_bytes = t->free_bytes;
        m->target_free_inodes = t->free_inodes;
        m->target_mount = strdup(m->new_root);
        return m->target_mount ? MOVE_PLANNED : -ENOMEM;
}

static int plan_space(Move *m) {
        TreeSize total = move_total_size(m);
        uint64_t need = disk_size_needed(total.bytes);
        const char *what = with_containerd(m) ? "the data root and containerd's root need" : "the data root needs";
        int r = 0;

        /* A resumed move has copied part of the data already. */
        if (!m->free_known || m->resume_phase != PHASE_NONE)
                return 0;
        if (m->target_free_bytes < need)
                r = strv_extendf(&m->refusals, "%s has %.1f GiB free; %s %.1f GiB with margin.", m->new_root,
                                 m->target_free_bytes / 1073741824.0, what, need / 1073741824.0);
        if (r >= 0 && m->target_free_inodes < total.inodes + total.inodes / 10)
                r = strv_extendf(&m->refusals, "%s has %llu free inodes; %s %llu.", m->new_root,
                                 (unsigned long long) m->target_free_inodes,
                                 with_containerd(m) ? "the data root and containerd's root use" : "the data root uses",
                                 (unsigned long long) total.inodes);
        return r;
}

static int plan_config(Move *m, char **ret_error) {
        _cleanup_free_ char *refusal = NULL;
        int r;

        edit_plan_done(&m->edit);
        r = edit_plan_set_data_root(&m->cfg, m->new_root, &m->edit, &refusal);
        if (r >= 0)
                r = edit_plan_verify(&m->edit, &m->cfg, m->new_root, &refusal);
        if (r == -ECANCELED)
                return strv_extend(&m->refusals, strempty(refusal));
        if (r < 0)
                return error_set(ret_error, r, "Failed to plan the configuration change: %m");
        m->diff = mfree(m->diff);
        r = edit_plan_diff(&m->edit, &m->diff);
        if (r < 0)
                return error_set(ret_error, r, "Failed to compute the diff: %m");
        return 0;
}

int plan_decide(Move *m, char **ret_error) {
        int r;

        r = plan_daemon(m);
        if (r < 0)
                return r;

        r = m->req.device ? plan_target_volume(m) : plan_target_dir(m);
        if (r != MOVE_PLANNED)
                return r;

        if (m->new_root && m->resume_phase != PHASE_NONE &&
            !streq_ptr(json_get_string(m->journal, "new_data_root"), m->new_root)) {
                r = strv_extendf(&m->refusals,
                                 "An interrupted move to %s is recorded in %s: run it again with that target first "
                                 "(it resumes where it stopped), or abandon it with 'docker-relocate rollback "
                                 "--yes', which puts the configuration and Docker back as they were before it.",
                                 strna(json_get_string(m->journal, "new_data_root")), JOURNAL_PATH);
                if (r < 0)
                        return r;
        }
        /* With rsync as the copier, both passes are rsync: without it the
         * copy would fail after the target was prepared, or with Docker
         * already stopped. The engine needs it only where it cannot run. */
        if (m->req.copier == COPIER_RSYNC && !m->have_rsync) {
                r = strv_extend(&m->refusals,
                                "rsync is not installed (not found in PATH); the copy with --copier=rsync needs it.");
                if (r < 0)
                        return r;
        }
        if (m->new_root && strv_length(m->cfg.conflicts) == 0) {
                r = plan_config(m, ret_error);
                if (r < 0)
                        return r;
        }
        /* After Docker's configuration, which it adds to; before the
         * space, which it counts in. */
        r = plan_containerd(m, ret_error);
        if (r < 0)
                return r;
        r = plan_selinux(m, ret_error);
        if (r < 0)
                return r;
        r = plan_space(m);
        if (r >= 0)
                r = plan_link(m);
        if (r < 0)
                return r;
        plan_estimate(m);
        r = plan_steps(m);
        if (r < 0)
                return r;
        if (strv_length(m->refusals) > 0)
                return plan_end(m, MOVE_REFUSED);
        r = steps_plan(m);
        return r < 0 ? r : MOVE_PLANNED;
}
