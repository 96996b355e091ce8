/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "config/docker-config.h"
#include "tap.h"
#include "tree.h"
#include "util/macro.h"
#include "util/strv.h"

#define UNIT "/lib/systemd/system/docker.service"
#define JSON "/etc/docker/daemon.json"

static bool any_mentions(char **l, const char *a, const char *b) {
        STRV_FOREACH(m, l)
                if (strstr(*m, a) && (!b || strstr(*m, b)))
                        return true;
        return false;
}

/* A tree with docker.service running exec_start and, when json is not NULL,
 * that daemon.json. */
static char *make_tree(const char *exec_start, const char *json) {
        char *root = tree_new("test-docker-config");
        _cleanup_free_ char *unit = NULL;

        if (asprintf(&unit, "[Service]\nExecStart=%s\n", exec_start) < 0)
                abort();
        tree_write(root, UNIT, unit);
        if (json)
                tree_write(root, JSON, json);
        return root;
}

static int load(const char *root, DockerConfig *c) {
        int r = docker_config_load(root, INIT_UNKNOWN, NULL, c);
        ok(r == 0, "load %s", root);
        return r;
}

static void test_data_root_sources(void) {
        DockerConfig c = {};
        char *root;

        root = make_tree("/usr/bin/dockerd -H fd://", NULL);
        load(root, &c);
        ok(c.init == INIT_SYSTEMD, "a unit file: systemd");
        ok_streq(c.data_root, DOCKER_DEFAULT_DATA_ROOT, "default data root");
        ok(c.via == DATA_ROOT_DEFAULT && streq(c.data_root_source, "default"), "via default");
        ok(!c.json_exists && strv_length(c.conflicts) == 0, "no JSON, no conflicts");
        ok_streq(c.socket, DOCKER_DEFAULT_SOCKET, "fd:// means the default socket");
        ok_streq(c.json_path, JSON, "the default JSON path");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd", "{ \"data-root\": \"/srv/json\", \"storage-driver\": \"overlay2\" }");
        load(root, &c);
        ok_streq(c.data_root, "/srv/json", "data root from daemon.json");
        ok(c.via == DATA_ROOT_DAEMON_JSON && streq(c.data_root_source, JSON), "via daemon.json");
        ok_streq(c.storage_driver, "overlay2", "storage driver from daemon.json");
        ok(c.json_exists && c.json_valid, "JSON valid");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd --data-root /srv/flag -s btrfs", NULL);
        load(root, &c);
        ok_streq(c.data_root, "/srv/flag", "data root from a flag");
        ok(c.via == DATA_ROOT_FLAG && streq(c.data_root_source, UNIT), "via flag, in the unit file");
        ok_streq(c.storage_driver, "btrfs", "storage driver from -s");
        docker_config_done(&c);
        tree_remove(root);

        /* Through an EnvironmentFile. */
        root = make_tree("/usr/bin/dockerd $DOCKER_OPTS", NULL);
        tree_write(root, "/etc/systemd/system/docker.service.d/env.conf",
                   "[Service]\nEnvironmentFile=/etc/default/docker\n");
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/env\"\n");
        load(root, &c);
        ok_streq(c.data_root, "/srv/env", "data root from an env file");
        ok_streq(c.data_root_source, "/etc/default/docker", "the env file is the source");
        ok(strv_contains(c.env_files, "/etc/default/docker"), "the env file is listed as read");
        ok(!any_mentions(c.warnings, "nothing that starts dockerd reads", NULL), "a read env file is no warning");
        docker_config_done(&c);
        tree_remove(root);

        /* The file named with specifiers (%N: the unit's name without its
         * suffix), as systemd expands them. */
        root = make_tree("/usr/bin/dockerd $DOCKER_OPTS", NULL);
        tree_write(root, "/etc/systemd/system/docker.service.d/env.conf",
                   "[Service]\nEnvironmentFile=-/etc/default/%N\n");
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/env\"\n");
        load(root, &c);
        ok_streq(c.data_root, "/srv/env", "EnvironmentFile=-/etc/default/%%N reads /etc/default/docker");
        ok(!any_mentions(c.warnings, "nothing that starts dockerd reads", NULL), "… which is no unread file");
        docker_config_done(&c);
        tree_write(root, "/etc/systemd/system/docker.service.d/env.conf",
                   "[Service]\nEnvironmentFile=-/etc/default/%H\n");
        load(root, &c);
        ok(any_mentions(c.warnings, "EnvironmentFile=-/etc/default/%H: a specifier", NULL),
           "a specifier not known here is said");
        ok(any_mentions(c.unprovable, "EnvironmentFile=-/etc/default/%H: a specifier", NULL),
           "… and nothing that depends on it counts as proved (a change is refused)");
        docker_config_done(&c);
        tree_remove(root);

        /* The same in ExecStart=: %S is /var/lib for systemd's own
         * manager, but only systemd says so. */
        root = make_tree("/usr/bin/dockerd --data-root=%S/docker", NULL);
        load(root, &c);
        ok(any_mentions(c.unprovable, UNIT ":2: ExecStart= word '--data-root=%S/docker', the value of --data-root",
                        NULL),
           "a specifier of the running system in the data root is unprovable, with file and line");
        ok(any_mentions(c.warnings, UNIT ":2: ExecStart= word '--data-root=%S/docker'", NULL), "… and said");
        ok_streq(c.data_root, "%S/docker", "… the data root read as written");
        docker_config_done(&c);
        tree_remove(root);
        /* In the value of a flag that does not decide it, it is that
         * value: the data root is known. */
        root = make_tree("/usr/bin/dockerd -H fd:// --label host=%H --data-root /srv/docker", NULL);
        load(root, &c);
        ok(strv_length(c.unprovable) == 0, "a label with %%H: proved (%s)", strna(c.unprovable ? c.unprovable[0] : NULL));
        ok_streq(c.data_root, "/srv/docker", "… the data root is known");
        ok(c.via == DATA_ROOT_FLAG, "… from the flag");
        docker_config_done(&c);
        tree_remove(root);
        root = make_tree("/usr/bin/dockerd --data-root=/srv/%N\\x2d%%", NULL);
        load(root, &c);
        ok_streq(c.data_root, "/srv/docker-%", "a specifier of the unit's name and an escape: as systemd reads them");
        ok(strv_length(c.unprovable) == 0, "… which is proved");
        docker_config_done(&c);
        tree_remove(root);

        /* '@': the word after the program is the argv[0] dockerd is
         * given, no flag, whatever it looks like. */
        root = make_tree("@/usr/bin/dockerd dockerd -H fd:// --data-root /srv/d", NULL);
        load(root, &c);
        ok_streq(c.data_root, "/srv/d", "'@': the data root from the flag after argv[0]");
        ok(c.argv.n == 5 && streq(c.argv.words[0].text, "/usr/bin/dockerd") && streq(c.argv.words[1].text, "-H"),
           "… argv[0] is no argument (%zu words)", c.argv.n);
        ok(c.flags.first_arg == 1 && c.flags.n == 2, "… the flags begin after it");
        docker_config_done(&c);
        tree_remove(root);
        root = make_tree("@/usr/bin/dockerd -g/srv/argv0 -H fd://", NULL);
        load(root, &c);
        ok_streq(c.data_root, DOCKER_DEFAULT_DATA_ROOT, "'@': an argv[0] that looks like -g sets nothing");
        ok(!any_mentions(c.warnings, "graph option", NULL), "… and is no removed option");
        docker_config_done(&c);
        tree_remove(root);
        root = make_tree("@/usr/bin/dockerd dockerd-%H --data-root /srv/d", NULL);
        load(root, &c);
        ok(strv_length(c.unprovable) == 0, "'@': a specifier in argv[0] does not matter (%s)",
           strna(c.unprovable ? c.unprovable[0] : NULL));
        docker_config_done(&c);
        tree_remove(root);

        /* UnsetEnvironment= takes the variable away before systemd expands
         * ExecStart=: dockerd gets no --data-root. */
        root = make_tree("/usr/bin/dockerd $DOCKER_OPTS", NULL);
        tree_write(root, "/etc/systemd/system/docker.service.d/env.conf",
                   "[Service]\nEnvironmentFile=/etc/default/docker\n");
        tree_write(root, "/etc/systemd/system/docker.service.d/unset.conf",
                   "[Service]\nUnsetEnvironment=OTHER DOCKER_OPTS=--other\n");
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/env\"\n");
        load(root, &c);
        ok_streq(c.data_root, "/srv/env", "UnsetEnvironment=NAME=VALUE with another value leaves it");
        docker_config_done(&c);
        tree_write(root, "/etc/systemd/system/docker.service.d/unset.conf",
                   "[Service]\nUnsetEnvironment=OTHER DOCKER_OPTS\n");
        load(root, &c);
        ok_streq(c.data_root, DOCKER_DEFAULT_DATA_ROOT, "UnsetEnvironment=DOCKER_OPTS: the default data root");
        docker_config_done(&c);
        tree_write(root, "/etc/systemd/system/docker.service.d/zz-reset.conf", "[Service]\nUnsetEnvironment=\n");
        load(root, &c);
        ok_streq(c.data_root, "/srv/env", "an empty UnsetEnvironment= resets the list");
        docker_config_done(&c);
        tree_remove(root);

        /* SysV: the init script and /etc/default/docker. */
        root = tree_new("test-docker-config");
        tree_write(root, "/etc/init.d/docker",
                   "#!/bin/sh\nBASE=docker\nDOCKERD=/usr/bin/dockerd\nDOCKER_OPTS=\n"
                   "if [ -f /etc/default/$BASE ]; then\n\t. /etc/default/$BASE\nfi\n"
                   "start-stop-daemon --start --exec \"$DOCKERD\" -- $DOCKER_OPTS\n");
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"-g /srv/sysv\"\n");
        load(root, &c);
        ok(c.init == INIT_SYSV, "an init script: sysv");
        ok_streq(c.data_root, "/srv/sysv", "data root from DOCKER_OPTS");
        ok_streq(c.data_root_source, "/etc/default/docker", "in /etc/default/docker");
        ok(any_mentions(c.warnings, "graph option", NULL), "-g is reported as removed");
        ok(strv_length(c.conflicts) == 0, "no conflict");
        docker_config_done(&c);
        tree_remove(root);
}

