/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The move's planner on the fixture trees of every configuration style: the
 * steps, where the data root is set, and every refusal, with the daemon, the
 * data and the target written by hand instead of asked of a live host; and
 * where a failure decides to roll back. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "move/move-internal.h"
#include "tap.h"
#include "tree.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/strv.h"

#define TARGET "/mnt/new"
#define GiB (1024ULL * 1024 * 1024)

/* A --to move of the configuration of the fixture tree name, planned as far
 * as the journal and the configuration settle it. */
static Move *move_of(const char *name, const MoveRequest *req_in) {
        MoveRequest req = req_in ? *req_in : (MoveRequest){ .to = TARGET, .pre_copy = true };
        char *root = NULL;
        Move *m = NULL;

        /* The configuration keeps root (to read the files a plan would
         * write again): it is freed with the move, by free_root(). */
        if (asprintf(&root, "%s/config/%s/tree", fixtures_dir(), name) < 0 || move_new(&req, &m) < 0 ||
            docker_config_load(root, INIT_UNKNOWN, NULL, &m->cfg) < 0)
                abort();
        return m;
}

/* What a healthy host says: Docker runs on the configured root, a GiB of
 * data, an empty directory on another filesystem with room to spare. */
static void healthy(Move *m) {
        m->daemon = (DaemonState){ .running = true, .root_dir = strdup(m->old_root) };
        m->have_rsync = true;
        m->size = (TreeSize){ .bytes = GiB, .apparent_bytes = GiB, .inodes = 10000 };
        m->target = (TargetDir){ .path = strdup(m->req.to ?: TARGET),
                                 .is_dir = true,
                                 .empty = true,
                                 .free_known = true,
                                 .free_bytes = 100 * GiB,
                                 .free_inodes = 1000000 };
}

static int plan(Move *m) {
        _cleanup_free_ char *error = NULL;
        int r = plan_begin(m);

        if (r != MOVE_PLANNED)
                return r;
        healthy(m);
        return plan_decide(m, &error);
}

static bool has_step(const Move *m, const char *what) {
        STRV_FOREACH(s, m->plan_steps)
                if (strstr(*s, what))
                        return true;
        return false;
}

static bool refused_for(const Move *m, const char *what) {
        STRV_FOREACH(s, m->refusals)
                if (strstr(*s, what))
                        return true;
        return false;
}

static bool warned_for(const Move *m, const char *what) {
        STRV_FOREACH(s, m->warnings)
                if (strstr(*s, what))
                        return true;
        return false;
}

static void free_root(Move *m) {
        char *root = (char *) m->cfg.root;

        move_free(m);
        free(root);
}

/* The downtime estimate of a data root of the given inodes (a GiB per 100k
 * inodes): with the pre-copy and the tracker, with the pre-copy and a full
 * final walk (rsync, or a resumed move), and stop-the-world. */
static void estimates(uint64_t inodes, double *ret_tracked, double *ret_walk, double *ret_stw) {
        const MoveRequest reqs[] = {
                { .to = TARGET, .pre_copy = true },
                { .to = TARGET, .pre_copy = true, .copier = COPIER_RSYNC },
                { .to = TARGET, .pre_copy = false },
        };
        double *out[] = { ret_tracked, ret_walk, ret_stw };

        for (size_t i = 0; i < ELEMENTSOF(reqs); i++) {
                _cleanup_free_ char *error = NULL;
                Move *m = move_of("daemon-json", &reqs[i]);

                if (plan_begin(m) != MOVE_PLANNED)
                        abort();
                healthy(m);
                m->size = (TreeSize){ .bytes = inodes / 100000 * GiB, .apparent_bytes = inodes / 100000 * GiB,
                                      .inodes = inodes };
                m->target.free_inodes = 100 * inodes;
                if (plan_decide(m, &error) != MOVE_PLANNED)
                        abort();
                *out[i] = m->estimate_sec;
                free_root(m);
        }
}

static void test_estimate(void) {
        double t1, w1, s1, t2, w2, s2;

        estimates(100000, &t1, &w1, &s1);
        estimates(1000000, &t2, &w2, &s2);
        ok(t1 < w1 && w1 < s1,
           "the estimate: tracked final pass %.1f s < full final walk %.1f s < stop-the-world %.1f s (100k inodes)",
           t1, w1, s1);
        ok(t1 == t2, "the estimate with the tracker does not grow with the tree");
        ok(w2 > w1 && s2 > 5 * s1 / 2, "… the full walk (%.1f s) and the stop-the-world copy (%.1f s) do (1M inodes)",
           w2, s2);
}

typedef struct Style {
        const char *name;
        InitSystem init;
        const char *place; /* where the data root is set; NULL: refused */
        const char *refusal;
} Style;

static const Style styles[] = {
        { "debian-sysv", INIT_SYSV, "/etc/default/docker (flag)" },
        { "centos6-other-args", INIT_SYSV, "/etc/sysconfig/docker (flag)" },
        { "fedora-options", INIT_SYSTEMD, "/etc/sysconfig/docker (flag)" },
        { "opensuse-sysconfig", INIT_SYSTEMD, "/etc/sysconfig/docker (flag)" },
        { "dropin-data-root", INIT_SYSTEMD, "/etc/systemd/system/docker.service.d/override.conf (flag)" },
        { "dropin-graph", INIT_SYSTEMD, "/etc/systemd/system/docker.service.d/docker.conf (flag)" },
        { "dropin-envfile", INIT_SYSTEMD, "/etc/default/docker (flag)" },
        { "config-file", INIT_SYSTEMD, "/etc/docker/custom.json (daemon.json)" },
        { "daemon-json", INIT_SYSTEMD, "/etc/docker/daemon.json (daemon.json)" },
        { "daemon-json-graph", INIT_SYSTEMD, "/etc/docker/daemon.json (daemon.json)" },
        { "default", INIT_SYSTEMD, "/etc/docker/daemon.json (daemon.json)" },
        { "unread-envfile", INIT_SYSTEMD, "/etc/docker/daemon.json (daemon.json)" },
        { "symlink", INIT_SYSTEMD, "/etc/docker/daemon.json (daemon.json)" },
        { "vendor-flag", INIT_SYSTEMD, DOCKER_RELOCATE_DROPIN " (flag)" },
        { "openrc", INIT_OPENRC, "/etc/conf.d/docker (flag)" },
        { "upstart", INIT_UPSTART, "/etc/default/docker (flag)" },
        { "conflict", INIT_SYSTEMD, NULL, "Fix this first." },
        { "invalid-json", INIT_SYSTEMD, NULL, "daemon.json:4:2" },
        { "shell-code", INIT_SYSV, NULL, "/etc/default/docker:2:1" },
};

