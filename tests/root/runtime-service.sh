#!/bin/bash
# SysV service control through the service module against Debian's real
# /etc/init.d/docker: the daemon must be gone after stop, answer after start,
# and bring back the container that was running.
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
gone() {
        [ ! -d "/proc/$1" ]
}
now_ms() {
        date +%s%3N
}

dockerd_setup
check "dockerd starts through the init script" dockerd_start
check "dockerd populated" dockerd_populate

pid=$(dockerd_pid)
check "dockerd has a PID" test -n "$pid"
check "state: active" eq "$("$PROBE" service-state sysv)" active

t0=$(now_ms)
check "service stop (SysV)" "$PROBE" service-stop sysv
echo "# stop took $(($(now_ms) - t0)) ms"
check "the daemon's process is gone" gone "$pid"
check "the socket no longer answers" eval "! \"$PROBE\" engine-ping \"$SOCK\" >/dev/null"
check "state: inactive" eq "$("$PROBE" service-state sysv)" inactive
check "stopping a stopped daemon is success" "$PROBE" service-stop sysv

t0=$(now_ms)
check "service start (SysV), waits for the socket" "$PROBE" service-start sysv "$SOCK"
echo "# start took $(($(now_ms) - t0)) ms"
check "the socket answers" "$PROBE" engine-ping "$SOCK"
newpid=$(dockerd_pid)
check "a new daemon process" eval "[ -n \"$newpid\" ] && [ \"$newpid\" != \"$pid\" ]"
check "state: active" eq "$("$PROBE" service-state sysv)" active

# unless-stopped: the daemon brings back what ran when it stopped. It may
# take a moment after the socket answers.
running=false
for _ in $(seq 1 100); do
        running=$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")
        [ "$running" = true ] && break
        sleep 0.1
done
check "the running container is back" eq "$running" true
check "the stopped container stayed stopped" \
        eq "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_STOPPED")" false
check "the volume kept its data" \
        eq "$(dockerd_docker run --rm --network none -v "$DOCKERD_VOLUME:/vol" "$DOCKERD_IMAGE" cat /vol/file)" volume-data

# A container that ignores SIGTERM and may take 12 s to stop: Debian's
# script alone would SIGKILL dockerd after 10 s and leave the container's
# shim and overlay mount behind. The daemon must get the time it needs.
shims_here() {
        local ns p n=0
        ns=$(readlink /proc/self/ns/mnt)
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
                case "$(cat "$p/comm" 2>/dev/null)" in
                containerd-shim*) n=$((n + 1)) ;;
                esac
        done
        echo "$n"
}
slow_container() {
        dockerd_docker run -d --name relocate-slow --network none --stop-timeout 12 --restart unless-stopped \
                "$DOCKERD_IMAGE" sleep 1000000 >/dev/null
}
check "a slow-stopping container" slow_container
t0=$(now_ms)
check "service stop waits for the slow container" "$PROBE" service-stop sysv
dt=$(($(now_ms) - t0))
echo "# stop with a slow container took $dt ms"
check "… longer than the script's 10 s" test "$dt" -gt 10000
check "no container shim left behind" eq "$(shims_here)" 0
check "no mounts left below the data root" \
        eq "$("$PROBE" mounts-below "$DOCKERD_DATA_ROOT" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" 0
check "start again" "$PROBE" service-start sysv "$SOCK"
comes_back() {
        local _
        for _ in $(seq 1 100); do
                [ "$(dockerd_docker inspect -f '{{.State.Running}}' "$1")" = true ] && return 0
                sleep 0.1
        done
        return 1
}
check "the slow container is back" comes_back relocate-slow

# A daemon that cannot start: the SysV script backgrounds dockerd and
# succeeds anyway, so only the socket tells. The error must come within the
# timeout and say so.
check "stop before the broken start" "$PROBE" service-stop sysv
cp /etc/default/docker "$DOCKERD_TMP/default-docker.good"
echo 'DOCKER_OPTS="$DOCKER_OPTS --no-such-flag"' >>/etc/default/docker
t0=$(now_ms)
out=$(RUNTIME_PROBE_TIMEOUT_MS=60000 "$PROBE" service-start sysv "$SOCK")
rc=$?
dt=$(($(now_ms) - t0))
echo "# a daemon that exits at once was noticed after $dt ms"
check "a daemon that does not come up is an error" eq "$rc" 1
check "… ESRCH: it exited" grep -Eq '"errno":[[:space:]]*3,' <<<"$out"
check "… saying so" grep -q 'exited right after it was started' <<<"$out"
check "… noticed long before the 60 s timeout ($dt ms)" test "$dt" -lt 15000
cp "$DOCKERD_TMP/default-docker.good" /etc/default/docker
# The script's own pidfile names the dead start; stop clears it.
/etc/init.d/docker stop >/dev/null 2>&1 || true
check "and starts again once fixed" "$PROBE" service-start sysv "$SOCK"

echo "1..$n"
exit $failed