static void test_conflicts(void) {
        DockerConfig c = {};
        char *root;

        root = make_tree("/usr/bin/dockerd -H unix:///run/flag.sock", "{\n  \"hosts\": [\"tcp://127.0.0.1:2375\"]\n}\n");
        load(root, &c);
        ok(any_mentions(c.conflicts, "'hosts'", "--host"), "-H and \"hosts\" conflict");
        ok_streq(c.socket, "/run/flag.sock", "socket from -H unix://");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd --data-root /a", "{\"data-root\": \"/b\"}");
        load(root, &c);
        ok(any_mentions(c.conflicts, "'data-root'", "/b"), "data-root as flag and in daemon.json conflict");
        ok_streq(c.data_root, "/a", "the flag is reported as the data root");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd", "{\"graph\": \"/g\", \"data-root\": \"/d\"}");
        load(root, &c);
        ok(any_mentions(c.conflicts, "Both data-root", NULL), "graph and data-root both in daemon.json conflict");
        ok(any_mentions(c.warnings, "removed in Docker Engine 23", NULL), "graph is reported as removed");
        ok_streq(c.data_root, "/d", "data-root wins over graph");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd -g /g", "{\"data-root\": \"/d\"}");
        load(root, &c);
        ok(any_mentions(c.conflicts, "Both data-root", NULL), "-g and data-root conflict");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd", "{\"graph\": \"/g\"}");
        load(root, &c);
        ok(strv_length(c.conflicts) == 0, "a lone graph is no conflict");
        ok_streq(c.data_root, "/g", "graph is the data root");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd --config-file /etc/docker/missing.json", NULL);
        load(root, &c);
        ok(any_mentions(c.conflicts, "--config-file", "/etc/docker/missing.json"),
           "--config-file naming a missing file is a conflict");
        ok(c.json_path_from_flag, "the JSON path came from the flag");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd --config-file=/etc/docker/other.json", "{\"data-root\": \"/not-read\"}");
        tree_write(root, "/etc/docker/other.json", "{\"data-root\": \"/other\"}");
        load(root, &c);
        ok_streq(c.json_path, "/etc/docker/other.json", "--config-file is followed");
        ok_streq(c.data_root, "/other", "data root from that file");
        ok(strv_length(c.conflicts) == 0, "no conflict with --config-file (it has no JSON twin)");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd --config-file etc/docker/relative.json", NULL);
        tree_write(root, "/etc/docker/relative.json", "{\"data-root\": \"/relative\"}");
        ok(docker_config_load(root, INIT_UNKNOWN, NULL, &c) == 0, "a relative --config-file is no error");
        ok_streq(c.json_path, "/etc/docker/relative.json", "it is resolved against /");
        ok_streq(c.data_root, "/relative", "and read");
        ok(any_mentions(c.warnings, "relative path", NULL), "with a warning");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd", "{\n  \"data-root\": \"/x\",\n}\n");
        load(root, &c);
        ok(c.json_exists && !c.json_valid, "invalid JSON");
        ok(c.json_error && strstr(c.json_error, JSON ":3:"), "the error names file and line (%s)",
           strna(c.json_error));
        ok(any_mentions(c.warnings, "refuses to start", NULL), "and is a warning");
        ok_streq(c.data_root, DOCKER_DEFAULT_DATA_ROOT, "invalid JSON sets nothing");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd", "{\"debug\": true, \"debug\": false}");
        load(root, &c);
        ok(any_mentions(c.warnings, "\"debug\" 2 times", NULL), "a duplicate JSON key is a warning");
        docker_config_done(&c);
        tree_remove(root);
}

