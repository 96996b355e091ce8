#!/bin/bash
# SysV service control through the service module against Debian's real
# /etc/init.d/docker: the daemon must be gone after stop, answer after start,
# and bring back the container that was running.
set -u

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
SOCK=$DOCKERD_SOCK
now_ms() {
        date +%s%3N
}

dockerd_setup
ok 'dockerd_start' "dockerd starts through the init script"
ok 'dockerd_populate' "dockerd populated"

pid=$(dockerd_pid)
isnt "$pid" "" "dockerd has a PID"
is "$("$PROBE" service-state sysv)" active "state: active"

t0=$(now_ms)
ok '"$PROBE" service-stop sysv' "service stop (SysV)"
echo "# stop took $(($(now_ms) - t0)) ms"
ok '[ ! -d "/proc/$pid" ]' "the daemon's process is gone"
ok '! "$PROBE" engine-ping "$SOCK"' "the socket no longer answers"
is "$("$PROBE" service-state sysv)" inactive "state: inactive"
ok '"$PROBE" service-stop sysv' "stopping a stopped daemon is success"

t0=$(now_ms)
ok '"$PROBE" service-start sysv "$SOCK"' "service start (SysV), waits for the socket"
echo "# start took $(($(now_ms) - t0)) ms"
ok '"$PROBE" engine-ping "$SOCK"' "the socket answers"
newpid=$(dockerd_pid)
ok '[ -n "$newpid" ] && [ "$newpid" != "$pid" ]' "a new daemon process"
is "$("$PROBE" service-state sysv)" active "state: active"

# unless-stopped: the daemon brings back what ran when it stopped. It may
# take a moment after the socket answers.
running=false
for _ in $(seq 1 100); do
        running=$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")
        [ "$running" = true ] && break
        sleep 0.1
done
is "$running" true "the running container is back"
is "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_STOPPED")" false "the stopped container stayed stopped"
is "$(dockerd_docker run --rm --network none -v "$DOCKERD_VOLUME:/vol" "$DOCKERD_IMAGE" cat /vol/file)" volume-data \
        "the volume kept its data"

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
ok 'dockerd_docker run -d --name relocate-slow --network none --stop-timeout 12 --restart unless-stopped \
        "$DOCKERD_IMAGE" sleep 1000000' "a slow-stopping container"
t0=$(now_ms)
ok '"$PROBE" service-stop sysv' "service stop waits for the slow container"
dt=$(($(now_ms) - t0))
echo "# stop with a slow container took $dt ms"
ok '[ "$dt" -gt 10000 ]' "… longer than the script's 10 s"
is "$(shims_here)" 0 "no container shim left behind"
is "$("$PROBE" mounts-below "$DOCKERD_DATA_ROOT" | json_get 'len(j)')" 0 "no mounts left below the data root"
ok '"$PROBE" service-start sysv "$SOCK"' "start again"
runs() {
        [ "$(dockerd_docker inspect -f '{{.State.Running}}' "$1")" = true ]
}
ok 'wait_for 10 runs relocate-slow' "the slow container is back"

# A daemon that cannot start: the SysV script backgrounds dockerd and
# succeeds anyway, so only the socket tells. The error must come within the
# timeout and say so.
ok '"$PROBE" service-stop sysv' "stop before the broken start"
cp /etc/default/docker "$DOCKERD_TMP/default-docker.good"
echo 'DOCKER_OPTS="$DOCKER_OPTS --no-such-flag"' >>/etc/default/docker
t0=$(now_ms)
out=$(RUNTIME_PROBE_TIMEOUT_MS=60000 "$PROBE" service-start sysv "$SOCK")
rc=$?
dt=$(($(now_ms) - t0))
echo "# a daemon that exits at once was noticed after $dt ms"
is "$rc" 1 "a daemon that does not come up is an error"
like "$out" '"errno":[[:space:]]*3,' "… ESRCH: it exited"
like "$out" 'exited right after it was started' "… saying so"
ok '[ "$dt" -lt 15000 ]' "… noticed long before the 60 s timeout ($dt ms)"
cp "$DOCKERD_TMP/default-docker.good" /etc/default/docker
# The script's own pidfile names the dead start; stop clears it.
/etc/init.d/docker stop >/dev/null 2>&1 || true
ok '"$PROBE" service-start sysv "$SOCK"' "and starts again once fixed"

done_testing
