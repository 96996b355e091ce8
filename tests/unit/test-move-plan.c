/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The move's planner on the fixture trees of every configuration style: the
 * steps, where the data root is set, and every refusal, with the daemon, the
 * data and the target written by hand instead of asked of a live host; and
 * where a failure decides to roll back. */
#include <errno.h>
#include <stdlib.h>

#include "move/move-internal.h"
#include "tap.h"
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

static void free_root(Move *m) {
        char *root = (char *) m->cfg.root;

        move_free(m);
        free(root);
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
                ok(has_step(m, "Copy ") && has_step(m, "while Docker runs") && has_step(m, "rsync --delete") &&
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
        m->daemon.containerd_store = true;
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
                { "a daemon on another root, the containerd store, a swarm manager",
                  NULL,
                  docker_odd,
                  { "Docker runs on /elsewhere but its configuration says /srv/docker", "containerd image store",
                    "swarm manager" } },
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
                { "too little room",
                  NULL,
                  small,
                  { "GiB free; the data root needs", "free inodes; the data root uses 10000" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                MoveRequest req = { .to = cases[i].to ?: TARGET };
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

        m = move_of("daemon-json", &del);
        ok_int(plan(m), MOVE_PLANNED, "--delete-old: planned");
        ok(has_step(m, "Delete the old data root /srv/docker") && !has_step(m, "Keep the old"),
           "the old root is deleted at the end");
        ok(m->estimate_sec > 10 && m->free_known && m->target_free_bytes == 100 * GiB,
           "an estimate, and the target's free space");
        free_root(m);
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
        ok(refused_for(m, "resolve it first"), "it says to resolve it first");
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
                { PHASE_DONE, PHASE_VERIFIED, false },      /* restart-containers */
                { PHASE_CLEANED, PHASE_DONE, false },       /* delete-old */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                ok(failure_rolls_back(cases[i].step, cases[i].reached) == cases[i].rolls_back,
                   "a failure in a step reaching '%s', the move at '%s': %s", move_phase_to_string(cases[i].step),
                   move_phase_to_string(cases[i].reached), cases[i].rolls_back ? "rolls back" : "does not roll back");
}

int main(void) {
        test_styles();
        test_refusals();
        test_options();
        test_volume();
        test_journal();
        test_rollback_decision();
        return tap_done();
}
