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
        char *named;    /* the path its readers name, when a symlink leads to path; else NULL */
        char *old;      /* current content, NULL when the file is new */
        char *new;      /* planned content; NULL: the file is removed */
        mode_t mode;    /* for a new file */
        bool in_place;  /* a mount point: written in place, as rename cannot replace it */
        char *made_dir; /* a removal: the topmost directory its write made, removed too once empty; else NULL */
} FileEdit;

typedef struct EditPlan {
        FileEdit *edits;
        size_t n;
        char *place;    /* where data-root will be set: "FILE (flag)" or "FILE (daemon.json)" */
        char **notes;   /* what else the plan does: "-g becomes --data-root", "graph removed" */
} EditPlan;

void edit_plan_done(EditPlan *p);

/* Adds a file to the plan (nothing when old equals new; old NULL: a new
 * file; new NULL: the file is removed). Copies the strings. */
int edit_plan_add(EditPlan *p, const char *path, const char *old, const char *new, mode_t mode);
/* Adds every file of another plan (its contents, not its notes or place). */
int edit_plan_add_all(EditPlan *p, const EditPlan *from);

/* Plans setting the data root to new_root. The configuration as it is is
 * proved first (config/proof.h): the plan is made from this program's
 * reading of the files, which must be their readers'. A refusal (the config
 * cannot be read or changed safely: invalid JSON, a file with shell code, a
 * CR a shell would keep, a value built from a variable) returns -ECANCELED
 * with the reason, naming file and position, in *ret_refusal; nothing is
 * planned. A quoted value is rewritten inside its quotes. Every file to
 * write is checked as the apply will write it: not through a dangling
 * symlink or one that leaves /etc, on a writable file system, not immutable,
 * a mount point written in place (FileEdit.in_place, with a note), and the
 * backup directory not reached through a symlink. An already correct
 * configuration gives an empty plan. */
int edit_plan_set_data_root(const DockerConfig *c, const char *new_root, EditPlan *ret, char **ret_refusal);

/* Evaluates the configuration the plan would produce and checks that its data
 * root is new_root with no data-root conflict and no removed option left,
 * and proves it (config/proof.h): what dockerd, systemd and sh will read at
 * the next start. -ECANCELED with a reason otherwise. */
int edit_plan_verify(const EditPlan *p, const DockerConfig *c, const char *new_root, char **ret_refusal);

/* Backs up and writes every file; *ret_backups lists "PATH=BACKUP" pairs
 * ("PATH=" for a file that did not exist). On failure the files already
 * written are restored from their backups. (edit_plan_backup() and
 * edit_plan_write() in one, for callers without a journal.) */
int edit_plan_apply(const EditPlan *p, const char *root, char ***ret_backups);

/* Undoes an applied plan from its backups list (see edit_plan_apply),
 * copying every backup over its file whatever the file holds now. */
int edit_plan_restore(const char *root, char *const *backups);

/* How to put back one file of a plan. A caller with a journal (the move)
 * records these before the first file is written, so that a run killed at any
 * point of the apply leaves enough behind for the next run to undo it. */
typedef struct FileUndo {
        char *path;   /* inside root */
        char *backup; /* inside root, the old content, copied before any write; NULL: there was no file */
        char *new;    /* what the plan writes there; NULL when not known (a record of an older version) */
        char *made_dir; /* inside root: the topmost directory that writing the file made (it had none);
                         * removed with the file once empty. NULL: its directory was there */
} FileUndo;

typedef struct EditUndo {
        FileUndo *files;
        size_t n;
} EditUndo;

void edit_undo_done(EditUndo *u);
/* Adds one file; copies the strings. */
int edit_undo_add(EditUndo *u, const char *path, const char *backup, const char *new);
/* Records the directory that writing the last added file made. */
int edit_undo_set_made_dir(EditUndo *u, const char *dir);

/* The first half of applying a plan: backs up every file the plan changes
 * (the backups are fsynced) and returns the undo record, with, for a file to
 * be created, the directories its write will make. Writes nothing else.
 * A file the plan removes is recorded without its new content, so that its
 * undo puts the backup back whatever is there. */
int edit_plan_backup(const EditPlan *p, const char *root, EditUndo *ret);

/* The second half, once the record is safe: writes every file. On failure
 * the files already written are put back (edit_undo_restore). */
int edit_plan_write(const EditPlan *p, const char *root, const EditUndo *u);

/* Puts every file of the record back to its old content, whatever point the
 * apply reached: a file at its old content is left alone, one at the new
 * content is restored from its backup, or deleted when the plan created it
 * (with the directories its write made, when nothing else is in them).
 * A file that holds neither (changed by someone since) is left as it is and
 * named in *ret_changed (may be NULL); the others are restored all the same,
 * and -EBUSY is returned. A record without the new contents restores every
 * backup and deletes every created file, as edit_plan_restore() does.
 * Restoring twice is harmless. */
int edit_undo_restore(const EditUndo *u, const char *root, char ***ret_changed);

/* The plan that reverts an applied record: every file back to the bytes of
 * its backup, and a file the record's plan created removed (and the
 * directories its write made, once empty). Only when every
 * file still holds exactly what that plan wrote there (read through overlay,
 * may be NULL, where it names the file; from disk otherwise): returns 1 and
 * the plan in *ret. Otherwise returns 0 and, in *ret_why, a sentence for each
 * file that stands in the way (changed since, removed, its backup gone), or
 * one for a record without the new contents, which cannot tell. Reads only. */
int edit_undo_plan_revert(const EditUndo *u, const char *root, const SourceSet *overlay, EditPlan *ret,
                          char ***ret_why);

/* The configuration files as they were before the plan of the record was
 * applied, as an overlay for docker_config_load(): the backups' contents, and
 * missing for the files the plan created. Reads only. */
int edit_undo_overlay(const EditUndo *u, const char *root, SourceSet *overlay);

/* The record as "PATH=BACKUP" pairs (see edit_plan_apply), and back. */
int edit_undo_to_backups(const EditUndo *u, char ***ret);
int edit_undo_from_backups(char *const *backups, EditUndo *ret);

/* The unified diff of every file of the plan. */
int edit_plan_diff(const EditPlan *p, char **ret);
