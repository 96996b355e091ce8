/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The containerd behind a socket as the kernel sees it, and what a stopped
 * containerd left behind: the facts a move of containerd's root checks
 * rather than believes. Its files say where containerd would keep its data
 * at its next start; only the running process says where it does now. */

/* The root of the containerd that listens on socket: the directory whose
 * io.containerd.metadata.v1.bolt/meta.db its process holds open (the PID
 * from the socket's peer credentials). containerd opens that database when
 * it starts and keeps it open, so this is the root it runs on. -ENOENT or
 * -ECONNREFUSED when nothing listens, -ENODATA when the process has no such
 * file open. */
int containerd_running_root(const char *socket, char **ret);

/* The tasks a containerd left behind in its state directory state_dir:
 * "NAMESPACE/ID" of each entry of io.containerd.runtime.v2.task/ (and of
 * io.containerd.runtime.v1.linux/). A task there has a shim that still runs
 * its container, with the container's snapshot mounted. Sorted; empty, not
 * NULL, when there is none. */
int containerd_leftover_tasks(const char *state_dir, char ***ret);