static void test_styles(void) {
        for (size_t i = 0; i < ELEMENTSOF(styles); i++) {
                const Style *st = &styles[i];
                _cleanup_free_ char *set = NULL;
                Move *m = move_of(st->name, NULL);
                int r = plan(m);

                ok(m->cfg.init == st->init, "%s: init system %s", st->name, init_system_to_string(m->cfg.init));
                if (!st->place) {
                        ok_int(r, MOVE_REFUSED, "%s: refused", st->name);
                        ok(refused_for(m, st->refusal), "%s: the refusal names '%s'", st->name, st->refusal);
                        free_root(m);
                        continue;
                }
                ok_int(r, MOVE_PLANNED, "%s: planned", st->name);
                ok(strv_length(m->refusals) == 0, "%s: no refusal (%s)", st->name,
                   strna(m->refusals ? m->refusals[0] : NULL));
                ok_streq(m->edit.place, st->place, "%s: the data root is set in its one place", st->name);
                ok(m->diff && strstr(m->diff, TARGET), "%s: the diff shows the new root", st->name);
                ok(asprintf(&set, "Set the data root to %s in %s", TARGET, st->place) > 0 && has_step(m, set),
                   "%s: a step sets it there", st->name);
                ok(has_step(m, "Copy ") && has_step(m, "while Docker runs") &&
                           has_step(m, "with Docker stopped (the copy engine, only the directories changed since the "
                                       "pre-copy began, deleting what the source lacks)") &&
                           has_step(m, "Record image") && has_step(m, "Start Docker and verify") &&
                           has_step(m, "Keep the old data root"),
                   "%s: pre-copy, record, final copy, verify, old root kept", st->name);
                if (st->init == INIT_SYSTEMD)
                        ok(has_step(m, "docker.socket, then docker.service, over D-Bus") &&
                                   has_step(m, "RequiresMountsFor=" TARGET),
                           "%s: systemd: stopped over D-Bus, with the RequiresMountsFor drop-in", st->name);
                else
                        ok(has_step(m, "through its init script") && !has_step(m, "RequiresMountsFor"),
                           "%s: stopped through the init script, no drop-in", st->name);
                ok_streq(m->new_root, TARGET, "%s: the new root is the target", st->name);
                free_root(m);
        }
}

static void docker_down(Move *m) {
        m->daemon.running = false;
}

static void docker_odd(Move *m) {
        free(m->daemon.root_dir);
        m->daemon.root_dir = strdup("/elsewhere");
        m->daemon.swarm_manager = true;
}

static void no_dir(Move *m) {
        m->target.is_dir = false;
}

static void same_fs(Move *m) {
        m->target.same_fs = true;
}

static void nfs(Move *m) {
        m->target.unfit = strdup("it is NFS");
}

static void full(Move *m) {
        m->target.empty = false;
}

static void no_rsync(Move *m) {
        m->have_rsync = false;
}

static void small(Move *m) {
        m->target.free_bytes = GiB;
        m->target.free_inodes = 100;
}

/* The daemon and the target, one fact changed at a time, and the refusals
 * each must give. */
