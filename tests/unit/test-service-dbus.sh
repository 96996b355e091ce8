#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd backend of the service module, over a real D-Bus connection:
# a private dbus-daemon with python-dbusmock's systemd template standing in
# for PID 1. This proves the D-Bus side (signatures, Subscribe, JobRemoved
# waiting, the socket-before-service order, property decoding); the same
# code against real systemd runs in the VM tests. Needs no root.
set -u
. "$(dirname "$0")/../lib/tap.sh"

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
PY=/usr/bin/python3
require 'command -v dbus-daemon' "dbus-daemon (package dbus)"
require '"$PY" -c "import dbusmock, gi"' "python-dbusmock (package python3-dbusmock)"

# The order of the manager calls the mock saw since the last mark, one
# method and unit per line. (The mock keeps its log open: truncating it
# would leave a hole, so a mark is a line count.)
MARK=0
mark() {
        MARK=$(wc -l <"$WORK/mock.log")
}
calls() {
        tail -n +$((MARK + 1)) "$WORK/mock.log" |
                sed -nE 's/^[0-9.]+ (Subscribe|StopUnit|StartUnit|LoadUnit|Reload|ResetFailedUnit)( "([^"]*)")?.*/\1 \3/p' |
                sed 's/ $//'
}

cat >"$WORK/bus.conf" <<EOT
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$WORK/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOT
sandbox_spawn BUS_PID dbus-daemon --config-file="$WORK/bus.conf" --nofork --nopidfile 2>"$WORK/bus.log"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$WORK/bus"
wait_for 5 test -S "$WORK/bus"

sandbox_spawn MOCK_PID "$PY" -m dbusmock --system --template systemd -l "$WORK/mock.log" >/dev/null 2>&1

# What the template lacks, and docker's units as a Debian host has them.
timeout 30 "$PY" - <<'EOT' || bail_out "mock setup failed"
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
mock.AddMethod('org.freedesktop.systemd1.Manager', 'ResetFailedUnit', 's', '', '')
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

is "$("$PROBE" service-state systemd)" active "state of an active docker.service"

unit=$("$PROBE" service-unit docker.service)
ok '[ -n "$unit" ]' "unit read over D-Bus"
is "$(json_get '" ".join(j["exec_start"][0]["argv"])' <<<"$unit")" '/usr/sbin/dockerd -H fd:// --data-root /srv/docker $DOCKER_OPTS' \
        "ExecStart argv"
is "$(json_get 'j["exec_start"][0]["path"]' <<<"$unit")" /usr/sbin/dockerd "ExecStart path"
is "$(json_get 'j["environment_files"]' <<<"$unit")" '[{"optional": true, "path": "/etc/default/docker"}]' \
        "EnvironmentFiles with the '-' flag"
is "$(json_get 'j["environment"]' <<<"$unit")" '["DOCKER_RAMDISK=1"]' "Environment"
is "$(json_get 'j["fragment_path"]' <<<"$unit")" /lib/systemd/system/docker.service "FragmentPath"
is "$(json_get 'j["drop_in_paths"]' <<<"$unit")" '["/etc/systemd/system/docker.service.d/data-root.conf"]' "DropInPaths"

mark
t0=$(date +%s%3N)
out=$(RUNTIME_PROBE_TIMEOUT_MS=10000 "$PROBE" service-stop systemd containerd)
is "$?" 0 "stop over D-Bus: $out"
echo "# stop took $(($(date +%s%3N) - t0)) ms (1 s of it the re-activation check)"
is "$(calls | tr '\n' ,)" "Subscribe,StopUnit docker.socket,StopUnit docker.service,StopUnit containerd.service," \
        "subscribed first, then the socket, the service, containerd"
is "$("$PROBE" service-state systemd)" inactive "state after stop"

mark
ok '"$PROBE" service-reload systemd' "daemon-reload"
is "$(calls)" Reload "… is Manager.Reload"

# Start: the units start in order; no dockerd listens on the socket here, so
# the wait for its answer must end in time, with that said.
mark
out=$(RUNTIME_PROBE_TIMEOUT_MS=3000 "$PROBE" service-start systemd "$WORK/no-daemon.sock")
like "$out" '"errno":[[:space:]]*110,' "start without a daemon answering fails with ETIMEDOUT"
like "$out" 'does not answer' "… saying the daemon does not answer"
is "$(calls | tr '\n' ,)" "ResetFailedUnit docker.socket,ResetFailedUnit docker.service,Subscribe,LoadUnit docker.socket,StartUnit docker.socket,StartUnit docker.service," \
        "the start limits reset, then the socket loaded and started before the service"
is "$("$PROBE" service-state systemd)" active "state after start"

# Something activates docker.service again moments after its stop job
# finished (a unit that requires it, a path or timer unit): the stop must
# notice and refuse to report success.
timeout 20 "$PY" - "$WORK/watcher-ready" <<'EOT' &
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
wait_for 5 test -e "$WORK/watcher-ready"
out=$(RUNTIME_PROBE_TIMEOUT_MS=10000 "$PROBE" service-stop systemd)
rc=$?
wait "$WATCHER_PID" 2>/dev/null
is "$rc" 1 "a unit active again after its stop is an error"
like "$out" '"errno":[[:space:]]*16,' "… EBUSY"
like "$out" 'something activates it' "… that says something activates it"

done_testing
