/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The insides of the move, for the files of src/move only (and the unit
 * tests of the planner). */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/containerd-config.h"
#include "config/docker-config.h"
#include "config/edit.h"
#include "config/selinux.h"
#include "copy/rebase.h"
#include "copy/tracker.h"
#include "disk/prepare.h"
#include "engine/engine.h"
#include "move/journal.h"
#include "move/move.h"
#include "move/undo.h"
#include "store/image-store.h"
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
        /* How it keeps its images (GET /info), recorded before the stop and
         * compared after every start. */
        char *server_version;
        char *driver;
        char *driver_type;
        char *containerd_address;
        char *containerd_namespace;
        char *containerd_plugins_namespace;
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

/* How the data root's configured path reaches its data, when not directly:
 * the recipe "ln -s /other/docker /var/lib/docker", or a bind mount over it
 * (probe_data_root_link(); a unit test writes it by hand). */
typedef enum DataRootLinkKind {
        DATA_ROOT_DIRECT,
        DATA_ROOT_SYMLINK, /* the path, or a directory on the way, is a symlink */
        DATA_ROOT_BIND,    /* a bind mount of another directory is mounted on it */
} DataRootLinkKind;

typedef struct DataRootLink {
        DataRootLinkKind kind;
        char *path;      /* the data root as configured (or the default), normalized */
        char *target;    /* where the symlink leads (resolved), or the bind's source; NULL: not known */
        bool dangling;   /* a symlink that leads nowhere */
        bool fstab;      /* the bind is a line of /etc/fstab */
        bool is_target;  /* the directory it reaches is the move's target itself */
} DataRootLink;

void data_root_link_done(DataRootLink *l);

/* What the planner learns of the system containerd whose root holds
 * Docker's images (probe_containerd(); a unit test writes it by hand). */
typedef struct ContainerdFacts {
        ContainerdConfig cfg; /* its files, as they were before an interrupted change */
        bool cfg_loaded;
        char *root;                     /* its root, symlinks resolved */
        TreeSize size;                  /* of that root */
        bool service;                   /* the init system runs it (containerd.service, its init script) */
        char *dump_root;                /* "containerd config dump" says; NULL when it could not run */
        char *dump_error;               /* why not */
        char **dump_disagrees;          /* where the dump and the files differ, a sentence each */
        bool namespaces_known;          /* ctr answered */
        char *namespaces_error;         /* why not */
        char **namespaces_in_use;       /* other clients' namespaces holding something, described */
        char **plugin_dirs_with_files;  /* "PLUGIN=PATH": a plugin's own directory, on the root's filesystem, holding files */
        TargetDir target;               /* --to: the directory beside the target for containerd's root */
        bool target_exists;
        bool target_on_target_fs;       /* it (or, absent, its parent) is on the --to target's filesystem */
} ContainerdFacts;

void containerd_facts_done(ContainerdFacts *f);

/* The trees a move copies (track.c keeps a record of changes for each). */
typedef enum MoveTree {
        MOVE_TREE_DATA_ROOT,
        MOVE_TREE_CONTAINERD,
        _MOVE_TREE_MAX,
} MoveTree;

/* The final pass of one tree: whether it synchronised only the directories
 * a change tracker recorded since its pre-copy began, or walked the whole
 * tree, and why (track.c). */
typedef struct FinalPass {
        CopyTracker *tracker; /* recording since the pre-copy began; NULL: none */
        char *no_tracker;     /* why none could start (NULL when one did, or none was tried) */
        bool ran;             /* the final pass ran in this run */
        bool tracked;         /* ... from the record: dirs directories */
        size_t dirs;
        char *reason;  /* a full walk: why */
        char *summary; /* "N changed directories" or "full walk (why)", once it ran */
} FinalPass;