static void test_refusals(void) {
        static const struct {
                const char *what;
                const char *to; /* NULL: TARGET */
                void (*set)(Move *m);
                const char *reasons[3];
        } cases[] = {
                { "Docker not running", NULL, docker_down, { "Docker is not running on" } },
                { "a daemon on another root, a swarm manager",
                  NULL,
                  docker_odd,
                  { "Docker runs on /elsewhere but its configuration says /srv/docker", "swarm manager" } },
                { "a target that is no directory", NULL, no_dir, { "--to " TARGET " is not an existing directory" } },
                { "a target inside the data root",
                  "/srv/docker/sub",
                  NULL,
                  { "lies inside the current data root /srv/docker" } },
                { "a target around the data root",
                  "/srv",
                  NULL,
                  { "The current data root /srv/docker lies inside the target /srv" } },
                { "the same filesystem", NULL, same_fs, { "moving frees no space" } },
                { "a filesystem that cannot hold a data root", NULL, nfs, { "cannot hold a data root: it is NFS" } },
                { "a target that is not empty", NULL, full, { "is not empty" } },
                { "rsync missing, --copier rsync", NULL, no_rsync, { "rsync is not installed" } },
                { "too little room",
                  NULL,
                  small,
                  { "GiB free; the data root needs", "free inodes; the data root uses 10000" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                MoveRequest req = { .to = cases[i].to ?: TARGET,
                                    .copier = cases[i].set == no_rsync ? COPIER_RSYNC : COPIER_ENGINE };
                _cleanup_free_ char *error = NULL;
                Move *m = move_of("daemon-json", &req);

                ok_int(plan_begin(m), MOVE_PLANNED, "%s: begins", cases[i].what);
                healthy(m);
                if (cases[i].set)
                        cases[i].set(m);
                ok_int(plan_decide(m, &error), MOVE_REFUSED, "%s: refused", cases[i].what);
                for (size_t k = 0; k < ELEMENTSOF(cases[i].reasons) && cases[i].reasons[k]; k++)
                        ok(refused_for(m, cases[i].reasons[k]), "%s: it says '%s'", cases[i].what,
                           cases[i].reasons[k]);
                free_root(m);
        }
}

static void test_options(void) {
        MoveRequest forced = { .to = TARGET, .force = true },
                    del = { .to = TARGET, .pre_copy = true, .delete_old = true };
        _cleanup_free_ char *error = NULL;
        Move *m;

        m = move_of("daemon-json", &forced);
        ok_int(plan_begin(m), MOVE_PLANNED, "--force: begins");
        healthy(m);
        m->daemon.swarm_manager = true;
        m->daemon.live_restore = true;
        ok_int(plan_decide(m, &error), MOVE_PLANNED, "--force moves a swarm manager");
        ok(has_step(m, "Stop the running containers (live-restore"), "live-restore: containers stopped first");
        ok(!has_step(m, "while Docker runs"), "--no-pre-copy: no live copy");
        free_root(m);

        /* The engine copies without rsync: its absence is no refusal. */
        m = move_of("daemon-json", &(MoveRequest){ .to = TARGET, .pre_copy = true });
        ok_int(plan_begin(m), MOVE_PLANNED, "the engine without rsync: begins");
        healthy(m);
        m->have_rsync = false;
        error = mfree(error);
        ok_int(plan_decide(m, &error), MOVE_PLANNED, "the engine without rsync: planned, not refused");
        free_root(m);

        m = move_of("daemon-json", &(MoveRequest){ .to = TARGET, .pre_copy = true, .copier = COPIER_RSYNC });
        ok_int(plan(m), MOVE_PLANNED, "--copier rsync: planned");
        ok(has_step(m, "with Docker stopped (rsync --delete)"), "--copier rsync: the final pass is rsync --delete");
        free_root(m);

        m = move_of("daemon-json", &del);
        ok_int(plan(m), MOVE_PLANNED, "--delete-old: planned");
        ok(has_step(m, "Delete the old data root /srv/docker") && !has_step(m, "Keep the old"),
           "the old root is deleted at the end");
        ok(m->estimate_sec > 0 && m->free_known && m->target_free_bytes == 100 * GiB,
           "an estimate, and the target's free space");
        free_root(m);

        test_estimate();
}

static void test_volume(void) {
        MoveRequest dev = { .device = "vol-0123456789abcdef0", .pre_copy = true };
        _cleanup_free_ char *error = NULL;
        Move *m;

        m = move_of("daemon-json", &dev);
        ok_int(plan_begin(m), MOVE_PLANNED, "volume: begins");
        healthy(m);
        m->disk.fs_node = strdup("/dev/nvme1n1");
        (void) step_log_add(&m->disk.steps, "make an ext4 filesystem labelled docker-data on /dev/nvme1n1");
        ok_int(plan_decide(m, &error), MOVE_PLANNED, "planned");
        ok_streq(m->new_root, DEFAULT_MOUNT "/docker", "the data root goes below the default mount point");
        ok_streq(m->device, "/dev/nvme1n1", "on the node the filesystem is on");
        ok(!has_step(m, "as it is"), "the volume's own steps come first");
        ok(!m->free_known, "the free space of a volume not made yet is not known");
        free_root(m);

        m = move_of("daemon-json", &dev);
        ok_int(plan_begin(m), MOVE_PLANNED, "begins");
        healthy(m);
        m->disk.refused = true;
        (void) strv_extend(&m->disk.refusals, "/dev/nvme1n1 holds a filesystem");
        ok_int(plan_decide(m, &error), MOVE_REFUSED, "a refused volume: refused");
        ok(refused_for(m, "/dev/nvme1n1 holds a filesystem"), "with the volume's reason");
        ok(has_step(m, "Prepare vol-0123456789abcdef0 and mount it on " DEFAULT_MOUNT " (refused: see below)") &&
                   has_step(m, "Copy /srv/docker to " DEFAULT_MOUNT "/docker while Docker runs"),
           "its plan names the volume, the mount point and the data root as asked");
        ok_streq(m->new_root, DEFAULT_MOUNT "/docker", "and the data root it would have had");
        free_root(m);

        m = move_of("daemon-json", &dev);
        ok_int(plan_begin(m), MOVE_PLANNED, "begins");
        healthy(m);
        m->error = strdup("Preparing vol-0123456789abcdef0 failed: no such device");
        ok_int(plan_decide(m, &error), MOVE_FAILED, "a volume that could not be checked: failed");
        free_root(m);
}

/* The journal of an earlier run. */
static Move *move_after(const char *phase, const char *new_root, bool docker_running) {
        Move *m = move_of("daemon-json", NULL);

        if (journal_new("systemd", "/var/run/docker.sock", "/srv/docker", new_root, NULL, NULL, &m->journal) < 0 ||
            journal_set_phase(m->journal, move_phase_from_string(phase)) < 0)
                abort();
        m->daemon.running = docker_running;
        return m;
}

static void test_journal(void) {
        _cleanup_free_ char *error = NULL;
        Move *m;

        m = move_after("undoing", TARGET, true);
        ok_int(plan_begin(m), MOVE_REFUSED, "an interrupted rollback: refused");
        ok(refused_for(m, "rollback --yes' again"), "it says to run the rollback again");
        free_root(m);

        m = move_after("failed", TARGET, true);
        ok_int(plan_begin(m), MOVE_REFUSED, "a move that failed and was not rolled back: refused");
        ok(refused_for(m, "'docker-relocate rollback --yes' to try the rollback again") &&
                   refused_for(m, "'docker-relocate rollback --resolved'"),
           "it names both ways out: the rollback again, or --resolved after a fix by hand");
        free_root(m);

        /* A rollback killed half way: the next move finishes it, whatever
         * its target, and plans nothing else. */
        m = move_after("rolling-back", TARGET, false);
        m->req.to = "/mnt/other";
        ok_int(plan_begin(m), MOVE_PLANNED, "an interrupted rollback of a failed move: planned");
        ok_int(m->resume_phase, PHASE_ROLLING_BACK, "as the rollback to finish");
        ok_streq(m->new_root, TARGET, "of the journal's move, not the requested target");
        ok_streq(m->old_root, "/srv/docker", "back to the journal's old root");
        ok(strv_length(m->plan_steps) == 1 && has_step(m, "Finish the interrupted rollback") &&
                   has_step(m, "no new move"),
           "one step: finishing the rollback");
        free_root(m);

        /* daemon-json's configuration says /srv/docker. */
        m = move_after("done", "/srv/docker", true);
        m->req.to = "/srv/docker";
        ok_int(plan_begin(m), MOVE_UNCHANGED, "this very move, done: unchanged");
        ok_streq(m->new_root, "/srv/docker", "the new root is the journal's");
        free_root(m);

        m = move_after("done", "/elsewhere", true);
        ok_int(plan_begin(m), MOVE_PLANNED, "another move done before: a new move");
        ok_int(m->resume_phase, PHASE_NONE, "nothing to resume");
        free_root(m);

        /* Killed while it stopped Docker, after it recorded the content:
         * Docker down is no reason to refuse; without the record it is. */
        for (int with_record = 0; with_record <= 1; with_record++) {
                DockerContent c = {};

                m = move_after("precopied", TARGET, false);
                if (with_record && journal_set_content(m->journal, &c) < 0)
                        abort();
                ok_int(plan_begin(m), MOVE_PLANNED, "killed during the stop (%s record): begins",
                       with_record ? "with a" : "without a");
                healthy(m);
                m->daemon.running = false;
                ok_int(plan_decide(m, &error), with_record ? MOVE_PLANNED : MOVE_REFUSED,
                       "killed during the stop, Docker down: %s", with_record ? "planned" : "refused");
                ok(refused_for(m, "Docker is not running") == !with_record, "%s",
                   with_record ? "no refusal for Docker being down" : "Docker not running is the refusal");
                free_root(m);
        }

        m = move_after("copied", "/mnt/other", false);
        ok_int(plan_begin(m), MOVE_PLANNED, "an interrupted move: begins");
        ok_int(m->resume_phase, PHASE_COPIED, "it is resumed from where it stopped");
        healthy(m);
        m->daemon.running = false;
        ok_int(plan_decide(m, &error), MOVE_REFUSED, "to another target: refused");
        ok(refused_for(m, "An interrupted move to /mnt/other is recorded"), "it names the interrupted move");
        ok(m->advice && strstr(m->advice, "Docker is stopped") && strstr(m->advice, "rollback --yes"),
           "and says Docker is stopped, and how out");
        free_root(m);

        m = move_after("copied", TARGET, false);
        ok_int(plan_begin(m), MOVE_PLANNED, "the same target: begins");
        healthy(m);
        m->daemon.running = false;
        m->target.empty = false;
        ok_int(plan_decide(m, &error), MOVE_PLANNED, "Docker stopped by it, its partial copy there: resumed");
        ok(!m->advice, "no advice for a plan that runs");
        free_root(m);
}

/* Docker from the snap and rootless Docker: refused by plan_begin(),
 * before the daemon is asked or the data measured, with the steps by hand
 * for this very target; the system's Docker beside a user's rootless one
 * is moved, with a warning. */
static void test_installs(void) {
        static const struct {
                const char *name;
                const char *steps[3];
        } refused[] = {
                { "snap", { "1) snap stop docker;", "snap set docker data-root=" TARGET, "5) snap start docker;" } },
                { "snap-old", { "1) snap refresh docker", "snap set docker data-root=" TARGET, "snap start docker" } },
                { "snap-and-system", { "installed twice", "/lib/systemd/system/docker.service", "snap remove docker" } },
                { "rootless",
                  { "as alice: systemctl --user stop docker", "\"data-root\": \"" TARGET "/alice\"",
                    "as carol: systemctl --user start docker" } },
        };
        MoveRequest dev = { .device = "/dev/xvdf", .fs = "xfs" };
        Move *m;

        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                m = move_of(refused[i].name, NULL);
                ok_int(plan_begin(m), MOVE_REFUSED, "%s: refused before the daemon is asked", refused[i].name);
                ok_int(strv_length(m->refusals), 1, "%s: one refusal", refused[i].name);
                for (size_t k = 0; k < ELEMENTSOF(refused[i].steps); k++)
                        ok(refused_for(m, refused[i].steps[k]), "%s: the refusal says '%s'", refused[i].name,
                           refused[i].steps[k]);
                ok(!m->daemon.running && m->size.bytes == 0, "%s: nothing probed", refused[i].name);
                free_root(m);
        }

        /* With --device, the volume is still this program's to prepare. */
        m = move_of("snap", &dev);
        ok_int(plan_begin(m), MOVE_REFUSED, "snap --device: refused");
        ok(refused_for(m, "1) docker-relocate prepare /dev/xvdf --mount " DEFAULT_MOUNT " --fs xfs;") &&
                   refused_for(m, "snap set docker data-root=" DEFAULT_MOUNT "/docker"),
           "snap --device: prepare the volume first, then the snap's steps for <mount>/docker");
        free_root(m);

        m = move_of("rootless-system", NULL);
        ok_int(plan(m), MOVE_PLANNED, "rootless-system: the system's Docker is moved");
        ok(strv_length(m->refusals) == 0, "rootless-system: no refusal");
        ok_streq(m->edit.place, "/etc/docker/daemon.json (daemon.json)", "rootless-system: the system's daemon.json");
        ok(warned_for(m, "User alice also runs rootless Docker"),
           "rootless-system: the plan warns that alice's rootless Docker stays");
        free_root(m);
}

static void test_rollback_decision(void) {
        static const struct {
                MovePhase step, reached;
                bool rolls_back;
        } cases[] = {
                { PHASE_NONE, PHASE_NONE, false },          /* prepare */
                { PHASE_PRECOPIED, PHASE_PLANNED, false },  /* pre-copy */
                { PHASE_NONE, PHASE_PRECOPIED, false },     /* record, Docker running */
                { PHASE_STOPPED, PHASE_PLANNED, true },     /* stop */
                { PHASE_COPIED, PHASE_STOPPED, true },      /* copy */
                { PHASE_CONFIGURED, PHASE_COPIED, true },   /* configure */
                { PHASE_VERIFIED, PHASE_CONFIGURED, true }, /* start-verify */
                { PHASE_NONE, PHASE_COPIED, true },         /* prepare or record of a resumed move */
                { PHASE_NONE, PHASE_STOPPED, true },        /* check-stopped */
                { PHASE_COPIED, PHASE_COPIED, true },       /* copy-containerd */
                { PHASE_NONE, PHASE_CONFIGURED, true },     /* check-before-start */
                { PHASE_PRECOPIED, PHASE_PRECOPIED, false }, /* pre-copy-containerd */
                { PHASE_DONE, PHASE_VERIFIED, false },      /* restart-containers */
                { PHASE_CLEANED, PHASE_DONE, false },       /* delete-old */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                ok(failure_rolls_back(cases[i].step, cases[i].reached) == cases[i].rolls_back,
                   "a failure in a step reaching '%s', the move at '%s': %s", move_phase_to_string(cases[i].step),
                   move_phase_to_string(cases[i].reached), cases[i].rolls_back ? "rolls back" : "does not roll back");
}

/* ---- the containerd image store ------------------------------------------ */

#define SID_TREE "containerd/status-sid/tree"
#define VOLUME "vol-0123456789abcdef0"

/* A move on the files of a Debian sid host (docker.io 28, containerd 2.1, the
 * containerd image store switched on): the configuration of fixture tree,
 * planned as far as the journal and the configuration settle it. */
static Move *move_on(const char *tree, const MoveRequest *req_in) {
        MoveRequest req = req_in ? *req_in : (MoveRequest){ .device = VOLUME, .pre_copy = true };
        char *root = NULL;
        Move *m = NULL;

        if (asprintf(&root, "%s/%s", fixtures_dir(), tree) < 0 || move_new(&req, &m) < 0 ||
            docker_config_load(root, INIT_UNKNOWN, NULL, &m->cfg) < 0)
                abort();
        return m;
}

/* What Engine 28.5 on the containerd store says (GET /info), with the
 * system containerd. */
static void engine_containerd_store(DaemonState *d) {
        d->server_version = strdup("28.5.2+dfsg4");
        d->driver = strdup("overlayfs");
        d->driver_type = strdup("io.containerd.snapshotter.v1");
        d->containerd_address = strdup("/run/containerd/containerd.sock");
        d->containerd_namespace = strdup("moby");
        d->containerd_plugins_namespace = strdup("plugins.moby");
}

/* What the probe learns on a healthy host of that kind, with the image
 * store worked out from the Engine's answer (image_store_detect, as the
 * probe does). */
static void containerd_facts(Move *m) {
        ContainerdFacts *f = &m->ctd;
        const DaemonState *d = &m->daemon;
        EngineInfo info = {
                .server_version = d->server_version,
                .driver = d->driver,
                .driver_type = d->driver_type,
                .containerd_address = d->containerd_address,
                .containerd_namespace = d->containerd_namespace,
                .containerd_plugins_namespace = d->containerd_plugins_namespace,
        };

        if (containerd_config_load(m->cfg.root, m->cfg.init, NULL, &f->cfg) < 0 ||
            image_store_detect(&m->cfg, &f->cfg, &info, NULL, false, &m->store_info) < 0)
                abort();
        f->cfg_loaded = true;
        f->root = strdup("/var/lib/containerd");
        f->size = (TreeSize){ .bytes = 3 * GiB, .apparent_bytes = 3 * GiB, .inodes = 20000 };
        f->service = true;
        f->dump_root = strdup("/var/lib/containerd");
        f->namespaces_known = true;
}

/* A healthy sid host: Docker runs on the containerd store, a fresh volume. */
static void sid_host(Move *m) {
        healthy(m);
        engine_containerd_store(&m->daemon);
        containerd_facts(m);
        m->disk.fs_node = strdup("/dev/nvme1n1");
}

static int plan_sid(Move *m, void (*change)(Move *m)) {
        _cleanup_free_ char *error = NULL;
        int r = plan_begin(m);

        if (r != MOVE_PLANNED)
                return r;
        sid_host(m);
        if (change)
                change(m);
        return plan_decide(m, &error);
}

static bool noted(const Move *m, const char *what) {
        STRV_FOREACH(s, m->edit.notes)
                if (strstr(*s, what))
                        return true;
        return false;
}

static void test_containerd_store(void) {
        Move *m = move_on(SID_TREE, NULL);
        const StoreRecord *s = &m->store;

        ok_int(plan_sid(m, NULL), MOVE_PLANNED, "containerd store: planned");
        ok(strv_length(m->refusals) == 0, "no refusal (%s)", strna(m->refusals ? m->refusals[0] : NULL));
        ok(s->containerd_moves, "the system containerd's root moves too");
        ok_streq(m->new_root, DEFAULT_MOUNT "/docker", "the data root to <mount>/docker");
        ok_streq(s->old_containerd_root, "/var/lib/containerd", "containerd's root from /var/lib/containerd");
        ok_streq(s->new_containerd_root, DEFAULT_MOUNT "/containerd", "to <mount>/containerd, beside it");
        ok_streq(s->store, "containerd", "the record: the containerd store");
        ok_streq(s->driver, "overlayfs", "the record: the driver");
        ok_streq(s->driver_type, "io.containerd.snapshotter.v1", "the record: the driver-type");
        ok_streq(s->containerd_kind, "system", "the record: the system containerd");
        ok_streq(s->containerd_address, "/run/containerd/containerd.sock", "the record: its address, as the Engine says");
        ok_streq(s->containerd_config, "/etc/containerd/config.toml", "the record: its config file");
        ok_streq(s->containerd_state, "/run/containerd", "the record: its state directory");
        ok_streq(m->edit.place, "/etc/docker/daemon.json (daemon.json)", "the data root set in daemon.json");
        ok_streq(m->containerd_edit.place, "/etc/containerd/config.toml (root)", "containerd's root in config.toml");
        ok(m->diff && strstr(m->diff, "\"data-root\": \"" DEFAULT_MOUNT "/docker\"") &&
                   strstr(m->diff, "+root = \"" DEFAULT_MOUNT "/containerd\""),
           "the diff shows both files, beside each other");
        ok(m->edit.n == 2, "both files are one plan (one write-ahead record): %zu", m->edit.n);
        ok(noted(m, "io.containerd.internal.v1.opt keeps its data in /var/lib/containerd/opt, which stays there"),
           "the plan notes that Debian's opt directory stays where it is");
        ok(has_step(m, "Copy containerd's root /var/lib/containerd to " DEFAULT_MOUNT "/containerd while it runs") &&
                   has_step(m, "Copy containerd's root /var/lib/containerd to " DEFAULT_MOUNT
                               "/containerd with containerd stopped (the copy engine, only the directories "
                               "changed since the pre-copy began, deleting what the source lacks)"),
           "containerd's root: a live copy and a final one");
        ok(has_step(m, "Stop Docker and containerd (docker.socket, then docker.service and containerd.service, over "
                       "D-Bus)"),
           "Docker and containerd stopped together, over D-Bus");
        ok(has_step(m, "Check that no task, shim or mount of a container remains below /var/lib/containerd or "
                       "/run/containerd"),
           "no task, shim or mount may survive the stop");
        ok(has_step(m, "Set containerd's root to " DEFAULT_MOUNT "/containerd in /etc/containerd/config.toml (root)") &&
                   has_step(m, "containerd.service.d/50-docker-relocate-mount.conf (RequiresMountsFor=" DEFAULT_MOUNT
                               "/containerd)"),
           "containerd's root set in its one place, with its RequiresMountsFor drop-in");
        ok(has_step(m, "Check that 'containerd config dump' names " DEFAULT_MOUNT "/containerd") &&
                   has_step(m, "Start containerd, then Docker and verify") && has_step(m, "image store") &&
                   has_step(m, "and containerd's root"),
           "containerd started first; the image store and containerd's root verified");
        ok(has_step(m, "Keep containerd's old root /var/lib/containerd"), "containerd's old root is kept");
        ok(!has_step(m, "holds the overlayfs layers"), "no graph-driver check on the containerd store");
        ok(move_total_size(m).bytes == 4 * GiB && move_total_size(m).inodes == 30000,
           "the size counts both trees");
        free_root(m);
}

static void lacking_room(Move *m) {
        /* Room for the data root's GiB, not for containerd's three more. */
        m->req.device = NULL;
        m->req.to = "/mnt/new/docker";
        free(m->target.path);
        m->target.path = strdup("/mnt/new/docker");
        m->target.free_bytes = 2 * GiB;
        m->ctd.target_on_target_fs = true;
}

static void kubelet(Move *m) {
        (void) strv_extend(&m->ctd.namespaces_in_use, "k8s.io (3 images, 2 containers, 41 blobs)");
}

static void no_ctr(Move *m) {
        m->ctd.namespaces_known = false;
        m->ctd.namespaces_error = strdup("ctr is not installed");
}

static void root_flag(Move *m) {
        m->ctd.cfg.root_dir_from_flag = true;
        free(m->ctd.cfg.root_dir_source);
        m->ctd.cfg.root_dir_source = strdup("--root in /usr/lib/systemd/system/containerd.service");
}

static void broken_config(Move *m) {
        m->ctd.cfg.error = strdup("/etc/containerd/config.toml:3:1: expected a key");
}

static void opt_with_files(Move *m) {
        (void) strv_extend(&m->ctd.plugin_dirs_with_files, "io.containerd.internal.v1.opt=/var/lib/containerd/opt");
}

static void dump_differs(Move *m) {
        (void) strv_extend(&m->ctd.dump_disagrees,
                           "containerd config dump says its root is /srv/containerd, the files say /var/lib/containerd "
                           "(default).");
}

static void dump_fails(Move *m) {
        m->ctd.dump_root = mfree(m->ctd.dump_root);
        m->ctd.dump_error = strdup("no containerd binary");
}

static void no_service(Move *m) {
        m->ctd.service = false;
}

static void other_address(Move *m) {
        free(m->ctd.cfg.address);
        m->ctd.cfg.address = strdup("/run/other/containerd.sock");
}

static void root_in_data_root(Move *m) {
        free(m->store_info.containerd_root);
        m->store_info.containerd_root = strdup("/var/lib/docker/containerd-system");
}

/* Each refusal of a containerd store host, one fact at a time; the
 * kubelet's namespace and an unknown one give way to --force. */
static void test_containerd_refusals(void) {
        static const struct {
                const char *what;
                void (*set)(Move *m);
                const char *reason;
                bool force_moves;
        } cases[] = {
                { "too little room for both trees", lacking_room, "the data root and containerd's root need" },
                { "a kubelet's namespace", kubelet,
                  "containerd also holds namespace k8s.io (3 images, 2 containers, 41 blobs) of another client", true },
                { "namespaces that cannot be listed", no_ctr, "namespaces could not be listed (ctr is not installed)",
                  true },
                { "containerd's root on its command line", root_flag, "set on its command line" },
                { "a broken config.toml", broken_config, "config.toml:3:1: expected a key: containerd cannot start" },
                { "a plugin directory holding files", opt_with_files,
                  "io.containerd.internal.v1.opt keeps files in /var/lib/containerd/opt" },
                { "the dump disagrees with the files", dump_differs, "says its root is /srv/containerd" },
                { "no containerd config dump", dump_fails, "'containerd config dump' failed (no containerd binary)" },
                { "no service runs containerd", no_service, "that no init system here runs" },
                { "dockerd's containerd is not containerd.service's", other_address,
                  "containerd.service's listens on /run/other/containerd.sock" },
                { "containerd's root inside the data root", root_in_data_root, "lies inside Docker's data root" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                MoveRequest forced = { .device = VOLUME, .force = true };
                Move *m = move_on(SID_TREE, NULL);

                ok_int(plan_sid(m, cases[i].set), MOVE_REFUSED, "%s: refused", cases[i].what);
                ok(refused_for(m, cases[i].reason), "%s: it says '%s'", cases[i].what, cases[i].reason);
                if (!refused_for(m, cases[i].reason))
                        STRV_FOREACH(r, m->refusals)
                                printf("#   refusal: %s\n", *r);
                free_root(m);
                if (!cases[i].force_moves)
                        continue;
                m = move_on(SID_TREE, &forced);
                ok_int(plan_sid(m, cases[i].set), MOVE_PLANNED, "%s: --force (the node drained) moves", cases[i].what);
                free_root(m);
        }
}

/* --to DIR: containerd's root goes beside DIR, on DIR's filesystem. */
static void to_dir(Move *m) {
        m->req.device = NULL;
        free(m->target.path);
        m->target.path = strdup(m->req.to);
        m->ctd.target_on_target_fs = true;
}

static void to_mount_point(Move *m) {
        to_dir(m);
        m->ctd.target_on_target_fs = false;
}

static void to_beside_full(Move *m) {
        to_dir(m);
        m->ctd.target_exists = true;
        m->ctd.target.is_dir = true;
        m->ctd.target.empty = false;
}

static void to_beside_file(Move *m) {
        to_dir(m);
        m->ctd.target_exists = true;
}

static void to_same_fs(Move *m) {
        to_dir(m);
        m->ctd.target.same_fs = true;
}

static void test_containerd_to(void) {
        static const struct {
                const char *to;
                void (*set)(Move *m);
                const char *reason; /* NULL: planned */
        } cases[] = {
                { "/data/docker", to_dir, NULL },
                { "/data", to_mount_point, "which would not be on the filesystem of /data: give --to a directory below" },
                { "/data/docker", to_beside_full, "/data/containerd, which is not empty" },
                { "/data/docker", to_beside_file, "/data/containerd, which is not a directory" },
                { "/data/docker", to_same_fs, "same filesystem as containerd's current root" },
                { "/data/containerd", to_dir, "which is the data root's own target" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                MoveRequest req = { .to = cases[i].to };
                Move *m = move_on(SID_TREE, &req);
                int r = plan_sid(m, cases[i].set);

                if (!cases[i].reason) {
                        ok_int(r, MOVE_PLANNED, "--to %s: planned", cases[i].to);
                        ok_streq(m->store.new_containerd_root, "/data/containerd", "containerd's root beside it");
                } else {
                        ok_int(r, MOVE_REFUSED, "--to %s: refused", cases[i].to);
                        ok(refused_for(m, cases[i].reason), "--to %s: it says '%s'", cases[i].to, cases[i].reason);
                }
                free_root(m);
        }
}

static void engine_29_overlay2(Move *m) {
        free(m->daemon.server_version);
        m->daemon.server_version = strdup("29.0.1");
        m->daemon.driver = strdup("overlay2");
}

static void engine_28_overlay2(Move *m) {
        engine_29_overlay2(m);
        free(m->daemon.server_version);
        m->daemon.server_version = strdup("28.5.2");
}

/* A graph-driver host: the data root alone moves; the copy's layers are
 * checked before the start, and Engine 29 would start a data root without
 * them on the containerd store. */
static void test_graph_driver(void) {
        _cleanup_free_ char *error = NULL;
        Move *m;

        m = move_of("daemon-json", NULL);
        ok_int(plan_begin(m), MOVE_PLANNED, "graph driver, Engine 28: begins");
        healthy(m);
        engine_28_overlay2(m);
        containerd_facts(m);
        ok_int(plan_decide(m, &error), MOVE_PLANNED, "graph driver, Engine 28: planned");
        ok(!m->store.containerd_moves, "containerd's root stays");
        ok_streq(m->store.store, "graph-driver", "the record: the graph driver");
        ok_streq(m->store.driver, "overlay2", "the record: overlay2");
        ok(!m->store.driver_type, "the record: no driver-type");
        ok(has_step(m, "Check that the copy holds the overlay2 layers (" TARGET "/overlay2/)"),
           "the copy's overlay2/ is checked before the start");
        ok(has_step(m, "Stop Docker (docker.socket, then docker.service, over D-Bus)") && !has_step(m, "containerd"),
           "Docker alone is stopped; nothing of containerd");
        ok(m->edit.n == 1, "daemon.json alone changes: %zu file(s)", m->edit.n);
        free_root(m);

        /* Engine 29 keeps a graph driver that the configuration names. */
        m = move_of("daemon-json", NULL);
        ok_int(plan_begin(m), MOVE_PLANNED, "graph driver named in daemon.json, Engine 29: begins");
        healthy(m);
        engine_29_overlay2(m);
        containerd_facts(m);
        ok_int(plan_decide(m, &error), MOVE_PLANNED, "storage-driver overlay2 keeps Engine 29 on it: planned");
        free_root(m);

        /* Engine 29 with nothing choosing the store and a data root without
         * overlay2 layers (the fixture has none): the next start would be on
         * the containerd store. */
        m = move_of("default", NULL);
        ok_int(plan_begin(m), MOVE_PLANNED, "graph driver, Engine 29: begins");
        healthy(m);
        engine_29_overlay2(m);
        containerd_facts(m);
        ok_int(plan_decide(m, &error), MOVE_REFUSED, "Engine 29 would switch the store at the next start: refused");
        ok(refused_for(m, "Docker runs on the graph-driver image store, but its configuration would start it on the "
                          "containerd one") &&
                   refused_for(m, "\"containerd-snapshotter\": false"),
           "it says so, and how to pin the store in use");
        free_root(m);
}

/* dockerd's own containerd: its root is under the data root and moves
 * with it. */
static void managed(Move *m) {
        free(m->daemon.containerd_address);
        m->daemon.containerd_address = strdup("/var/run/docker/containerd/containerd.sock");
        image_store_info_done(&m->store_info);
        containerd_facts_done(&m->ctd);
        containerd_facts(m);
}

static void test_managed(void) {
        Move *m = move_on(SID_TREE, NULL);

        ok_int(plan_sid(m, managed), MOVE_PLANNED, "managed containerd: planned");
        ok(!m->store.containerd_moves, "no second tree: it is under the data root");
        ok_streq(m->store.containerd_kind, "managed", "the record: dockerd's own containerd");
        ok_streq(m->store.containerd_socket, "/var/run/docker/containerd/containerd.sock", "the record: its socket");
        ok(m->edit.n == 1 && !has_step(m, "containerd's root"), "only the data root is set");
        free_root(m);
}

/* A move interrupted after the stop: its journal says containerd's root
 * moves, and the plan takes that up with Docker and containerd stopped. */
static void test_containerd_resume(void) {
        _cleanup_free_ char *error = NULL;
        StoreRecord rec = {
                .store = (char *) "containerd",
                .driver = (char *) "overlayfs",
                .driver_type = (char *) "io.containerd.snapshotter.v1",
                .containerd_kind = (char *) "system",
                .containerd_address = (char *) "/run/containerd/containerd.sock",
                .containerd_socket = (char *) "/run/containerd/containerd.sock",
                .containerd_moves = true,
                .containerd_config = (char *) "/etc/containerd/config.toml",
                .containerd_state = (char *) "/run/containerd",
                .old_containerd_root = (char *) "/var/lib/containerd",
                .new_containerd_root = (char *) DEFAULT_MOUNT "/containerd",
        };
        Move *m = move_on(SID_TREE, NULL);

        if (journal_new("systemd", "/var/run/docker.sock", "/var/lib/docker", DEFAULT_MOUNT "/docker", "/dev/nvme1n1",
                        DEFAULT_MOUNT, &m->journal) < 0 ||
            journal_set_phase(m->journal, PHASE_COPIED) < 0 || journal_set_store(m->journal, &rec) < 0)
                abort();
        ok_int(plan_begin(m), MOVE_PLANNED, "an interrupted containerd move: begins");
        ok(m->store.containerd_moves && streq_ptr(m->store.new_containerd_root, DEFAULT_MOUNT "/containerd"),
           "the journal says containerd's root moves, and where");
        healthy(m);
        m->daemon.running = false;
        m->disk.fs_node = strdup("/dev/nvme1n1");
        if (containerd_config_load(m->cfg.root, m->cfg.init, NULL, &m->ctd.cfg) < 0)
                abort();
        m->ctd.cfg_loaded = true;
        m->ctd.root = strdup("/var/lib/containerd");
        m->ctd.service = true;
        ok_int(plan_decide(m, &error), MOVE_PLANNED, "resumed with Docker and containerd stopped (%s)",
               strna(m->refusals ? m->refusals[0] : NULL));
        ok(has_step(m, "Stop Docker and containerd"), "and they are stopped and started together");
        free_root(m);
}

/* The data root reached through a symlink or a bind mount (the facts that
 * probe_data_root_link() learns, written by hand): the move leaves the link
 * as it is and says so; a link that leads nowhere, or to the target itself,
 * is refused with what to do. */
static Move *linked(DataRootLinkKind kind, const char *target, bool fstab, const MoveRequest *req) {
        Move *m = move_of("default", req);

        m->link = (DataRootLink){ .kind = kind, .path = strdup("/var/lib/docker"), .target = strdup(target), .fstab = fstab };
        return m;
}

static void test_link(void) {
        MoveRequest del = { .to = TARGET, .delete_old = true };
        _cleanup_free_ char *error = NULL;
        Move *m;

        m = move_of("default", NULL);
        ok_int(plan(m), MOVE_PLANNED, "a plain data root: planned");
        ok(!has_step(m, "Leave the") && !m->link_choice, "a plain data root: nothing said of a link");
        free_root(m);

        m = linked(DATA_ROOT_SYMLINK, "/srv/disk2/docker", false, &del);
        ok_int(plan_begin(m), MOVE_PLANNED, "a symlinked data root: begins");
        /* The old root is where the link leads, as on a host where it resolves. */
        free(m->old_root);
        m->old_root = strdup("/srv/disk2/docker");
        healthy(m);
        ok_int(plan_decide(m, &error), MOVE_PLANNED, "a symlinked data root: planned");
        ok_streq(m->edit.place, "/etc/docker/daemon.json (daemon.json)", "symlink: the data root is set in daemon.json");
        ok(has_step(m, "Leave the symlink /var/lib/docker -> /srv/disk2/docker as it is") &&
                   has_step(m, "'rollback' finds it unchanged") && has_step(m, "never through the link"),
           "symlink: the plan says the link stays, and why");
        ok(has_step(m, "Delete the old data root /srv/disk2/docker") &&
                   has_step(m, "the old data stays in /srv/disk2/docker until 'cleanup' (or --delete-old) removes "
                               "that directory by its own name"),
           "symlink: --delete-old deletes the directory the link leads to, by its own name");
        free_root(m);

        m = linked(DATA_ROOT_BIND, "/srv/disk2/docker", true, NULL);
        ok_int(plan(m), MOVE_PLANNED, "a bind-mounted data root: planned");
        ok(has_step(m, "Leave the bind mount of /srv/disk2/docker on /var/lib/docker and its line in /etc/fstab as "
                       "it is") &&
                   has_step(m, "empties /var/lib/docker, which empties /srv/disk2/docker"),
           "bind: the plan says the mount and its fstab line stay, and what cleanup empties");
        free_root(m);

        m = linked(DATA_ROOT_SYMLINK, "/srv/gone", false, NULL);
        m->link.dangling = true;
        ok_int(plan_begin(m), MOVE_REFUSED, "a dangling symlink: refused before anything is measured");
        ok(refused_for(m, "The data root /var/lib/docker is a symlink to /srv/gone, which does not exist"),
           "the refusal names the link and where it leads");
        free_root(m);

        for (int k = DATA_ROOT_SYMLINK; k <= DATA_ROOT_BIND; k++) {
                const char *what = k == DATA_ROOT_SYMLINK ? "symlink" : "bind";

                m = linked(k, TARGET, k == DATA_ROOT_BIND, &del);
                ok_int(plan_begin(m), MOVE_PLANNED, "%s to the target: begins", what);
                healthy(m);
                m->link.is_target = true;
                m->target.same_fs = true;
                ok_int(plan_decide(m, &error), MOVE_REFUSED, "%s to the target: refused, nothing deleted", what);
                ok(refused_for(m, "which is the target " TARGET " itself") &&
                           refused_for(m, "docker-relocate set-data-root " TARGET) &&
                           !refused_for(m, "moving frees no space"),
                   "%s to the target: the refusal says why and what to do instead", what);
                free_root(m);
        }
}

/* SELinux enabled: the labelling planned with the tools there, refused
 * without them when enforcing, warned when permissive; a rule of an
 * administrator's that labels the new root as something else refused. The
 * rules are read through the fake semanage of tests/fixtures/selinux/bin. */
static Move *selinux_plan(SELinuxMode mode, bool tools, bool debian, int *ret) {
        _cleanup_free_ char *error = NULL;
        Move *m = move_of("daemon-json", NULL);

        if (plan_begin(m) != MOVE_PLANNED)
                abort();
        healthy(m);
        m->selinux = (SELinuxState){ .mode = mode, .have_semanage = tools, .have_restorecon = tools,
                                     .debian = debian };
        *ret = plan_decide(m, &error);
        return m;
}

static void test_selinux(void) {
        _cleanup_free_ char *path = NULL, *rules = NULL, *log = NULL;
        char *dir = tree_new("test-move-plan-selinux");
        Move *m;
        int r;

        if (asprintf(&path, "%s/selinux/bin:%s", fixtures_dir(), getenv("PATH") ?: "/usr/bin:/bin") < 0 ||
            asprintf(&rules, "%s/rules", dir) < 0 || asprintf(&log, "%s/log", dir) < 0)
                abort();
        setenv("PATH", path, 1);
        setenv("SELINUX_FAKE_RULES", rules, 1);
        setenv("SELINUX_FAKE_LOG", log, 1);

        m = selinux_plan(SELINUX_DISABLED, false, false, &r);
        ok_int(r, MOVE_PLANNED, "SELinux disabled: planned");
        ok(!with_selinux(m) && !has_step(m, "SELinux") && !warned_for(m, "SELinux"), "and nothing of SELinux");
        free_root(m);

        m = selinux_plan(SELINUX_ENFORCING, false, false, &r);
        ok_int(r, MOVE_REFUSED, "enforcing without the tools: refused");
        ok(refused_for(m, "SELinux is enforcing, and semanage and restorecon are not installed") &&
                   refused_for(m, "Install policycoreutils-python-utils (policycoreutils-python on Amazon Linux 2 "
                                  "and RHEL 7) and policycoreutils, then run the move again."),
           "naming the tools and the packages");
        free_root(m);

        m = selinux_plan(SELINUX_ENFORCING, false, true, &r);
        ok_int(r, MOVE_REFUSED, "enforcing without the tools, Debian: refused");
        ok(refused_for(m, "Install policycoreutils-python-utils and policycoreutils, then"), "with Debian's packages");
        free_root(m);

        m = selinux_plan(SELINUX_PERMISSIVE, false, false, &r);
        ok_int(r, MOVE_PLANNED, "permissive without the tools: planned");
        ok(!with_selinux(m) && !has_step(m, "SELinux"), "without labelling");
        ok(warned_for(m, "SELinux is permissive and semanage and restorecon are not installed: /mnt/new is "
                         "not labelled as /srv/docker") &&
                   warned_for(m, "'semanage fcontext -a -e /srv/docker /mnt/new' and 'restorecon -R "
                                 "/mnt/new'"),
           "warned, with the commands to run");
        free_root(m);

        m = selinux_plan(SELINUX_ENFORCING, true, false, &r);
        ok_int(r, MOVE_PLANNED, "enforcing with the tools: planned");
        ok(with_selinux(m) && has_step(m, "Label /mnt/new for SELinux as /srv/docker: 'semanage fcontext -a "
                                          "-e /srv/docker /mnt/new' (unless that rule exists), then "
                                          "'restorecon -R /mnt/new'"),
           "the labelling is a step of the plan");
        for (size_t i = 0; m->plan_steps && m->plan_steps[i]; i++)
                if (strstr(m->plan_steps[i], "Label "))
                        ok(m->plan_steps[i + 1] && strstr(m->plan_steps[i + 1], "Set the data root") &&
                                   i > 0 && strstr(m->plan_steps[i - 1], "with Docker stopped"),
                           "after the final copy, before the data root is set");
        free_root(m);

        tree_write(dir, "/rules", "/mnt/new = /srv/elsewhere\n");
        m = selinux_plan(SELINUX_PERMISSIVE, true, false, &r);
        ok_int(r, MOVE_REFUSED, "a rule that labels the new root otherwise: refused");
        ok(refused_for(m, "An SELinux equivalence rule labels /mnt/new as /srv/elsewhere, not as "
                          "/srv/docker: remove it ('semanage fcontext -d /mnt/new')"),
           "naming the rule and how to remove it");
        free_root(m);

        tree_write(dir, "/rules", "/mnt/new = /srv/docker\n");
        m = selinux_plan(SELINUX_ENFORCING, true, false, &r);
        ok_int(r, MOVE_PLANNED, "the same rule there already: planned");
        free_root(m);

        /* The old root moved there before: its own rule names the path
         * the policy knows, and the new root is labelled as that one (the
         * policy applies one rule, not a chain). */
        tree_write(dir, "/rules", "/srv/docker = /var/lib/docker\n");
        m = selinux_plan(SELINUX_ENFORCING, true, false, &r);
        ok_int(r, MOVE_PLANNED, "an old root labelled through a rule: planned");
        ok(has_step(m, "Label /mnt/new for SELinux as /var/lib/docker: 'semanage fcontext -a -e /var/lib/docker "
                       "/mnt/new'"),
           "the new root is labelled as the path the old root's rule names");
        free_root(m);
        tree_write(dir, "/rules", "/srv/docker = /var/lib/docker\n/mnt/new = /srv/docker\n");
        m = selinux_plan(SELINUX_ENFORCING, true, false, &r);
        ok_int(r, MOVE_REFUSED, "a chained rule for the new root: refused");
        ok(refused_for(m, "labels /mnt/new as /srv/docker, not as /var/lib/docker"), "naming both");
        free_root(m);
        tree_remove(dir);
}

/* A container's own grace period at the stop, within the service timeout. */
static void test_container_grace(void) {
        ok(container_grace_sec(10) == 10, "StopTimeout 10: 10 s");
        ok(container_grace_sec(0) == 0, "StopTimeout 0: killed at once, as docker stop -t 0");
        ok(container_grace_sec(180) == 180, "StopTimeout 180: the whole 180 s");
        ok(container_grace_sec(181) == 180, "StopTimeout 181: capped at 180 s");
        ok(container_grace_sec(86400) == 180, "StopTimeout of a day: capped at 180 s");
        ok(container_grace_sec(-1) == 180, "StopTimeout -1 (wait for ever): capped at 180 s");
        ok(container_grace_sec(INT_MIN) == 180, "a nonsense negative StopTimeout: capped at 180 s");
}

/* What --json says of a plan that does not run (a dry run): the steps a
 * run would take, by the names the run reports, in its order, 0 s each;
 * as "a,b,c", or "untimed" when a step has seconds. */
static char *dry_run_steps(const Move *m) {
        _cleanup_json_ cJSON *j = move_report(m, 0);
        _cleanup_strv_free_ char **names = NULL;
        const cJSON *s;

        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(j, "steps")) {
                const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(s, "seconds");

                if (!cJSON_IsNumber(seconds) || seconds->valuedouble != 0)
                        return strdup("untimed");
                if (strv_extend(&names, strempty(json_get_string(s, "name"))) < 0)
                        abort();
        }
        return names ? strv_join(names, ",") : strdup("");
}

/* The plan of m came out as outcome, as it should (want), and names the
 * steps want_steps; frees m. */
static void ok_dry_run_steps(Move *m, int outcome, int want, const char *want_steps, const char *what) {
        _cleanup_free_ char *steps = NULL;

        ok_int(outcome, want, "dry run, %s: %s", what, move_outcome_to_string(want));
        steps = dry_run_steps(m);
        ok_streq(steps, want_steps, "dry run, %s: the steps a run takes, 0 s each", what);
        free_root(m);
}

static void test_dry_run_steps(void) {
        _cleanup_free_ char *error = NULL;
        Move *m;

        m = move_of("daemon-json", NULL);
        ok_dry_run_steps(m, plan(m), MOVE_PLANNED,
                         "pre-copy,record,stop,copy,configure,check-before-start,start-verify,restart-containers",
                         "--to");

        m = move_of("daemon-json", &(MoveRequest){ .to = TARGET, .delete_old = true });
        ok_dry_run_steps(m, plan(m), MOVE_PLANNED,
                         "record,stop,copy,configure,check-before-start,start-verify,restart-containers,delete-old",
                         "--no-pre-copy --delete-old");

        /* A volume, and containerd's root moving too: every row of both
         * tables. */
        m = move_on(SID_TREE, &(MoveRequest){ .device = VOLUME, .pre_copy = true, .delete_old = true });
        ok_dry_run_steps(m, plan_sid(m, NULL), MOVE_PLANNED,
                         "prepare,pre-copy,pre-copy-containerd,record,stop,check-stopped,copy,copy-containerd,"
                         "configure,check-before-start,start-verify,restart-containers,delete-old,"
                         "delete-old-containerd",
                         "--device on the containerd store");

        /* After another move, done: its journal's steps are not this
         * move's (a new journal replaces it at the first step). */
        m = move_on(SID_TREE, &(MoveRequest){ .device = VOLUME, .pre_copy = true, .delete_old = true });
        if (journal_new("systemd", "/var/run/docker.sock", "/srv/old", "/srv/older", NULL, NULL, &m->journal) < 0 ||
            journal_set_phase(m->journal, PHASE_DONE) < 0)
                abort();
        for (const char *const *s = (const char *const[]) { "pre-copy", "pre-copy-containerd", "record", "stop",
                     "check-stopped", "copy", "copy-containerd", "configure", "check-before-start", "start-verify",
                     "restart-containers", NULL };
             *s; s++)
                if (journal_add_step(m->journal, *s, 1) < 0)
                        abort();
        ok_dry_run_steps(m, plan_sid(m, NULL), MOVE_PLANNED,
                         "prepare,pre-copy,pre-copy-containerd,record,stop,check-stopped,copy,copy-containerd,"
                         "configure,check-before-start,start-verify,restart-containers,delete-old,"
                         "delete-old-containerd",
                         "after another move, done");

        /* Resumed: what the interrupted run did is not done again (the
         * record is read back from its journal). */
        m = move_after("copied", TARGET, false);
        if (journal_add_step(m->journal, "pre-copy", 1) < 0 || journal_add_step(m->journal, "record", 1) < 0 ||
            journal_add_step(m->journal, "stop", 1) < 0 || journal_add_step(m->journal, "copy", 1) < 0 ||
            plan_begin(m) != MOVE_PLANNED)
                abort();
        healthy(m);
        m->daemon.running = false;
        m->target.empty = false;
        ok_dry_run_steps(m, plan_decide(m, &error), MOVE_PLANNED,
                         "record,configure,check-before-start,start-verify,restart-containers",
                         "resumed after the copy");

        /* Refused: no step would be taken. */
        m = move_of("daemon-json", NULL);
        if (plan_begin(m) != MOVE_PLANNED)
                abort();
        healthy(m);
        m->target.same_fs = true;
        error = mfree(error);
        ok_dry_run_steps(m, plan_decide(m, &error), MOVE_REFUSED, "", "refused");
}

/* The containers that ran are started again only through Docker's API:
 * where it does not answer, the step is not taken and a warning names
 * them, with the command that starts them. */
static void test_containers_run_again(void) {
        char *ids[] = { (char *) "0123abcd", (char *) "4567ef01", NULL };
        Move *m = move_of("daemon-json", NULL);

        free(m->cfg.socket);
        m->cfg.socket = strdup("/nonexistent/docker.sock");
        m->new_root = strdup(TARGET);
        if (!m->cfg.socket || !m->new_root || strv_extend(&m->content.running, ids[0]) < 0 ||
            strv_extend(&m->content.running, ids[1]) < 0)
                abort();
        ok_int(containers_run_again(m, NULL, "/srv/docker"), 1, "no container ran: nothing to do, done");
        ok(strv_length(m->warnings) == 0, "... and no warning");
        ok_int(step_restart_containers(m, NULL), 0,
               "Docker's API does not answer: the move's step is done all the same (the move is)");
        ok(strv_length(m->warnings) == 1 && strstr(m->warnings[0], "were not started again") &&
                   strstr(m->warnings[0], "docker start 0123abcd 4567ef01") && strstr(m->warnings[0], TARGET),
           "a warning names the containers and how to start them on the new root: %s",
           strna(m->warnings ? m->warnings[0] : NULL));
        free_root(m);
}

int main(void) {
        test_container_grace();
        test_styles();
        test_refusals();
        test_options();
        test_link();
        test_volume();
        test_journal();
        test_installs();
        test_rollback_decision();
        test_containerd_store();
        test_containerd_refusals();
        test_containerd_to();
        test_graph_driver();
        test_managed();
        test_containerd_resume();
        test_selinux();
        test_dry_run_steps();
        test_containers_run_again();
        return tap_done();
}
