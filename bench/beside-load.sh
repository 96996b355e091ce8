#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The copy engine beside a CPU-bound workload, as during a live pre-copy on
# a host whose containers keep its CPUs busy: how long each worker count
# takes to copy a tree of small files, and how much work the workload gets
# done meanwhile. Prints medians and ratios to 64 fixed workers; not a test.
#
#   bench/beside-load.sh [--files N] [--reps N] [--hogs N] [--threads LIST]
#
# --files   files in the generated tree (default 80000, 2 to 6 kB each)
# --reps    rounds; each runs every count twice, in one order and then in
#           the reverse one, so that no count is always first (default 3)
# --hogs    CPU-bound processes beside each copy (default: one per CPU)
# --threads worker counts; "default" is the engine's own (default
#           default,64,16)
#
# Root only (it drops the caches before each copy). Works in a directory
# under /var/tmp that it removes at the end; needs a build (BUILD=dir).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(dirname "$here")/build}
PROBE=$BUILD/tests/copy-probe
FILES=80000
REPS=3
HOGS=$(nproc)
THREADS=default,64,16

while [ $# -gt 0 ]; do
        case $1 in
        --files) FILES=$2; shift ;;
        --reps) REPS=$2; shift ;;
        --hogs) HOGS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        -h | --help) sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "root only (it drops the caches)" >&2; exit 2; }
[ -x "$PROBE" ] || { echo "no $PROBE: build first" >&2; exit 2; }

W=$(mktemp -d /var/tmp/bench-load.XXXXXX)
HOG_PIDS=()
cleanup() {
        local p
        for p in "${HOG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log() { echo "$(date +%H:%M:%S) $*" >&2; }

log "generating $FILES files in $W/src"
python3 - "$W/src" "$FILES" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(14)
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 200))
    if i % 200 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%03d" % (i % 200)), "wb") as f:
        f.write(rng.randbytes(rng.randint(2000, 6000)))
PY

# A hog counts loop rounds until TERM, then writes the count.
hog() {
        local n=0
        trap 'echo $n >"$1"; exit 0' TERM
        while :; do n=$((n + 1)); done
}

start_hogs() {
        local i
        HOG_PIDS=()
        for i in $(seq 1 "$HOGS"); do
                hog "$W/hog.$i" &
                HOG_PIDS+=($!)
        done
}

# Rounds per second the hogs made together since start_hogs.
stop_hogs() {
        local secs=$1 p i sum=0
        for p in "${HOG_PIDS[@]}"; do kill -TERM "$p"; done
        for p in "${HOG_PIDS[@]}"; do timeout 30 tail --pid="$p" -f /dev/null || kill -KILL "$p"; done
        wait 2>/dev/null || true
        HOG_PIDS=()
        for i in $(seq 1 "$HOGS"); do sum=$((sum + $(cat "$W/hog.$i"))); done
        python3 -c "print(round($sum / $secs))"
}

alone() {
        local t0 t1
        start_hogs
        t0=$(date +%s.%N)
        sleep 3
        t1=$(date +%s.%N)
        stop_hogs "$(python3 -c "print($t1 - $t0)")"
}

# one COUNT: a cold copy into a new target beside the hogs; prints
# "COUNT SECONDS HOG_RATE LOWEST".
one() {
        local t=$1 t0 t1 secs rate low
        rm -rf "$W/dst"
        sync
        echo 3 >/proc/sys/vm/drop_caches
        start_hogs
        t0=$(date +%s.%N)
        if [ "$t" = default ]; then
                "$PROBE" copy "$W/src" "$W/dst" >"$W/out.json"
        else
                "$PROBE" copy --threads "$t" "$W/src" "$W/dst" >"$W/out.json"
        fi
        t1=$(date +%s.%N)
        secs=$(python3 -c "print($t1 - $t0)")
        rate=$(stop_hogs "$secs")
        low=$(python3 -c "import json; print(json.load(open('$W/out.json'))['threads_lowest'])")
        log "$t: copy $(printf %.2f "$secs") s, the hogs $rate rounds/s, workers at once down to $low"
        echo "$t $secs $rate $low" >>"$W/results"
}

: >"$W/results"
counts=(${THREADS//,/ })
for rep in $(seq 1 "$REPS"); do
        log "round $rep: the hogs alone: $(alone) rounds/s"
        for t in "${counts[@]}"; do one "$t"; done
        for ((i = ${#counts[@]} - 1; i >= 0; i--)); do one "${counts[$i]}"; done
done

python3 - "$W/results" "$HOGS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for t, s, r, low in rows:
    by.setdefault(t, []).append((float(s), float(r), int(low)))
base = by.get("64")
print("workers    copy s (median)  hog rounds/s (median)  x64 copy  x64 hogs  lowest")
for t, v in by.items():
    s = statistics.median(x[0] for x in v)
    r = statistics.median(x[1] for x in v)
    low = min(x[2] for x in v)
    if base:
        bs = statistics.median(x[0] for x in base)
        br = statistics.median(x[1] for x in base)
        print(f"{t:<10} {s:>15.2f}  {r:>21.0f}  {s / bs:>8.2f}  {r / br:>8.2f}  {low:>6}")
    else:
        print(f"{t:<10} {s:>15.2f}  {r:>21.0f}  {'-':>8}  {'-':>8}  {low:>6}")
print(f"({len(rows)} copies beside {sys.argv[2]} CPU-bound processes)")
PY