static void test_warnings(void) {
        DockerConfig c = {};
        char *root;

        root = make_tree("/usr/bin/dockerd $OPTIONS", NULL);
        tree_write(root, "/etc/systemd/system/docker.service.d/env.conf",
                   "[Service]\nEnvironmentFile=/etc/sysconfig/docker\nEnvironmentFile=-/etc/sysconfig/docker-storage\n");
        load(root, &c);
        ok(any_mentions(c.warnings, "/etc/sysconfig/docker,", "does not exist"),
           "a missing EnvironmentFile= is a warning");
        ok(!any_mentions(c.warnings, "docker-storage", NULL), "a missing optional (-) one is not");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd", NULL);
        tree_write(root, "/etc/sysconfig/docker", "OPTIONS='--data-root /unread'\n");
        load(root, &c);
        ok(any_mentions(c.warnings, "/etc/sysconfig/docker sets OPTIONS", NULL), "an env file nothing reads");
        ok_streq(c.data_root, DOCKER_DEFAULT_DATA_ROOT, "its settings have no effect");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd --data-root /var/lib/docker", NULL);
        tree_mkdir(root, "/srv/real");
        tree_mkdir(root, "/var/lib");
        tree_symlink(root, "/var/lib/docker", "/srv/real");
        load(root, &c);
        ok_streq(c.data_root_resolved, "/srv/real", "the data root's symlink is resolved inside the root");
        ok(any_mentions(c.warnings, "through a symlink", NULL), "and reported");
        docker_config_done(&c);
        tree_remove(root);

        root = tree_new("test-docker-config");
        tree_write(root, "/lib/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd\n");
        tree_symlink(root, "/etc/systemd/system/docker.service", "/dev/null");
        load(root, &c);
        ok(any_mentions(c.warnings, "masked", NULL), "a masked unit is a warning");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd", NULL);
        tree_write(root, "/etc/systemd/system/docker.service.d/x.conf", "[Service]\nExecStart=/usr/bin/dockerd -D\n");
        load(root, &c);
        ok(any_mentions(c.warnings, "2 ExecStart= lines", NULL), "a drop-in that adds a second ExecStart=");
        docker_config_done(&c);
        tree_remove(root);
}

