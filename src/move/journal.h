/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <cjson/cJSON.h>

#include "config/edit.h"

/* The record of a move, written atomically after every step, so that a run
 * that was killed (or a host that rebooted) mid-move can be resumed or rolled
 * back by the next run, and a finished move is recognised as done.
 *
 *   /var/lib/docker-relocate/state.json
 *
 * Phases, in order; a move is only ever at one: */
typedef enum MovePhase {
        PHASE_NONE,
        PHASE_PLANNED,     /* target prepared, nothing of Docker touched */
        PHASE_PRECOPIED,   /* live copy done, Docker still running */
        PHASE_STOPPED,     /* Docker stopped by us: from here, failure means roll back */
        PHASE_COPIED,      /* final copy done */
        PHASE_CONFIGURED,  /* data root rewritten, backups recorded */
        PHASE_VERIFIED,    /* Docker runs on the new root with the same content */
        PHASE_DONE,        /* containers restarted, old tree kept (or deleted) */
        PHASE_ROLLED_BACK, /* failed, and Docker is back on the old root */
        PHASE_FAILED,      /* failed, and the rollback failed: needs a human */
        PHASE_UNDONE,      /* a finished move undone by "rollback" */
        PHASE_CLEANED,     /* the old tree was removed after a verified move */
        PHASE_UNDOING,     /* "rollback" of a finished move is under way (its containers recorded) */
        PHASE_ROLLING_BACK, /* a failed move is rolling back: a run killed here is finished by the next one */
        _PHASE_INVALID = -EINVAL,
} MovePhase;

const char *move_phase_to_string(MovePhase p);
MovePhase move_phase_from_string(const char *s);

#define JOURNAL_PATH "/var/lib/docker-relocate/state.json"

/* What must be there after a move: image ids, container ids (with the
 * running ones apart, to start again) and volume names, each sorted. */
typedef struct DockerContent {
        char **images;
        char **containers;
        char **running;
        char **volumes;
} DockerContent;

void docker_content_done(DockerContent *c);

/* The journal is a cJSON object; these helpers keep its shape in one place. */
int journal_load(const char *root, cJSON **ret);             /* -ENOENT when there is none */
int journal_save(const char *root, cJSON *j);                /* atomic, fsync'ed */
MovePhase journal_phase(const cJSON *j);
int journal_set_phase(cJSON *j, MovePhase p);
/* Sets the phase and saves the journal on the host (nothing without one). */
int journal_save_phase(cJSON *j, MovePhase p);
/* Appends {"name": name, "seconds": seconds} to "steps". */
int journal_add_step(cJSON *j, const char *name, double seconds);

/* A new record at PHASE_PLANNED: when it started, how Docker is started
 * (init system, socket), the old and the new data root, and for a volume
 * its device and mount point (NULL: none). */
int journal_new(const char *init_system, const char *socket, const char *old_root, const char *new_root,
                const char *device, const char *mount, cJSON **ret);

/* How Docker keeps its images, as the move found it before it stopped
 * anything, under "image_store": checked after every start of Docker (the
 * move's and a rollback's), so that Docker never comes up on the other image
 * store unnoticed (Engine 29 picks the containerd store for a data root
 * without graph-driver layers); and, on a host whose images live in the
 * system containerd's root, that second tree of the move:
 *
 *   "image_store": { "store": "containerd", "driver": "overlayfs",
 *                    "driver_type": "io.containerd.snapshotter.v1",
 *                    "containerd_kind": "system",
 *                    "containerd_address": "/run/containerd/containerd.sock",
 *                    "containerd_socket": "/run/containerd/containerd.sock",
 *                    "containerd": { "config": "/etc/containerd/config.toml",
 *                                    "state": "/run/containerd",
 *                                    "old_root": "/var/lib/containerd",
 *                                    "new_root": "/mnt/docker-data/containerd" } }
 *
 * "containerd" is there only when containerd's root moves too. */
