/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "store/containerd-runtime.h"
#include "store/image-store.h"
#include "store/namespaces.h"
#include "tap.h"
#include "tree.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

#define UNIT "/lib/systemd/system/docker.service"
#define CONTAINERD_UNIT "/lib/systemd/system/containerd.service"
#define DEBIAN_EXEC "[Service]\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n"
#define JSON "/etc/docker/daemon.json"

static EngineInfo *info_fixture(const char *name) {
        _cleanup_free_ char *dir = path_join(fixtures_dir(), "engine"), *p = path_join(dir, name), *json = NULL;
        EngineInfo *i = NULL;

        if (read_full_file(p, 0, &json, NULL) < 0 || engine_parse_info(json, &i) < 0)
                printf("# cannot read fixture %s\n", p);
        return i;
}

/* Detects on root with the Engine's answer (NULL: none) and version. */
static int detect(const char *root, const EngineInfo *info, const char *version, bool measure, ImageStoreInfo *ret) {
        _cleanup_(containerd_config_done) ContainerdConfig cc = {};
        DockerConfig c = {};
        int r;

        *ret = (ImageStoreInfo){};
        r = docker_config_load(root, INIT_SYSTEMD, NULL, &c);
        if (r >= 0)
                r = containerd_config_load(root, INIT_SYSTEMD, NULL, &cc);
        if (r >= 0)
                r = image_store_detect(&c, &cc, info, version, measure, ret);
        docker_config_done(&c);
        return r;
}

static bool has_warning(const ImageStoreInfo *i, const char *part) {
        STRV_FOREACH(w, i->warnings)
                if (strstr(*w, part))
                        return true;
        return false;
}

static void test_engine_sid(void) {
        char *root = tree_new("test-image-store");
        _cleanup_engine_info_ EngineInfo *a = info_fixture("info-sid-containerd.json"),
                                         *b = info_fixture("info-sid-overlay2.json"),
                                         *m = info_fixture("info-sid-managed.json");
        ImageStoreInfo i;

        tree_write(root, UNIT, DEBIAN_EXEC);
        tree_write(root, CONTAINERD_UNIT, "[Service]\nExecStart=/usr/bin/containerd\n");
        tree_write(root, JSON, "{\n  \"features\": {\n    \"containerd-snapshotter\": true\n  }\n}\n");
        tree_write(root, "/etc/containerd/config.toml", "version = 2\nroot = \"/srv/containerd\"\n");

        ok_int(detect(root, a, NULL, false, &i), 0, "sid, containerd store: detected");
        ok_int(i.store, IMAGE_STORE_CONTAINERD, "the containerd store");
        ok_streq(i.store_source, "the running Engine (GET /info)", "the Engine decides");
        ok_streq(i.driver_type, "io.containerd.snapshotter.v1", "driver-type");
        ok_int(i.containerd, CONTAINERD_SYSTEM, "the system containerd");
        ok_streq(i.containerd_socket, "/run/containerd/containerd.sock", "its socket, from /info");
        ok_streq(i.containerd_root, "/srv/containerd", "its root, from its config");
        ok_streq(i.containerd_state, "/run/containerd", "its state");
        ok_streq(i.containerd_namespace, "moby", "Docker's namespace");
        ok_int(i.n_trees, 2, "two trees");
        ok(i.n_trees == 2 && i.trees[0].move && streq(i.trees[0].path, "/var/lib/docker"), "the data root moves");
        ok(i.n_trees == 2 && i.trees[1].move && streq(i.trees[1].path, "/srv/containerd"),
           "the containerd root moves with it");
        ok_int(strv_length(i.warnings), 0, "no warning");
        image_store_info_done(&i);

        ok_int(detect(root, b, NULL, false, &i), 0, "sid, overlay2 running, the file asks for containerd: detected");
        ok_int(i.store, IMAGE_STORE_GRAPH_DRIVER, "the graph driver, as the Engine runs it");
        ok(has_warning(&i, "the next start of dockerd changes the image store"), "the coming change of store is said");
        ok(i.n_trees == 2 && !i.trees[1].move, "the containerd root holds no images of Docker's: not moved");
        image_store_info_done(&i);

        tree_write(root, UNIT,
                   "[Service]\nExecStart=/usr/sbin/dockerd --data-root /var/lib/docker-managed --exec-root "
                   "/run/docker-managed\n");
        ok_int(detect(root, m, NULL, false, &i), 0, "sid, dockerd's own containerd: detected");
        ok_int(i.containerd, CONTAINERD_MANAGED, "managed: its socket is under the exec root");
        ok_streq(i.containerd_root, "/var/lib/docker-managed/containerd/daemon", "root under the data root");
        ok_streq(i.containerd_state, "/run/docker-managed/containerd/daemon", "state under the exec root");
        ok(i.n_trees == 2 && !i.trees[1].move, "carried with the data root, not a tree of its own");
        image_store_info_done(&i);
        tree_remove(root);
}

