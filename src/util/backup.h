/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where copies of every file this program changes are kept, inside root. */
#define BACKUP_DIR "/var/lib/docker-relocate/backups"

/* Copies the current content of path_in_root (a path inside root; root NULL or
 * "/" for the host) atomically to
 * <root>/var/lib/docker-relocate/backups/<YYYYmmddTHHMMSS>-<path, '/' → '_'>
 * before the caller changes it. A missing file is not an error: nothing is
 * copied and *ret_backup_path is set to NULL. Otherwise *ret_backup_path (when
 * not NULL) is the backup's path inside root, malloc'ed. */
int backup_file(const char *root, const char *path_in_root, char **ret_backup_path);
