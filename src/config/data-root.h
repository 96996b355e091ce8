/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Whether path (absolute, normalised) can be dockerd's data root on the
 * system under root (NULL: the running host), before anything points
 * dockerd at it. Refuses, with the reason in *ret_refusal (-ECANCELED):
 *   - "/" and the system's own directories (/etc, /usr, /var, /var/lib, ...),
 *     and anything below /etc, /usr, /boot or the program directories;
 *   - kernel and volatile trees: /proc, /sys, /dev, /run (and /var/run),
 *     and on the running host any directory whose file system keeps its data
 *     in memory or is no storage at all (tmpfs, ramfs, proc, sysfs, ...),
 *     found from the nearest existing directory: the images, containers and
 *     volumes would be gone at the next reboot;
 *   - an existing path that is not a directory (a file, a device, a
 *     dangling symlink);
 *   - this program's own state directory.
 * Returns 0 when none applies. */
int data_root_check(const char *root, const char *path, char **ret_refusal);