static void test_offline_store(void) {
        char *root = tree_new("test-image-store");
        ImageStoreInfo i;

        tree_write(root, UNIT, DEBIAN_EXEC);
        tree_write(root, JSON, "{ \"features\": { \"containerd-snapshotter\": false } }\n");
        ok_int(detect(root, NULL, "29.1.0", false, &i), 0, "offline, the feature off");
        ok_int(i.store, IMAGE_STORE_GRAPH_DRIVER, "the feature forces the graph driver on Engine 29");
        ok(strstr(strempty(i.store_source), "daemon.json") != NULL, "says where (%s)", strna(i.store_source));
        image_store_info_done(&i);

        tree_write(root, JSON, "{}\n");
        ok_int(detect(root, NULL, "29.1.0", false, &i), 0, "offline, Engine 29, nothing set");
        ok_int(i.store, IMAGE_STORE_CONTAINERD, "Engine 29's default on an empty data root: containerd");
        image_store_info_done(&i);

        tree_mkdir(root, "/var/lib/docker/overlay2");
        ok_int(detect(root, NULL, "29.1.0", false, &i), 0, "offline, Engine 29, an empty overlay2/");
        ok_int(i.store, IMAGE_STORE_CONTAINERD, "an empty overlay2/ does not keep the graph driver");
        image_store_info_done(&i);

        tree_write(root, "/var/lib/docker/overlay2/l/ABC", "");
        ok_int(detect(root, NULL, "29.1.0", false, &i), 0, "offline, Engine 29, overlay2 layers");
        ok_int(i.store, IMAGE_STORE_GRAPH_DRIVER, "layers in overlay2/ keep the graph driver");
        ok(strstr(strempty(i.store_source), "overlay2 layers") != NULL, "says why (%s)", strna(i.store_source));
        image_store_info_done(&i);

        ok_int(detect(root, NULL, "28.5.2+dfsg4", false, &i), 0, "offline, Engine 28");
        ok_int(i.store, IMAGE_STORE_GRAPH_DRIVER, "Engine 28's default: the graph driver");
        image_store_info_done(&i);

        ok_int(detect(root, NULL, NULL, false, &i), 0, "offline, version unknown");
        ok_int(i.store, IMAGE_STORE_UNKNOWN, "unknown");
        ok(has_warning(&i, "not known"), "and said so");
        image_store_info_done(&i);

        tree_write(root, JSON, "{ \"storage-driver\": \"overlay2\" }\n");
        tree_remove(root);
        root = tree_new("test-image-store");
        tree_write(root, UNIT, DEBIAN_EXEC);
        tree_write(root, JSON, "{ \"storage-driver\": \"overlay2\" }\n");
        ok_int(detect(root, NULL, "29.0.0", false, &i), 0, "offline, Engine 29, storage-driver overlay2");
        ok_int(i.store, IMAGE_STORE_GRAPH_DRIVER, "a configured graph driver keeps it");
        image_store_info_done(&i);

        tree_write(root, UNIT,
                   "[Service]\nExecStart=/usr/sbin/dockerd -H fd:// --feature containerd-snapshotter "
                   "--containerd=/run/containerd/containerd.sock\n");
        tree_write(root, JSON, "{}\n");
        ok_int(detect(root, NULL, "27.0.0", false, &i), 0, "offline, --feature on the command line");
        ok_int(i.store, IMAGE_STORE_CONTAINERD, "--feature containerd-snapshotter");
        image_store_info_done(&i);
        tree_remove(root);
}

