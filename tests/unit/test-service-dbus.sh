#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd backend of the service module, over a real D-Bus connection:
# a private dbus-daemon with python-dbusmock's systemd template standing in
# for PID 1. This proves the D-Bus side (signatures, Subscribe, JobRemoved
# waiting, the socket-before-service order, property decoding); the same
# code against real systemd runs in the VM tests. Needs no root.
set -u

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
PY=/usr/bin/python3
if ! command -v dbus-daemon >/dev/null || ! "$PY" -c 'import dbusmock' 2>/dev/null; then
        # Status 0: meson's TAP reader takes the plan for a skip only then.
        echo "1..0 # SKIP needs dbus-daemon and python3-dbusmock"
        exit 0
fi

T=$(mktemp -d /tmp/test-service-dbus.XXXXXX)
BUS_PID=
MOCK_PID=
cleanup() {
        [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
        [ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null
        [ -n "$MOCK_PID" ] && wait "$MOCK_PID" 2>/dev/null
        [ -n "$BUS_PID" ] && wait "$BUS_PID" 2>/dev/null
        [ -n "${KEEP:-}" ] || rm -rf "$T"
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
        "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
# The order of the manager calls the mock saw since the last mark, one
# method and unit per line. (The mock keeps its log open: truncating it
# would leave a hole, so a mark is a line count.)
MARK=0
mark() {
        MARK=$(wc -l <"$T/mock.log")
}
calls() {
        tail -n +$((MARK + 1)) "$T/mock.log" |
                sed -nE 's/^[0-9.]+ (Subscribe|StopUnit|StartUnit|LoadUnit|Reload)( "([^"]*)")?.*/\1 \3/p' |
                sed 's/ $//'
}

cat >"$T/bus.conf" <<EOT
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$T/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOT
dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile 2>"$T/bus.log" &
BUS_PID=$!
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus"
for _ in $(seq 1 100); do
        [ -S "$T/bus" ] && break
        sleep 0.05
done

"$PY" -m dbusmock --system --template systemd -l "$T/mock.log" >/dev/null 2>&1 &
MOCK_PID=$!

# What the template lacks, and docker's units as a Debian host has them.
timeout 30 "$PY" - <<'EOT' || { echo "Bail out! mock setup failed"; exit 1; }
import time
import dbus

bus = dbus.SystemBus()
for _ in range(200):
    if bus.name_has_owner('org.freedesktop.systemd1'):
        break
    time.sleep(0.05)
main = bus.get_object('org.freedesktop.systemd1', '/org/freedesktop/systemd1')
mock = dbus.Interface(main, 'org.freedesktop.DBus.Mock')
mock.AddMethod('org.freedesktop.systemd1.Manager', 'Subscribe', '', '', '')
mock.AddMethod('org.freedesktop.systemd1.Manager', 'Reload', '', '', '')
mock.AddMethod('org.freedesktop.systemd1.Manager', 'LoadUnit', 's', 'o', 'ret = self.units[args[0]]')
for unit in ('docker.socket', 'docker.service', 'containerd.service'):
    mock.AddMockUnit(unit)

def unit(name):
    path = '/org/freedesktop/systemd1/unit/' + name.replace('.', '_').replace('-', '_')
    return dbus.Interface(bus.get_object('org.freedesktop.systemd1', path), 'org.freedesktop.DBus.Mock')

for name in ('docker.socket', 'docker.service', 'containerd.service'):
    unit(name).UpdateProperties('org.freedesktop.systemd1.Unit', {'ActiveState': 'active'})

svc = unit('docker.service')
svc.AddProperties('org.freedesktop.systemd1.Unit', {
    'FragmentPath': '/lib/systemd/system/docker.service',
    'DropInPaths': dbus.Array(['/etc/systemd/system/docker.service.d/data-root.conf'], signature='s'),
})
def cmd(path, argv, ignore):
    return dbus.Struct((path, dbus.Array(argv, signature='s'), dbus.Boolean(ignore),
                        dbus.UInt64(0), dbus.UInt64(0), dbus.UInt64(0), dbus.UInt64(0),
                        dbus.UInt32(0), dbus.Int32(0), dbus.Int32(0)), signature='sasbttttuii')
svc.AddProperties('org.freedesktop.systemd1.Service', {
    # What a drop-in with "ExecStart=" then a new "ExecStart=" leaves.
    'ExecStart': dbus.Array([cmd('/usr/sbin/dockerd',
                                 ['/usr/sbin/dockerd', '-H', 'fd://', '--data-root', '/srv/docker',
                                  '$DOCKER_OPTS'], False)], signature='(sasbttttuii)'),
    'EnvironmentFiles': dbus.Array([dbus.Struct(('/etc/default/docker', dbus.Boolean(True)), signature='sb')],
                                   signature='(sb)'),
    'Environment': dbus.Array(['DOCKER_RAMDISK=1'], signature='s'),
})
EOT

check "state of an active docker.service" eq "$("$PROBE" service-state systemd)" active

unit=$("$PROBE" service-unit docker.service)
check "unit read over D-Bus" test -n "$unit"
check "ExecStart argv" \
        eq "$(json '" ".join(d["exec_start"][0]["argv"])' <<<"$unit")" \
        '/usr/sbin/dockerd -H fd:// --data-root /srv/docker $DOCKER_OPTS'
check "ExecStart path" eq "$(json 'd["exec_start"][0]["path"]' <<<"$unit")" /usr/sbin/dockerd
check "EnvironmentFiles with the '-' flag" \
        eq "$(json 'd["environment_files"]' <<<"$unit")" "[{'path': '/etc/default/docker', 'optional': True}]"
check "Environment" eq "$(json 'd["environment"]' <<<"$unit")" "['DOCKER_RAMDISK=1']"
check "FragmentPath" eq "$(json 'd["fragment_path"]' <<<"$unit")" /lib/systemd/system/docker.service
check "DropInPaths" \
        eq "$(json 'd["drop_in_paths"]' <<<"$unit")" "['/etc/systemd/system/docker.service.d/data-root.conf']"

mark
t0=$(date +%s%3N)
out=$(RUNTIME_PROBE_TIMEOUT_MS=10000 "$PROBE" service-stop systemd containerd)
check "stop over D-Bus: $out" test $? -eq 0
echo "# stop took $(($(date +%s%3N) - t0)) ms (1 s of it the re-activation check)"
check "subscribed first, then the socket, the service, containerd" \
        eq "$(calls | tr '\n' ,)" "Subscribe,StopUnit docker.socket,StopUnit docker.service,StopUnit containerd.service,"
check "state after stop" eq "$("$PROBE" service-state systemd)" inactive

mark
check "daemon-reload" "$PROBE" service-reload systemd
check "… is Manager.Reload" eq "$(calls)" Reload

# Start: the units start in order; no dockerd listens on the socket here, so
# the wait for its answer must end in time, with that said.
mark
out=$(RUNTIME_PROBE_TIMEOUT_MS=3000 "$PROBE" service-start systemd "$T/no-daemon.sock")
check "start without a daemon answering fails with ETIMEDOUT" grep -Eq '"errno":[[:space:]]*110,' <<<"$out"
check "… saying the daemon does not answer" grep -q 'does not answer' <<<"$out"
check "socket loaded and started before the service" \
        eq "$(calls | tr '\n' ,)" "Subscribe,LoadUnit docker.socket,StartUnit docker.socket,StartUnit docker.service,"
check "state after start" eq "$("$PROBE" service-state systemd)" active

# Something activates docker.service again moments after its stop job
# finished (a unit that requires it, a path or timer unit): the stop must
# notice and refuse to report success.
timeout 20 "$PY" - "$T/watcher-ready" <<'EOT' &
import sys
import dbus
import dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
loop = GLib.MainLoop()

def reactivate():
    path = '/org/freedesktop/systemd1/unit/docker_service'
    m = dbus.Interface(bus.get_object('org.freedesktop.systemd1', path), 'org.freedesktop.DBus.Mock')
    m.UpdateProperties('org.freedesktop.systemd1.Unit', {'ActiveState': 'activating'})
    loop.quit()
    return False

def removed(job_id, job, unit, result):
    if unit == 'docker.service':
        GLib.timeout_add(200, reactivate)

bus.add_signal_receiver(removed, 'JobRemoved', 'org.freedesktop.systemd1.Manager')
open(sys.argv[1], 'w').close()
loop.run()
EOT
WATCHER_PID=$!
for _ in $(seq 1 100); do
        [ -e "$T/watcher-ready" ] && break
        sleep 0.05
done
out=$(RUNTIME_PROBE_TIMEOUT_MS=10000 "$PROBE" service-stop systemd)
rc=$?
wait "$WATCHER_PID" 2>/dev/null
check "a unit active again after its stop is an error" eq "$rc" 1
check "… EBUSY" grep -Eq '"errno":[[:space:]]*16,' <<<"$out"
check "… that says something activates it" grep -q 'something activates it' <<<"$out"

echo "1..$n"
exit $failed
