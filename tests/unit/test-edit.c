/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "config/edit.h"
#include "tap.h"
#include "tree.h"
#include "util/backup.h"
#include "util/macro.h"
#include "util/strv.h"

#define VENDOR_UNIT "/lib/systemd/system/docker.service"
#define ETC_UNIT "/etc/systemd/system/docker.service"
#define JSON "/etc/docker/daemon.json"

/* Plans set-data-root new_root on root; returns the plan's error, with the
 * refusal in *ret_refusal. */
static int plan(const char *root, const char *new_root, EditPlan *ret, char **ret_refusal) {
        DockerConfig c = {};
        int r;

        *ret_refusal = NULL;
        *ret = (EditPlan){};
        r = docker_config_load(root, INIT_UNKNOWN, NULL, &c);
        if (r < 0)
                return r;
        r = edit_plan_set_data_root(&c, new_root, ret, ret_refusal);
        if (r >= 0) {
                int k = edit_plan_verify(ret, &c, new_root, ret_refusal);
                if (k < 0) {
                        edit_plan_done(ret);
                        r = k;
                }
        }
        docker_config_done(&c);
        return r;
}

static char *data_root_of(const char *root) {
        DockerConfig c = {};
        char *d = NULL;

        if (docker_config_load(root, INIT_UNKNOWN, NULL, &c) >= 0)
                d = c.data_root ? strdup(c.data_root) : NULL;
        docker_config_done(&c);
        return d;
}

static void check_refused(const char *what, const char *root, const char *new_root, const char *reason) {
        EditPlan p;
        _cleanup_free_ char *refusal = NULL;
        int r = plan(root, new_root, &p, &refusal);

        ok_int(r, -ECANCELED, "%s: refused", what);
        ok(refusal && strstr(refusal, reason), "%s: says why (%s)", what, strna(refusal));
        ok(p.n == 0, "%s: nothing planned", what);
}

/* Names of files left in dir that start with ".#" (temporary files). */
static int temp_files_in(const char *root, const char *dir) {
        _cleanup_free_ char *full = path_join(root, dir);
        DIR *d = opendir(full);
        struct dirent *de;
        int n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (startswith(de->d_name, ".#"))
                        n++;
        closedir(d);
        return n;
}

