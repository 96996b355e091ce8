/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Docker from the snap and rootless Docker, recognised from the files of
 * the fixture trees (and of small trees written here), and the refusal
 * with the steps by hand for each kind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/docker-config.h"
#include "config/install-kind.h"
#include "tap.h"
#include "tree.h"
#include "util/macro.h"
#include "util/strv.h"

static char *fixture(const char *name) {
        char *root = NULL;

        if (asprintf(&root, "%s/config/%s/tree", fixtures_dir(), name) < 0)
                abort();
        return root;
}

static void load(const char *name, DockerConfig *ret) {
        _cleanup_free_ char *root = fixture(name);

        if (docker_config_load(root, INIT_UNKNOWN, NULL, ret) < 0)
                abort();
        /* c->root points at the caller's string; nothing below reads it. */
        ret->root = NULL;
}

/* The refusal of a host, with this target (NULL: the placeholder). */
static char *refusal_of(const DockerConfig *c, const char *new_root, const char *first) {
        char *r = NULL;

        if (docker_installs_refusal(&c->installs, c->install, c->service_file, new_root, first, &r) != -ECANCELED)
                return NULL;
        return r;
}

static bool has(const char *s, const char *what) {
        return s && strstr(s, what);
}

static bool warned(const DockerConfig *c, const char *what) {
        STRV_FOREACH(w, c->warnings)
                if (strstr(*w, what))
                        return true;
        return false;
}

static void test_snap(void) {
        _cleanup_(docker_config_done) DockerConfig c = {};
        _cleanup_free_ char *r = NULL;
        const DockerInstall *i;

        load("snap", &c);
        ok_int(c.install, INSTALL_SNAP, "snap: the kind is the snap");
        ok_int(c.installs.n, 1, "snap: one install found");
        i = docker_installs_find(&c.installs, INSTALL_SNAP);
        ok(i && i->snap_option, "snap: this revision reads the option data-root");
        ok_streq(i ? i->data_root : NULL, "/mnt/data/docker", "snap: data root from snapd's state");
        ok_streq(i ? i->data_root_source : NULL, "snap option data-root", "snap: set by the option");
        ok_streq(i ? i->config_file : NULL, SNAP_DOCKER_CONFIG, "snap: the snap's daemon.json");
        ok(i && i->config_exists, "snap: daemon.json exists");
        ok_streq(i ? i->service : NULL, SNAP_DOCKER_UNIT, "snap: its unit");
        ok(!warned(&c, "refuses to start"), "snap: no conflict in the snap's daemon.json");

        r = refusal_of(&c, "/mnt/docker-data/docker", "docker-relocate prepare /dev/xvdf --mount /mnt/docker-data");
        ok(r != NULL, "snap: refused");
        ok(has(r, "1) docker-relocate prepare /dev/xvdf --mount /mnt/docker-data;"), "snap: the volume first");
        ok(has(r, "2) snap stop docker;"), "snap: snap stop docker");
        ok(has(r, "rsync -aHAXS --numeric-ids /mnt/data/docker/ /mnt/docker-data/docker/"), "snap: the copy");
        ok(has(r, "snap set docker data-root=/mnt/docker-data/docker"), "snap: snap set data-root");
        ok(has(r, "snap start docker"), "snap: snap start docker");
        ok(has(r, "not data-root in " SNAP_DOCKER_CONFIG), "snap: says why not its daemon.json");
        ok(!has(r, "snap refresh"), "snap: no refresh needed");
        ok(strstr(r ?: "", "snap stop") < strstr(r ?: "", "rsync") &&
                   strstr(r ?: "", "rsync") < strstr(r ?: "", "snap set") &&
                   strstr(r ?: "", "snap set") < strstr(r ?: "", "snap start"),
           "snap: stop, copy, set, start in that order");
}

static void test_snap_old(void) {
        _cleanup_(docker_config_done) DockerConfig c = {};
        _cleanup_free_ char *r = NULL;
        const DockerInstall *i;

        load("snap-old", &c);
        i = docker_installs_find(&c.installs, INSTALL_SNAP);
        ok_int(c.install, INSTALL_SNAP, "snap-old: the kind is the snap");
        ok(i && !i->snap_option, "snap-old: the wrapper fixes the data root");
        ok_streq(i ? i->data_root : NULL, SNAP_DOCKER_DEFAULT_DATA_ROOT, "snap-old: the snap's default data root");
        ok(warned(&c, SNAP_DOCKER_CONFIG " sets data-root (/mnt/docker)"),
           "snap-old: data-root in the snap's daemon.json is a conflict");
        r = refusal_of(&c, NULL, NULL);
        ok(has(r, "1) snap refresh docker"), "snap-old: refresh first");
        ok(has(r, "snap set docker data-root=NEW_DATA_ROOT"), "snap-old: a placeholder without a target");
}

static void test_snap_and_system(void) {
        _cleanup_(docker_config_done) DockerConfig c = {};
        _cleanup_free_ char *r = NULL;

        load("snap-and-system", &c);
        ok_int(c.install, INSTALL_SNAP, "snap-and-system: the snap decides");
        r = refusal_of(&c, "/data/docker", NULL);
        ok(has(r, "installed twice") && has(r, "/lib/systemd/system/docker.service") && has(r, "snap remove docker"),
           "snap-and-system: refused, naming both");
}