static void test_misc(void) {
        DockerConfig c = {};
        char *root;

        root = make_tree("/usr/bin/dockerd -H fd://",
                         "{\"hosts\": [\"fd://\", \"unix:///var/run/alt.sock\"], \"live-restore\": true,"
                         " \"features\": {\"containerd-snapshotter\": true}}");
        load(root, &c);
        ok_streq(c.socket, "/var/run/alt.sock", "socket from \"hosts\"");
        ok(c.live_restore, "live-restore from daemon.json");
        ok(c.containerd_snapshotter, "containerd snapshotter from features");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd --live-restore", "{\"features\": {\"containerd-snapshotter\": false}}");
        load(root, &c);
        ok(c.live_restore, "live-restore from a flag");
        ok(!c.containerd_snapshotter, "snapshotter off");
        docker_config_done(&c);
        tree_remove(root);

        root = make_tree("/usr/bin/dockerd --live-restore=false", "{}");
        load(root, &c);
        ok(!c.live_restore, "--live-restore=false");
        docker_config_done(&c);
        tree_remove(root);
}

static void test_overlay(void) {
        DockerConfig c = {};
        SourceSet overlay = {};
        char *root = make_tree("/usr/bin/dockerd", "{\"data-root\": \"/disk\"}\n");
        _cleanup_free_ char *before = tree_read(root, JSON), *after = NULL;

        ok(source_set_overlay(&overlay, JSON, "{\"data-root\": \"/planned\"}") == 0, "overlay daemon.json");
        ok(docker_config_load(root, INIT_UNKNOWN, &overlay, &c) == 0, "load with the overlay");
        ok_streq(c.data_root, "/planned", "the overlay stands in for the file");
        docker_config_done(&c);
        after = tree_read(root, JSON);
        ok_streq(after, before, "the file on disk is untouched");

        ok(docker_config_load(root, INIT_UNKNOWN, NULL, &c) == 0 && streq(c.data_root, "/disk"),
           "without the overlay: the disk");
        docker_config_done(&c);

        /* A planned drop-in that does not exist yet. */
        ok(source_set_overlay(&overlay, "/etc/systemd/system/docker.service.d/90-x.conf",
                              "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --data-root /dropin\n") == 0,
           "overlay a new drop-in");
        ok(source_set_overlay(&overlay, JSON, "{}") == 0, "a later overlay of the same path wins");
        ok(docker_config_load(root, INIT_UNKNOWN, &overlay, &c) == 0, "load");
        ok_streq(c.data_root, "/dropin", "the planned drop-in is applied");
        ok(strv_contains(c.dropins, "/etc/systemd/system/docker.service.d/90-x.conf"), "and listed");
        ok(strv_length(c.conflicts) == 0, "no conflict with the emptied daemon.json");
        ok(!tree_exists(root, "/etc/systemd/system/docker.service.d"), "nothing was created on disk");
        docker_config_done(&c);

        /* NULL content: as if deleted. */
        ok(source_set_overlay(&overlay, JSON, NULL) == 0, "overlay a deletion");
        ok(docker_config_load(root, INIT_UNKNOWN, &overlay, &c) == 0 && !c.json_exists, "daemon.json reads as missing");
        docker_config_done(&c);
        ok(tree_exists(root, JSON), "and still exists on disk");

        source_set_done(&overlay);
        tree_remove(root);
}

