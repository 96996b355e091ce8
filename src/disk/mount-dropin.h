/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* The docker.service drop-in that orders Docker after the data volume's
 * mount and stops it from starting without it:
 *
 *   <root>/etc/systemd/system/docker.service.d/50-docker-relocate-mount.conf
 *   [Unit]
 *   RequiresMountsFor=<dir>
 *
 * Only the file: the caller reloads systemd (over D-Bus) after writing it. */

#define MOUNT_DROPIN_DIR "/etc/systemd/system/docker.service.d"
#define MOUNT_DROPIN_NAME "50-docker-relocate-mount.conf"
/* The same for containerd.service, when containerd's root moves too. */
#define CONTAINERD_MOUNT_DROPIN_DIR "/etc/systemd/system/containerd.service.d"

/* The file's content for dir (an absolute path; quoted and with '%' doubled
 * the way unit files need). */
int mount_dropin_content(const char *dir, char **ret);
/* The same, for the service who ("Docker", "containerd") and its tree what
 * ("data root", "root"). */
int mount_dropin_content_for(const char *who, const char *what, const char *dir, char **ret);

/* Writes the drop-in atomically; *ret_changed (may be NULL) says whether the
 * file was new or different. */
int mount_dropin_write(const char *root, const char *dir, bool *ret_changed);
