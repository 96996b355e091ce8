#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Engine API client against a real dockerd: what it reads must be what the
# docker CLI reports, container stop/start must act, errors must be errors.
set -u

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
SOCK=$DOCKERD_SOCK
# list EXPR: EXPR over the JSON on stdin (j), a list, one item a line.
list() {
        json_get "'\\n'.join($1)"
}

dockerd_setup
ok 'dockerd_start' "dockerd starts through the init script"
ok 'dockerd_populate' "dockerd populated"

ok '"$PROBE" engine-ping "$SOCK"' "ping"

info=$("$PROBE" engine-info "$SOCK")
isnt "$info" "" "info"
is "$(json_get 'j["docker_root_dir"]' <<<"$info")" "$DOCKERD_DATA_ROOT" "DockerRootDir is the configured data root"
is "$(json_get 'j["driver"]' <<<"$info")" "$(dockerd_docker info -f '{{.Driver}}')" "driver as docker info reports it"
is "$(json_get 'j["server_version"]' <<<"$info")" "$(dockerd_docker version -f '{{.Server.Version}}')" \
        "server version as docker version reports it"
is "$(json_get 'j["live_restore"]' <<<"$info")" false "live restore off"
is "$(json_get 'j["swarm_state"]' <<<"$info")" inactive "swarm inactive"
is "$(json_get 'j["containerd_store"]' <<<"$info")" false "no containerd image store on Engine 20.10"

images=$("$PROBE" engine-images "$SOCK" | list j)
is "$images" "$(dockerd_docker images -a --no-trunc --format '{{.ID}}' | sort -u)" "image ids as docker images -a"
is "$(grep -c '^sha256:' <<<"$images")" 2 "both test images present"

containers=$("$PROBE" engine-containers "$SOCK")
is "$(list '[c["id"] for c in j]' <<<"$containers")" "$(dockerd_docker ps -aq --no-trunc | sort)" \
        "container ids as docker ps -a"
running_id=$(dockerd_docker inspect -f '{{.Id}}' "$DOCKERD_RUNNING")
is "$(json_get "[c['state'] for c in j if c['id'] == '$running_id'][0]" <<<"$containers")" running \
        "running container's state"
is "$(json_get "[c['restart_policy'] for c in j if c['id'] == '$running_id'][0]" <<<"$containers")" unless-stopped \
        "running container's restart policy"
is "$(json_get "[c['state'] for c in j if c['name'] == '$DOCKERD_STOPPED'][0]" <<<"$containers")" exited \
        "stopped container's state and name"

is "$("$PROBE" engine-volumes "$SOCK" | list j)" "$(dockerd_docker volume ls -q | sort)" "volume names as docker volume ls"

ok '"$PROBE" engine-stop "$SOCK" "$running_id"' "stop a running container"
is "$(dockerd_docker inspect -f '{{.State.Running}}' "$running_id")" false "it is stopped"
ok '"$PROBE" engine-stop "$SOCK" "$running_id"' "stopping a stopped container is success (304)"
ok '"$PROBE" engine-start "$SOCK" "$running_id"' "start it again"
is "$(dockerd_docker inspect -f '{{.State.Running}}' "$running_id")" true "it runs"
ok '"$PROBE" engine-start "$SOCK" "$running_id"' "starting a running container is success (304)"

out=$("$PROBE" engine-start "$SOCK" no-such-container)
rc=$?
is "$rc" 1 "unknown container fails"
is "$(json_get 'j["errno"]' <<<"$out")" 2 "… as ENOENT"
like "$out" 'No such container' "… with the Engine's message"

ok 'dockerd_stop' "dockerd stops"
out=$("$PROBE" engine-ping "$SOCK")
like "$out" '"errno":[[:space:]]*(2|111),' "no daemon: ping fails with ENOENT or ECONNREFUSED"

done_testing
