/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/interrupt.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/process.h"

unsigned long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

bool find_executable(const char *name, char **ret_path) {
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = NULL;
        char *saveptr = NULL;

        if (strchr(name, '/')) {
                if (access(name, X_OK) != 0)
                        return false;
                if (ret_path)
                        *ret_path = strdup(name);
                return true;
        }
        copy = strdup(path ?: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (!copy)
                return false;
        for (char *d = strtok_r(copy, ":", &saveptr); d; d = strtok_r(NULL, ":", &saveptr)) {
                _cleanup_free_ char *p = path_join(d, name);
                if (p && access(p, X_OK) == 0) {
                        if (ret_path)
                                *ret_path = TAKE_PTR(p);
                        return true;
                }
        }
        return false;
}

int spawn_command_full(char *const *argv, RunFlags flags, int *ret_stdout_fd, int *ret_stderr_fd, pid_t *ret_pid) {
        int out[2] = { -1, -1 }, err[2] = { -1, -1 };
        pid_t pid, parent = getpid();

        if (ret_stdout_fd && pipe2(out, O_CLOEXEC) < 0)
                return negative_errno();
        if (ret_stderr_fd && pipe2(err, O_CLOEXEC) < 0) {
                int r = negative_errno();
                if (out[0] >= 0) {
                        close(out[0]);
                        close(out[1]);
                }
                return r;
        }

        pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                for (int i = 0; i < 2; i++) {
                        if (out[i] >= 0)
                                close(out[i]);
                        if (err[i] >= 0)
                                close(err[i]);
                }
                return r;
        }
        if (pid == 0) {
                int null;

                /* The child dies with this process: were it killed
                 * mid-copy, an orphaned rsync would go on writing into the
                 * target while the next run copies there too. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(127);
                if ((flags & RUN_IN_ROOT_DIR) && chdir("/") < 0)
                        _exit(127);
                null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null >= 0)
                        dup2(null, STDIN_FILENO);
                if (out[1] >= 0)
                        dup2(out[1], STDOUT_FILENO);
                if (err[1] >= 0)
                        dup2(err[1], STDERR_FILENO);
                /* Default signal dispositions for the child, in a process
                 * group of its own: a Ctrl-C on the terminal reaches this
                 * process alone, which decides where the move stops
                 * (interrupt.h), and never a command of its rollback. */
                signal(SIGPIPE, SIG_DFL);
                interrupt_child_reset();
                (void) setpgid(0, 0);
                /* Out of the terminal's foreground group, a write to it
                 * would stop the child under "stty tostop". */
                signal(SIGTTOU, SIG_IGN);
                execvp(argv[0], argv);
                _exit(127);
        }

        if (out[1] >= 0)
                close(out[1]);
        if (err[1] >= 0)
                close(err[1]);
        if (ret_stdout_fd)
                *ret_stdout_fd = out[0];
        if (ret_stderr_fd)
                *ret_stderr_fd = err[0];
        *ret_pid = pid;
        return 0;
}

int spawn_command(char *const *argv, int *ret_stdout_fd, int *ret_stderr_fd, pid_t *ret_pid) {
        return spawn_command_full(argv, 0, ret_stdout_fd, ret_stderr_fd, ret_pid);
}

