/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "service/service.h"
#include "service/systemd.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/process.h"
#include "util/string-table.h"
#include "util/strv.h"

#define SYSV_DOCKER "/etc/init.d/docker"
#define SYSV_CONTAINERD "/etc/init.d/containerd"

/* How long a freshly started daemon may go without pidfile or running status
 * before it counts as exited: long enough for it to write its pidfile. */
#define DAEMON_EXIT_GRACE_MS 3000U

static const char *const service_state_table[] = {
        [SERVICE_UNKNOWN] = "unknown",
        [SERVICE_ACTIVE] = "active",
        [SERVICE_INACTIVE] = "inactive",
        [SERVICE_FAILED] = "failed",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(service_state, ServiceState);

ServiceState service_state_from_active_state(const char *s) {
        if (!s)
                return SERVICE_UNKNOWN;
        /* A unit on its way up or down still has its process. */
        if (streq(s, "active") || streq(s, "activating") || streq(s, "reloading") || streq(s, "deactivating") ||
            streq(s, "refreshing"))
                return SERVICE_ACTIVE;
        if (streq(s, "inactive") || streq(s, "maintenance"))
                return SERVICE_INACTIVE;
        if (streq(s, "failed"))
                return SERVICE_FAILED;
        return SERVICE_UNKNOWN;
}

static unsigned remaining_ms(unsigned long long deadline) {
        unsigned long long now = now_ms();
        return now >= deadline ? 1 : (unsigned) (deadline - now);
}

int service_pidfile_alive(const char *pidfile, const char *comm, pid_t *ret_pid) {
        _cleanup_free_ char *data = NULL, *cpath = NULL, *cdata = NULL;
        char *end;
        long pid;
        int r;

        r = read_full_file(pidfile, 64, &data, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        errno = 0;
        pid = strtol(data, &end, 10);
        if (errno || end == data || pid <= 1 || (*end && *end != '\n'))
                return 0; /* garbage is as good as no pidfile */
        if (kill((pid_t) pid, 0) < 0 && errno == ESRCH)
                return 0;
        /* A stale pidfile may name a PID that was reused since. */
        if (comm) {
                if (asprintf(&cpath, "/proc/%ld/comm", pid) < 0)
                        return -ENOMEM;
                if (read_full_file(cpath, 256, &cdata, NULL) < 0)
                        return 0;
                cdata[strcspn(cdata, "\n")] = '\0';
                if (!streq(cdata, comm))
                        return 0;
        }
        if (ret_pid)
                *ret_pid = (pid_t) pid;
        return 1;
}

static bool pid_alive(pid_t pid) {
        _cleanup_free_ char *p = NULL, *data = NULL;
        char *close_paren;

        if (kill(pid, 0) < 0 && errno == ESRCH)
                return false;
        /* A zombie has ended; it only waits for its parent to reap it. */
        if (asprintf(&p, "/proc/%d/stat", (int) pid) < 0)
                return true;
        if (read_full_file(p, 4096, &data, NULL) < 0)
                return false;
        close_paren = strrchr(data, ')');
        return !(close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z');
}

/* The argv that asks the init system's tool to do action to service. */
static char **script_argv(InitSystem init, const char *service, const char *action) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *script = NULL;

        switch (init) {
        case INIT_SYSV:
                if (asprintf(&script, "/etc/init.d/%s", service) < 0)
                        return NULL;
                if (strv_consume(&argv, TAKE_PTR(script)) < 0 || strv_extend(&argv, action) < 0)
                        return NULL;
                break;
        case INIT_OPENRC:
                if (strv_extend(&argv, "rc-service") < 0 || strv_extend(&argv, service) < 0 ||
                    strv_extend(&argv, action) < 0)
                        return NULL;
                break;
        case INIT_UPSTART:
                if (strv_extend(&argv, "initctl") < 0 || strv_extend(&argv, action) < 0 ||
                    strv_extend(&argv, service) < 0)
                        return NULL;
                break;
        default:
                return NULL;
        }
        return TAKE_PTR(argv);
}

/* Runs an init system's tool with its output (stdout and stderr together)
 * going to an anonymous file rather than a pipe: the daemon such a tool
 * starts may inherit its output, and must not keep us waiting for an
 * end-of-file that comes only when the daemon exits. The wait is for the
 * tool's own exit, bounded; on timeout it (only it) is killed. */
int service_run_tool(char *const *argv, unsigned timeout_ms, char **ret_output, int *ret_status) {
        _cleanup_close_ int out = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t n;
        pid_t pid;
        int r, status;

        out = memfd_create("service-output", MFD_CLOEXEC);
        if (out < 0)
                return negative_errno();

        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null >= 0)
                        (void) dup2(null, STDIN_FILENO);
                (void) dup2(out, STDOUT_FILENO);
                (void) dup2(out, STDERR_FILENO);
                (void) signal(SIGPIPE, SIG_DFL);
                /* As spawn_command() does: the daemon an init script starts
                 * inherits what its script had. */
                interrupt_child_reset();
                (void) setpgid(0, 0);
                (void) signal(SIGTTOU, SIG_IGN);
                execvp(argv[0], argv);
                _exit(127);
        }

        r = wait_command(pid, timeout_ms ?: 1, &status);
        if (r < 0)
                return r;

        if (ret_output) {
                if (fstat(out, &st) < 0)
                        return negative_errno();
                /* Only the start of a chatty tool's output is of use. */
                size_t size = st.st_size > 64 * 1024 ? 64 * 1024 : (size_t) st.st_size;
                buf = malloc(size + 1);
                if (!buf)
                        return -ENOMEM;
                n = pread(out, buf, size, 0);
                if (n < 0)
                        return negative_errno();
                buf[n] = '\0';
                *ret_output = TAKE_PTR(buf);
        }
        *ret_status = status;
        return 0;
}