/* Absolute links inside a tree lead to the tree's files, never the host's. */
static void test_symlinks(void) {
        DockerConfig c = {};
        char *root;

        root = make_tree("/usr/bin/dockerd $DOCKER_OPTS", NULL);
        tree_write(root, "/etc/systemd/system/docker.service.d/env.conf",
                   "[Service]\nEnvironmentFile=/etc/default/docker\n");
        tree_write(root, "/srv/docker-relocate-conf/docker.env", "DOCKER_OPTS=\"--data-root /from-link\"\n");
        tree_symlink(root, "/etc/default/docker", "/srv/docker-relocate-conf/docker.env");
        load(root, &c);
        ok_streq(c.data_root, "/from-link", "an env file behind an absolute link is read inside the root");
        ok(!any_mentions(c.warnings, "does not exist", NULL), "and is not missing");
        docker_config_done(&c);
        tree_remove(root);

        root = tree_new("test-docker-config");
        tree_write(root, "/opt/docker-relocate-units/docker.service",
                   "[Service]\nExecStart=/usr/bin/dockerd --data-root /linked-unit\n");
        tree_symlink(root, "/etc/systemd/system/docker.service", "/opt/docker-relocate-units/docker.service");
        tree_write(root, "/lib/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd\n");
        load(root, &c);
        ok_streq(c.service_file, "/etc/systemd/system/docker.service", "a linked unit in /etc is the unit");
        ok_streq(c.data_root, "/linked-unit", "read from the link's target inside the root");
        docker_config_done(&c);

        tree_write(root, "/srv/docker-relocate-dropins/10-x.conf",
                   "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --data-root /linked-dropin\n");
        tree_symlink(root, "/etc/systemd/system/docker.service.d", "/srv/docker-relocate-dropins");
        load(root, &c);
        ok_streq(c.data_root, "/linked-dropin", "a drop-in directory behind an absolute link");
        docker_config_done(&c);
        tree_remove(root);
}