static void test_offline_containerd(void) {
        char *root = tree_new("test-image-store");
        ImageStoreInfo i;

        tree_write(root, UNIT, DEBIAN_EXEC);
        ok_int(detect(root, NULL, "28.0.0", false, &i), 0, "--containerd");
        ok_int(i.containerd, CONTAINERD_SYSTEM, "--containerd names the system containerd");
        ok_streq(i.containerd_source, "--containerd", "says so");
        ok_streq(i.containerd_root, "/var/lib/containerd", "the default root without a config.toml");
        image_store_info_done(&i);

        tree_write(root, UNIT, "[Service]\nExecStart=/usr/sbin/dockerd -H fd://\n");
        ok_int(detect(root, NULL, "28.0.0", false, &i), 0, "no --containerd, no containerd.service");
        ok_int(i.containerd, CONTAINERD_MANAGED, "dockerd's own containerd");
        ok_streq(i.containerd_socket, "/var/run/docker/containerd/containerd.sock", "its socket under the exec root");
        ok_streq(i.containerd_root, "/var/lib/docker/containerd/daemon", "its root under the data root");
        image_store_info_done(&i);

        tree_write(root, CONTAINERD_UNIT, "[Service]\nExecStart=/usr/bin/containerd --address /run/ctd.sock\n");
        ok_int(detect(root, NULL, "28.0.0", false, &i), 0, "no --containerd, a containerd.service");
        ok_int(i.containerd, CONTAINERD_SYSTEM, "the system containerd");
        ok(has_warning(&i, "listens on /run/ctd.sock"), "its other socket is said");
        image_store_info_done(&i);

        tree_write(root, JSON, "{ \"features\": { \"embedded-containerd\": true } }\n");
        ok_int(detect(root, NULL, "29.7.0", false, &i), 0, "the embedded containerd");
        ok_int(i.containerd, CONTAINERD_EMBEDDED, "embedded");
        ok_streq(i.containerd_root, "/var/lib/docker/containerd", "root <data-root>/containerd");
        image_store_info_done(&i);
        tree_remove(root);
}

static void test_sizes(void) {
        char *root = tree_new("test-image-store");
        ImageStoreInfo i;

        tree_write(root, UNIT, DEBIAN_EXEC);
        tree_write(root, JSON, "{ \"features\": { \"containerd-snapshotter\": true } }\n");
        tree_write(root, "/var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/aa", "0123456789");
        tree_write(root, "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs/f", "abcde");
        tree_write(root, "/var/lib/docker/containers/c/config.v2.json", "{}");
        ok_int(detect(root, NULL, "28.5.2", true, &i), 0, "measured");
        ok(i.n_trees == 2 && i.trees[0].measured && i.trees[0].size.apparent_bytes >= 2, "the data root is measured");
        ok(i.n_trees == 2 && i.trees[1].exists && i.trees[1].measured, "the containerd root is measured");
        ok(i.n_trees == 2 && i.trees[1].size.inodes == 10, "every directory and file of it (%llu)",
           (unsigned long long) (i.n_trees == 2 ? i.trees[1].size.inodes : 0));
        image_store_info_done(&i);
        tree_remove(root);
}

static void test_names(void) {
        _cleanup_strv_free_ char **l = NULL, **e = NULL;
        ContainerdNamespace busy = { .name = (char *) "k8s.io", .content = 3 },
                            idle = { .name = (char *) "default" },
                            unknown = { .name = (char *) "x", .images = CONTAINERD_NS_UNKNOWN };

        ok_int(containerd_parse_names("moby\r\n\nk8s.io  \n  plugins.moby", &l), 0, "ctr -q output");
        ok(strv_length(l) == 3 && streq(l[0], "moby") && streq(l[1], "k8s.io") && streq(l[2], "plugins.moby"),
           "names, trimmed, blank lines skipped");
        ok_int(containerd_parse_names("", &e), 0, "no namespace");
        ok(e && strv_length(e) == 0, "an empty list");
        ok(containerd_namespace_in_use(&busy) && !containerd_namespace_in_use(&idle) &&
                   containerd_namespace_in_use(&unknown),
           "in use: content held, or not known");
        ok_int(image_store_engine_major("29.0.1"), 29, "major of 29.0.1");
        ok_int(image_store_engine_major("v28.5.2+dfsg4"), 28, "major of v28.5.2+dfsg4");
        ok_int(image_store_engine_major("dev"), 0, "no major");
}

/* The root a containerd runs on is the one whose metadata database its
 * process holds open: here this very process listens on a socket and holds
 * such a file open, as containerd does. */
static void test_running_root(void) {
        char *t = tree_new("running-root");
        _cleanup_free_ char *sock = path_join(t, "containerd.sock"), *db = NULL, *root = NULL, *got = NULL,
                            *missing = path_join(t, "none.sock");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int lfd, dbfd = -1;

        root = path_join(t, "var/lib/containerd");
        db = path_join(root, "io.containerd.metadata.v1.bolt/meta.db");
        ok(tree_write(t, "var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db", "bolt") >= 0, "a metadata database");
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
        ok(lfd >= 0 && bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) == 0 && listen(lfd, 4) == 0, "a listening socket");
        ok_int(containerd_running_root(sock, &got), -ENODATA, "a listener without the database open: no root");
        dbfd = open(db, O_RDONLY | O_CLOEXEC);
        ok(dbfd >= 0 && containerd_running_root(sock, &got) >= 0, "with the database open: its root");
        ok_streq(got, root, "the directory above io.containerd.metadata.v1.bolt/");
        ok(containerd_running_root(missing, &got) < 0, "no socket: an error");
        if (dbfd >= 0)
                close(dbfd);
        if (lfd >= 0)
                close(lfd);
        tree_remove(t);
}

