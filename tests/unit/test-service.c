/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "service/service.h"
#include "service/systemd.h"
#include "tap.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"

/* sd-bus builds messages only on an open bus. One end of a socketpair is
 * enough: the bus is "open" (authenticating) and nothing is ever sent. */
static int offline_bus(sd_bus **ret, int *ret_peer) {
        sd_bus *bus = NULL;
        int fds[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0)
                return -errno;
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fds[0], fds[0]);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        *ret = bus;
        *ret_peer = fds[1];
        return 0;
}

/* A message carrying an ExecStart value exactly as systemd marshals the
 * property, built on an unconnected bus and sealed so it can be read back. */
static sd_bus_message *exec_start_message(void) {
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL;
        int peer = -1;
        const char *argv1[] = { "/usr/sbin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock",
                                NULL };
        const char *argv2[] = { "/usr/bin/dockerd", "--data-root", "/mnt/docker-data/docker", NULL };
        int r;

        r = offline_bus(&bus, &peer);
        if (r < 0)
                goto out;
        r = sd_bus_message_new_method_call(bus, &m, "org.example", "/org/example", "org.example.I", "M");
        if (r < 0)
                goto out;
        if ((r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(sasbttttuii)")) < 0)
                goto out;
        /* Two entries: a drop-in that clears ExecStart= and sets a new one
         * still yields one; two ExecStart= lines in a oneshot yield two. */
        if ((r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "sasbttttuii")) < 0 ||
            (r = sd_bus_message_append(m, "s", argv1[0])) < 0 ||
            (r = sd_bus_message_append_strv(m, (char **) argv1)) < 0 ||
            (r = sd_bus_message_append(m, "bttttuii", 0, UINT64_C(1), UINT64_C(2), UINT64_C(3), UINT64_C(4), 123U,
                                       1, 0)) < 0 ||
            (r = sd_bus_message_close_container(m)) < 0)
                goto out;
        if ((r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "sasbttttuii")) < 0 ||
            (r = sd_bus_message_append(m, "s", argv2[0])) < 0 ||
            (r = sd_bus_message_append_strv(m, (char **) argv2)) < 0 ||
            (r = sd_bus_message_append(m, "bttttuii", 1, UINT64_C(0), UINT64_C(0), UINT64_C(0), UINT64_C(0), 0U, 0,
                                       0)) < 0 ||
            (r = sd_bus_message_close_container(m)) < 0)
                goto out;
        if ((r = sd_bus_message_close_container(m)) < 0)
                goto out;
        /* Files: "-/etc/default/docker" (optional) and a required one. */
        if ((r = sd_bus_message_append(m, "a(sb)", 2, "/etc/default/docker", 1, "/etc/sysconfig/docker", 0)) < 0)
                goto out;
        if ((r = sd_bus_message_seal(m, 1, 0)) < 0)
                goto out;
        r = sd_bus_message_rewind(m, true);
out:
        sd_bus_close_unref(bus);
        if (peer >= 0)
                close(peer);
        if (r < 0) {
                printf("# building the message failed: %s\n", strerror(-r));
                return sd_bus_message_unref(m);
        }
        return m;
}

static void test_exec_start(void) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = exec_start_message();
        SystemdExecCommand *c = NULL;
        SystemdEnvironmentFile *f = NULL;
        size_t n = 0, nf = 0;
        _cleanup_free_ char *j1 = NULL, *j2 = NULL;

        ok(m != NULL, "message with a(sasbttttuii) and a(sb)");
        if (!m)
                return;
        ok(systemd_parse_exec_commands(m, &c, &n) == 0, "decode ExecStart");
        ok_int(n, 2, "two command lines");
        if (n == 2) {
                j1 = strv_join(c[0].argv, " ");
                j2 = strv_join(c[1].argv, " ");
                ok_streq(c[0].path, "/usr/sbin/dockerd", "path of the first");
                ok_streq(j1, "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",
                         "argv of the first, argv[0] included");
                ok(!c[0].ignore_failure, "first: failure counts");
                ok_streq(j2, "/usr/bin/dockerd --data-root /mnt/docker-data/docker", "argv of the second");
                ok(c[1].ignore_failure, "second: '-' prefix");
        }
        systemd_exec_commands_free(c, n);

        ok(systemd_parse_environment_files(m, &f, &nf) == 0, "decode EnvironmentFiles after it");
        ok_int(nf, 2, "two files");
        if (nf == 2) {
                ok_streq(f[0].path, "/etc/default/docker", "first file");
                ok(f[0].optional, "first optional");
                ok_streq(f[1].path, "/etc/sysconfig/docker", "second file");
                ok(!f[1].optional, "second required");
        }
        systemd_environment_files_free(f, nf);
}

