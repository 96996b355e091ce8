/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* The fstab line that mounts the data volume at boot, edited through
 * libmount's table API so that comments, blank lines, the order and the
 * fields of every other line stay as they are (libmount rewrites the blanks
 * between fields as single spaces):
 *
 *   # docker-relocate: data volume
 *   UUID=<uuid> <mount> <fs> defaults,nofail,x-systemd.device-timeout=30s 0 2
 *
 * nofail keeps a missing volume from dropping the boot into emergency mode;
 * the immutable mount point and the RequiresMountsFor= drop-in keep Docker
 * from starting on the empty directory underneath. The comment line marks
 * the entry as ours: a later run replaces it instead of adding another. */

#define FSTAB_MARKER "# docker-relocate: data volume"
#define FSTAB_OPTIONS "defaults,nofail,x-systemd.device-timeout=30s"

/* Computes the fstab at path (a real path; a missing file is an empty table)
 * with our entry for uuid on target. Returns 1 and the new content in
 * *ret_content when it changes, 0 when it already says this. -EEXIST when a
 * line that is not ours mounts something else on target, or this uuid
 * elsewhere: *ret_conflict (may be NULL) then quotes that line; -EBADMSG as
 * fstab_check_rewrite() says. */
int fstab_edit(const char *path, const char *uuid, const char *target, const char *fstype, char **ret_content,
               char **ret_conflict);

/* -EEXIST (and the line in *ret_conflict, may be NULL) when a line that is
 * not ours mounts something on target; -EBADMSG as fstab_check_rewrite()
 * says; 0 otherwise. */
int fstab_check_target(const char *path, const char *target, char **ret_conflict);

/* -EBADMSG, and in *ret_what (may be NULL) which line and why, when
 * writing the file at path back through libmount would lose something of
 * it: a line it cannot parse, a comment after an entry's fields, a last
 * comment without its newline. 0 when nothing would be lost. fstab_edit()
 * and fstab_remove_ours() refuse so too. */
int fstab_check_rewrite(const char *path, char **ret_what);
/* The refusal that says it, with the line and why for %s. */
#define FSTAB_LOSES_FMT                                                                                               \
        "/etc/fstab %s: the volume's line is added by writing the file back, which would lose that; put the "      \
        "comment on a line of its own, or fix or remove the line, and run again"

/* The target of our own (marked) entry for uuid, or -ENOENT. */
int fstab_find_ours(const char *path, const char *uuid, char **ret_target);

/* Computes the fstab at path without our (marked) entry for uuid on target.
 * Returns 1 and the new content when there was one, 0 when not. */
int fstab_remove_ours(const char *path, const char *uuid, const char *target, char **ret_content);

/* Where <root>/etc/fstab really is: some images link it elsewhere, and the
 * file the link points to is the one read and written, never the link.
 * *ret_resolved (may be NULL) is that path inside root, *ret_path on this
 * host. */
int fstab_locate(const char *root, char **ret_resolved, char **ret_path);
/* The file to read for <root>/etc/fstab, as fstab_locate() finds it (the
 * one fstab_write() writes), or the plain path when there is none yet;
 * NULL when that cannot be told. */
char *fstab_path(const char *root);

/* Backs up <root>/etc/fstab (util/backup.h) and replaces it atomically with
 * content. *ret_backup (may be NULL) is the backup's path inside root. A
 * file that is a mount point (bound over /etc/fstab, as in containers) is
 * written in place instead, after its backup and a record of the write
 * (FSTAB_PENDING), removed once the write is done. */
int fstab_write(const char *root, const char *content, char **ret_backup);

/* The record of an in-place write of /etc/fstab under way: the backup's
 * path inside root on its first line, then the content being written. */
#define FSTAB_PENDING "/var/lib/docker-relocate/fstab-write"

/* Finishes what a run killed while writing /etc/fstab in place left: when
 * the file is neither the old content nor the new but the mixture of both
 * an interrupted write leaves, the backup is put back (1, and the backup's
 * path in *ret_backup, may be NULL); otherwise 0. The record is removed
 * either way; none, 0. */
int fstab_recover(const char *root, char **ret_backup);
