/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "config/containerd-config.h"

/* The major version of binary (NULL: containerd in PATH), from its
 * "--version", run in "/" within 10 s. Returns it (> 0), or -ENOENT (no
 * such binary), -ETIMEDOUT, -EIO (it failed), -EBADMSG (what it printed
 * has no version), with a sentence in *ret_error when that is not NULL. */
int containerd_binary_major(const char *binary, char **ret_error);

/* What "containerd config dump" prints. */
typedef struct ContainerdDump {
        char *root_dir;
        char *state_dir;
        long long version;
        char **imports;
        char **plugin_dirs; /* as in ContainerdConfig */
        char *text;         /* the whole dump */
} ContainerdDump;

void containerd_dump_done(ContainerdDump *d);

/* Parses the text of a dump. -EBADMSG when it is not TOML or has no root. */
int containerd_dump_parse(const char *text, ContainerdDump *ret);

/* Runs "BINARY [--config config_path] config dump" (binary NULL:
 * containerd in PATH; config_path NULL: containerd's default) in "/" within
 * timeout_ms. -ENOENT when there is no such binary, -ETIMEDOUT, -EIO when
 * it fails (its stderr, or why, in *ret_error when not NULL). */
int containerd_config_dump(const char *binary, const char *config_path, unsigned timeout_ms, ContainerdDump *ret,
                           char **ret_error);

/* Compares the files' view with the dump: one sentence per disagreement
 * (root, state) appended to *warnings. Returns the number of them. */
int containerd_config_check_dump(const ContainerdConfig *c, const ContainerdDump *d, char ***warnings);
