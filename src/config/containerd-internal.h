/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What containerd-config.c and containerd-binary.c share, and nobody else. */

#include "config/toml.h"

/* Directories a plugin keeps its data in, set in doc, appended to *dirs as
 * "PLUGIN=PATH"; a later value for the same plugin replaces an earlier
 * one. */
int containerd_collect_plugin_dirs(const TomlDoc *doc, char ***dirs);