/* Runs the init system's tool; a non-zero exit is -EIO with its output in
 * the error. */
static int run_script(InitSystem init, const char *service, const char *action, unsigned timeout_ms,
                      char **ret_error) {
        _cleanup_strv_free_ char **argv = script_argv(init, service, action);
        _cleanup_free_ char *out = NULL, *cmd = NULL;
        int r, status;

        if (!argv)
                return -ENOMEM;
        cmd = strv_join(argv, " ");
        r = service_run_tool(argv, timeout_ms, &out, &status);
        if (r == -ETIMEDOUT)
                return error_set(ret_error, r, "\"%s\" did not finish within %u s", strempty(cmd), timeout_ms / 1000);
        if (r < 0)
                return error_set(ret_error, r, "Cannot run \"%s\": %s", strempty(cmd), strerror(-r));
        if (status == 127)
                return error_set(ret_error, -ENOENT, "\"%s\": command not found", strempty(cmd));
        if (status != 0) {
                const char *detail = strempty(out);
                size_t l = strlen(detail);
                while (l > 0 && (detail[l - 1] == '\n' || detail[l - 1] == ' '))
                        l--;
                return error_set(ret_error, -EIO, "\"%s\" failed with exit status %d%s%.*s", strempty(cmd), status,
                                 l ? ": " : "", (int) (l > 400 ? 400 : l), detail);
        }
        return 0;
}

static bool upstart_is_running(const char *service) {
        _cleanup_strv_free_ char **argv = script_argv(INIT_UPSTART, service, "status");
        _cleanup_free_ char *out = NULL;
        int status;

        if (!argv || service_run_tool(argv, 30 * 1000, &out, &status) < 0 || status != 0)
                return false;
        /* "docker start/running, process 1234" */
        return strstr(out, "start/") != NULL;
}

static int script_state(InitSystem init, ServiceState *ret) {
        _cleanup_strv_free_ char **argv = NULL;
        int r, status, alive;

        if (init == INIT_UPSTART) {
                *ret = upstart_is_running("docker") ? SERVICE_ACTIVE : SERVICE_INACTIVE;
                return 0;
        }
        if (init == INIT_SYSV && access(SYSV_DOCKER, X_OK) < 0)
                goto pidfile;

        argv = script_argv(init, "docker", "status");
        if (!argv)
                return -ENOMEM;
        /* The output is for humans; the exit status is the answer. */
        r = service_run_tool(argv, 30 * 1000, NULL, &status);
        if (r >= 0) {
                /* LSB: 0 running, 1/2 dead but a pid or lock file remains,
                 * 3 not running. OpenRC: 0 started, 3 stopped, 32 crashed. */
                switch (status) {
                case 0:
                        *ret = SERVICE_ACTIVE;
                        return 0;
                case 1:
                case 2:
                case 32:
                        *ret = SERVICE_FAILED;
                        return 0;
                case 3:
                        *ret = SERVICE_INACTIVE;
                        return 0;
                default:
                        break;
                }
        }

pidfile:
        alive = service_pidfile_alive(SERVICE_DOCKER_PIDFILE, "dockerd", NULL);
        if (alive < 0)
                return alive;
        *ret = alive ? SERVICE_ACTIVE : SERVICE_INACTIVE;
        return 0;
}