void final_pass_done(FinalPass *f);

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
        DataRootLink link;  /* the data root reached through a symlink or a bind mount */
        bool have_rsync;    /* the copy's program is there */
        char *no_tracker;   /* why the change tracker cannot run on the old data root; NULL: it can */
        PrepareResult disk; /* --device: the volume as planned (a dry run), then as prepared */
        bool disk_failed;   /* the step that prepares it failed (m->disk.done: what it did) */
        ImageStoreInfo store_info; /* which image store, which containerd (store/image-store.h) */
        ContainerdFacts ctd;       /* when the system containerd's root holds the images */
        SELinuxState selinux;

        /* What the planner decides (plan.c). */
        MovePhase resume_phase; /* where an interrupted move stopped; PHASE_NONE: a new move */
        char *old_root;
        char *new_root;
        char *target_mount;
        char *device;
        bool free_known;
        uint64_t target_free_bytes, target_free_inodes;
        EditPlan edit;
        StoreRecord store;         /* how Docker keeps its images, and containerd's root when it moves */
        EditPlan containerd_edit;  /* containerd's part of edit, for its place and notes */
        char *diff;
        char *link_choice; /* what becomes of the data root's symlink or bind mount (plan_link()) */
        bool selinux_label; /* SELinux is enabled and its tools are there: the new trees are labelled */
        char **selinux_equals; /* what each new tree is labelled as (the old one, or the path its rule names) */
        char **refusals;
        char **warnings;
        char **plan_steps;
        StepLog planned_steps; /* the steps a run of the plan takes, by name, untimed (steps_plan()) */
        double estimate_sec;

        /* The run (steps.c). */
        MovePhase phase;       /* the journal phase reached */
        size_t steps_from;     /* the journal's steps from this index on are of this move's runs */
        DockerContent content; /* what must be there afterwards */
        StepLog steps;
        unsigned long long t_run, t_stopped;
        double downtime_sec;
        FinalPass final_pass[_MOVE_TREE_MAX];

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
/* The files of the record under key as they were before it (its backups;
 * missing for the files it created), as an overlay for a loader; an empty
 * overlay without a record. *ret_recorded says which. */
int config_overlay_before(const cJSON *j, const char *key, SourceSet *ret, bool *ret_recorded, char **ret_error);

/* plan.c: decisions only, on the facts in m. plan_begin() decides from the
 * journal and the configuration alone (refused, done already, resumed, the
 * old root); plan_decide() from all the facts. Each returns MOVE_PLANNED to
 * go on, or the outcome. */
int plan_begin(Move *m);
int plan_decide(Move *m, char **ret_error);

/* plan-describe.c: m->estimate_sec, the downtime expected; m->plan_steps,
 * the steps as the table in steps.c runs them, in sentences. */
void plan_estimate(Move *m);
int plan_steps(Move *m);

/* The bytes and inodes the move copies: the data root, and containerd's
 * root when it moves too. */
TreeSize move_total_size(const Move *m);

/* containerd.c, containerd-steps.c: the system containerd's root as a
 * second tree of the move, on a host whose images live there (the
 * containerd image store). */
/* Each question to containerd or ctr gets this long. */
#define CONTAINERD_TIMEOUT_MS (30U * 1000U)
/* A containerd answers on socket (whatever it says). */
bool containerd_answers(const char *socket);
/* Learns what plan_containerd() decides from, when it applies. */
int probe_containerd(Move *m, char **ret_error);
/* The record of how Docker keeps its images and, when they are in the
 * system containerd's root, that root's move: the new root beside the new
 * data root, every refusal, the configuration change (verified) added to
 * the plan. */
int plan_containerd(Move *m, char **ret_error);
bool with_containerd(const Move *m);
/* containerd.service's RequiresMountsFor drop-in: one more file of the
 * plan (plan_mount_dropin()). */
int plan_containerd_dropin(Move *m);
/* A step function returns 0 when done, STEP_SKIPPED when there was nothing
 * it could do (it is then neither logged nor its phase reached), or a
 * negative errno with *ret_error saying what failed. */
#define STEP_SKIPPED 1

/* The step functions (rows of the table in steps.c). */
int step_prepare(Move *m, char **ret_error);
int step_pre_copy(Move *m, char **ret_error);
int step_record(Move *m, char **ret_error);
int step_stop(Move *m, char **ret_error);
int step_copy(Move *m, char **ret_error);
int step_configure(Move *m, char **ret_error);
int step_start_verify(Move *m, char **ret_error);
int step_restart_containers(Move *m, char **ret_error);
/* Starts again those of ids (the containers that ran before Docker was
 * stopped) that do not run now on root, all at once; one that fails to
 * start is a warning. 1 when done, 0 when Docker's API did not answer (a
 * warning names the containers left stopped), -ENOMEM. */