static void test_rootless(void) {
        _cleanup_(docker_config_done) DockerConfig c = {};
        _cleanup_free_ char *r = NULL;
        const DockerInstall *a, *b;

        load("rootless", &c);
        ok_int(c.install, INSTALL_ROOTLESS, "rootless: the kind is rootless");
        ok_int(c.installs.n, 2, "rootless: alice and carol (bob has none)");
        a = c.installs.n > 0 ? &c.installs.items[0] : NULL;
        b = c.installs.n > 1 ? &c.installs.items[1] : NULL;
        ok_streq(a ? a->user : NULL, "alice", "rootless: alice first");
        ok_streq(a ? a->data_root : NULL, "/srv/alice-docker", "rootless: alice's data root from daemon.json");
        ok_streq(a ? a->data_root_source : NULL, "/home/alice/.config/docker/daemon.json", "rootless: alice's source");
        ok_streq(a ? a->socket : NULL, "/run/user/1000/docker.sock", "rootless: alice's socket");
        ok_streq(a ? a->service : NULL, "/home/alice/.config/systemd/user/docker.service", "rootless: alice's unit");
        ok_streq(b ? b->user : NULL, "carol", "rootless: carol");
        ok_streq(b ? b->data_root : NULL, "/srv/carol-docker", "rootless: carol's data root from her unit");
        ok(b && b->data_root_flag, "rootless: carol's is a flag");
        ok(b && !b->config_exists, "rootless: carol has no daemon.json");

        r = refusal_of(&c, "/data/docker", NULL);
        ok(has(r, "as alice: systemctl --user stop docker"), "rootless: stop as the user");
        ok(has(r, "as root: rsync -aHAXS --numeric-ids /srv/alice-docker/ /data/docker/alice/"),
           "rootless: copy as root, one directory a user");
        ok(has(r, "set \"data-root\": \"/data/docker/alice\" in /home/alice/.config/docker/daemon.json"),
           "rootless: alice's daemon.json");
        ok(has(r, "change --data-root to /data/docker/carol in /home/carol/.config/systemd/user/docker.service"),
           "rootless: carol's unit");
        ok(has(r, "as carol: systemctl --user start docker"), "rootless: start as the user");
}

static void test_rootless_system(void) {
        _cleanup_(docker_config_done) DockerConfig c = {};
        const DockerInstall *a;

        load("rootless-system", &c);
        a = docker_installs_find(&c.installs, INSTALL_ROOTLESS);
        ok_int(c.install, INSTALL_SYSTEM, "rootless-system: the system's Docker is the one acted on");
        ok_streq(a ? a->data_root : NULL, "/home/alice/.local/share/docker", "rootless-system: the default");
        ok(warned(&c, "User alice also runs rootless Docker"), "rootless-system: warned");
        ok(refusal_of(&c, "/data/docker", NULL) == NULL, "rootless-system: not refused");
}

static void test_written(void) {
        char *root = tree_new("test-install-kind");
        DockerInstalls is = {};

        /* A user unit that runs something other than dockerd-rootless,
         * and root's own: neither is rootless Docker. */
        tree_write(root, "/etc/passwd",
                   "root:x:0:0:root:/root:/bin/sh\ndave:x:1003:1003::/home/dave:/bin/sh\n");
        tree_write(root, "/root/.config/systemd/user/docker.service",
                   "[Service]\nExecStart=/usr/bin/dockerd-rootless.sh\n");
        tree_write(root, "/home/dave/.config/systemd/user/docker.service", "[Service]\nExecStart=/usr/bin/sleep 1\n");
        ok(docker_installs_detect(root, &is) == 0 && is.n == 0, "written: no rootless Docker");
        ok_int(docker_installs_kind(&is, false), INSTALL_NONE, "written: none");
        ok_int(docker_installs_kind(&is, true), INSTALL_SYSTEM, "written: the system's");
        docker_installs_done(&is);

        /* Only the unit snapd writes, and a daemon.json dockerd cannot read. */
        tree_write(root, SNAP_DOCKER_UNIT, "[Service]\nExecStart=/usr/bin/snap run docker.dockerd\n");
        tree_write(root, SNAP_DOCKER_CONFIG, "{ \"log-level\": ");
        ok(docker_installs_detect(root, &is) == 0 && is.n == 1, "written: the snap from its unit");
        ok(is.n == 1 && is.items[0].snap_option, "written: without the wrapper, the current snap assumed");
        ok(is.n == 1 && streq(is.items[0].data_root, SNAP_DOCKER_DEFAULT_DATA_ROOT),
           "written: without snapd's state, the default");
        ok(strv_length(is.warnings) == 1 && strstr(is.warnings[0], "not valid JSON"), "written: invalid JSON warned");
        docker_installs_done(&is);
        tree_remove(root);

        ok_streq(install_kind_to_string(INSTALL_SNAP), "snap", "name snap");
        ok_streq(install_kind_to_string(INSTALL_ROOTLESS), "rootless", "name rootless");
        ok_streq(install_kind_to_string(INSTALL_SYSTEM), "system", "name system");
        ok_streq(install_kind_to_string(INSTALL_NONE), "none", "name none");
}

int main(void) {
        test_snap();
        test_snap_old();
        test_snap_and_system();
        test_rootless();
        test_rootless_system();
        test_written();
        return tap_done();
}
