#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The service module against real systemd: stops docker.socket and
# docker.service over D-Bus, starts them again, reads the unit's properties,
# sees a drop-in after daemon-reload. It acts on the host's own docker, so it
# runs only where that is meant to happen: in the test VM, which sets
# DOCKER_RELOCATE_VM_TESTS=1. Everywhere else it skips.
set -u

if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP not root"
        exit 77
fi
# Skipped by design on hosts of the wrong kind: status 0, as meson's TAP
# reader takes a "1..0 # SKIP" plan for a skip only then (77 reads as an
# error there).
if [ ! -d /run/systemd/system ]; then
        echo "1..0 # SKIP systemd is not PID 1"
        exit 0
fi
if [ "${DOCKER_RELOCATE_VM_TESTS:-}" != 1 ]; then
        echo "1..0 # SKIP stops the host's docker; only in the test VM (DOCKER_RELOCATE_VM_TESTS=1)"
        exit 0
fi

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
SOCK=/var/run/docker.sock
DROPIN_DIR=/run/systemd/system/docker.service.d
DROPIN=$DROPIN_DIR/50-relocate-test.conf

cleanup() {
        if [ -e "$DROPIN" ]; then
                rm -f "$DROPIN"
                rmdir "$DROPIN_DIR" 2>/dev/null
                timeout 60 systemctl daemon-reload
        fi
        # Leave docker as a booted VM has it.
        timeout 120 systemctl start docker.socket docker.service >/dev/null 2>&1 || true
}
trap cleanup EXIT

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
json() {
        python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
is_active() {
        systemctl is-active "$1" 2>/dev/null
}
now_ms() {
        date +%s%3N
}

timeout 120 systemctl start docker.service
check "docker.service runs to begin with" eq "$(is_active docker.service)" active
check "state over D-Bus: active" eq "$("$PROBE" service-state systemd)" active

unit=$("$PROBE" service-unit docker.service)
check "unit read over D-Bus" test -n "$unit"
check "FragmentPath as systemctl shows it" \
        eq "$(json 'd["fragment_path"]' <<<"$unit")" "$(systemctl show -P FragmentPath docker.service)"
check "ExecStart runs dockerd" eq "$(json 'd["exec_start"][0]["argv"][0].endswith("dockerd")' <<<"$unit")" True
# systemctl prints "{ path=... ; argv[]=ARGV ; ignore_errors=no ; ... }".
systemctl_has_argv() {
        systemctl show -P ExecStart docker.service | grep -qF "argv[]=$1 ;"
}
check "ExecStart argv as systemctl shows it" \
        systemctl_has_argv "$(json '" ".join(d["exec_start"][0]["argv"])' <<<"$unit")"

pid=$(systemctl show -P MainPID docker.service)
t0=$(now_ms)
out=$("$PROBE" service-stop systemd)
rc=$?
echo "# stop took $(($(now_ms) - t0)) ms"
check "stop over D-Bus: $out" eq "$rc" 0
check "docker.service inactive" eq "$(is_active docker.service)" inactive
check "docker.socket inactive (nothing can activate the daemon)" eq "$(is_active docker.socket)" inactive
check "dockerd (PID $pid) gone" test ! -d "/proc/$pid"
check "state over D-Bus: inactive" eq "$("$PROBE" service-state systemd)" inactive
check "stopping again is success" "$PROBE" service-stop systemd

mkdir -p "$DROPIN_DIR"
printf '[Service]\nEnvironment=RELOCATE_TEST=1\n' >"$DROPIN"
check "daemon-reload over D-Bus" "$PROBE" service-reload systemd
unit=$("$PROBE" service-unit docker.service)
check "the new drop-in is listed" eq "$(json "'$DROPIN' in d['drop_in_paths']" <<<"$unit")" True
check "its Environment= is read" eq "$(json "'RELOCATE_TEST=1' in d['environment']" <<<"$unit")" True

t0=$(now_ms)
out=$("$PROBE" service-start systemd "$SOCK")
rc=$?
echo "# start took $(($(now_ms) - t0)) ms"
check "start over D-Bus, waits for the socket: $out" eq "$rc" 0
check "docker.service active" eq "$(is_active docker.service)" active
check "the daemon answers" "$PROBE" engine-ping "$SOCK"
check "the daemon runs with the drop-in's environment" \
        eval "tr '\\0' '\\n' </proc/$(systemctl show -P MainPID docker.service)/environ | grep -qx RELOCATE_TEST=1"

echo "1..$n"
exit $failed
