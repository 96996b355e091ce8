#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Engine API client against a real dockerd: what it reads must be what the
# docker CLI reports, container stop/start must act, errors must be errors.
set -u

. "$(dirname "$0")/lib-dockerd.sh" || { echo "Bail out! cannot read lib-dockerd.sh"; exit 1; }
dockerd_enter_namespace "$0" "$@"
# Nothing below may run in the machine's own mount namespace.
dockerd_in_private_ns || { echo "Bail out! not in a private mount namespace"; exit 1; }
trap dockerd_teardown EXIT

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
SOCK=$DOCKERD_SOCK
n=0
failed=0
check() {
        local what=$1
        shift
        n=$((n + 1))
        if "$@"; then
                echo "ok $n - $what"
        else
                echo "not ok $n - $what"
                failed=1
        fi
}
eq() {
        [ "$1" = "$2" ] || {
                printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
                return 1
        }
}
# json EXPR: evaluates a Python expression on the JSON document in stdin (d).
json() {
        python3 -c 'import json, sys; d = json.load(sys.stdin); r = eval(sys.argv[1]); print("\n".join(r) if isinstance(r, list) else ("true" if r is True else "false" if r is False else r))' "$1"
}

dockerd_setup
check "dockerd starts through the init script" dockerd_start
check "dockerd populated" dockerd_populate

check "ping" "$PROBE" engine-ping "$SOCK"

info=$("$PROBE" engine-info "$SOCK")
check "info" test -n "$info"
check "DockerRootDir is the configured data root" \
        eq "$(json 'd["docker_root_dir"]' <<<"$info")" "$DOCKERD_DATA_ROOT"
check "driver as docker info reports it" \
        eq "$(json 'd["driver"]' <<<"$info")" "$(dockerd_docker info -f '{{.Driver}}')"
check "server version as docker version reports it" \
        eq "$(json 'd["server_version"]' <<<"$info")" "$(dockerd_docker version -f '{{.Server.Version}}')"
check "live restore off" eq "$(json 'd["live_restore"]' <<<"$info")" false
check "swarm inactive" eq "$(json 'd["swarm_state"]' <<<"$info")" inactive
check "no containerd image store on Engine 20.10" eq "$(json 'd["containerd_store"]' <<<"$info")" false

images=$("$PROBE" engine-images "$SOCK" | json d)
check "image ids as docker images -a" \
        eq "$images" "$(dockerd_docker images -a --no-trunc --format '{{.ID}}' | sort -u)"
check "both test images present" eq "$(grep -c '^sha256:' <<<"$images")" 2

containers=$("$PROBE" engine-containers "$SOCK")
check "container ids as docker ps -a" \
        eq "$(json '[c["id"] for c in d]' <<<"$containers")" "$(dockerd_docker ps -aq --no-trunc | sort)"
running_id=$(dockerd_docker inspect -f '{{.Id}}' "$DOCKERD_RUNNING")
check "running container's state" \
        eq "$(json "[c['state'] for c in d if c['id'] == '$running_id'][0]" <<<"$containers")" running
check "running container's restart policy" \
        eq "$(json "[c['restart_policy'] for c in d if c['id'] == '$running_id'][0]" <<<"$containers")" unless-stopped
check "stopped container's state and name" \
        eq "$(json "[c['state'] for c in d if c['name'] == '$DOCKERD_STOPPED'][0]" <<<"$containers")" exited

check "volume names as docker volume ls" \
        eq "$("$PROBE" engine-volumes "$SOCK" | json d)" "$(dockerd_docker volume ls -q | sort)"

check "stop a running container" "$PROBE" engine-stop "$SOCK" "$running_id"
check "it is stopped" eq "$(dockerd_docker inspect -f '{{.State.Running}}' "$running_id")" false
check "stopping a stopped container is success (304)" "$PROBE" engine-stop "$SOCK" "$running_id"
check "start it again" "$PROBE" engine-start "$SOCK" "$running_id"
check "it runs" eq "$(dockerd_docker inspect -f '{{.State.Running}}' "$running_id")" true
check "starting a running container is success (304)" "$PROBE" engine-start "$SOCK" "$running_id"

out=$("$PROBE" engine-start "$SOCK" no-such-container)
rc=$?
check "unknown container fails" eq "$rc" 1
check "… as ENOENT" eq "$(json 'd["errno"]' <<<"$out")" 2
check "… with the Engine's message" grep -q 'No such container' <<<"$out"

check "dockerd stops" dockerd_stop
out=$("$PROBE" engine-ping "$SOCK")
check "no daemon: ping fails with ENOENT or ECONNREFUSED" \
        grep -Eq '"errno":[[:space:]]*(2|111),' <<<"$out"

echo "1..$n"
exit $failed
