#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The service module against real systemd: stops docker.socket and
# docker.service over D-Bus, starts them again, reads the unit's properties,
# sees a drop-in after daemon-reload. It acts on the host's own docker, so it
# runs only where that is meant to happen: in the test VM, which sets
# DOCKER_RELOCATE_VM_TESTS=1. Everywhere else it skips.
set -u

. "$(dirname "$0")/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all_missing root
# Skipped by design on hosts of the wrong kind.
[ -d /run/systemd/system ] || skip_all "systemd is not PID 1"
[ "${DOCKER_RELOCATE_VM_TESTS:-}" = 1 ] ||
        skip_all "stops the host's docker; only in the test VM (DOCKER_RELOCATE_VM_TESTS=1)"

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
on_exit cleanup

is_active() {
        systemctl is-active "$1" 2>/dev/null
}
now_ms() {
        date +%s%3N
}

timeout 120 systemctl start docker.service
is "$(is_active docker.service)" active "docker.service runs to begin with"
is "$("$PROBE" service-state systemd)" active "state over D-Bus: active"

unit=$("$PROBE" service-unit docker.service)
ok '[ -n "$unit" ]' "unit read over D-Bus"
is "$(json_get 'j["fragment_path"]' <<<"$unit")" "$(systemctl show -P FragmentPath docker.service)" \
        "FragmentPath as systemctl shows it"
is "$(json_get 'j["exec_start"][0]["argv"][0].endswith("dockerd")' <<<"$unit")" true "ExecStart runs dockerd"
# systemctl prints "{ path=... ; argv[]=ARGV ; ignore_errors=no ; ... }".
systemctl_has_argv() {
        systemctl show -P ExecStart docker.service | grep -qF "argv[]=$1 ;"
}
argv=$(json_get '" ".join(j["exec_start"][0]["argv"])' <<<"$unit")
ok 'systemctl_has_argv "$argv"' "ExecStart argv as systemctl shows it"

pid=$(systemctl show -P MainPID docker.service)
t0=$(now_ms)
out=$("$PROBE" service-stop systemd)
rc=$?
echo "# stop took $(($(now_ms) - t0)) ms"
is "$rc" 0 "stop over D-Bus: $out"
is "$(is_active docker.service)" inactive "docker.service inactive"
is "$(is_active docker.socket)" inactive "docker.socket inactive (nothing can activate the daemon)"
ok '[ ! -d "/proc/$pid" ]' "dockerd (PID $pid) gone"
is "$("$PROBE" service-state systemd)" inactive "state over D-Bus: inactive"
ok '"$PROBE" service-stop systemd' "stopping again is success"

mkdir -p "$DROPIN_DIR"
printf '[Service]\nEnvironment=RELOCATE_TEST=1\n' >"$DROPIN"
ok '"$PROBE" service-reload systemd' "daemon-reload over D-Bus"
unit=$("$PROBE" service-unit docker.service)
is "$(json_get "'$DROPIN' in j['drop_in_paths']" <<<"$unit")" true "the new drop-in is listed"
is "$(json_get "'RELOCATE_TEST=1' in j['environment']" <<<"$unit")" true "its Environment= is read"

t0=$(now_ms)
out=$("$PROBE" service-start systemd "$SOCK")
rc=$?
echo "# start took $(($(now_ms) - t0)) ms"
is "$rc" 0 "start over D-Bus, waits for the socket: $out"
is "$(is_active docker.service)" active "docker.service active"
ok '"$PROBE" engine-ping "$SOCK"' "the daemon answers"
ok "tr '\\0' '\\n' </proc/$(systemctl show -P MainPID docker.service)/environ | grep -qx RELOCATE_TEST=1" \
        "the daemon runs with the drop-in's environment"

done_testing

