/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "rollback --resolved": the record of a rollback that failed (or was
 * interrupted) closed once a human put Docker back by hand. The common
 * ground of the undo commands is undo.c. */
#include <errno.h>
#include <time.h>

#include "move/move-internal.h"
#include "util/error.h"
#include "util/json-util.h"
#include "util/strv.h"

/* "rollback --resolved": a human put Docker back by hand after a rollback
 * that failed (or was interrupted). Only the journal is written, and only
 * when the host is in a state a move can start from: the daemon answers, it
 * runs on the data root its configuration names, and that root is one of
 * the move's. On the old root the record is closed as rolled back (or, for
 * the rollback of a finished move, undone); on the new root as done, which
 * lets "cleanup" delete the old root later: so only when the images,
 * containers and volumes recorded before the move are all there. */
int undo_plan_resolve(Undo *u, char **ret_error) {
        _cleanup_(daemon_state_done) DaemonState d = {};
        _cleanup_free_ char *configured = NULL, *reason = NULL;
        Move *m = u->m;
        MovePhase p = m->resume_phase;
        int r;

        r = daemon_probe(m->cfg.socket, &d, ret_error);
        if (r < 0)
                return r;
        if (!d.running)
                return undo_refuse(u,
                              "Docker does not answer on %s: start it on the data root it should use (the old one, "
                              "%s, or the new one, %s), then run this again.",
                              m->cfg.socket, m->old_root, m->new_root);
        configured = move_realpath(m->cfg.data_root);
        if (!configured)
                return -ENOMEM;
        if (!streq_ptr(d.root_dir, configured))
                return undo_refuse(u,
                              "Docker runs on %s, but its configuration says %s (%s): make them agree (fix the "
                              "configuration and restart Docker), then run this again.",
                              strna(d.root_dir), configured, strna(m->cfg.data_root_source));
        if (streq(configured, m->old_root))
                u->resolved_as = p == PHASE_UNDOING ? PHASE_UNDONE : PHASE_ROLLED_BACK;
        else if (streq(configured, m->new_root)) {
                _cleanup_(docker_content_done) DockerContent want = {};

                /* The rollback of a finished move, not done: the move stands
                 * as it was verified. After a failed move only a full check
                 * makes the new root the move's result. */
                if (p != PHASE_UNDOING) {
                        r = journal_get_content(m->journal, &want);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return undo_refuse(u,
                                              "Docker runs on the new data root %s, but the journal holds no record "
                                              "of the content to check it against: not closing the record as a "
                                              "finished move.",
                                              m->new_root);
                        r = verify_docker(m->cfg.socket, m->new_root, &m->store, &want, &reason);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return undo_refuse(u,
                                              "Docker runs on the new data root %s, but it is not what was there "
                                              "before the move (%s): not closing the record as a finished move.",
                                              m->new_root, strna(reason));
                }
                u->resolved_as = PHASE_DONE;
        } else
                return undo_refuse(u, "Docker runs on %s, neither the old data root %s nor the new one %s of the move.",
                              configured, m->old_root, m->new_root);
        /* containerd's root, when the move carried it, on the same side. */
        r = verify_containerd(m, u->resolved_as == PHASE_DONE, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return undo_refuse(u, "Docker runs on %s, but containerd does not agree (%s): put it on the same side, "
                              "then run this again.",
                              configured, strna(reason));

        r = strv_extendf(&u->plan, "Docker runs on %s, as its configuration says.", configured);
        if (r >= 0)
                r = strv_extendf(&u->plan, "Close the record in %s: '%s' becomes '%s'. Nothing else is changed.",
                                 JOURNAL_PATH, move_phase_to_string(p), move_phase_to_string(u->resolved_as));
        return r < 0 ? r : UNDO_PLANNED;
}

int undo_execute_resolve(Undo *u) {
        Move *m = u->m;
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        cJSON *rec;
        int r;

        if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                stamp[0] = 0;
        rec = cJSON_CreateObject();
        if (!rec || !cJSON_AddStringToObject(rec, "at", stamp) ||
            !cJSON_AddStringToObject(rec, "phase", move_phase_to_string(m->resume_phase))) {
                cJSON_Delete(rec);
                return -ENOMEM;
        }
        r = json_set(m->journal, JOURNAL_RESOLVED_BY_HAND, rec);
        if (r < 0)
                return r;
        r = journal_save_phase(m->journal, u->resolved_as);
        if (r < 0) {
                (void) error_set(&u->error, r, "Failed to write %s: %m", JOURNAL_PATH);
                return u->outcome = UNDO_FAILED;
        }
        m->changed = true;
        return u->outcome = UNDO_RESOLVED;
}
