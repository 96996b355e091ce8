/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The insides of the move, for the files of src/move only (and the unit
 * tests of the planner). */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/docker-config.h"
#include "config/edit.h"
#include "copy/rebase.h"
#include "disk/prepare.h"
#include "engine/engine.h"
#include "move/journal.h"
#include "move/move.h"
#include "move/undo.h"
#include "util/step-log.h"

#define DEFAULT_MOUNT "/mnt/docker-data"
#define SERVICE_TIMEOUT_MS (180U * 1000U)
#define ENGINE_TIMEOUT_MS (60U * 1000U)

/* What the daemon says before the move (daemon.c); a unit test of the
 * planner writes it by hand. */
typedef struct DaemonState {
        bool running;   /* answers on its socket */
        char *root_dir; /* DockerRootDir, symlinks resolved */
        bool live_restore;
        bool containerd_store;
        bool swarm_manager;
} DaemonState;

void daemon_state_done(DaemonState *s);

/* What a --to directory is (probe.c). */
typedef struct TargetDir {
        char *path;   /* symlinks resolved */
        bool is_dir;  /* exists and is a directory; nothing else is known otherwise */
        bool same_fs; /* on the filesystem of the old data root */
        char *unfit;  /* why its filesystem cannot hold a data root; NULL: it can */
        bool empty;
        bool free_known;
        uint64_t free_bytes, free_inodes;
} TargetDir;

void target_dir_done(TargetDir *t);

struct Move {
        MoveRequest req;
        int lock_fd;
        int disk_lock_fd;

        /* What the planner decides from: the facts (probe.c, daemon.c). */
        cJSON *journal;          /* an earlier run's, then this run's; NULL before it has one */
        DockerConfig cfg;        /* as it was before an interrupted change (config_interrupted) */
        bool config_interrupted; /* a killed run left the files half rewritten: put them back first */
        DaemonState daemon;
        TreeSize size;      /* of the old data root */
        TargetDir target;   /* --to */
        PrepareResult disk; /* --device: the volume as planned (a dry run), then as prepared */

        /* What the planner decides (plan.c). */
        MovePhase resume_phase; /* where an interrupted move stopped; PHASE_NONE: a new move */
        char *old_root;
        char *new_root;
        char *target_mount;
        char *device;
        bool free_known;
        uint64_t target_free_bytes, target_free_inodes;
        EditPlan edit;
        char *diff;
        char **refusals;
        char **warnings;
        char **plan_steps;
        double estimate_sec;

        /* The run (steps.c). */
        MovePhase phase;       /* the journal phase reached */
        DockerContent content; /* what must be there afterwards */
        StepLog steps;
        unsigned long long t_run, t_stopped;
        double downtime_sec;

        MoveOutcome outcome;
        bool changed;
        char *error;  /* why it failed, as the report says */
        char *advice; /* what a human should do */
};

int move_new(const MoveRequest *req, Move **ret);
/* The volume as the move asks disk_prepare() for it. */
PrepareRequest move_prepare_request(const Move *m, bool dry_run);
/* realpath(3), or the path as it is when it does not resolve (yet). */
char *move_realpath(const char *p);

/* probe.c */
int probe_locks(Move *m, char **ret_error);
int probe_journal_and_config(Move *m, char **ret_error);
int probe_host(Move *m, char **ret_error);
/* Docker's configuration as it was before the change recorded under key in
 * the journal j (a killed run may have left it half written): every file of
 * the record reads as its backup. Without a record, the configuration as
 * it is. *ret_recorded (may be NULL) says which. */
int config_load_before(const cJSON *j, const char *key, DockerConfig *ret, bool *ret_recorded, char **ret_error);

/* plan.c: decisions only, on the facts in m. plan_begin() decides from the
 * journal and the configuration alone (refused, done already, resumed, the
 * old root); plan_decide() from all the facts. Each returns MOVE_PLANNED to
 * go on, or the outcome. */
int plan_begin(Move *m);
int plan_decide(Move *m, char **ret_error);

/* steps.c */
int steps_run(Move *m);
/* The drop-in that keeps Docker from starting without the volume: one more
 * file of the plan, so that it is written (and undone) with the rest. */
int plan_mount_dropin(Move *m);

/* rollback.c: where a failure decides to roll back. */
bool failure_rolls_back(MovePhase step_phase, MovePhase reached);
/* The move failed in a step that reaches step_phase (reason in m->error):
 * rolls back, or only undoes its own bookkeeping. Returns the outcome. */
int move_fail(Move *m, MovePhase step_phase);
/* Back to the old root, from any point after Docker was stopped: also the
 * way out of an interrupted move that "rollback" abandons. Returns
 * MOVE_ROLLED_BACK or MOVE_NEEDS_HUMAN. */
int move_roll_back(Move *m);
/* Puts back every file of the change recorded under key (nothing when there
 * is no record). */
int config_restore(const cJSON *journal, const char *key, char **ret_error);

/* What a human does when the configuration could not be put back: the one
 * text, in *ret. */
typedef enum AdviceThen {
        ADVICE_THEN_NOTHING,      /* Docker runs on the old root already */
        ADVICE_THEN_START_DOCKER, /* start it there and check */
        ADVICE_THEN_MOVE_AGAIN,   /* the move can then be run again */
} AdviceThen;
int recovery_advice(const char *cause, const char *key, bool rollback_again, InitSystem init, AdviceThen then,
                    const char *old_root, char **ret);

/* daemon.c */
int daemon_probe(const char *socket, DaemonState *ret, char **ret_error);
int docker_open(const char *socket, Engine **ret);
int docker_stop(InitSystem init, char **ret_error);
int docker_start(InitSystem init, const char *socket, char **ret_error);
int docker_reload(InitSystem init, char **ret_error);
int docker_validate_config(const char *json_path, char **ret_error);
/* Starts the containers (best effort). */
void docker_start_containers(const char *socket, char *const *ids);

/* verify.c */
/* Image ids, container ids (the running ones apart) and volume names. */
int content_record(Engine *e, DockerContent *ret, char **ret_error);
/* The daemon answers on socket, runs on expected_root, and holds exactly the
 * content of want (when want has it: a run killed between stopping Docker
 * and saving the journal recorded none, and then the root is all there is to
 * check). -EPROTO with what differs. */
int verify_docker(const char *socket, const char *expected_root, const DockerContent *want, char **ret_error);
bool docker_runs_on(const char *socket, const char *root);

/* undo.c */
/* The one irreversible step: removes the old data root. */
int delete_old_root(const char *dir);

struct Undo {
        Move *m;
        UndoKind kind;
        UndoOutcome outcome;
        char **plan;   /* what it does (would do), one line each */
        bool has_undo; /* the journal records configuration files to put back */
        bool running, on_old;
        char *error;
        char *advice;
};
