/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config/containerd-config.h"
#include "config/docker-config.h"
#include "copy/copy.h"
#include "engine/engine.h"

/* Where Docker keeps its images, and so what a move must carry:
 *
 *   - the graph driver (overlay2, ...): images under the data root;
 *   - the containerd image store (Engine 24+ with features
 *     "containerd-snapshotter", the default of fresh installs from Engine 29
 *     on): images, layers and snapshots in the root of the containerd that
 *     serves dockerd, only containers, volumes, build cache and image
 *     metadata under the data root.
 *
 * and which containerd serves dockerd:
 *
 *   - system: containerd.service's, named by --containerd (or "containerd"
 *     in daemon.json), or found at /run/containerd/containerd.sock when
 *     nothing is named; its root is containerd's own (containerd-config.h);
 *   - managed: dockerd starts its own when there is no such socket, root
 *     <data-root>/containerd/daemon, state and socket under the exec root;
 *   - embedded: features "embedded-containerd" (Engine 29.7+, experimental),
 *     root <data-root>/containerd.
 *
 * The running Engine (GET /info: Driver, DriverStatus "driver-type",
 * "Containerd") decides when there is one; otherwise the files do: the
 * feature forces either store, and without it the Engine's version decides
 * (29 and later: the containerd store, unless the data root already holds
 * a graph driver's layers or a graph driver is configured). */

typedef enum ImageStore {
        IMAGE_STORE_UNKNOWN,
        IMAGE_STORE_GRAPH_DRIVER,
        IMAGE_STORE_CONTAINERD,
} ImageStore;

typedef enum ContainerdKind {
        CONTAINERD_SYSTEM,
        CONTAINERD_MANAGED,
        CONTAINERD_EMBEDDED,
} ContainerdKind;

const char *image_store_to_string(ImageStore s);
const char *containerd_kind_to_string(ContainerdKind k);

typedef struct StoreTree {
        char *what;     /* "data root", "containerd root" */
        char *path;     /* inside the system root */
        bool move;      /* a move must carry it (outside the data root, holding Docker's images) */
        const char *move_to; /* where a move puts it, below the volume's mount: "docker", "containerd"; NULL */
        bool in_data_root; /* a containerd root under the data root: a move carries it with the data root */
        bool exists;
        bool measured;
        TreeSize size;
} StoreTree;

typedef struct ImageStoreInfo {
        ImageStore store;
        char *store_source;      /* why: "Engine API", "daemon.json features", "Engine 29 default", ... */
        char *driver;            /* the Engine's Driver, or the configured storage-driver; NULL */
        char *driver_type;       /* DriverStatus driver-type; NULL */
        char *engine_version;    /* NULL when not known */

        ContainerdKind containerd;
        char *containerd_source;
        char *containerd_socket;
        char *containerd_root;
        char *containerd_state;
        char *containerd_namespace; /* Docker's own: "moby" */
        char *containerd_plugins_namespace;

        StoreTree *trees;
        size_t n_trees;
        char **warnings;
} ImageStoreInfo;

void image_store_info_done(ImageStoreInfo *i);

/* Works it out from dockerd's configuration c, containerd's configuration
 * cc (NULL: not read), the running Engine's /info (NULL: none answers,
 * e.g. offline with --root) and, when info is NULL, the Engine's version
 * (NULL: unknown; "dockerd --version" gives it on a live host). measure:
 * the size of every tree (walks them: seconds on a large store). Findings
 * are warnings in the result; errors are OOM and I/O. */
int image_store_detect(const DockerConfig *c, const ContainerdConfig *cc, const EngineInfo *info,
                       const char *engine_version, bool measure, ImageStoreInfo *ret);

/* Where containerd's root goes when Docker's data root goes to
 * new_data_root: the directory "containerd" beside it, as <mount>/docker and
 * <mount>/containerd on a volume. NULL on OOM. */
char *image_store_containerd_beside(const char *new_data_root);

/* Whether the system containerd's root holds Docker's images, outside the
 * data root: then it is a tree of its own, for a move and for
 * set-data-root. */
bool image_store_system_containerd_root(const ImageStoreInfo *i, const char *data_root);

/* "dockerd --version" → "28.5.2+dfsg4" (the version word without a trailing
 * comma), of the dockerd the service of c runs (docker_config_dockerd()),
 * else the one in PATH; run in "/", its process group ended on timeout.
 * -ENOENT without dockerd. */
int image_store_dockerd_version(const DockerConfig *c, unsigned timeout_ms, char **ret);

/* The Engine's major version from a version string ("29.0.1" → 29), 0 when
 * it does not start with a number. */
unsigned image_store_engine_major(const char *version);
