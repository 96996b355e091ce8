/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef enum RunFlags {
        /* The child starts in "/", not in our working directory: a daemon's
         * own tool then resolves relative paths as the daemon does. */
        RUN_IN_ROOT_DIR = 1 << 0,
        /* On timeout the child's whole process group (spawn_command() gives
         * it one of its own) is ended, not the child alone. Not for init
         * scripts, whose daemon stays in the group they started it in. */
        RUN_KILL_GROUP = 1 << 1,
} RunFlags;

/* Starts argv[0] (searched in PATH) with stdin from /dev/null, in a process
 * group of its own. When ret_stdout_fd is not NULL the child's stdout is a
 * pipe whose read end (with O_CLOEXEC) is returned; likewise ret_stderr_fd.
 * Otherwise the child inherits ours. */
int spawn_command_full(char *const *argv, RunFlags flags, int *ret_stdout_fd, int *ret_stderr_fd, pid_t *ret_pid);
int spawn_command(char *const *argv, int *ret_stdout_fd, int *ret_stderr_fd, pid_t *ret_pid);

/* Waits for pid for at most timeout_ms (0: forever). On timeout the child (or
 * with RUN_KILL_GROUP its process group) gets SIGTERM, then SIGKILL after
 * 5 s, is reaped, and -ETIMEDOUT is returned. Otherwise *ret_status is the
 * exit code, or 128 + signal number. */
int wait_command_full(pid_t pid, RunFlags flags, unsigned long timeout_ms, int *ret_status);
int wait_command(pid_t pid, unsigned long timeout_ms, int *ret_status);

/* spawn + read all of stdout (when ret_stdout) + wait. stderr is captured into
 * ret_stderr when given, else inherited. */
int run_command_full(char *const *argv, RunFlags flags, unsigned long timeout_ms, char **ret_stdout, char **ret_stderr,
                     int *ret_status);
int run_command(char *const *argv, unsigned long timeout_ms, char **ret_stdout, char **ret_stderr, int *ret_status);

/* Whether a program is found in PATH. */
bool find_executable(const char *name, char **ret_path);

/* Monotonic clock in milliseconds. */
unsigned long long now_ms(void);