/* What systemd has loaded, as the service layer hands it over: the loader
 * itself reads files only. */
static void test_loaded_unit(void) {
        char *const exec[] = {(char *) "/usr/bin/dockerd", (char *) "-g", (char *) "/old", NULL};
        LoadedUnit stale = {.fragment_path = UNIT, .need_daemon_reload = true, .exec_start = exec},
                   elsewhere = {.fragment_path = "/etc/systemd/system/other.service"};
        DockerConfig c = {};
        char *root = make_tree("/usr/bin/dockerd -H fd://", NULL);

        ok(docker_config_load_full(root, INIT_UNKNOWN, NULL, NULL, &c) == 0, "load without systemd's view");
        ok(!c.from_bus && !c.bus_exec_start && !any_mentions(c.warnings, "daemon-reload", NULL),
           "nothing of systemd's is reported");
        docker_config_done(&c);

        ok(docker_config_load_full(root, INIT_UNKNOWN, NULL, &stale, &c) == 0, "load with a stale unit");
        ok(c.from_bus && any_mentions(c.warnings, "changed on disk since systemd loaded it", "daemon-reload"),
           "a unit changed without daemon-reload is a warning");
        ok(strv_equal(c.bus_exec_start, exec), "the ExecStart= systemd runs is kept");
        docker_config_done(&c);

        ok(docker_config_load_full(root, INIT_UNKNOWN, NULL, &elsewhere, &c) == 0, "load with another fragment");
        ok(any_mentions(c.warnings, "systemd loaded docker.service from /etc/systemd/system/other.service", UNIT),
           "a unit loaded from another file is a warning");
        docker_config_done(&c);
        tree_remove(root);
}

/* OpenRC's start runs "eval start-stop-daemon ... -- $command_args": the
 * options in command_args are read by sh once more. The expected words are
 * what dash prints for "eval p -- $command_args" after sourcing the same
 * /etc/conf.d/docker and init script. */
#define OPENRC_SCRIPT                                          \
        "#!/sbin/openrc-run\n"                                 \
        "command=\"${DOCKERD_BINARY:-/usr/bin/dockerd}\"\n"     \
        "pidfile=\"${DOCKER_PIDFILE:-/run/${RC_SVCNAME}.pid}\"\n" \
        "command_args=\"-p \\\"${pidfile}\\\" ${DOCKER_OPTS}\"\n"

static char *openrc_words(const char *confd, const char *script, DockerConfig *c) {
        char *root = tree_new("test-docker-config");
        _cleanup_strv_free_ char **v = NULL;
        char *w;

        tree_write(root, "/etc/init.d/docker", script ?: OPENRC_SCRIPT);
        tree_write(root, "/etc/conf.d/docker", confd);
        ok(docker_config_load(root, INIT_OPENRC, NULL, c) == 0, "openrc: load");
        tree_remove(root);
        v = word_list_to_strv(&c->argv);
        w = v ? strv_join(v, "|") : NULL;
        return w;
}

