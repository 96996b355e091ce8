/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/engine.h"
#include "tap.h"
#include "util/curl-util.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"

static char *fixture(const char *name) {
        _cleanup_free_ char *dir = path_join(fixtures_dir(), "engine"), *p = path_join(dir, name);
        char *data = NULL;

        if (read_full_file(p, 0, &data, NULL) < 0) {
                printf("# cannot read fixture %s\n", p);
                return NULL;
        }
        return data;
}

static const char *status_value(char *const *l, const char *key) {
        for (size_t k = 0; l && l[k] && l[k + 1]; k += 2)
                if (streq(l[k], key))
                        return l[k + 1];
        return NULL;
}

static void test_info(void) {
        _cleanup_free_ char *json = fixture("info.json"), *json2 = fixture("info-containerd-store.json");
        _cleanup_engine_info_ EngineInfo *i = NULL, *j = NULL;

        ok(engine_parse_info(json, &i) == 0, "parse /info of Engine 20.10");
        if (!i)
                return;
        ok_streq(i->docker_root_dir, "/var/lib/docker", "DockerRootDir");
        ok_streq(i->driver, "overlay2", "Driver");
        ok_streq(i->server_version, "20.10.24+dfsg1", "ServerVersion");
        ok_streq(status_value(i->driver_status, "Backing Filesystem"), "extfs", "DriverStatus pairs kept");
        ok_int(strv_length(i->driver_status), 8, "four DriverStatus pairs");
        ok(!i->live_restore, "live restore off");
        ok_streq(i->swarm_state, "inactive", "swarm inactive");
        ok(!i->swarm_manager, "not a manager");
        ok(!i->containerd_store, "graph driver store, not containerd's");

        ok(engine_parse_info(json2, &j) == 0, "parse /info with the containerd image store");
        if (!j)
                return;
        ok(j->containerd_store, "containerd snapshotter recognised from driver-type");
        ok(j->live_restore, "live restore on");
        ok(j->swarm_manager, "manager");
        ok_streq(j->swarm_state, "active", "swarm active");
        ok_streq(j->docker_root_dir, "/srv/docker", "DockerRootDir");

        _cleanup_json_ cJSON *o = engine_info_to_json(j);
        ok(o && cJSON_IsTrue(cJSON_GetObjectItem(o, "containerd_store")), "to JSON");
}

/* What Engine 28.5 answered on Debian sid (tests/vm/scenarios/sid-smoke.sh
 * recorded it): the containerd store with the system containerd, the same
 * with dockerd's own containerd, and the graph driver. */
static void test_info_sid(void) {
        _cleanup_free_ char *a = fixture("info-sid-containerd.json"), *b = fixture("info-sid-managed.json"),
                            *c = fixture("info-sid-overlay2.json"), *old = fixture("info.json");
        _cleanup_engine_info_ EngineInfo *i = NULL, *j = NULL, *k = NULL, *l = NULL;

        ok(engine_parse_info(a, &i) == 0, "parse /info of Engine 28 on the containerd store");
        if (!i)
                return;
        ok_streq(i->driver, "overlayfs", "Driver: the snapshotter");
        ok_streq(i->driver_type, "io.containerd.snapshotter.v1", "DriverStatus driver-type");
        ok(i->containerd_store, "the containerd store");
        ok_streq(i->containerd_address, "/run/containerd/containerd.sock", "Containerd.Address: the system containerd");
        ok_streq(i->containerd_namespace, "moby", "Containerd.Namespaces.Containers");
        ok_streq(i->containerd_plugins_namespace, "plugins.moby", "Containerd.Namespaces.Plugins");
        ok_streq(i->server_version, "28.5.2+dfsg4", "ServerVersion");

        ok(engine_parse_info(b, &j) == 0, "parse /info with dockerd's own containerd");
        if (j)
                ok_streq(j->containerd_address, "/run/docker-managed/containerd/containerd.sock",
                         "Containerd.Address under the exec root");

        ok(engine_parse_info(c, &k) == 0, "parse /info of Engine 28 on overlay2");
        if (k) {
                ok(!k->containerd_store && !k->driver_type, "no driver-type on the graph driver");
                ok_streq(k->driver, "overlay2", "Driver overlay2");
                ok_streq(k->containerd_address, "/run/containerd/containerd.sock", "the system containerd all the same");
        }

        ok(engine_parse_info(old, &l) == 0, "parse /info of Engine 20.10");
        if (l)
                ok(!l->containerd_address && !l->containerd_namespace, "no Containerd object before API 1.46");

        _cleanup_json_ cJSON *o = engine_info_to_json(i);
        ok(o && cJSON_IsString(cJSON_GetObjectItem(o, "containerd_address")) &&
                   streq(cJSON_GetObjectItem(o, "driver_type")->valuestring, "io.containerd.snapshotter.v1"),
           "the new fields in JSON");
}

