/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#define BACKUP_DIR "/var/lib/docker-relocate/backups"

/* Copies the file at path (inside root) to
 * <root>/var/lib/docker-relocate/backups/<YYYYmmddTHHMMSS>-<path, '/' → '_'>
 * before it is changed, keeping mode and owner. Returns the backup's path
 * inside root in *ret_backup_path (NULL when there was no file to back up).
 * The backup directory is reached and created (mode 0700) without following
 * a symlink (-ELOOP), and the file itself is read without following one. */
int backup_file(const char *root, const char *path_in_root, char **ret_backup_path);

/* Whether the backup directory can be used: 0 when it is missing or a real
 * directory all the way down; -ELOOP when a symlink stands on the way,
 * -ENOTDIR when a file does. */
int backup_dir_check(const char *root);
