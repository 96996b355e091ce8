/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Docker records absolute paths into its own data root in each container's
 * containers/ID/config.v2.json: the host path of every named volume the
 * container mounts (MountPoints.*.Source), and its log, hosts, hostname and
 * resolv.conf files. The daemon recomputes the files at the next start of the
 * container, but it resolves the volume paths as recorded, every time: once
 * the old data root is gone (cleanup), a container with a named volume no
 * longer starts ("error evaluating symlinks from mount source"), and
 * "docker logs" of a stopped container reads the old tree.
 *
 * So after the final copy, with Docker stopped, the copy's configs are
 * rebased onto the new root. The old tree is not touched: a rollback starts
 * Docker on it exactly as it was. */

/* Rebases the paths below old_root to new_root in the text of one
 * config.v2.json. Only the bytes of those string values change; the result
 * is parsed again and must equal the original with just those values
 * replaced, or the file is refused (-EBADMSG) rather than guessed at.
 * *ret is NULL and *ret_paths 0 when nothing needs to change. */
int rebase_container_config(const char *json, const char *old_root, const char *new_root, char **ret,
                            unsigned *ret_paths);

/* Rebases every containers/ID/config.v2.json below new_root (atomically,
 * keeping mode and owner). *ret_files / *ret_paths count what changed. On
 * failure nothing more is written; files done so far stay rebased, which a
 * second run finds done. */
int rebase_container_configs(const char *new_root, const char *old_root, unsigned *ret_files,
                             unsigned *ret_paths);