static void test_bad_answers(void) {
        EngineInfo *i = NULL;
        char **l = NULL;
        EngineContainers *c = NULL;

        ok_int(engine_parse_info("not json", &i), -EPROTO, "garbage info → EPROTO");
        ok_int(engine_parse_info("{\"Driver\":\"overlay2\"}", &i), -EPROTO, "info without DockerRootDir → EPROTO");
        ok_int(engine_parse_info("{\"DockerRootDir\":\"/x\",\"DriverStatus\":[[1,2]]}", &i), -EPROTO,
               "malformed DriverStatus → EPROTO");
        ok_int(engine_parse_images("{}", &l), -EPROTO, "images not an array → EPROTO");
        ok_int(engine_parse_images("[{\"Id\":1}]", &l), -EPROTO, "image id not a string → EPROTO");
        ok_int(engine_parse_containers("[{\"Id\":\"x\"}]", &c), -EPROTO, "container without State → EPROTO");
        ok_int(engine_parse_volumes("[]", &l), -EPROTO, "volumes not an object → EPROTO");
        ok(i == NULL && l == NULL && c == NULL, "no output written on failure");
}

static void test_lists(void) {
        _cleanup_free_ char *images = fixture("images.json"), *containers = fixture("containers.json"),
                            *volumes = fixture("volumes.json"), *inspect = fixture("container-inspect.json"),
                            *policy = NULL, *empty = NULL;
        _cleanup_strv_free_ char **il = NULL, **vl = NULL, **none = NULL;
        _cleanup_engine_containers_ EngineContainers *cl = NULL;

        ok(engine_parse_images(images, &il) == 0, "parse images");
        ok_int(strv_length(il), 2, "two images");
        ok(il && strcmp(il[0], il[1]) < 0, "image ids sorted");
        ok(il && strv_contains(il, "sha256:84b8c797f0334bfb19b08708192673b5012f8effdb87880f8f912b8635dff159"),
           "the committed image's id");

        ok(engine_parse_containers(containers, &cl) == 0, "parse containers");
        ok_int(cl ? cl->n : 0, 3, "three containers");
        if (cl && cl->n == 3) {
                ok(strcmp(cl->items[0].id, cl->items[1].id) < 0 && strcmp(cl->items[1].id, cl->items[2].id) < 0,
                   "containers sorted by id");
                /* Sorted order: 6593… running, b69c… layered-src, bd18… stopped. */
                ok_streq(cl->items[0].name, "relocate-running", "name without '/'");
                ok_streq(cl->items[0].state, "running", "state running");
                ok_streq(cl->items[2].name, "relocate-stopped", "stopped container");
                ok_streq(cl->items[2].state, "exited", "state exited");
                ok(cl->items[0].restart_policy == NULL, "policy not filled by the list");

                _cleanup_strv_free_ char **all = NULL, **running = NULL, **paused = NULL;
                ok(engine_containers_ids(cl, NULL, &all) == 0 && strv_length(all) == 3, "all ids");
                ok(all && streq(all[0], cl->items[0].id), "ids in list order");
                ok(engine_containers_ids(cl, "running", &running) == 0 && strv_length(running) == 1 &&
                           streq(running[0], cl->items[0].id),
                   "the running one");
                ok(engine_containers_ids(cl, "paused", &paused) == 0 && paused && !paused[0], "none paused");
        }

        ok(engine_parse_volumes(volumes, &vl) == 0, "parse volumes");
        ok(vl && strv_length(vl) == 1 && streq(vl[0], "relocate-vol"), "the one volume");
        ok(engine_parse_volumes("{\"Volumes\":null,\"Warnings\":null}", &none) == 0 && strv_length(none) == 0,
           "\"Volumes\": null is the empty list");

        ok(engine_parse_restart_policy(inspect, &policy) == 0, "parse inspect");
        ok_streq(policy, "unless-stopped", "restart policy");
        ok(engine_parse_restart_policy("{\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"\"}}}", &empty) == 0,
           "empty policy");
        ok_streq(empty, "no", "empty policy reads as no");

        int t = 0;
        ok(engine_parse_stop_timeout("{\"Config\":{\"StopTimeout\":3,\"StopSignal\":\"SIGINT\"}}", &t) == 0 && t == 3,
           "a container's own stop timeout: %d", t);
        ok(engine_parse_stop_timeout("{\"Config\":{\"Image\":\"x\"}}", &t) == 0 && t == 10,
           "none set: the daemon's default, 10 s (%d)", t);
        ok(engine_parse_stop_timeout("{\"Config\":{\"StopTimeout\":-1}}", &t) == 0 && t == -1,
           "-1: wait for ever (%d)", t);
        ok(engine_parse_stop_timeout("{\"HostConfig\":{}}", &t) == -EPROTO, "no Config: -EPROTO");
}