static int status_to_code(int status) {
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

int wait_command_full(pid_t pid, RunFlags flags, unsigned long timeout_ms, int *ret_status) {
        unsigned long long deadline = timeout_ms ? now_ms() + timeout_ms : 0;
        int status;

        for (;;) {
                pid_t p = waitpid(pid, &status, timeout_ms ? WNOHANG : 0);
                if (p < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (p == pid) {
                        if (ret_status)
                                *ret_status = status_to_code(status);
                        return 0;
                }
                if (now_ms() >= deadline)
                        break;
                usleep(20 * 1000);
        }

        /* Timed out: end our child (by default only it), and reap it. */
        if (!(flags & RUN_KILL_GROUP)) {
                (void) kill(pid, SIGTERM);
                for (int i = 0; i < 250; i++) {
                        if (waitpid(pid, &status, WNOHANG) == pid)
                                return -ETIMEDOUT;
                        usleep(20 * 1000);
                }
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, &status, 0);
                return -ETIMEDOUT;
        }

        /* The group, whose id is the child's: the child is reaped only
         * after the group's last SIGKILL, so that, a zombie until then, it
         * keeps its id from being given to another process and group. */
        (void) kill(-pid, SIGTERM);
        for (int i = 0; i < 250; i++) {
                siginfo_t si = {};
                if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
                        break;
                usleep(20 * 1000);
        }
        (void) kill(-pid, SIGKILL);
        (void) waitpid(pid, &status, 0);
        return -ETIMEDOUT;
}

int wait_command(pid_t pid, unsigned long timeout_ms, int *ret_status) {
        return wait_command_full(pid, 0, timeout_ms, ret_status);
}

static int append_fd(int fd, char **buf, size_t *len) {
        char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof(tmp));
        char *nb;

        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : negative_errno();
        if (n == 0)
                return 0;
        nb = realloc(*buf, *len + n + 1);
        if (!nb)
                return -ENOMEM;
        memcpy(nb + *len, tmp, n);
        *len += n;
        nb[*len] = '\0';
        *buf = nb;
        return 1;
}

int run_command_full(char *const *argv, RunFlags flags, unsigned long timeout_ms, char **ret_stdout, char **ret_stderr,
                     int *ret_status) {
        _cleanup_close_ int ofd = -1, efd = -1;
        _cleanup_free_ char *obuf = NULL, *ebuf = NULL;
        size_t olen = 0, elen = 0;
        unsigned long long deadline = timeout_ms ? now_ms() + timeout_ms : 0;
        pid_t pid;
        int r;

        r = spawn_command_full(argv, flags, ret_stdout ? &ofd : NULL, ret_stderr ? &efd : NULL, &pid);
        if (r < 0)
                return r;

        bool exited = false;
        while (ofd >= 0 || efd >= 0) {
                struct pollfd p[2];
                int n = 0, t = 100;
                siginfo_t si = {};

                /* A daemon started by an init script may inherit our pipes
                 * and keep them open for ever: once the child itself has
                 * exited, take what is there and stop waiting for EOF. */
                if (!exited && waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
                        exited = true;

                if (ofd >= 0)
                        p[n++] = (struct pollfd){ .fd = ofd, .events = POLLIN };
                if (efd >= 0)
                        p[n++] = (struct pollfd){ .fd = efd, .events = POLLIN };
                if (exited)
                        t = 0;
                if (deadline) {
                        unsigned long long now = now_ms();
                        if (now >= deadline)
                                break;
                        if (!exited && deadline - now < 100)
                                t = (int) (deadline - now);
                }
                r = poll(p, n, t);
                if (r < 0 && errno != EINTR)
                        break;
                if (r == 0 && exited)
                        break;
                if (r <= 0)
                        continue;
                for (int i = 0; i < n; i++) {
                        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        bool is_out = p[i].fd == ofd;
                        r = append_fd(p[i].fd, is_out ? &obuf : &ebuf, is_out ? &olen : &elen);
                        if (r <= 0) {
                                if (is_out)
                                        closep(&ofd), ofd = -1;
                                else
                                        closep(&efd), efd = -1;
                        }
                }
        }

        if (deadline) {
                unsigned long long now = now_ms();
                r = wait_command_full(pid, flags, now >= deadline ? 1 : deadline - now, ret_status);
        } else
                r = wait_command_full(pid, flags, 0, ret_status);
        if (r < 0)
                return r;

        if (ret_stdout)
                *ret_stdout = obuf ? TAKE_PTR(obuf) : strdup("");
        if (ret_stderr)
                *ret_stderr = ebuf ? TAKE_PTR(ebuf) : strdup("");
        return 0;
}

int run_command(char *const *argv, unsigned long timeout_ms, char **ret_stdout, char **ret_stderr, int *ret_status) {
        return run_command_full(argv, 0, timeout_ms, ret_stdout, ret_stderr, ret_status);
}