static void test_exec_start_wrong_type(void) {
        sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        SystemdExecCommand *c = NULL;
        size_t n = 0;
        int peer = -1;

        ok(offline_bus(&bus, &peer) >= 0, "bus object");
        ok(sd_bus_message_new_method_call(bus, &m, "org.example", "/org/example", "org.example.I", "M") >= 0 &&
                   sd_bus_message_append(m, "as", 1, "x") >= 0 && sd_bus_message_seal(m, 1, 0) >= 0 &&
                   sd_bus_message_rewind(m, true) >= 0,
           "message of another type");
        ok(systemd_parse_exec_commands(m, &c, &n) < 0 && c == NULL, "wrong signature refused");
        sd_bus_close_unref(bus);
        if (peer >= 0)
                close(peer);
}

static void test_states(void) {
        ok_int(service_state_from_active_state("active"), SERVICE_ACTIVE, "active");
        ok_int(service_state_from_active_state("deactivating"), SERVICE_ACTIVE, "deactivating still runs");
        ok_int(service_state_from_active_state("inactive"), SERVICE_INACTIVE, "inactive");
        ok_int(service_state_from_active_state("failed"), SERVICE_FAILED, "failed");
        ok_int(service_state_from_active_state("bogus"), SERVICE_UNKNOWN, "unknown");
        ok_streq(service_state_to_string(SERVICE_FAILED), "failed", "to string");
}

static void test_pidfile(void) {
        char tmpl[] = "/tmp/test-service-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *pf = path_join(dir, "x.pid"), *comm = NULL, *cpath = NULL;
        char buf[32];
        pid_t pid = 0, child;
        int st;

        ok_int(service_pidfile_alive(pf, NULL, NULL), 0, "missing pidfile: not alive");

        snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
        ok(write_file_atomic(pf, buf, strlen(buf), 0644) == 0, "pidfile with our PID");
        ok_int(service_pidfile_alive(pf, NULL, &pid), 1, "live PID");
        ok_int(pid, getpid(), "PID returned");
        ok_int(service_pidfile_alive(pf, "surely-not-this", NULL), 0, "PID of another program is stale");
        if (asprintf(&cpath, "/proc/%d/comm", (int) getpid()) > 0 && read_full_file(cpath, 0, &comm, NULL) == 0) {
                comm[strcspn(comm, "\n")] = '\0';
                ok_int(service_pidfile_alive(pf, comm, NULL), 1, "our own comm matches");
        }

        /* A PID that existed and is gone. */
        child = fork();
        if (child == 0)
                _exit(0);
        waitpid(child, &st, 0);
        snprintf(buf, sizeof(buf), "%d", (int) child);
        ok(write_file_atomic(pf, buf, strlen(buf), 0644) == 0, "pidfile of an exited child");
        ok_int(service_pidfile_alive(pf, NULL, NULL), 0, "dead PID: not alive");

        ok(write_file_atomic(pf, "garbage", 7, 0644) == 0, "garbage pidfile");
        ok_int(service_pidfile_alive(pf, NULL, NULL), 0, "garbage: not alive");

        unlink(pf);
        rmdir(dir);
}

static void test_run_tool(void) {
        char *bg[] = { (char *) "sh", (char *) "-c", (char *) "sleep 30 & echo started $!; echo oops >&2; exit 3",
                       NULL };
        char *slow[] = { (char *) "sleep", (char *) "30", NULL };
        char *missing[] = { (char *) "surely-no-such-tool-here", NULL };
        _cleanup_free_ char *out = NULL;
        unsigned long long t0 = now_ms();
        int status = -1;
        long child;

        /* Like an init script that starts a daemon which keeps its output. */
        ok(service_run_tool(bg, 10000, &out, &status) == 0, "tool that leaves a child holding its output");
        ok(now_ms() - t0 < 5000, "… returns when the tool exits, not when the child does (%llu ms)", now_ms() - t0);
        ok_int(status, 3, "exit status");
        ok(out && startswith(out, "started ") && strstr(out, "oops"), "stdout and stderr captured");
        if (out && sscanf(out, "started %ld", &child) == 1 && child > 1)
                (void) kill((pid_t) child, SIGKILL); /* the sleep we started */

        t0 = now_ms();
        ok_int(service_run_tool(slow, 300, NULL, &status), -ETIMEDOUT, "a hung tool times out");
        ok(now_ms() - t0 < 6000, "… within its bound (%llu ms)", now_ms() - t0);

        ok(service_run_tool(missing, 5000, NULL, &status) == 0 && status == 127, "a missing tool is status 127");
}

static void test_no_init(void) {
        _cleanup_free_ char *err = NULL;

        ok_int(service_stop_docker(INIT_UNKNOWN, false, 1000, &err), -EOPNOTSUPP, "unknown init refused");
        ok(err && strlen(err) > 0, "with a message: %s", strna(err));
        ok_int(service_daemon_reload(INIT_SYSV, 1000, NULL), 0, "daemon-reload is a no-op off systemd");
}

int main(void) {
        test_exec_start();
        test_exec_start_wrong_type();
        test_states();
        test_pidfile();
        test_run_tool();
        test_no_init();
        return tap_done();
}
