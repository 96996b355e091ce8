/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The write-ahead record of a configuration change: a process killed at each
 * point of the apply (through the test hook DOCKER_RELOCATE_TEST_CRASH), then
 * the record read back from the journal as the next run reads it, and every
 * file put back byte for byte. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "config/edit.h"
#include "move/journal.h"
#include "tap.h"
#include "tree.h"
#include "util/backup.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/strv.h"
#include "util/test-hook.h"

#define VENDOR_UNIT "/lib/systemd/system/docker.service"
#define JSON "/etc/docker/daemon.json"
#define ENV "/etc/default/docker"
#define DROPIN "/etc/systemd/system/docker.service.d/50-docker-relocate-mount.conf"

static const char *const old_json = "{\n    \"data-root\": \"/old\",\n    \"log-driver\": \"journald\"\n}\n";
static const char *const new_json = "{\n    \"data-root\": \"/new\",\n    \"log-driver\": \"journald\"\n}\n";
/* Not UTF-8, no final newline: restored as bytes, not as text. */
static const char *const old_env = "# \xe9t\xe9\nDOCKER_OPTS=\"--log-level=warn\"";
static const char *const new_env = "# \xe9t\xe9\nDOCKER_OPTS=\"--log-level=info\"\n";
static const char *const new_dropin = "[Unit]\nRequiresMountsFor=/new\n";

/* A host with Docker's root in daemon.json, and a plan of three files: two
 * changed, one created. */
static char *host_new(void) {
        char *root = tree_new("test-journal");

        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        tree_write(root, JSON, old_json);
        tree_write(root, ENV, old_env);
        return root;
}

static void plan_three(EditPlan *p) {
        *p = (EditPlan){};
        if (edit_plan_add(p, JSON, old_json, new_json, 0644) < 0 || edit_plan_add(p, ENV, old_env, new_env, 0644) < 0 ||
            edit_plan_add(p, DROPIN, NULL, new_dropin, 0644) < 0)
                abort();
}

static char *data_root_of(const char *root, const SourceSet *overlay) {
        DockerConfig c = {};
        char *d = NULL;

        if (docker_config_load(root, INIT_UNKNOWN, overlay, &c) >= 0)
                d = c.data_root ? strdup(c.data_root) : NULL;
        docker_config_done(&c);
        return d;
}

static bool file_is(const char *root, const char *path, const char *content) {
        _cleanup_free_ char *full = path_join(root, path), *data = NULL;
        size_t size = 0;

        if (read_full_file(full, 0, &data, &size) < 0)
                return false;
        return size == strlen(content) && memcmp(data, content, size) == 0;
}

static bool files_as_before(const char *root) {
        return file_is(root, JSON, old_json) && file_is(root, ENV, old_env) && !tree_exists(root, DROPIN);
}

/* The drop-in's write made /etc/systemd (the unit is under /lib): its
 * undo removes that too. */
static bool host_as_before(const char *root) {
        return files_as_before(root) && !tree_exists(root, "/etc/systemd") && tree_exists(root, "/etc/docker");
}

/* Runs the apply in a child with the hook set to point; returns how the
 * child ended (the wait status). */
static int apply_in_child(const char *root, const char *point) {
        int status = 0;
        pid_t pid = fork();

        if (pid < 0)
                abort();
        if (pid == 0) {
                _cleanup_json_ cJSON *j = cJSON_CreateObject();
                EditPlan p;

                if (!j || journal_set_phase(j, PHASE_COPIED) < 0)
                        _exit(2);
                plan_three(&p);
                if (point)
                        setenv(TEST_CRASH_ENV, point, 1);
                _exit(journal_apply_plan(root, j, JOURNAL_CONFIG_UNDO, &p) < 0 ? 1 : 0);
        }
        if (waitpid(pid, &status, 0) != pid)
                abort();
        return status;
}

static int load_undo(const char *root, EditUndo *ret) {
        _cleanup_json_ cJSON *j = NULL;
        int r;

        r = journal_load(root, &j);
        if (r < 0)
                return r;
        return journal_get_undo(j, JOURNAL_CONFIG_UNDO, ret);
}