int service_docker_state(InitSystem init, ServiceState *ret) {
        if (init == INIT_SYSTEMD) {
                _cleanup_free_ char *state = NULL;
                int r;

                r = systemd_unit_active_state("docker.service", &state);
                if (r < 0)
                        return r;
                *ret = service_state_from_active_state(state);
                return 0;
        }
        if (init == INIT_SYSV || init == INIT_OPENRC || init == INIT_UPSTART)
                return script_state(init, ret);
        return -EOPNOTSUPP;
}

static int wait_pid_gone(pid_t pid, unsigned long long deadline) {
        while (pid_alive(pid)) {
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                usleep(100 * 1000);
        }
        return 0;
}

/* Whether containerd is a service of its own under a script-based init:
 * without its script, dockerd runs its own containerd, which stops and
 * starts with it ("rc-service containerd stop" would fail on a service that
 * does not exist). upstart's Docker job runs its own. */
static bool containerd_has_script(InitSystem init) {
        return (init == INIT_SYSV || init == INIT_OPENRC) && access(SYSV_CONTAINERD, X_OK) >= 0;
}

static int script_stop(InitSystem init, bool also_containerd, unsigned timeout_ms, char **ret_error) {
        unsigned long long deadline = now_ms() + timeout_ms;
        ServiceState state = SERVICE_UNKNOWN;
        pid_t pid = 0;
        int r, alive;

        alive = service_pidfile_alive(SERVICE_DOCKER_PIDFILE, "dockerd", &pid);
        if (alive < 0)
                alive = 0;
        r = script_state(init, &state);
        if (r < 0)
                return r;

        if (init == INIT_SYSV && alive) {
                /* Debian's script sends SIGKILL ten seconds after SIGTERM:
                 * too soon for a daemon that is stopping its containers (each
                 * has ten seconds by default), and a killed dockerd leaves
                 * their shims and overlay mounts behind, in the tree about to
                 * be copied. SIGTERM is what the script sends first; here the
                 * daemon gets the whole timeout to act on it, and the script
                 * afterwards only tidies up its own state. */
                if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
                        return negative_errno();
                r = wait_pid_gone(pid, deadline);
                if (r < 0)
                        return error_set(ret_error, r, "dockerd (PID %d) is still running %u s after SIGTERM",
                                         (int) pid, timeout_ms / 1000);
        }

        if (alive || state == SERVICE_ACTIVE) {
                r = run_script(init, "docker", "stop", remaining_ms(deadline), ret_error);
                if (r == -ETIMEDOUT)
                        return r;
                /* A script that fails to stop what is gone anyway (its own
                 * stale pidfile, a race with the daemon's exit) is no
                 * failure: whether the daemon still runs decides. */
                if (r < 0 && (!alive || pid_alive(pid))) {
                        ServiceState now = SERVICE_UNKNOWN;
                        if (script_state(init, &now) < 0 || now == SERVICE_ACTIVE)
                                return r;
                }
        }

        if (alive) {
                r = wait_pid_gone(pid, deadline);
                if (r < 0)
                        return error_set(ret_error, r,
                                         "dockerd (PID %d) is still running %u s after it was asked to stop",
                                         (int) pid, timeout_ms / 1000);
        }

        /* Confirm: neither the script nor the pidfile may see it running. */
        r = script_state(init, &state);
        if (r >= 0 && state == SERVICE_ACTIVE)
                return error_set(ret_error, -EBUSY, "docker still reports itself running after it was stopped");

        if (also_containerd && containerd_has_script(init)) {
                r = run_script(init, "containerd", "stop", remaining_ms(deadline), ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int wait_answer(const char *socket_path, unsigned long long deadline, char **ret_error) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = engine_new(socket_path, 5000, &e);
        if (r < 0)
                return r;
        r = engine_wait_ready(e, remaining_ms(deadline), &err);
        if (r < 0)
                return error_set(ret_error, r, "docker was started, but the daemon does not answer: %s", strna(err));
        return 0;
}

static int script_start(InitSystem init, bool also_containerd, const char *socket_path, unsigned timeout_ms,
                        char **ret_error) {
        unsigned long long deadline = now_ms() + timeout_ms, started;
        ServiceState state = SERVICE_UNKNOWN;
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        if (also_containerd && containerd_has_script(init)) {
                r = run_script(init, "containerd", "start", remaining_ms(deadline), ret_error);
                if (r < 0)
                        return r;
        }
        /* upstart's "start" fails on a running job; the others are fine. */
        if (init != INIT_UPSTART || (script_state(init, &state) >= 0 && state != SERVICE_ACTIVE)) {
                r = run_script(init, "docker", "start", remaining_ms(deadline), ret_error);
                if (r < 0)
                        return r;
        }

        /* The scripts put dockerd in the background and report success
         * whether or not it stays up. Wait for its answer, but notice a
         * daemon that exited (a bad flag, a bad daemon.json) instead of
         * waiting the whole timeout for it. */
        started = now_ms();
        r = engine_new(socket_path, 5000, &e);
        if (r < 0)
                return r;
        for (;;) {
                unsigned long long now = now_ms();

                if (now >= deadline)
                        break;
                r = engine_wait_ready(e, (unsigned) (deadline - now < 1000 ? deadline - now : 1000), &err);
                if (r >= 0)
                        return 0;
                if (now_ms() - started >= DAEMON_EXIT_GRACE_MS &&
                    service_pidfile_alive(SERVICE_DOCKER_PIDFILE, "dockerd", NULL) <= 0 &&
                    script_state(init, &state) >= 0 && state != SERVICE_ACTIVE) {
                        return error_set(ret_error, -ESRCH,
                                         "dockerd exited right after it was started (see the daemon's log; Debian's "
                                         "script writes it to /var/log/docker.log)");
                }
        }
        return error_set(ret_error, -ETIMEDOUT, "docker was started, but the daemon does not answer: %s", strna(err));
}

int service_stop_docker(InitSystem init, bool also_containerd, unsigned timeout_ms, char **ret_error) {
        timeout_ms = timeout_ms ?: SERVICE_DEFAULT_TIMEOUT_MS;

        switch (init) {
        case INIT_SYSTEMD: {
                char *units[] = { (char *) "docker.socket", (char *) "docker.service",
                                  also_containerd ? (char *) "containerd.service" : NULL, NULL };
                return systemd_stop_units(units, timeout_ms, ret_error);
        }
        case INIT_SYSV:
        case INIT_OPENRC:
        case INIT_UPSTART:
                return script_stop(init, also_containerd, timeout_ms, ret_error);
        default:
                return error_set(ret_error, -EOPNOTSUPP, "No known init system manages docker on this host");
        }
}

int service_start_docker(InitSystem init, bool also_containerd, const char *socket_path, unsigned timeout_ms,
                         char **ret_error) {
        unsigned long long deadline;
        int r;

        timeout_ms = timeout_ms ?: SERVICE_DEFAULT_TIMEOUT_MS;
        deadline = now_ms() + timeout_ms;

        switch (init) {
        case INIT_SYSTEMD: {
                /* containerd first (docker.service is ordered after it), the
                 * socket before the service it activates. */
                char *units[4] = {}, **u = units;
                if (also_containerd)
                        *u++ = (char *) "containerd.service";
                *u++ = (char *) "docker.socket";
                *u++ = (char *) "docker.service";
                r = systemd_start_units(units, timeout_ms, ret_error);
                if (r < 0)
                        return r;
                return wait_answer(socket_path, deadline, ret_error);
        }
        case INIT_SYSV:
        case INIT_OPENRC:
        case INIT_UPSTART:
                return script_start(init, also_containerd, socket_path, timeout_ms, ret_error);
        default:
                return error_set(ret_error, -EOPNOTSUPP, "No known init system manages docker on this host");
        }
}

int service_daemon_reload(InitSystem init, unsigned timeout_ms, char **ret_error) {
        if (init != INIT_SYSTEMD)
                return 0;
        return systemd_reload(timeout_ms ?: SERVICE_DEFAULT_TIMEOUT_MS, ret_error);
}

int service_load_docker_config(const char *root, InitSystem init, const SourceSet *overlay, DockerConfig *ret) {
        _cleanup_systemd_unit_info_ SystemdUnitInfo *unit = NULL;
        _cleanup_free_ char *err = NULL;
        LoadedUnit loaded = {};

        if (init == INIT_UNKNOWN)
                init = detect_init_system(root);
        if (init != INIT_SYSTEMD || !root_is_host(root) || (overlay && overlay->overlay_paths))
                return docker_config_load(root, init, overlay, ret);

        if (systemd_read_unit("docker.service", &unit, &err) < 0) {
                log_debug("Cannot ask systemd about docker.service: %s", strna(err));
                return docker_config_load(root, init, overlay, ret);
        }
        loaded = (LoadedUnit){
                .fragment_path = unit->fragment_path,
                .need_daemon_reload = unit->need_daemon_reload,
                .exec_start = unit->n_exec_start > 0 ? unit->exec_start[unit->n_exec_start - 1].argv : NULL,
        };
        return docker_config_load_full(root, init, overlay, &loaded, ret);
}