int containers_run_again(Move *m, char *const *ids, const char *root);
int step_delete_old(Move *m, char **ret_error);
int step_pre_copy_containerd(Move *m, char **ret_error);
int step_check_stopped(Move *m, char **ret_error);
int step_copy_containerd(Move *m, char **ret_error);
int step_check_before_start(Move *m, char **ret_error);
int step_delete_old_containerd(Move *m, char **ret_error);
/* After a start: Docker's containerd runs on the root it should, for this
 * side of the move (to_new: the new roots; else the old ones). */
int verify_containerd(const Move *m, bool to_new, char **ret_error);
/* "rollback" and "cleanup": the journal's record of how Docker keeps its
 * images, and, when containerd's root moved too, containerd's files (as
 * they were before the change recorded under key; NULL: as they are). */
int undo_load_containerd(Move *m, const char *key, char **ret_error);
/* "rollback" of a finished move: containerd's root set back to the old one,
 * added to the plan; with revert, the plan puts back the files of before the
 * move already, and is only checked to do so. -ECANCELED with the reason
 * when it cannot. */
int plan_containerd_back(Move *m, bool revert, char **ret_refusal, char **ret_error);
/* "cleanup": the plan's line for containerd's old root. 1 when it is to be
 * removed, 0 when there is none (gone, or the move did not carry it),
 * -ECANCELED with the reason when it must stay. */
int plan_cleanup_containerd(Move *m, char ***plan, char **ret_refusal);
/* Removes containerd's old root: 1 when it did, 0 when there is none. */
int cleanup_containerd(Move *m, char **ret_error);

/* selinux.c: with SELinux enabled, the new trees labelled as the old ones
 * (an equivalence rule and a relabel), and the rules taken out again by a
 * rollback. */
bool with_selinux(const Move *m);
/* Refuses an enforcing host without the tools (a warning when permissive),
 * or decides to label. After plan_containerd(): its root is a tree too. */
int plan_selinux(Move *m, char **ret_error);
/* The plan's lines of the labelling, added to *steps. */
int plan_selinux_steps(Move *m, char ***steps);
int step_selinux_label(Move *m, char **ret_error);
/* The rollback's lines for the rules the move added, added to *plan. */
int plan_selinux_undo(const Move *m, char ***plan);
/* Removes the rules the move added, as its journal records them; a rule
 * that cannot be removed becomes a warning of m with the command to run.
 * -ENOMEM only. */
int selinux_undo(Move *m);

/* steps.c, steps-move.c */
int steps_run(Move *m);
/* The steps a run of the plan would take, in order, by the names the run
 * reports (the rows of steps_run()'s tables it would not skip), untimed,
 * in m->planned_steps: what a dry run reports. -ENOMEM only. */
int steps_plan(Move *m);
/* One pass of the copy of a tree of the move (the data root, containerd's
 * root) by the copier the request names; size is the source's, for the
 * progress. A fallback from the engine to rsync becomes a warning of the
 * move. copy_tree_by()'s errors, with *ret_message. */
int move_copy(Move *m, const char *src, const char *dst, CopyPass pass, const TreeSize *size, char **ret_message);
/* The same, with the engine's record of changes (NULL: the whole tree) and
 * statistics (may be NULL); *ret_rsync is true when rsync made the pass
 * (the copier asked for, or the engine could not run). */
int move_copy_with(Move *m, const char *src, const char *dst, CopyPass pass, const TreeSize *size,
                   const CopyChanges *changes, CopyStats *stats, bool *ret_rsync, char **ret_message);

/* track.c: the final pass from a record of changes. */
/* Why this move's final passes walk the whole tree whatever a tracker
 * could record (rsync, a resumed move, no pre-copy); NULL when a record
 * can serve. */
const char *final_pass_full_walk_reason(const Move *m);
/* Starts recording what changes below the tree's source (right before its
 * pre-copy begins), unless the final pass will walk the whole tree anyway
 * (rsync, a resumed move) or the tracker cannot run here: then why, for
 * the report. Never fails the move. */
int final_pass_track(Move *m, MoveTree tree, const char *src);
/* The final pass of a tree (Docker stopped): the record finished and
 * handed to the engine when it is complete, the whole tree walked
 * otherwise; which of the two, and why, in m->final_pass[tree].
 * move_copy()'s errors. */
int move_copy_final(Move *m, MoveTree tree, const char *src, const char *dst, const TreeSize *size,
                    char **ret_message);