static void test_crash_at(const char *point, unsigned written) {
        char *root = host_new();
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_(source_set_done) SourceSet overlay = {};
        _cleanup_strv_free_ char **changed = NULL;
        _cleanup_free_ char *before = NULL;
        _cleanup_json_ cJSON *j = NULL;
        int status;

        status = apply_in_child(root, point);
        ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "%s: the hook killed the process", point);
        ok(file_is(root, JSON, written >= 1 ? new_json : old_json) &&
                   file_is(root, ENV, written >= 2 ? new_env : old_env) &&
                   (written >= 3 ? file_is(root, DROPIN, new_dropin) : !tree_exists(root, DROPIN)),
           "%s: it left %u of 3 files written", point, written);

        ok(journal_load(root, &j) == 0 && journal_phase(j) == PHASE_COPIED, "%s: the journal is still at 'copied'",
           point);
        ok(load_undo(root, &u) == 0 && u.n == 3, "%s: the journal lists the 3 files", point);
        ok(u.n == 3 && u.files[0].backup && u.files[1].backup && !u.files[2].backup,
           "%s: backups of the two old files, none for the new one", point);
        if (u.n == 3 && u.files[0].backup) {
                _cleanup_free_ char *b = tree_read(root, u.files[0].backup);
                ok_streq(b, old_json, "%s: the backup was made before the crash", point);
        }

        /* What the next run plans from. */
        ok(edit_undo_overlay(&u, root, &overlay) == 0, "%s: overlay of the old configuration", point);
        before = data_root_of(root, &overlay);
        ok_streq(before, "/old", "%s: the configuration before the apply gives the old root", point);

        ok_int(edit_undo_restore(&u, root, &changed), 0, "%s: restore", point);
        ok(strv_length(changed) == 0, "%s: no file was changed by someone else", point);
        ok(host_as_before(root), "%s: every file is byte-identical to before, the created one is gone", point);
        ok_int(edit_undo_restore(&u, root, NULL), 0, "%s: restoring again is harmless", point);
        ok(host_as_before(root), "%s: and changes nothing", point);
        tree_remove(root);
}

static void test_no_crash(void) {
        char *root = host_new();
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_json_ cJSON *j = NULL;
        const cJSON *legacy;
        int status;

        unsetenv(TEST_CRASH_ENV);
        status = apply_in_child(root, NULL);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "without the variable the hook is inert");
        ok(file_is(root, JSON, new_json) && file_is(root, ENV, new_env) && file_is(root, DROPIN, new_dropin),
           "all three files are written");
        ok(load_undo(root, &u) == 0 && u.n == 3 && streq_ptr(u.files[1].new, new_env),
           "the record holds the new contents");
        ok(u.n == 3 && !u.files[0].made_dir && streq_ptr(u.files[2].made_dir, "/etc/systemd"),
           "and the directory the drop-in's write made (%s)", strna(u.n == 3 ? u.files[2].made_dir : NULL));
        ok(journal_load(root, &j) == 0, "load");
        legacy = cJSON_GetObjectItemCaseSensitive(j, JOURNAL_CONFIG_BACKUPS);
        ok(cJSON_GetArraySize(legacy) == 3 && cJSON_IsString(cJSON_GetArrayItem(legacy, 2)) &&
                   streq(cJSON_GetArrayItem(legacy, 2)->valuestring, DROPIN "=") &&
                   startswith(cJSON_GetArrayItem(legacy, 0)->valuestring, JSON "=" BACKUP_DIR "/"),
           "the \"PATH=BACKUP\" list of earlier versions is written too");
        ok_int(edit_undo_restore(&u, root, NULL), 0, "restore after a complete apply");
        ok(host_as_before(root), "every file is byte-identical to before");
        tree_remove(root);
}

static void test_changed_since(void) {
        char *root = host_new();
        _cleanup_(edit_undo_done) EditUndo u = {};
        _cleanup_strv_free_ char **changed = NULL;
        const char *mine = "DOCKER_OPTS=\"--debug\"\n", *their_dropin = "[Unit]\n# mine\n";

        int status = apply_in_child(root, "config-written");

        /* Without the hooks the apply runs to its end: the files are the
         * same. */
        ok(FAULT_INJECTION ? WIFSIGNALED(status) : WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "killed after the last file (without the hooks: done)");
        /* Someone edits two files before the next run. */
        tree_write(root, ENV, mine);
        tree_write(root, DROPIN, their_dropin);
        ok(load_undo(root, &u) == 0, "load the record");
        ok_int(edit_undo_restore(&u, root, &changed), -EBUSY, "a file at neither content: -EBUSY");
        ok(strv_length(changed) == 2 && strv_contains(changed, ENV) && strv_contains(changed, DROPIN),
           "both are named");
        ok(file_is(root, ENV, mine) && file_is(root, DROPIN, their_dropin), "and left as they are");
        ok(file_is(root, JSON, old_json), "the other file is restored all the same");
        tree_remove(root);
}

