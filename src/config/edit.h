/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

#include "config/docker-config.h"

/* Changing dockerd's data root in exactly one place. A plan is a list of
 * whole-file contents, computed and checked (by evaluating the configuration
 * they would produce) before anything is written; applying it backs up and
 * atomically replaces each file. */

#define DOCKER_RELOCATE_DROPIN "/etc/systemd/system/docker.service.d/90-docker-relocate.conf"

typedef struct FileEdit {
        char *path;     /* inside root, symlinks resolved */
        char *old;      /* current content, NULL when the file is new */
        char *new;      /* planned content */
        mode_t mode;    /* for a new file */
} FileEdit;

typedef struct EditPlan {
        FileEdit *edits;
        size_t n;
        char *place;    /* where data-root will be set: "FILE (flag)" or "FILE (daemon.json)" */
        char **notes;   /* what else the plan does: "-g becomes --data-root", "graph removed" */
} EditPlan;

void edit_plan_done(EditPlan *p);

/* Plans setting the data root to new_root. A refusal (the config cannot be
 * changed safely: invalid JSON, a file with shell code, a word built by
 * quoting) returns -ECANCELED with the reason, naming file and position, in
 * *ret_refusal; nothing is planned. An already correct configuration gives an
 * empty plan. */
int edit_plan_set_data_root(const DockerConfig *c, const char *new_root, EditPlan *ret, char **ret_refusal);

/* Evaluates the configuration the plan would produce and checks that its data
 * root is new_root with no data-root conflict and no removed option left.
 * -ECANCELED with a reason otherwise. */
int edit_plan_verify(const EditPlan *p, const DockerConfig *c, const char *new_root, char **ret_refusal);

/* Backs up and writes every file; *ret_backups lists "PATH=BACKUP" pairs
 * ("PATH=" for a file that did not exist). On failure the files already
 * written are restored from their backups. */
int edit_plan_apply(const EditPlan *p, const char *root, char ***ret_backups);

/* Undoes an applied plan from its backups list (see edit_plan_apply). */
int edit_plan_restore(const char *root, char *const *backups);

/* The unified diff of every file of the plan. */
int edit_plan_diff(const EditPlan *p, char **ret);
