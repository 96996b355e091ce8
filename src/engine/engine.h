/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "util/macro.h"

/* A client of the Docker Engine API on the daemon's unix socket (libcurl).
 *
 * Errors are negative errno values: -ENOENT or -ECONNREFUSED when no daemon
 * listens on the socket, -ETIMEDOUT when it does not answer in time, -ENOENT
 * for an object the Engine does not know (HTTP 404), -EBUSY for a conflict
 * (409), -EACCES for a request an authorization plugin refused (401, 403),
 * -EIO for a server error (5xx), -EPROTO for an answer that is not what the
 * API documents. Each request takes ret_error (util/error.h): the
 * request, the HTTP status and the Engine's own "message". */

#define ENGINE_DEFAULT_SOCKET "/var/run/docker.sock"
#define ENGINE_DEFAULT_TIMEOUT_MS 30000U

typedef struct Engine Engine;

/* socket_path NULL → ENGINE_DEFAULT_SOCKET; timeout_ms 0 → the default. The
 * timeout bounds each request (connect and answer). */
int engine_new(const char *socket_path, unsigned timeout_ms, Engine **ret);
Engine *engine_free(Engine *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(Engine *, engine_free);
#define _cleanup_engine_ _cleanup_(engine_freep)

const char *engine_socket_path(const Engine *e);

/* The socket of a dockerd "-H"/"hosts" entry: "unix:///run/x.sock" → path,
 * "fd://" (systemd socket activation) → the default socket. Other transports
 * (tcp://, ssh://) → -EPROTONOSUPPORT: the tool only talks to the local
 * daemon. */
int engine_socket_from_host(const char *host, char **ret);

/* GET /_ping: 0 when the daemon answers "OK". */
int engine_ping(Engine *e, char **ret_error);
/* Pings until the daemon answers or timeout_ms passed (-ETIMEDOUT; the
 * text names the last failure). */
int engine_wait_ready(Engine *e, unsigned timeout_ms, char **ret_error);

typedef struct EngineInfo {
        char *server_version;
        char *docker_root_dir;
        char *driver;
        char **driver_status; /* key, value, key, value, ... */
        bool live_restore;
        char *swarm_state;     /* LocalNodeState: "inactive", "active", ... */
        bool swarm_manager;    /* ControlAvailable */
        bool containerd_store; /* images in containerd's snapshotter store */
        char *driver_type;     /* DriverStatus "driver-type" (io.containerd.snapshotter.v1), NULL without */
        /* "Containerd" (API 1.46+, Engine 27+): the containerd dockerd talks to
         * and its namespaces; NULL on older Engines. */
        char *containerd_address;
        char *containerd_namespace;         /* Namespaces.Containers: "moby" */
        char *containerd_plugins_namespace; /* Namespaces.Plugins: "plugins.moby" */
} EngineInfo;

EngineInfo *engine_info_free(EngineInfo *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(EngineInfo *, engine_info_free);
#define _cleanup_engine_info_ _cleanup_(engine_info_freep)

/* GET /info */
int engine_info(Engine *e, EngineInfo **ret, char **ret_error);
cJSON *engine_info_to_json(const EngineInfo *i);

typedef struct EngineContainer {
        char *id;
        char *name;           /* without the leading '/' */
        char *state;          /* "running", "exited", "created", "paused", ... */
        char *restart_policy; /* "no", "always", "unless-stopped", "on-failure"; NULL when not asked */
} EngineContainer;

typedef struct EngineContainers {
        EngineContainer *items; /* sorted by id */
        size_t n;
} EngineContainers;

EngineContainers *engine_containers_free(EngineContainers *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(EngineContainers *, engine_containers_free);
#define _cleanup_engine_containers_ _cleanup_(engine_containers_freep)

/* GET /images/json?all=1 → the image ids ("sha256:…"), sorted. */
int engine_list_images(Engine *e, char ***ret, char **ret_error);
/* GET /containers/json?all=1; with with_restart_policy, one GET
 * /containers/ID/json each, as the list does not carry the policy. */
int engine_list_containers(Engine *e, bool with_restart_policy, EngineContainers **ret, char **ret_error);
cJSON *engine_containers_to_json(const EngineContainers *l);
/* The ids of the containers in state (NULL: all), sorted: the sets a move
 * compares before and after, and the containers it must start again. */
int engine_containers_ids(const EngineContainers *l, const char *state, char ***ret);
/* GET /volumes → volume names, sorted. */
int engine_list_volumes(Engine *e, char ***ret, char **ret_error);
/* GET /containers/ID/json → HostConfig.RestartPolicy.Name ("no" when empty). */
int engine_container_restart_policy(Engine *e, const char *id, char **ret, char **ret_error);

/* GET /containers/ID/json → Config.StopTimeout, the grace period "docker
 * stop" gives this container before it kills it (the daemon's default, 10 s,
 * when the container sets none; -1 when it asks to wait for ever). */
int engine_container_stop_timeout(Engine *e, const char *id, int *ret, char **ret_error);
int engine_parse_stop_timeout(const char *json, int *ret);

/* POST /containers/ID/stop?t=timeout_sec and POST /containers/ID/start. A
 * container already in the asked state (HTTP 304) is success. The stop
 * sends the container's own stop signal (Config.StopSignal, SIGTERM by
 * default), then SIGKILL after timeout_sec. */
int engine_container_stop(Engine *e, const char *id, unsigned timeout_sec, char **ret_error);
int engine_container_start(Engine *e, const char *id, char **ret_error);

/* The parsers behind the requests, on the JSON text of an answer. */
int engine_parse_info(const char *json, EngineInfo **ret);
int engine_parse_images(const char *json, char ***ret);
int engine_parse_containers(const char *json, EngineContainers **ret);
int engine_parse_volumes(const char *json, char ***ret);
int engine_parse_restart_policy(const char *json, char **ret);
/* The "message" of an Engine error body; NULL when there is none. */
char *engine_parse_error_message(const char *json);