typedef struct StoreRecord {
        char *store;              /* "graph-driver", "containerd" */
        char *driver;             /* GET /info Driver */
        char *driver_type;        /* DriverStatus driver-type; NULL on a graph driver */
        char *containerd_kind;    /* "system", "managed", "embedded" */
        char *containerd_address; /* GET /info Containerd.Address; NULL before Engine 27 */
        char *containerd_socket;  /* where that containerd listens, as detected */
        bool containerd_moves;    /* the system containerd's root is a second tree of the move */
        char *containerd_config;  /* its config file */
        char *containerd_state;
        char *old_containerd_root;
        char *new_containerd_root;
} StoreRecord;

void store_record_done(StoreRecord *s);
int journal_set_store(cJSON *j, const StoreRecord *s);
/* -ENOENT when the journal has none (a move of an earlier version). */
int journal_get_store(const cJSON *j, StoreRecord *ret);

/* Whether "steps" lists a step of that name at index from or later: several
 * steps may reach one phase, and a resumed move skips those the run it
 * resumes finished. */
bool journal_has_step(const cJSON *j, const char *name, size_t from);
/* How many steps "steps" lists. */
size_t journal_n_steps(const cJSON *j);

/* The content recorded before Docker was stopped, under "recorded".
 * journal_get_content(): -ENOENT when none was recorded. */
int journal_set_content(cJSON *j, const DockerContent *c);
int journal_get_content(const cJSON *j, DockerContent *ret);

/* How to undo a change of Docker's configuration, written ahead: recorded
 * (and the journal saved) before the first file is changed, so that whatever
 * point a run is killed at, the next one can put every file back
 * (edit_undo_restore). The move's change is kept under JOURNAL_CONFIG_UNDO
 * for its rollback; while "rollback" of a finished move rewrites the
 * configuration (PHASE_UNDOING), its own change is under
 * JOURNAL_ROLLBACK_UNDO.
 *
 *   "config_undo": [ { "path": "/etc/default/docker",
 *                      "backup": "/var/lib/docker-relocate/backups/...",
 *                      "new": "the content written there" },
 *                    { "path": "...", "backup": null, "new": "...",
 *                      "made_dir": "/etc/systemd/system/docker.service.d" } ]
 *
 * A null backup: the file did not exist and is deleted on undo, with
 * "made_dir" (when present), the topmost directory its write made, once
 * that is empty. The move's
 * record also keeps the "PATH=BACKUP" list "config_backups" that earlier
 * versions wrote (and read), and a journal of such a version, which has only
 * that list, reads as a record without the new contents. */
#define JOURNAL_CONFIG_UNDO "config_undo"
#define JOURNAL_ROLLBACK_UNDO "rollback_undo"
#define JOURNAL_CONFIG_BACKUPS "config_backups"
/* The containers "rollback" of a finished move stopped, to start again:
 * written before the first is stopped. */
#define JOURNAL_ROLLBACK_RUNNING "rollback_running"
/* When, and from which phase, "rollback --resolved" closed the record of a
 * failed rollback that was put right by hand. */
#define JOURNAL_RESOLVED_BY_HAND "resolved_by_hand"
/* The old data root as the configuration named it, when that name reached
 * it through a symlink ("/var/lib/docker" for "old_data_root" on another
 * disk): "rollback" names it so again, and the symlink is used as before. */
#define JOURNAL_OLD_ROOT_NAMED "old_data_root_named"
/* The old tree whose removal (cleanup, --delete-old) began: written before
 * the first file goes, so that a removal that failed or was killed halfway
 * is known, and "rollback" never starts Docker on what is left of it. */
#define JOURNAL_REMOVING_OLD "removing_old_root"

/* Records (and saves) that the removal of dir begins. */
int journal_mark_removing(cJSON *j, const char *dir);

int journal_set_undo(cJSON *j, const char *key, const EditUndo *u);
/* -ENOENT when the journal holds no such record. */
int journal_get_undo(const cJSON *j, const char *key, EditUndo *ret);

/* Applies a plan the write-ahead way: backs up every file it changes,
 * records under key how to undo each, saves the journal (atomically,
 * fsynced) and only then writes the files. A failure before the journal is
 * saved changes no file; one while writing puts back the files written. */
int journal_apply_plan(const char *root, cJSON *j, const char *key, const EditPlan *p);

/* Removes the backups of each file of p beyond the newest BACKUP_KEEP
 * (util/backup.h), never one that a record of j (may be NULL) names. */
int journal_prune_backups(const char *root, const cJSON *j, const EditPlan *p);