/* What a stopped containerd left behind: a task directory per running
 * container, per namespace. */
static void test_leftover_tasks(void) {
        char *t = tree_new("leftover");
        _cleanup_free_ char *list = NULL;
        _cleanup_strv_free_ char **tasks = NULL;

        ok(containerd_leftover_tasks(t, &tasks) >= 0 && tasks && strv_length(tasks) == 0, "no runtime dirs: none");
        tasks = strv_free(tasks);
        ok(tree_write(t, "io.containerd.runtime.v2.task/moby/.keep", "") >= 0 &&
                   tree_write(t, "io.containerd.runtime.v2.task/plugins.moby/.keep", "") >= 0 &&
                   containerd_leftover_tasks(t, &tasks) >= 0 && strv_length(tasks) == 0,
           "empty namespace directories: none");
        tasks = strv_free(tasks);
        ok(tree_write(t, "io.containerd.runtime.v2.task/moby/abc123/config.json", "{}") >= 0 &&
                   tree_write(t, "io.containerd.runtime.v2.task/k8s.io/def456/config.json", "{}") >= 0 &&
                   tree_write(t, "io.containerd.runtime.v1.linux/moby/old789/state", "") >= 0 &&
                   containerd_leftover_tasks(t, &tasks) >= 0,
           "tasks of two namespaces and of v1");
        list = strv_join(tasks, " ");
        ok_streq(list, "k8s.io/def456 moby/abc123 moby/old789", "each, as NAMESPACE/ID, sorted");
        tree_remove(t);
}

/* A plugin's own directory holds files, or only directories. */
static void test_dir_holds_files(void) {
        char *t = tree_new("holds-files");
        _cleanup_free_ char *opt = path_join(t, "opt"), *none = path_join(t, "none");

        ok(tree_mkdir(t, "opt/bin") >= 0 && tree_mkdir(t, "opt/lib") >= 0 && dir_holds_files(opt) == 0,
           "directories only (what containerd's opt plugin makes): no files");
        ok(tree_write(t, "opt/bin/tool", "#!/bin/sh\n") >= 0 && dir_holds_files(opt) == 1,
           "a file in a subdirectory counts");
        ok(dir_holds_files(none) == 0, "a missing directory holds none");
        tree_remove(t);
}

/* With the Engine down, its version comes from the dockerd the service
 * runs, asked in "/", not from the one in PATH. */
static void test_dockerd_version(void) {
        char *root = tree_new("test-image-store");
        _cleanup_free_ char *saved = strdup(getenv("PATH") ?: "/usr/bin:/bin"), *path = NULL, *bin = NULL,
                            *version = NULL;
        DockerConfig c = {};
        int r;

        bin = path_join(root, "/path-bin");
        if (!bin || asprintf(&path, "%s:%s", bin, saved) < 0 || tree_mkdir(root, "/path-bin") < 0 ||
            tree_mkdir(root, "/usr/bin") < 0)
                abort();
        tree_write(root, "/path-bin/dockerd", "#!/bin/sh\necho 'Docker version 20.10.24+dfsg1, build 297e128'\n");
        tree_write(root, "/usr/bin/dockerd",
                   "#!/bin/sh\n[ \"$(pwd -P)\" = / ] || exit 3\necho 'Docker version 27.3.1, build ce12230'\n");
        tree_write(root, "/lib/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        {
                _cleanup_free_ char *a = path_join(root, "/path-bin/dockerd"), *b = path_join(root, "/usr/bin/dockerd");
                if (!a || !b || chmod(a, 0755) < 0 || chmod(b, 0755) < 0)
                        abort();
        }
        setenv("PATH", path, 1);
        r = docker_config_load(root, INIT_SYSTEMD, NULL, &c);
        ok_int(r, 0, "dockerd version: the configuration loads");
        ok_int(image_store_dockerd_version(&c, 10 * 1000, &version), 0, "dockerd version: asked");
        ok_streq(version, "27.3.1", "dockerd version: of the dockerd the unit runs, asked in /, not PATH's");
        docker_config_done(&c);
        setenv("PATH", saved, 1);
        tree_remove(root);
}

int main(void) {
        test_engine_sid();
        test_offline_store();
        test_offline_containerd();
        test_sizes();
        test_names();
        test_running_root();
        test_leftover_tasks();
        test_dir_holds_files();
        test_dockerd_version();
        return tap_done();
}