/* The zeroing of the inode tables that step_prepare() deferred (ext4's
 * noinit_itable), started once the copy is over, whatever the move's
 * outcome; also for a mount a killed run left so, when a later run or
 * "rollback" takes its journal up (steps-finish.c). A failed remount is a warning (the
 * next mount does it); < 0 only when out of memory. */
int move_resume_itable_init(Move *m);

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
/* The next run after one killed while it rolled back (PHASE_ROLLING_BACK):
 * finishes that rollback, and nothing else. Returns MOVE_ROLLED_BACK or
 * MOVE_NEEDS_HUMAN. */
int move_finish_rollback(Move *m);
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
/* Docker, and with it containerd when the move carries containerd's root
 * (m->store.containerd_moves): stopped together, started containerd first. */
int docker_stop(const Move *m, char **ret_error);
int docker_start(const Move *m, char **ret_error);
int docker_reload(InitSystem init, char **ret_error);
/* Starts the containers all at once, then those that failed once more each,
 * one after another (one may need another running first). Returns how many
 * failed, and *ret_errors (when given): an array as long as ids, each NULL
 * or why that container did not start (the caller frees each, and it). */
int docker_start_containers_all(const char *socket, char *const *ids, char ***ret_errors);
/* Stops the containers all at once, each through a connection of its own,
 * with its own stop signal and grace period (as "docker stop" does), so
 * that the stop takes the longest grace period, not their sum. The first
 * failure, in ids' order, in *ret_error. */
int docker_stop_containers(const char *socket, char *const *ids, char **ret_error);
/* The grace period a container gets at the move's stop, in seconds: its
 * StopTimeout, within SERVICE_TIMEOUT_MS (-1, "for ever", is that too). */
unsigned container_grace_sec(int stop_timeout);

/* verify.c */
/* Image ids, container ids (the running ones apart) and volume names. */
int content_record(Engine *e, DockerContent *ret, char **ret_error);
/* The daemon answers on socket, runs on expected_root, keeps its images the
 * way store recorded (driver, driver-type, containerd's address; NULL or a
 * record without a driver: not checked), and holds exactly the content of
 * want (when want has it: a run killed between stopping Docker and saving
 * the journal recorded none, and then the root is all there is to check).
 * -EPROTO with what differs. */
int verify_docker(const char *socket, const char *expected_root, const StoreRecord *store, const DockerContent *want,
                  char **ret_error);
bool docker_runs_on(const char *socket, const char *root);

/* undo.c */
/* The one irreversible step: removes the old data root. */
int delete_old_root(const char *dir);
/* delete_old_root(), once the journal records that it begins
 * (JOURNAL_REMOVING_OLD); nothing is removed when that cannot be saved. */
int remove_old_tree(Move *m, const char *dir);
/* The command refused, the reason in u->error (UNDO_REFUSED). */
int undo_refuse(Undo *u, const char *format, ...) _printf_(2, 3);
/* A step of the undo done, timed since the one before (or the start), in
 * the report's steps under the name a move gives the same step. Best
 * effort: the report's record, not the undo's. */
void undo_step(Undo *u, const char *name);
/* The plan's lines for putting back the files of the move's record: each
 * from its backup, or deleted when the move created it. */
int undo_plan_files_back(Undo *u, const char *title, const EditUndo *eu);

/* undo-rollback.c: the rollback of a finished move. */
int undo_plan_rollback(Undo *u, char **ret_error);
int undo_execute_rollback(Undo *u);

/* undo-abandon.c: the rollback of an interrupted move (UNDO_ABANDON), or of
 * a failed one whose own rollback did not end (UNDO_FINISH). */
int undo_plan_abandon(Undo *u, char **ret_error);
int undo_execute_abandon(Undo *u);

/* undo-resolve.c: "rollback --resolved". */
int undo_plan_resolve(Undo *u, char **ret_error);
int undo_execute_resolve(Undo *u);

struct Undo {
        Move *m;
        UndoKind kind;
        UndoOutcome outcome;
        char **plan;   /* what it does (would do), one line each */
        bool has_undo; /* the journal records configuration files to put back */
        bool running, on_old;
        MovePhase resolved_as; /* UNDO_RESOLVE: the phase the record is closed with */
        char *error;
        char *advice;
};