static void test_error_message(void) {
        _cleanup_free_ char *m = engine_parse_error_message("{\"message\":\"No such container: nonexistent\"}");
        _cleanup_free_ char *n = engine_parse_error_message("<html>");

        ok_streq(m, "No such container: nonexistent", "Engine error message");
        ok(n == NULL, "no message in a non-JSON body");
}

static void test_host(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        char *d = NULL;

        ok(engine_socket_from_host("unix:///run/user/docker.sock", &a) == 0, "unix:// host");
        ok_streq(a, "/run/user/docker.sock", "socket path from unix://");
        ok(engine_socket_from_host("fd://", &b) == 0, "fd:// host");
        ok_streq(b, ENGINE_DEFAULT_SOCKET, "socket activation uses the default socket");
        ok(engine_socket_from_host("unix://", &c) == 0 && streq(c, ENGINE_DEFAULT_SOCKET), "bare unix://");
        ok_int(engine_socket_from_host("tcp://127.0.0.1:2375", &d), -EPROTONOSUPPORT, "tcp:// refused");
        ok_int(engine_socket_from_host("unix://relative", &d), -EINVAL, "relative unix path refused");
}

/* Real sockets, no daemon: what a caller sees when dockerd is down or hung. */
static void test_no_daemon(void) {
        char tmpl[] = "/tmp/test-engine-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *missing = path_join(dir, "missing.sock"), *stale = path_join(dir, "stale.sock"),
                            *hung = path_join(dir, "hung.sock");
        _cleanup_engine_ Engine *e1 = NULL, *e2 = NULL, *e3 = NULL;
        _cleanup_free_ char *err = NULL, *wait_err = NULL;
        _cleanup_close_ int s1 = -1, s2 = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        unsigned long long t0;
        int r;

        ok(engine_new(missing, 2000, &e1) == 0, "client");
        ok_int(engine_ping(e1, &err), -ENOENT, "no socket file → ENOENT");
        ok(err && strstr(err, "GET /_ping") && strstr(err, missing), "error text: %s", strna(err));

        /* A socket file nobody listens on: bound, then never listen(). */
        s1 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", stale);
        ok(bind(s1, (struct sockaddr *) &sa, sizeof(sa)) == 0, "bind stale socket");
        ok(engine_new(stale, 2000, &e2) == 0, "client");
        ok_int(engine_ping(e2, NULL), -ECONNREFUSED, "socket without a listener → ECONNREFUSED");

        /* Listening but never answering: the timeout must end the request. */
        s2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", hung);
        ok(bind(s2, (struct sockaddr *) &sa, sizeof(sa)) == 0 && listen(s2, 4) == 0, "listening socket");
        ok(engine_new(hung, 300, &e3) == 0, "client");
        t0 = now_ms();
        r = engine_ping(e3, NULL);
        ok_int(r, -ETIMEDOUT, "hung daemon → ETIMEDOUT");
        ok(now_ms() - t0 < 3000, "request bounded by its timeout");
        t0 = now_ms();
        ok_int(engine_wait_ready(e3, 800, &wait_err), -ETIMEDOUT, "wait_ready gives up");
        ok(wait_err && strstr(wait_err, "within 800 ms"), "and says why: %s", strna(wait_err));
        ok(now_ms() - t0 < 3000, "wait bounded (%llu ms)", now_ms() - t0);
        ok_int(engine_container_start(e3, "../../info", NULL), -EINVAL, "id that would change the path refused");

        unlink(missing);
        unlink(stale);
        unlink(hung);
        rmdir(dir);
}

/* The HTTP statuses of the Engine and of the instance metadata, as errno
 * values the callers tell apart. */
static void test_http_errno(void) {
        ok_int(curl_util_http_errno(404), -ENOENT, "HTTP 404: no such object");
        ok_int(curl_util_http_errno(409), -EBUSY, "HTTP 409: a conflict");
        ok_int(curl_util_http_errno(401), -EACCES, "HTTP 401: refused");
        ok_int(curl_util_http_errno(403), -EACCES, "HTTP 403: refused (an authorization plugin)");
        ok_int(curl_util_http_errno(500), -EIO, "HTTP 500: the server failed");
        ok_int(curl_util_http_errno(503), -EIO, "HTTP 503 too");
        ok_int(curl_util_http_errno(400), -EPROTO, "HTTP 400: not what the API documents");
        ok_int(curl_util_http_errno(302), -EPROTO, "HTTP 302 too");
}

int main(void) {
        test_http_errno();
        test_info();
        test_info_sid();
        test_bad_answers();
        test_lists();
        test_error_message();
        test_host();
        test_no_daemon();
        return tap_done();
}
