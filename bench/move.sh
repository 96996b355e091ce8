#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# docker-relocate move, timed, on a writable copy of a cached data root: the
# daemon runs through the SysV init script (data root in daemon.json) in a
# private /etc and /var/lib, its container ticking; the move goes onto a
# fresh ext4 volume, once stop-the-world (--no-pre-copy) and once with the
# live pre-copy, rolled back in between. A client polls the Docker API
# (GET /_ping every 100 ms) throughout: the longest stretch without an answer
# is the downtime as users see it. Before the moves, with the same poller, a
# plain restart of the daemon through the same init script (stop, start, the
# container running again), no move: the least any move can keep Docker
# unreachable, and the figure the moves' downtime is set against. Called by
# run.sh --move in its private mount namespace:
#
#   move.sh IMAGE TREE OUTDIR
set -uo pipefail

# The init script daemonizes dockerd: once the script has exited, dockerd's
# parent is the nearest subreaper, else PID 1. A host's init reaps it the
# moment it exits; a machine whose PID 1 is no init may take seconds, and
# the init script's stop (and so the move's stop and the plain restart)
# waits for that. tini as a subreaper here reaps at once, as init does.
if [ -z "${BENCH_REAPER:-}" ]; then
        if command -v tini >/dev/null; then
                exec env BENCH_REAPER=tini tini -s -- bash "$0" "$@"
        fi
        echo "move.sh: no tini (package tini): dockerd's exit is timed with" \
                "this machine's PID 1 reaping it ($(cat /proc/1/comm))" >&2
        BENCH_REAPER="PID 1 ($(cat /proc/1/comm))"
fi

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$top/tests/root/lib-dockerd.sh"
# tap.sh, which lib-dockerd.sh reads, makes a work directory and an exit
# trap for a test: the benchmark has its own, on /var/tmp for its images.
rm -rf --one-file-system "$WORK"
sandbox_in_private_ns || { echo "not in a private mount namespace" >&2; exit 1; }

img=$1
tree=$2
OUT=$3
BUILD=${BUILD:-$top/build}
BIN=$BUILD/docker-relocate
WORK=$(mktemp -d /var/tmp/bench-move.XXXXXX)
DOCKERD_TMP=$WORK/dockerd
mkdir -p "$DOCKERD_TMP"
. "$here/lib-loop.sh"
. "$here/lib-memory.sh"
POLLER=

cleanup() {
        local m
        [ -n "$POLLER" ] && kill "$POLLER" 2>/dev/null && wait "$POLLER" 2>/dev/null
        dockerd_teardown
        sandbox_umount_all
        awk -v w="$WORK" 'index($5, w) == 1 || $5 == "/etc" || $5 ~ "^/var/lib" { print $5 }' /proc/self/mountinfo |
                sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        loop_detach_all
        rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
loop_traps

log() {
        printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

# Pings the daemon every 100 ms, one line per answer or failure:
# "<epoch seconds> ok|down".
poll() {
        while :; do
                if curl -s -m 1 --unix-socket "$DOCKERD_SOCK" http://docker/_ping >/dev/null 2>&1; then
                        echo "$(date +%s.%N) ok"
                else
                        echo "$(date +%s.%N) down"
                fi
                sleep 0.1
        done
}
longest_down() {
        awk '$2 == "down" { if (start == "") start = $1; last = $1 }
             $2 == "ok" { if (start != "") { d = $1 - start; if (d > max) max = d; start = "" } }
             END { if (start != "") { d = last - start; if (d > max) max = d }; printf "%.1f", max }' "$1"
}

# The target holds as many inodes as the source: the million-file tree
# needs more than ext4's default ratio gives (run.sh's mkfs_opts).
case $tree in
million) vol_mkfs_opts="-i 4096" ;;
*) vol_mkfs_opts= ;;
esac

# One line per measurement, for report.py: tree, what, exit status, the
# client's longest downtime, the downtime the tool reports, the steps.
[ -f "$OUT/move.tsv" ] || printf 'tree\tmode\texit\tseconds\tclient_down\ttool_down\tsteps\tloadavg\n' >"$OUT/move.tsv"

# The container that runs when the daemon is up (restarted by its policy).
container_running() {
        [ "$(dockerd_docker inspect -f '{{.State.Running}}' bench-running 2>/dev/null)" = true ]
}

# The longest stretch without an answer, as seconds after $2: "from to"
# (where the steps of a move fall in it).
down_window() {
        awk -v t0="$2" '$2 == "down" { if (start == "") start = $1; last = $1 }
             $2 == "ok" { if (start != "") { if ($1 - start > max) { max = $1 - start; a = start; b = $1 }; start = "" } }
             END { if (start != "" && last - start > max) { a = start; b = last }
                   if (a != "") printf "%.2f %.2f", a - t0, b - t0 }' "$1"
}

log "move: a writable copy of the $tree data root"
cp --sparse=always "$img" "$WORK/old.img" || exit 1
loop_attach olddev "$WORK/old.img" || exit 1
mkdir -p "$WORK/old"
mount "$olddev" "$WORK/old" || exit 1
dockerd_private_system "$WORK"
DOCKERD_DATA_ROOT=$WORK/old/docker
DOCKERD_CONFIG=json
dockerd_setup >&2 || exit 1
dockerd_start >&2 || exit 1
sleep 3