static void test_refusals(void) {
        char *root = tree_new("test-edit");

        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        check_refused("a relative root", root, "srv/docker", "absolute");
        check_refused("a root with a space", root, "/srv/my docker", "quoting");
        check_refused("a root with a dollar", root, "/srv/$HOME", "quoting");
        check_refused("a root with a quote", root, "/srv/it's", "quoting");
        tree_remove(root);

        root = tree_new("test-edit");
        tree_write(root, ETC_UNIT, "[Service]\nExecStart=/usr/bin/dockerd --data-root /srv/a\\x2db\n");
        check_refused("a value built with a backslash escape", root, "/new",
                      ":2:40: the value '/srv/a-b' is written with escapes");
        tree_write(root, ETC_UNIT, "[Service]\nExecStart=/usr/bin/dockerd --data-root=/srv/a\\x2db\n");
        check_refused("an inline value built with a backslash escape", root, "/new",
                      ":2:28: the value '/srv/a-b' of '--data-root=/srv/a-b' is written with escapes");
        tree_write(root, ETC_UNIT,
                   "[Service]\nEnvironment=ROOT=/srv\nExecStart=/usr/bin/dockerd --data-root=${ROOT}/docker\n");
        check_refused("a ${VAR} splice", root, "/new",
                      ":3:28: the value '/srv/docker' of '--data-root=/srv/docker' is built from a variable (set at "
                      "/etc/systemd/system/docker.service:2:18)");
        tree_write(root, ETC_UNIT, "[Service]\nEnvironment=ROOT=/srv\nExecStart=/usr/bin/dockerd -g ${ROOT}/d\n");
        check_refused("a ${VAR} splice after -g", root, "/new", "the value '/srv/d' is built from a variable");
        tree_write(root, ETC_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -Dg /srv/old\n");
        check_refused("combined shorthand flags", root, "/new", "combines several flags");
        tree_write(root, ETC_UNIT, "[Service]\nExecStart=/usr/bin/dockerd --data-root\n");
        check_refused("a flag without value", root, "/new", "has no value");
        tree_remove(root);

        root = tree_new("test-edit");
        tree_write(root, ETC_UNIT, "[Service]\nEnvironmentFile=/usr/share/docker/env\nExecStart=/usr/bin/dockerd $DOCKER_OPTS\n");
        tree_write(root, "/usr/share/docker/env", "DOCKER_OPTS=--data-root /srv/vendor\n");
        check_refused("a vendor env file", root, "/new", "distribution's package");
        tree_remove(root);

        root = tree_new("test-edit");
        tree_write(root, "/etc/init.d/docker",
                   "#!/bin/sh\nDOCKER_OPTS=\n. /etc/default/docker\nstart-stop-daemon --start -- $DOCKER_OPTS\n");
        tree_write(root, "/etc/default/docker",
                   "DOCKER_OPTS=\"--data-root /srv/old\"\nif [ -d /srv/other ]; then DOCKER_OPTS=\"-g /srv/other\"; fi\n");
        check_refused("a file with shell code", root, "/new",
                      "/etc/default/docker:2:1: a shell command, not a plain NAME=value assignment: sh runs it when "
                      "Docker starts");
        tree_remove(root);

        root = tree_new("test-edit");
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd\n");
        tree_write(root, JSON, "{\n  \"data-root\": \"/old\",\n");
        check_refused("invalid JSON", root, "/new", "invalid JSON");
        tree_remove(root);
}

static void test_verify(void) {
        char *root = tree_new("test-edit");
        DockerConfig c = {};
        _cleanup_free_ char *refusal = NULL;
        FileEdit e = { .path = (char *) JSON, .old = NULL, .new = (char *) "{\"data-root\": \"/wrong\"}\n", .mode = 0644 };
        EditPlan p = { .edits = &e, .n = 1 };

        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd\n");
        ok(docker_config_load(root, INIT_UNKNOWN, NULL, &c) == 0, "load");
        ok_int(edit_plan_verify(&p, &c, "/right", &refusal), -ECANCELED, "a plan that gives another root is refused");
        ok(refusal && strstr(refusal, "/wrong"), "it says what the root would be (%s)", strna(refusal));
        refusal = mfree(refusal);

        e.new = (char *) "{\"graph\": \"/right\"}\n";
        ok_int(edit_plan_verify(&p, &c, "/right", &refusal), -ECANCELED, "a plan that leaves graph is refused");
        refusal = mfree(refusal);

        e.new = (char *) "{\"graph\": \"/x\", \"data-root\": \"/right\"}\n";
        ok_int(edit_plan_verify(&p, &c, "/right", &refusal), -ECANCELED, "a plan that leaves a conflict is refused");
        refusal = mfree(refusal);

        e.new = (char *) "{\"data-root\": \"/right/\"}\n";
        ok_int(edit_plan_verify(&p, &c, "/right", &refusal), 0, "a plan that gives the root is accepted");
        ok(!tree_exists(root, JSON), "verifying writes nothing");
        docker_config_done(&c);
        tree_remove(root);
}

static void test_plans(void) {
        char *root = tree_new("test-edit");
        EditPlan p;
        _cleanup_free_ char *refusal = NULL, *diff = NULL;

        /* No file sets it: daemon.json is created. */
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        ok(plan(root, "/srv/docker", &p, &refusal) == 0, "plan with no daemon.json");
        ok(p.n == 1 && streq(p.edits[0].path, JSON) && !p.edits[0].old, "creates daemon.json");
        ok(p.place && strstr(p.place, "daemon.json"), "place: %s", strna(p.place));
        ok(edit_plan_diff(&p, &diff) == 0 && strstr(diff, "--- /dev/null") && strstr(diff, "+++ b" JSON) &&
                   strstr(diff, "+    \"data-root\": \"/srv/docker\""),
           "diff of a new file");
        edit_plan_done(&p);
        diff = mfree(diff);

        /* Already there: nothing to do. */
        tree_write(root, JSON, "{\"data-root\": \"/srv/docker\"}\n");
        ok(plan(root, "/srv/docker", &p, &refusal) == 0 && p.n == 0, "an already correct config: empty plan");
        edit_plan_done(&p);

        /* A flag in an /etc unit: edited in place; daemon.json loses its
         * conflicting data-root. */
        tree_write(root, ETC_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -g /old -H fd:// --graph=/old2\n");
        tree_write(root, JSON, "{\n  \"debug\": true,\n  \"data-root\": \"/json\"\n}\n");
        ok(plan(root, "/new", &p, &refusal) == 0, "plan for flags (%s)", strna(refusal));
        ok_int(p.n, 2, "unit and daemon.json");
        ok(p.n == 2 && streq(p.edits[0].path, ETC_UNIT) &&
                   streq(p.edits[0].new, "[Service]\nExecStart=/usr/bin/dockerd --data-root /new -H fd:// --data-root=/new\n"),
           "every -g/--graph becomes --data-root, nothing else changes");
        ok(p.n == 2 && streq(p.edits[1].path, JSON) && streq(p.edits[1].new, "{\n  \"debug\": true\n}\n"),
           "data-root removed from daemon.json");
        ok(strv_length(p.notes) >= 2, "notes say what else happens");
        edit_plan_done(&p);
        tree_remove(root);
}

static void test_apply_restore(void) {
        char *root = tree_new("test-edit");
        const char *unit = "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --data-root /old\n";
        const char *json = "{\n    \"graph\": \"/older\",\n    \"log-driver\": \"journald\"\n}\n";
        EditPlan p;
        _cleanup_free_ char *refusal = NULL, *d = NULL, *dropin = NULL, *j = NULL, *u = NULL;
        _cleanup_strv_free_ char **backups = NULL;

        tree_write(root, VENDOR_UNIT, unit);
        tree_write(root, JSON, json);
        ok(plan(root, "/mnt/docker-data/docker", &p, &refusal) == 0, "plan for a vendor unit (%s)", strna(refusal));
        ok(p.n == 2 && streq(p.edits[0].path, DOCKER_RELOCATE_DROPIN) && !p.edits[0].old,
           "a drop-in replaces the vendor ExecStart=");
        ok(edit_plan_apply(&p, root, &backups) == 0, "apply");
        ok_int(strv_length(backups), 2, "two backup entries");
        ok(backups && streq(backups[0], DOCKER_RELOCATE_DROPIN "="), "a new file has an empty backup");
        ok(backups && backups[1] && startswith(backups[1], JSON "=" BACKUP_DIR "/"), "daemon.json was backed up");
        d = data_root_of(root);
        ok_streq(d, "/mnt/docker-data/docker", "the new config gives the new root");
        dropin = tree_read(root, DOCKER_RELOCATE_DROPIN);
        ok(dropin && strstr(dropin, "ExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --data-root /mnt/docker-data/docker\n"),
           "the drop-in resets and sets ExecStart=");
        j = tree_read(root, JSON);
        ok_streq(j, "{\n    \"log-driver\": \"journald\"\n}\n", "graph removed from daemon.json");
        u = tree_read(root, VENDOR_UNIT);
        ok_streq(u, unit, "the vendor unit is untouched");
        if (backups && backups[1]) {
                _cleanup_free_ char *b = tree_read(root, strchr(backups[1], '=') + 1);
                ok_streq(b, json, "the backup holds the old content");
        }
        ok(temp_files_in(root, "/etc/docker") == 0 && temp_files_in(root, "/etc/systemd/system/docker.service.d") == 0,
           "no temporary files left");

        ok(edit_plan_restore(root, backups) == 0, "restore");
        j = mfree(j);
        j = tree_read(root, JSON);
        ok_streq(j, json, "daemon.json is byte-identical again");
        ok(!tree_exists(root, DOCKER_RELOCATE_DROPIN), "the created drop-in is removed");
        free(d);
        d = data_root_of(root);
        ok_streq(d, "/old", "the old config is back");
        ok(edit_plan_restore(root, backups) == 0, "restoring twice is harmless");

        edit_plan_done(&p);
        tree_remove(root);
}

static void test_apply_failure(void) {
        char *root = tree_new("test-edit");
        const char *json = "{\n  \"data-root\": \"/old\"\n}\n";
        FileEdit e[] = {
                { .path = (char *) JSON, .old = (char *) json, .new = (char *) "{\"data-root\": \"/new\"}\n", .mode = 0644 },
                { .path = (char *) DOCKER_RELOCATE_DROPIN, .new = (char *) "[Service]\n", .mode = 0644 },
                { .path = (char *) "/etc/blocked/sub/x.conf", .new = (char *) "x\n", .mode = 0644 },
        };
        EditPlan p = { .edits = e, .n = ELEMENTSOF(e) };
        char **backups = NULL;
        _cleanup_free_ char *j = NULL;
        int r;

        tree_write(root, JSON, json);
        /* A regular file where a directory must be: fails even for root. */
        tree_write(root, "/etc/blocked", "not a directory\n");
        r = edit_plan_apply(&p, root, &backups);
        ok(r < 0, "apply fails on the third file (%d)", r);
        ok(backups == NULL, "no backup list is returned on failure");
        j = tree_read(root, JSON);
        ok_streq(j, json, "the first file is restored byte for byte");
        ok(!tree_exists(root, DOCKER_RELOCATE_DROPIN), "the file created second is removed");
        ok(temp_files_in(root, "/etc/docker") == 0, "no temporary file left");
        strv_free(backups);
        tree_remove(root);

        /* The second of two fails: the first is restored. */
        root = tree_new("test-edit");
        tree_write(root, JSON, json);
        tree_write(root, "/etc/blocked", "x");
        e[1] = e[2];
        p.n = 2;
        ok(edit_plan_apply(&p, root, NULL) < 0, "apply fails on the second file");
        j = mfree(j);
        j = tree_read(root, JSON);
        ok_streq(j, json, "the first file is restored");
        tree_remove(root);
}

static void test_symlinked_files(void) {
        char *root = tree_new("test-edit");
        const char *unit = "[Service]\nExecStart=/usr/bin/dockerd --data-root /old\n";
        EditPlan p;
        _cleanup_free_ char *refusal = NULL, *u = NULL, *d = NULL, *e = NULL;
        _cleanup_strv_free_ char **backups = NULL;
        struct stat st;

        /* An /etc unit that is a link to the packaged one: the packaged
         * file must not be edited through the link. */
        tree_write(root, VENDOR_UNIT, unit);
        tree_symlink(root, ETC_UNIT, VENDOR_UNIT);
        ok(plan(root, "/new", &p, &refusal) == 0, "plan through a link to a vendor unit (%s)", strna(refusal));
        ok(p.n == 1 && streq(p.edits[0].path, DOCKER_RELOCATE_DROPIN), "a drop-in, not an edit of the packaged file");
        ok(edit_plan_apply(&p, root, &backups) == 0, "apply");
        u = tree_read(root, VENDOR_UNIT);
        ok_streq(u, unit, "the packaged unit is untouched");
        d = data_root_of(root);
        ok_streq(d, "/new", "the new root is in effect");
        edit_plan_done(&p);
        tree_remove(root);

        /* An env file that is a link to a file elsewhere in /etc: the
         * target is edited and the link stays. */
        root = tree_new("test-edit");
        tree_write(root, VENDOR_UNIT, "[Service]\nEnvironmentFile=/etc/default/docker\nExecStart=/usr/bin/dockerd $DOCKER_OPTS\n");
        tree_write(root, "/etc/docker/docker.env", "DOCKER_OPTS=\"-H fd:// --data-root /old\"\n");
        tree_symlink(root, "/etc/default/docker", "/etc/docker/docker.env");
        ok(plan(root, "/new", &p, &refusal) == 0, "plan through a linked env file (%s)", strna(refusal));
        ok(p.n == 1 && streq(p.edits[0].path, "/etc/docker/docker.env") && streq_ptr(p.edits[0].named, "/etc/default/docker"),
           "the link's target is planned, and the name it is read by kept");
        ok(edit_plan_apply(&p, root, NULL) == 0, "apply");
        e = tree_read(root, "/etc/docker/docker.env");
        ok_streq(e, "DOCKER_OPTS=\"-H fd:// --data-root /new\"\n", "the target is edited in place");
        _cleanup_free_ char *link = path_join(root, "/etc/default/docker");
        ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
        free(d);
        d = data_root_of(root);
        ok_streq(d, "/new", "the new root is in effect");
        edit_plan_done(&p);
        tree_remove(root);

        /* A link that leaves /etc (a shared file, a checkout): its target
         * may be read by other hosts; nothing is written through it. */
        root = tree_new("test-edit");
        tree_write(root, VENDOR_UNIT, "[Service]\nEnvironmentFile=/etc/default/docker\nExecStart=/usr/bin/dockerd $DOCKER_OPTS\n");
        tree_write(root, "/srv/shared/docker.env", "DOCKER_OPTS=\"-H fd:// --data-root /old\"\n");
        tree_symlink(root, "/etc/default/docker", "/srv/shared/docker.env");
        check_refused("a link out of /etc", root, "/new",
                      "/etc/default/docker is reached through a symlink and really is /srv/shared/docker.env, "
                      "outside /etc");
        free(e);
        e = tree_read(root, "/srv/shared/docker.env");
        ok_streq(e, "DOCKER_OPTS=\"-H fd:// --data-root /old\"\n", "its target is untouched");
        tree_remove(root);

        /* A dangling daemon.json link, with the data root at the default:
         * a new daemon.json would be created at the link's target. */
        root = tree_new("test-edit");
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        tree_symlink(root, JSON, "/etc/docker-conf/daemon.json");
        check_refused("a dangling daemon.json link", root, "/new",
                      "/etc/docker/daemon.json is a symlink to /etc/docker-conf/daemon.json, which does not exist");
        ok(!tree_exists(root, "/etc/docker-conf"), "nothing created at its target");
        tree_remove(root);
}


/* Plans /new on a tree holding file path with content (and the unit, for
 * systemd), and checks what the plan writes there. */
static void check_rewrite(const char *what, const char *unit, const char *path, const char *content,
                          const char *want) {
        char *root = tree_new("test-edit");
        EditPlan p;
        _cleanup_free_ char *refusal = NULL, *got = NULL, *d = NULL;

        if (unit)
                tree_write(root, VENDOR_UNIT, unit);
        else
                tree_write(root, "/etc/init.d/docker",
                           "#!/bin/sh\nDOCKER_OPTS=\n. /etc/default/docker\nexec dockerd $DOCKER_OPTS\n");
        tree_write(root, path, content);
        ok(plan(root, "/new", &p, &refusal) == 0, "%s: planned (%s)", what, strna(refusal));
        ok(edit_plan_apply(&p, root, NULL) == 0, "%s: applied", what);
        got = tree_read(root, path);
        ok_streq(got, want, "%s: rewritten inside its quotes", what);
        d = data_root_of(root);
        ok_streq(d, "/new", "%s: the new root is in effect", what);
        edit_plan_done(&p);
        tree_remove(root);
}

static void test_quoted_values(void) {
        /* The most copied recipe: a quoted value inside the word. */
        check_rewrite("--data-root=\"...\" in a drop-in", "[Service]\nExecStart=/usr/bin/dockerd\n",
                      "/etc/systemd/system/docker.service.d/override.conf",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --data-root=\"/mnt\"\n",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --data-root=\"/new\"\n");
        check_rewrite("--graph=\"...\" in a drop-in", "[Service]\nExecStart=/usr/bin/dockerd\n",
                      "/etc/systemd/system/docker.service.d/override.conf",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --graph=\"/mnt\" -H fd://\n",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --data-root=\"/new\" -H fd://\n");
        check_rewrite("\"--data-root=...\" in a drop-in", "[Service]\nExecStart=/usr/bin/dockerd\n",
                      "/etc/systemd/system/docker.service.d/override.conf",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd \"--data-root=/mnt\"\n",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd \"--data-root=/new\"\n");
        check_rewrite("'--data-root' '...' in a drop-in", "[Service]\nExecStart=/usr/bin/dockerd\n",
                      "/etc/systemd/system/docker.service.d/override.conf",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd '--data-root' '/mnt'\n",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd '--data-root' '/new'\n");
        check_rewrite("-g\"...\" in a drop-in", "[Service]\nExecStart=/usr/bin/dockerd\n",
                      "/etc/systemd/system/docker.service.d/override.conf",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -g\"/mnt\"\n",
                      "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --data-root=\"/new\"\n");
        /* An EnvironmentFile= value that systemd splits and unquotes. */
        check_rewrite("quotes inside an EnvironmentFile= value",
                      "[Service]\nEnvironmentFile=/etc/default/docker\nExecStart=/usr/bin/dockerd $DOCKER_OPTS\n",
                      "/etc/default/docker", "DOCKER_OPTS=\"--data-root='/mnt' --log-level warn\"\n",
                      "DOCKER_OPTS=\"--data-root='/new' --log-level warn\"\n");
        /* sh unquotes inside an assignment's word. */
        check_rewrite("--data-root=\"...\" assigned in a file sh sources", NULL, "/etc/default/docker",
                      "DOCKER_OPTS=--data-root=\"/mnt\"\n", "DOCKER_OPTS=--data-root=\"/new\"\n");
        check_rewrite("'--data-root /mnt' in a file sh sources", NULL, "/etc/default/docker",
                      "DOCKER_OPTS='--dns 8.8.8.8 --data-root /mnt'\n", "DOCKER_OPTS='--dns 8.8.8.8 --data-root /new'\n");

        /* Only a value built from a variable, or split by quotes, is
         * refused, at its position. */
        char *root = tree_new("test-edit");
        tree_write(root, "/etc/init.d/docker", "#!/bin/sh\nDOCKER_OPTS=\n. /etc/default/docker\nexec dockerd $DOCKER_OPTS\n");
        tree_write(root, "/etc/default/docker", "BASE=/srv\nDOCKER_OPTS=\"--data-root=$BASE/docker\"\n");
        check_refused("a value built from a shell variable", root, "/new",
                      "/etc/default/docker:2:14: the value '/srv/docker' of '--data-root=/srv/docker' is built from a "
                      "variable (set at /etc/default/docker:1:6)");
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=--data-root=/m\"n\"t\n");
        check_refused("a value in several quoted parts", root, "/new",
                      "/etc/default/docker:1:13: the value '/mnt' of '--data-root=/mnt' is put together from several "
                      "quoted or escaped parts");
        tree_remove(root);
}

/* Files that are mount points, and files that cannot be written: found by
 * the plan, before anything is written. Needs a private mount namespace. */
static void test_targets(void) {
        char *root, *src;
        EditPlan p;
        _cleanup_free_ char *refusal = NULL, *diff = NULL, *full = NULL, *bound = NULL, *got = NULL, *dir = NULL;
        _cleanup_strv_free_ char **backups = NULL;
        const char *json = "{\n  \"data-root\": \"/old\"\n}\n";

        if (geteuid() != 0) {
                for (int i = 0; i < 12; i++)
                        tap_skip_missing("mount points and read-only files", "root");
                return;
        }
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                for (int i = 0; i < 12; i++)
                        tap_skip("mount points and read-only files", "no private mount namespace here");
                return;
        }
        root = tree_new("test-edit");
        src = tree_new("test-edit-src");
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd\n");
        tree_write(root, JSON, json);
        tree_write(src, "/daemon.json", json);
        full = path_join(root, JSON);
        bound = path_join(src, "/daemon.json");
        ok(mount(bound, full, NULL, MS_BIND, NULL) == 0, "daemon.json bind-mounted from elsewhere");

        ok(plan(root, "/new", &p, &refusal) == 0 && p.n == 1 && p.edits[0].in_place,
           "the plan sees a mount point (%s)", strna(refusal));
        ok(edit_plan_diff(&p, &diff) == 0 && strstr(diff, "# /etc/docker/daemon.json is a mount point: written in place"),
           "the diff says it is written in place");
        ok(strv_length(p.notes) >= 1 && strstr(p.notes[strv_length(p.notes) - 1], "a mount point"), "and a note");
        ok(edit_plan_apply(&p, root, &backups) == 0, "apply (a rename would fail with EBUSY)");
        got = tree_read(src, "/daemon.json");
        ok(got && strstr(got, "\"/new\""), "the bound file itself holds the new root");
        ok(edit_plan_restore(root, backups) == 0, "restore");
        free(got);
        got = tree_read(src, "/daemon.json");
        ok_streq(got, json, "restored in place, byte for byte");
        edit_plan_done(&p);
        (void) umount2(full, MNT_DETACH);

        /* A read-only file system: refused in the plan, not found once
         * Docker is stopped. */
        dir = path_join(root, "/etc/docker");
        ok(mount(dir, dir, NULL, MS_BIND, NULL) == 0 &&
                   mount(NULL, dir, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) == 0,
           "/etc/docker made read-only");
        check_refused("a read-only daemon.json", root, "/new", "/etc/docker/daemon.json cannot be written: it is on a read-only file system");
        (void) umount2(dir, MNT_DETACH);
        tree_remove(root);
        tree_remove(src);
}

