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

/* How many backups of each file are kept: the newest BACKUP_KEEP, and any
 * older one that a record still names (backup_prune()). */
#define BACKUP_KEEP 5

/* Removes the backups of path_in_root (inside root) but the newest keep,
 * never one listed in protected (paths inside root, as backup_file()
 * returns them; NULL: none). Returns how many were removed. */
int backup_prune(const char *root, const char *path_in_root, unsigned keep, char *const *protected);

/* Whether the backup directory can be used: 0 when it is missing or a real
 * directory all the way down; -ELOOP when a symlink stands on the way,
 * -ENOTDIR when a file does. */
int backup_dir_check(const char *root);
