/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#define BACKUP_DIR "/var/lib/docker-relocate/backups"

/* Copies the file at path (inside root) to
 * <root>/var/lib/docker-relocate/backups/<YYYYmmddTHHMMSS>-<path, '/' → '_'>
 * before it is changed, keeping mode and owner. Returns the backup's path
 * inside root in *ret_backup_path (NULL when there was no file to back up). */
int backup_file(const char *root, const char *path_in_root, char **ret_backup_path);
