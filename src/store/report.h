/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <cjson/cJSON.h>

#include "config/docker-config.h"

/* Everything known about Docker's image store on the host of c, as the JSON
 * object "status" shows:
 *
 *   { "store", "source", "driver", "driver_type", "engine_version",
 *     "containerd": { "kind", "source", "socket", "root", "state",
 *                     "namespace", "plugins_namespace", "config_file",
 *                     "config_file_exists", "root_set_by", "imports",
 *                     "plugin_dirs", "dump_root", "error" },
 *     "trees": [ { "what", "path", "move", "move_to", "in_data_root", "exists",
 *                  "bytes", "inodes" } ]
 *              (move: a move carries the tree, to <mount>/<move_to> on a
 *               volume; in_data_root: a containerd root that moves with the
 *               data root),
 *     "other_namespaces": [ { "name", "images", "containers", "content" } ]
 *                         (null when not asked: offline, no ctr, containerd down),
 *     "warnings": [ ... ] }
 *
 * On the running host it asks the Engine (GET /info), "containerd config
 * dump" and ctr, each within a few seconds, and measures the trees; offline
 * (c->root set) it reads files only. Errors are OOM. */
int image_store_report(const DockerConfig *c, cJSON **ret);
