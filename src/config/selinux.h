/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* SELinux on the host: whether it is enabled and in which mode, and the
 * policy tools that label a relocated tree as the tree it replaces. On
 * Fedora, RHEL, CentOS and Amazon Linux a data root whose files carry the
 * labels of an ordinary directory makes every container fail with
 * "permission denied": the policy labels /var/lib/docker, not a directory on
 * a new volume. An equivalence rule ("semanage fcontext -a -e OLD NEW")
 * makes the policy label NEW as it labels OLD, and "restorecon -R NEW"
 * applies it to the files.
 *
 * Detection reads files only (selinuxfs and /etc/os-release below a root
 * prefix), so it runs on fixture trees; the tools run through util/process.h,
 * found in PATH, so that tests can put their own in front. This does not
 * link libselinux: the few facts needed are two files, and the labelling
 * itself is the tools' (semanage writes the policy store, which only it
 * should). */

typedef enum SELinuxMode {
        SELINUX_DISABLED,   /* no selinuxfs mounted (or no policy loaded) */
        SELINUX_PERMISSIVE, /* enforce = 0: denials are logged only */
        SELINUX_ENFORCING,  /* enforce = 1 */
        _SELINUX_MODE_MAX,
} SELinuxMode;

const char *selinux_mode_to_string(SELinuxMode m);

typedef struct SELinuxState {
        SELinuxMode mode;
        char *fs; /* where selinuxfs is mounted, in the tree (not prefixed with the root); NULL when disabled */
        bool have_semanage, have_restorecon, have_matchpathcon;
        bool debian; /* the distribution packages the tools the Debian way (package names differ) */
} SELinuxState;

void selinux_state_done(SELinuxState *s);

/* Reads ROOT/proc/self/mountinfo for the selinuxfs mount (falling back to
 * ROOT/sys/fs/selinux), its "enforce" file for the mode, and looks for the
 * tools: in PATH on the host (root NULL or "/"), in the usual bin
 * directories of the tree otherwise. A missing or unreadable selinuxfs is
 * SELINUX_DISABLED, not an error. -ENOMEM only. */
int selinux_detect(const char *root, SELinuxState *ret);

/* The package that installs program ("semanage", "restorecon",
 * "matchpathcon") on this kind of host, as a phrase for a message. */
const char *selinux_package(const SELinuxState *s, const char *program);

/* Parses the output of "semanage fcontext -l -C -n": its equivalence rules,
 * "PATH = EQUAL" lines, as a strv of pairs (path, equal, path, equal, ...).
 * Other lines (local file context rules) are skipped. */
int selinux_parse_equivalences(const char *text, char ***ret);

/* The local equivalence rules, as selinux_parse_equivalences() gives them.
 * Errors of semanage: -EIO with *ret_error. */
int selinux_list_equivalences(char ***ret_pairs, char **ret_error);
/* The path the rule of pairs for path labels it as; NULL: no rule. */
const char *selinux_equivalence_lookup(char *const *pairs, const char *path);
/* The local equivalence rule for path: *ret_equal is the path it is labelled
 * as, or NULL when there is none. */
int selinux_equivalence_of(const char *path, char **ret_equal, char **ret_error);
/* "semanage fcontext -a -e equal path" / "semanage fcontext -d path". */
int selinux_add_equivalence(const char *path, const char *equal, char **ret_error);
int selinux_delete_equivalence(const char *path, char **ret_error);
/* "restorecon -R path": every file of the tree labelled as the policy says. */
int selinux_relabel(const char *path, char **ret_error);

/* "restorecon -n -v" on the directory path and its entries (not below
 * them): how many carry a label other than the policy's (0: all match), and
 * the first such line, as restorecon prints it (NULL when all match). */
int selinux_check_labels(const char *path, unsigned *ret_wrong, char **ret_first, char **ret_error);