static void test_journal_not_saved(void) {
        char *root = host_new();
        _cleanup_json_ cJSON *j = cJSON_CreateObject();
        _cleanup_free_ char *journal = path_join(root, JOURNAL_PATH);
        EditPlan p;

        /* A directory where the journal goes: saving it fails, even for root. */
        ok(journal && mkdir_p(journal, 0700) == 0, "block the journal");
        plan_three(&p);
        ok(journal_apply_plan(root, j, JOURNAL_CONFIG_UNDO, &p) < 0, "the apply fails when the record cannot be saved");
        ok(host_as_before(root), "and no file was written");
        edit_plan_done(&p);
        tree_remove(root);
}

static void test_older_journal(void) {
        char *root = host_new();
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_(edit_undo_done) EditUndo u = {};
        const char *bak = BACKUP_DIR "/20240101T000000-etc_docker_daemon.json";

        /* As an earlier version left it after the move: the files new, and
         * only the "PATH=BACKUP" list. */
        tree_write(root, bak, old_json);
        tree_write(root, JSON, new_json);
        tree_write(root, DROPIN, new_dropin);
        tree_write(root, JOURNAL_PATH,
                   "{\"version\": 1, \"phase\": \"configured\", \"config_backups\": [\"" JSON "=" BACKUP_DIR
                   "/20240101T000000-etc_docker_daemon.json\", \"" DROPIN "=\"]}");
        ok(journal_load(root, &j) == 0, "load a journal of an earlier version");
        ok(journal_get_undo(j, JOURNAL_CONFIG_UNDO, &u) == 0 && u.n == 2 && !u.files[0].new && !u.files[1].backup,
           "its \"config_backups\" read as a record without new contents");
        ok_int(edit_undo_restore(&u, root, NULL), 0, "restore");
        ok(files_as_before(root), "every file is byte-identical to before, the created one is gone");
        ok(tree_exists(root, "/etc/systemd/system/docker.service.d"),
           "the directories it was written in stay: the record does not say which were made");
        edit_undo_done(&u);
        ok_int(journal_get_undo(j, JOURNAL_ROLLBACK_UNDO, &u), -ENOENT, "no rollback record: -ENOENT");
        tree_remove(root);
}

/* Backups beyond the newest BACKUP_KEEP of each file go, unless a record
 * names them; another file's are not counted with them. */
static void test_prune(void) {
        static const char *const stamps[] = {
                "20260101T000000",   "20260101T000000.1", "20260101T000000.2", "20260102T000000",
                "20260103T000000",   "20260103T000000.10", "20260104T000000",  "20260105T000000",
        };
        char *root = tree_new("test-journal-prune");
        char path[256];
        char *protected[] = { (char *) BACKUP_DIR "/20260101T000000-etc_docker_daemon.json", NULL };
        bool gone[ELEMENTSOF(stamps)] = {};

        for (size_t i = 0; i < ELEMENTSOF(stamps); i++) {
                snprintf(path, sizeof(path), "%s/%s-etc_docker_daemon.json", BACKUP_DIR, stamps[i]);
                tree_write(root, path, stamps[i]);
        }
        tree_write(root, BACKUP_DIR "/20250101T000000-etc_default_docker", "other");
        tree_write(root, BACKUP_DIR "/notes-etc_docker_daemon.json", "not a backup");

        ok_int(backup_prune(root, JSON, 5, protected), 2, "8 backups, 5 kept, one old one named by a record: 2 removed");
        for (size_t i = 0; i < ELEMENTSOF(stamps); i++) {
                snprintf(path, sizeof(path), "%s/%s-etc_docker_daemon.json", BACKUP_DIR, stamps[i]);
                gone[i] = !tree_exists(root, path);
        }
        ok(!gone[0] && gone[1] && gone[2] && !gone[3] && !gone[4] && !gone[5] && !gone[6] && !gone[7],
           "the protected oldest stays; the two next oldest go (.2 before .10: numbers, not text)");
        ok(tree_exists(root, BACKUP_DIR "/20250101T000000-etc_default_docker") &&
                   tree_exists(root, BACKUP_DIR "/notes-etc_docker_daemon.json"),
           "another file's backup and a file that is no backup stay");
        ok_int(backup_prune(root, JSON, 5, protected), 0, "pruning again removes nothing");
        ok_int(backup_prune(root, ENV, 5, NULL), 0, "a file with one backup: nothing removed");
        tree_remove(root);
}