# The floor: the daemon stopped and started again by hand, as a user would
# (the init script's stop and start), until its container runs again.
poll >"$WORK/poll-restart.txt" &
POLLER=$!
sleep 1
log "restart (no move)"
echo "$tree: the daemonized dockerd is reaped by $BENCH_REAPER" | tee -a "$OUT/move.txt"
t0=$(date +%s.%N)
rc=0
timeout 120 /etc/init.d/docker stop >"$OUT/restart-$tree.txt" 2>&1 || rc=1
t_stop=$(date +%s.%N)
timeout 120 /etc/init.d/docker start >>"$OUT/restart-$tree.txt" 2>&1 || rc=1
dockerd_wait_socket >&2 || rc=1
t_api=$(date +%s.%N)
# The restart policy starts the container; a user would start it otherwise.
for _ in $(seq 1 100); do
        container_running && break
        sleep 0.1
done
container_running || dockerd_docker start bench-running >/dev/null 2>&1 || rc=1
t1=$(date +%s.%N)
sleep 1
kill "$POLLER" && wait "$POLLER" 2>/dev/null
POLLER=
down=$(longest_down "$WORK/poll-restart.txt")
steps=$(awk -v a="$t0" -v b="$t_stop" -v c="$t_api" -v d="$t1" \
        'BEGIN { printf "stop %.2f / start until the API answers %.2f / container running %.2f", b - a, c - b, d - c }')
printf '%s\trestart\t%s\t%.2f\t%s\t-\t%s\t%s\n' "$tree" "$rc" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
        "$down" "$steps" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/move.tsv"
echo "restart $tree (init script stop and start, no move): exit $rc; steps (s): $steps;" \
        "Docker API unreachable for $down s at most (client polling every 100 ms)" | tee -a "$OUT/move.txt"

truncate -s 12G "$WORK/vol.img"
loop_attach voldev "$WORK/vol.img" || exit 1
for mode in no-pre-copy pre-copy; do
        # shellcheck disable=SC2086
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 $vol_mkfs_opts "$voldev" || exit 1
        mkdir -p "$WORK/vol"
        mount "$voldev" "$WORK/vol" || exit 1
        mkdir "$WORK/vol/docker"
        drop_caches
        prefault_memory "$(prefault_bytes "$img")"
        poll >"$WORK/poll-$mode.txt" &
        POLLER=$!
        sleep 1
        log "move ($mode)"
        t0=$(date +%s.%N)
        "$BIN" move --to "$WORK/vol/docker" --$mode --yes --json >"$OUT/move-$tree-$mode.json" \
                2>"$OUT/move-$tree-$mode.err"
        rc=$?
        t1=$(date +%s.%N)
        sleep 1
        kill "$POLLER" && wait "$POLLER" 2>/dev/null
        POLLER=
        python3 - "$OUT/move-$tree-$mode.json" "$rc" "$(longest_down "$WORK/poll-$mode.txt")" "$t0" "$t1" \
                "$tree" "$mode" "$OUT/move.tsv" "$(down_window "$WORK/poll-$mode.txt" "$t0")" <<'PY' | tee -a "$OUT/move.txt"
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    d = {}
steps = " / ".join(f"{s['name']} {s['seconds']}" for s in d.get("steps", []))
final = ", ".join(f"{p['what']}: " + (f"{p['directories']} changed directories" if p["kind"] == "changes"
                                        else f"full walk ({p['reason']})") for p in d.get("final_pass", [])) or "none"
print(f"move {sys.argv[6]} --{sys.argv[7]}: exit {sys.argv[2]}, {float(sys.argv[5]) - float(sys.argv[4]):.1f} s in all; "
      f"steps (s): {steps}; final pass: {final}; downtime the tool reports {d.get('downtime_seconds')} s; "
      f"Docker API unreachable for {sys.argv[3]} s at most (client polling every 100 ms)")
# Where the steps fall against that stretch, in seconds after the move began:
# the steps' own times laid end to end, backwards from the move's exit (what
# comes before the first step, the plan, is the rest of the total).
total = float(sys.argv[5]) - float(sys.argv[4])
at, marks = total - sum(s["seconds"] for s in d.get("steps", [])), []
for s in d.get("steps", []):
    at += s["seconds"]
    marks.append(f"{s['name']} ends +{at:.2f}")
window = sys.argv[9].split()
if len(window) == 2:
    print(f"  API down from +{window[0]} to +{window[1]} s; " + ", ".join(marks))
with open(sys.argv[8], "a") as tsv:
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    tsv.write(f"{sys.argv[6]}\t{sys.argv[7]}\t{sys.argv[2]}\t{float(sys.argv[5]) - float(sys.argv[4]):.2f}\t"
              f"{sys.argv[3]}\t{d.get('downtime_seconds', '-')}\t{steps}\t{load}\n")
PY
        # Back to the old root for the next mode: the old tree is untouched.
        "$BIN" rollback --yes >"$OUT/rollback-$tree-$mode.txt" 2>&1 || log "rollback failed: $(tail -n 3 "$OUT/rollback-$tree-$mode.txt")"
        dockerd_wait_socket >&2 || dockerd_start >&2
        chattr -i "$WORK/vol/docker" 2>/dev/null
        umount "$WORK/vol" || umount -l "$WORK/vol"
done