static void test_openrc_eval(void) {
        DockerConfig c = {};
        char *w;

        w = openrc_words("DOCKER_OPTS=\"--data-root '/srv/my  docker' --log-level=warn # note\"\n", NULL, &c);
        ok_streq(w, "dockerd|--data-root|/srv/my docker|--log-level=warn",
                 "openrc: quotes inside DOCKER_OPTS are honoured, blanks joined, a '#' word a comment");
        ok_streq(c.data_root, "/srv/my docker", "openrc: the data root as OpenRC passes it");
        ok(strv_length(c.unprovable) == 0, "openrc: proved (%s)", strna(c.unprovable ? c.unprovable[0] : NULL));
        free(w);
        docker_config_done(&c);

        w = openrc_words("BASE=/srv\nDOCKER_OPTS='--data-root $BASE/docker -H unix:///run/${RC_SVCNAME}.sock "
                         "--label a\\\\b --label \"\"'\n",
                         NULL, &c);
        ok_streq(w, "dockerd|--data-root|/srv/docker|-H|unix:///run/docker.sock|--label|a\\b|--label|",
                 "openrc: variables expanded again, backslashes and empty quotes read by eval");
        ok(strv_length(c.unprovable) == 0, "openrc: proved (%s)", strna(c.unprovable ? c.unprovable[0] : NULL));
        free(w);
        docker_config_done(&c);

        w = openrc_words("DOCKER_OPTS='--data-root $(cat /etc/docker-root)'\n", NULL, &c);
        ok(any_mentions(c.unprovable, "/etc/conf.d/docker:1:26: $DOCKER_OPTS: command substitution", NULL),
           "openrc: a command substitution eval would run is unprovable, at its position (%s)",
           strna(c.unprovable ? c.unprovable[0] : NULL));
        free(w);
        docker_config_done(&c);

        w = openrc_words("DOCKER_OPTS='--data-root ${DOCKER_ROOT}'\n", NULL, &c);
        ok(any_mentions(c.unprovable, "/etc/conf.d/docker:1:26: $DOCKER_OPTS: a variable this program does not know",
                        NULL),
           "openrc: a variable set nowhere here is unprovable (%s)", strna(c.unprovable ? c.unprovable[0] : NULL));
        free(w);
        docker_config_done(&c);

        /* A start() of its own: whether it evaluates the options again is
         * not known; only options both readings agree on are proved. */
        w = openrc_words("DOCKER_OPTS=\"--data-root '/srv/docker'\"\n",
                         OPENRC_SCRIPT "start() {\n\tstart-stop-daemon --start --exec $command -- $command_args\n}\n",
                         &c);
        ok(any_mentions(c.unprovable, "$DOCKER_OPTS: the init script has a start() of its own", NULL),
           "openrc: a start() of its own, and readings that differ: unprovable");
        free(w);
        docker_config_done(&c);
        w = openrc_words("DOCKER_OPTS=\"--data-root /srv/docker\"\n",
                         OPENRC_SCRIPT "start() {\n\tstart-stop-daemon --start --exec $command -- $command_args\n}\n",
                         &c);
        ok_streq(w, "dockerd|--data-root|/srv/docker", "openrc: … plain options read alike either way");
        ok(strv_length(c.unprovable) == 0, "openrc: … and proved");
        free(w);
        docker_config_done(&c);

        /* openrc-run sources /etc/conf.d/docker before the script: the
         * script's assignment sees DOCKER_OPTS and has the last word. */
        w = openrc_words("DOCKER_OPTS=\"--data-root /srv/docker\"\nLEVEL=debug\n",
                         "#!/sbin/openrc-run\n"
                         "LEVEL=warn\n"
                         "DOCKER_OPTS=\"${DOCKER_OPTS} --log-level=${LEVEL}\"\n"
                         "command_args=\"${DOCKER_OPTS}\"\n",
                         &c);
        ok_streq(w, "dockerd|--data-root|/srv/docker|--log-level=warn",
                 "openrc: /etc/conf.d/docker first, then the script's own assignments");
        free(w);
        docker_config_done(&c);

        /* openrc-run has the service's name set when it sources them. */
        w = openrc_words("DOCKER_OPTS=\"--data-root /srv/${RC_SVCNAME} --label=$SVCNAME\"\n", NULL, &c);
        ok_streq(w, "dockerd|--data-root|/srv/docker|--label=docker", "openrc: $RC_SVCNAME and $SVCNAME are docker");
        free(w);
        docker_config_done(&c);
}

int main(void) {
        test_data_root_sources();
        test_conflicts();
        test_warnings();
        test_misc();
        test_overlay();
        test_symlinks();
        test_loaded_unit();
        test_openrc_eval();
        return tap_done();
}
