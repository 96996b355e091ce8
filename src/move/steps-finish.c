/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a move does once Docker runs verified on the new root: the
 * containers started again, the old tree deleted when asked; and, whatever
 * its outcome, ext4's zeroing of the inode tables that the copy deferred. */
#include <errno.h>
#include <string.h>

#include "disk/mount.h"
#include "move/move-internal.h"
#include "util/json-util.h"
#include "util/strv.h"

int containers_run_again(Move *m, char *const *ids, const char *root) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_engine_containers_ EngineContainers *now = NULL;
        _cleanup_strv_free_ char **todo = NULL, **names = NULL;
        _cleanup_free_ char *err = NULL;
        char **errors = NULL;
        int r = 0, failed;

        if (strv_length((char **) ids) == 0)
                return 1;
        r = docker_open(m->cfg.socket, &e);
        if (r >= 0)
                r = engine_list_containers(e, false, &now, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                _cleanup_free_ char *list = strv_join((char **) ids, " ");
                return strv_extendf(&m->warnings,
                                    "The containers that ran before were not started again: Docker's API did not "
                                    "answer (%s); once Docker runs on %s, start them: docker start %s",
                                    err ?: strerror(-r), root, strna(list)) < 0
                               ? -ENOMEM
                               : 0;
        }
        for (size_t i = 0; i < now->n; i++) {
                if (!strv_contains((char **) ids, now->items[i].id) || streq_ptr(now->items[i].state, "running"))
                        continue;
                if (strv_extend(&todo, now->items[i].id) < 0 || strv_extend(&names, strna(now->items[i].name)) < 0)
                        return -ENOMEM;
        }
        /* All at once, as they were stopped. */
        failed = docker_start_containers_all(m->cfg.socket, todo, &errors);
        if (failed < 0)
                return failed;
        r = 1;
        for (size_t i = 0; todo && todo[i]; i++) {
                if (errors[i] && r >= 0 &&
                    strv_extendf(&m->warnings, "Container %s (%s) was running before and failed to start on %s: %s",
                                 names[i], todo[i], root, errors[i]) < 0)
                        r = -ENOMEM;
                free(errors[i]);
        }
        free(errors);
        return r;
}

/* The containers that ran, running again. Done even where Docker's API
 * did not answer (a warning names the containers then): the move is, and
 * its journal says so, or a later run would take it for interrupted. */
int step_restart_containers(Move *m, char **ret_error) {
        int r = containers_run_again(m, m->content.running, m->new_root);

        return r < 0 ? r : 0;
}

/* The old tree: kept, unless asked, and only now, while Docker runs on the
 * new one. */
int step_delete_old(Move *m, char **ret_error) {
        if (!docker_runs_on(m->cfg.socket, m->new_root))
                return strv_extendf(&m->warnings,
                                    "The old data root %s is kept: Docker does not run on %s now; once it does, "
                                    "remove the old one with 'docker-relocate cleanup'.",
                                    m->old_root, m->new_root) < 0
                               ? -ENOMEM
                               : STEP_SKIPPED;
        if (remove_old_tree(m, m->old_root) < 0)
                return strv_extendf(&m->warnings,
                                    "Deleting the old data root %s failed; remove it with 'docker-relocate cleanup'.",
                                    m->old_root) < 0
                               ? -ENOMEM
                               : STEP_SKIPPED;
        return 0;
}

/* The mount a move onto a device put its data root on: this run's, or the
 * one the journal of the run it takes up records. NULL for a move --to. */
static const char *device_mount(const Move *m) {
        if (m->req.device && m->target_mount)
                return m->target_mount;
        if (m->resume_phase != PHASE_NONE && m->journal && json_get_string(m->journal, "device"))
                return json_get_string(m->journal, "mount");
        return NULL;
}

int move_resume_itable_init(Move *m) {
        const char *dir = device_mount(m);
        int r;

        if (!dir)
                return 0;
        r = mount_resume_itable_init(dir);
        if (r < 0 && strv_extendf(&m->warnings,
                                  "Remounting %s with init_itable failed (%s): ext4 zeroes its inode tables at its "
                                  "next mount instead.",
                                  dir, strerror(-r)) < 0)
                return -ENOMEM;
        return 0;
}