/* How Docker keeps its images, and containerd's root when it moves: what
 * a resumed move, its rollback and "cleanup" read back. */
static void test_store_record(void) {
        StoreRecord in = {
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
                .new_containerd_root = (char *) "/mnt/docker-data/containerd",
        }, graph = { .store = (char *) "graph-driver", .driver = (char *) "overlay2", .containerd_kind = (char *) "managed" };
        _cleanup_(store_record_done) StoreRecord out = {}, out2 = {};
        _cleanup_json_ cJSON *j = NULL, *k = NULL, *old = cJSON_CreateObject();
        _cleanup_free_ char *text = NULL;

        ok(journal_new("systemd", "/run/docker.sock", "/var/lib/docker", "/mnt/docker-data/docker", NULL, NULL, &j) >= 0 &&
                   journal_set_store(j, &in) >= 0,
           "a store record is written");
        text = cJSON_PrintUnformatted(j);
        k = cJSON_Parse(text);
        ok(k && journal_get_store(k, &out) >= 0, "and read back from the saved text");
        ok(out.containerd_moves && streq_ptr(out.new_containerd_root, "/mnt/docker-data/containerd") &&
                   streq_ptr(out.old_containerd_root, "/var/lib/containerd") &&
                   streq_ptr(out.driver_type, "io.containerd.snapshotter.v1") &&
                   streq_ptr(out.containerd_state, "/run/containerd") &&
                   streq_ptr(out.containerd_config, "/etc/containerd/config.toml") &&
                   streq_ptr(out.containerd_address, "/run/containerd/containerd.sock"),
           "every field as written");
        ok(journal_set_store(j, &graph) >= 0 && journal_get_store(j, &out2) >= 0 && !out2.containerd_moves &&
                   !out2.driver_type && streq_ptr(out2.driver, "overlay2") && !out2.old_containerd_root,
           "a graph-driver host's record: no driver-type, no containerd tree");
        ok(!cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "image_store"), "containerd"),
           "and no \"containerd\" object in it");
        ok_int(journal_get_store(old, &out2), -ENOENT, "a journal of an earlier version has none");
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(old, "image_store"), "containerd");
        ok_int(journal_get_store(old, &out2), -EBADMSG, "a containerd record without its roots is refused");

        ok(!journal_has_step(j, "pre-copy", 0) && journal_n_steps(j) == 0, "no steps yet");
        (void) journal_add_step(j, "pre-copy", 1);
        (void) journal_add_step(j, "pre-copy-containerd", 2);
        ok(journal_has_step(j, "pre-copy", 0) && journal_has_step(j, "pre-copy-containerd", 0) &&
                   !journal_has_step(j, "copy", 0),
           "the steps done are listed");
        ok(journal_n_steps(j) == 2 && !journal_has_step(j, "pre-copy", 2) && journal_has_step(j, "pre-copy-containerd", 1),
           "counting only those from an index on");
}

int main(void) {
        unsetenv(TEST_CRASH_ENV);
        if (FAULT_INJECTION) {
                test_crash_at("config-recorded", 0);
                test_crash_at("config-file-1", 1);
                test_crash_at("config-file-2", 2);
                test_crash_at("config-written", 3);
        } else
                printf("ok %d - killed at each point of the apply # SKIP built without -Dfault_injection=true\n",
                       ++tap_n);
        test_prune();
        test_no_crash();
        test_changed_since();
        test_journal_not_saved();
        test_older_journal();
        test_store_record();
        return tap_done();
}
