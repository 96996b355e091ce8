#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# docker.socket wakes dockerd up on the first connection. With a client
# hammering /var/run/docker.sock all through the move, the move must still
# succeed, and dockerd must not run at any moment between the stop and the
# start (while the move's journal says "stopped" or "copied"): a daemon
# woken mid-copy writes to the old tree behind rsync's back. The tool stops
# docker.socket before docker.service; without that, the hammer brings the
# daemon back.

. "$VM_LIB"

NEW=/mnt/docker-data/docker
STATE=/var/lib/docker-relocate/state.json
WATCH=/root/watch.log

docker_populate
fingerprint=$(docker_fingerprint)

# The client: a raw GET /_ping on the socket, again and again (python, as
# the docker CLI takes too long to start under emulation to hammer).
python3 - <<'PY' >/root/hammer.log 2>&1 &
import signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
end = time.time() + 600
ok = refused = 0
try:
    while time.time() < end:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect("/var/run/docker.sock")
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            s.recv(64)
            s.close()
            ok += 1
            time.sleep(0.01)
        except OSError:
            refused += 1
            time.sleep(0.02)
finally:
    print(ok, refused, flush=True)
PY
hammer=$!

# The watcher: every 0.1 s the move's phase and the PIDs of running
# daemons (dockerd, not the short "dockerd --validate" checks), in one
# process (a shell loop forking grep and pgrep samples only about once a
# second under emulation).
python3 - "$STATE" <<'PY' >"$WATCH" 2>&1 &
import json, os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
end = time.time() + 600
while time.time() < end:
    try:
        with open(sys.argv[1]) as f:
            phase = json.load(f).get("phase", "none")
    except (OSError, ValueError):
        phase = "none"
    pids, cmds = [], []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/comm" % p) as f:
                    comm = f.read().strip()
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            # The move's plan checks the new configuration with "dockerd
            # --validate": that exits without serving the socket or
            # touching the tree. One
            # that exited between the two reads is a zombie with an empty
            # command line: it serves nothing either.
            if comm == "dockerd" and argv[0] and b"--validate" not in argv and b"--help" not in argv:
                pids.append(p)
                cmds.append(b" ".join(argv).decode(errors="replace").strip())
    # The command lines last, to explain a failure: the window below reads
    # the third field only.
    print("%.3f %s %s %s" % (time.time(), phase, ",".join(pids), " | ".join(cmds)), flush=True)
    time.sleep(0.1)
PY
watcher=$!

docker-relocate move --device "$EBS_SERIAL" --yes >/root/move.out 2>&1
rc=$?
sleep 1
kill "$hammer" "$watcher" 2>/dev/null
wait "$hammer" "$watcher" 2>/dev/null

is "$rc" 0 "move exits 0 with the socket hammered" || diag "$(tail -n 20 /root/move.out)"
diag "hammer (answered, refused): $(tail -n 1 /root/hammer.log)"
# The window with Docker down: from the first sample without a dockerd
# until the move's journal says "configured" (after which the move starts
# Docker itself). No sample inside it may show a dockerd.
window() {
        awk '!on && !done && $3 == "" { on = 1 }
             $2 == "configured" || $2 == "verified" || $2 == "done" { on = 0; done = 1 }
             on' "$WATCH"
}
samples=$(window | wc -l)
copying=$(window | awk '$2 == "stopped" || $2 == "copied"' | wc -l)
woken=$(window | awk '$3 != ""')
ok '[ "$copying" -gt 0 ]' "the watcher saw Docker down through the copy ($samples samples, $copying while stopped or copied)" ||
        diag "$(tail -n 40 "$WATCH")"
is "$woken" "" "no dockerd ran between the stop and the start" || diag "samples with a dockerd:" "$(head -n 10 <<<"$woken")"
is "$(tail -n 1 /root/hammer.log | awk '{ print ($1 > 0 ? "answered" : "never answered"), ($2 > 0 ? "refused" : "never refused") }')" "answered refused" \
        "the hammer was answered, and refused while the socket was closed"
is "$(systemctl is-active docker.socket)" active "docker.socket is active again"
is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
is "$(docker_fingerprint)" "$fingerprint" "images, containers, volumes unchanged"
is "$(docker inspect -f '{{.State.Running}}' vm-web 2>&1)" true "container vm-web is running"