/* Applies p the way the move does: every backup first, then the writes. */
static int apply_recorded(const EditPlan *p, const char *root, EditUndo *ret) {
        int r = edit_plan_backup(p, root, ret);

        return r < 0 ? r : edit_plan_write(p, root, ret);
}

static void remove_file(const char *root, const char *path) {
        _cleanup_free_ char *full = path_join(root, path);

        if (full)
                (void) unlink(full);
}

static mode_t mode_of(const char *root, const char *path) {
        _cleanup_free_ char *full = path_join(root, path);
        struct stat st;

        return full && stat(full, &st) == 0 ? st.st_mode & 07777 : (mode_t) -1;
}

static void test_revert(void) {
        char *root = tree_new("test-edit");
        const char *json = "{\n\t\"log-driver\":   \"journald\",\n\t\"data-root\": \"/old\"\n}\n";
        _cleanup_(edit_undo_done) EditUndo moved = {}, reverted = {};
        _cleanup_(edit_plan_done) EditPlan back = {};
        _cleanup_free_ char *refusal = NULL, *d = NULL, *diff = NULL, *j = NULL, *full = NULL;
        _cleanup_strv_free_ char **why = NULL;
        DockerConfig c = {};
        EditPlan p;

        /* No daemon.json: the change creates it, the revert removes it. */
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        ok(plan(root, "/new", &p, &refusal) == 0 && p.n == 1 && !p.edits[0].old, "the plan creates daemon.json (%s)",
           strna(refusal));
        /* /etc holds something else, so the write makes /etc/docker only. */
        tree_write(root, "/etc/hostname", "host\n");
        ok(apply_recorded(&p, root, &moved) == 0 && tree_exists(root, JSON), "applied with its record");
        edit_plan_done(&p);
        ok(moved.n == 1 && streq_ptr(moved.files[0].made_dir, "/etc/docker"),
           "the record names the directory the write made (%s)", strna(moved.n ? moved.files[0].made_dir : NULL));
        ok_int(edit_undo_plan_revert(&moved, root, NULL, &back, &why), 1, "every file as written: revertible");
        ok(back.n == 1 && streq(back.edits[0].path, JSON) && back.edits[0].old && !back.edits[0].new,
           "the revert removes the created file");
        ok(back.n == 1 && streq_ptr(back.edits[0].made_dir, "/etc/docker"), "and the directory its write made");
        ok(docker_config_load(root, INIT_UNKNOWN, NULL, &c) >= 0, "the configuration as the change left it");
        ok_int(edit_plan_verify(&back, &c, "/var/lib/docker", &refusal), 0,
               "the revert gives the default data root back (%s)", strna(refusal));
        docker_config_done(&c);
        ok(edit_plan_diff(&back, &diff) == 0 && strstr(diff, "+++ /dev/null") && strstr(diff, "-{"),
           "its diff shows the removal");
        ok(apply_recorded(&back, root, &reverted) == 0 && !tree_exists(root, JSON), "applied: daemon.json is gone");
        ok(!tree_exists(root, "/etc/docker") && tree_exists(root, "/etc/hostname"),
           "with /etc/docker, which the change made, and nothing above it");
        ok(reverted.n == 1 && reverted.files[0].backup && !reverted.files[0].new,
           "its own record keeps the removed content, with no new content");
        ok_int(edit_undo_restore(&reverted, root, NULL), 0, "the revert undone");
        j = tree_read(root, JSON);
        ok(j && strstr(j, "\"/new\""), "daemon.json is back as the change wrote it");
        ok_int(edit_undo_restore(&moved, root, NULL), 0, "and the change undone");
        ok(!tree_exists(root, JSON) && !tree_exists(root, "/etc/docker"), "no daemon.json and no /etc/docker, as before");

        /* A run killed after its write made /etc/docker, before the file
         * was in place: the undo removes the empty directory all the
         * same. */
        tree_write(root, "/etc/docker/x", "");
        remove_file(root, "/etc/docker/x");
        ok_int(edit_undo_restore(&moved, root, NULL), 0, "undone with the file never written");
        ok(!tree_exists(root, "/etc/docker"), "the directory made for it is gone");

        /* A directory the change made that holds something else by now
         * stays. */
        edit_undo_done(&moved);
        ok(plan(root, "/new", &p, &refusal) == 0 && apply_recorded(&p, root, &moved) == 0, "applied once more");
        edit_plan_done(&p);
        tree_write(root, "/etc/docker/key.json", "{}\n");
        ok_int(edit_undo_restore(&moved, root, NULL), 0, "undone once more");
        ok(!tree_exists(root, JSON) && tree_exists(root, "/etc/docker/key.json"),
           "daemon.json is gone, /etc/docker stays with what was put there since");
        edit_undo_done(&moved);
        edit_undo_done(&reverted);
        edit_plan_done(&back);
        tree_remove(root);

        /* An edited daemon.json: the old bytes and mode come back. */
        root = tree_new("test-edit");
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        tree_write(root, JSON, json);
        full = path_join(root, JSON);
        ok(full && chmod(full, 0640) == 0, "daemon.json is 0640");
        ok(plan(root, "/new", &p, &refusal) == 0 && p.n == 1 && p.edits[0].old, "the plan edits daemon.json");
        ok(apply_recorded(&p, root, &moved) == 0, "applied");
        edit_plan_done(&p);
        ok_int(edit_undo_plan_revert(&moved, root, NULL, &back, &why), 1, "revertible");
        ok(back.n == 1 && streq_ptr(back.edits[0].new, json), "the plan writes the old bytes");
        ok(edit_plan_write(&back, root, &moved) == 0, "written");
        j = mfree(j);
        j = tree_read(root, JSON);
        ok_streq(j, json, "daemon.json is byte-identical again");
        ok_int(mode_of(root, JSON), 0640, "with its mode");
        edit_plan_done(&back);

        /* Changed since: not revertible, and said why. */
        ok(apply_recorded(&(EditPlan){ .edits = &(FileEdit){ .path = (char *) JSON, .old = (char *) json,
                                                              .new = moved.files[0].new, .mode = 0644 },
                                       .n = 1 },
                          root, &reverted) == 0,
           "the change applied again");
        edit_undo_done(&reverted);
        tree_write(root, JSON, "{\"data-root\": \"/new\", \"debug\": true}\n");
        ok_int(edit_undo_plan_revert(&moved, root, NULL, &back, &why), 0, "a file edited since: not revertible");
        ok(back.n == 0 && strv_length(why) == 1 && strstr(why[0], JSON " was changed since"), "says which (%s)",
           why ? why[0] : "");
        why = strv_free(why);

        /* Read through an overlay (as before a killed rollback wrote): the
         * overlay is what counts. */
        {
                _cleanup_(source_set_done) SourceSet o = {};

                ok(source_set_overlay(&o, JSON, moved.files[0].new) == 0, "an overlay with the written content");
                ok_int(edit_undo_plan_revert(&moved, root, &o, &back, &why), 1, "revertible through the overlay");
                ok(back.n == 1 && streq_ptr(back.edits[0].old, moved.files[0].new), "from the overlay's content");
                edit_plan_done(&back);
        }

        remove_file(root, JSON);
        ok_int(edit_undo_plan_revert(&moved, root, NULL, &back, &why), 0, "a file removed since: not revertible");
        ok(strv_length(why) == 1 && strstr(why[0], "was removed since"), "says so (%s)", why ? why[0] : "");
        why = strv_free(why);

        tree_write(root, JSON, moved.files[0].new);
        remove_file(root, moved.files[0].backup);
        ok_int(edit_undo_plan_revert(&moved, root, NULL, &back, &why), 0, "its backup gone: not revertible");
        ok(strv_length(why) == 1 && strstr(why[0], "cannot be read"), "says so (%s)", why ? why[0] : "");
        why = strv_free(why);

        /* A record of an earlier version, without the new contents. */
        {
                _cleanup_(edit_undo_done) EditUndo old = {};

                ok(edit_undo_add(&old, JSON, NULL, NULL) == 0, "a record without new contents");
                ok_int(edit_undo_plan_revert(&old, root, NULL, &back, &why), 0, "cannot tell: not revertible");
                ok(strv_length(why) == 1 && strstr(why[0], "does not say"), "says so (%s)", why ? why[0] : "");
        }
        d = data_root_of(root);
        ok_streq(d, "/new", "none of this wrote a file");
        tree_remove(root);
}

int main(void) {
        test_refusals();
        test_verify();
        test_plans();
        test_apply_restore();
        test_apply_failure();
        test_revert();
        test_symlinked_files();
        test_quoted_values();
        test_targets();
        return tap_done();
}
