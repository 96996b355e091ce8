#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The copy benchmark in the QEMU VM, on an EBS disk like a gp3 volume:
# every request to it waits a fixed latency (nbdkit's delay filter on the
# host) and QEMU throttles it to 3000 IOPS and 125 MiB/s. Runs the scenario
# tests/vm/scenarios/bench-gp3.sh once per latency (a VM each) and prints
# bench/report.py's table for each: the floors, rsync and the engine, with
# their ratios and rsync's fidelity check.
#
#   bench/vm-gp3.sh [--latency MS]... [--out DIR]
#
#   --latency MS   milliseconds per request; repeat for several (default: 1,
#                  then 0: the same NBD path without delay)
#   --out DIR      keep the results there (default /tmp/bench-vm-gp3.DATE)
#
# Root, QEMU and nbdkit on the host, and a build (BUILD=dir, default
# build/): the VM gets its docker-relocate, tests/copy-probe and
# bench/gen-tree.py. BENCH_VM_LOCK=file holds that lock around each VM run
# (where other VMs run on the same machine). Each VM takes about six
# minutes under TCG emulation: its boot, the tree, two rounds of copies.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
BUILD=${BUILD:-$top/build}

usage() {
        sed -n '11,21p' "$0" | sed 's/^# \{0,1\}//'
}

LATENCIES=()
OUT=
while [ $# -gt 0 ]; do
        case $1 in
        --latency)
                [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "--latency needs milliseconds (an integer)" >&2; exit 2; }
                LATENCIES+=("$2")
                shift
                ;;
        --out) OUT=${2:?--out needs a directory}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
        esac
        shift
done
[ ${#LATENCIES[@]} -gt 0 ] || LATENCIES=(1 0)

if [ "$(id -u)" != 0 ]; then
        echo "bench/vm-gp3.sh needs root (QEMU and the VM image)" >&2
        exit 77
fi
command -v nbdkit >/dev/null || { echo "bench/vm-gp3.sh needs nbdkit (apt-get install nbdkit)" >&2; exit 1; }
for f in "$BUILD/docker-relocate" "$BUILD/tests/copy-probe"; do
        [ -x "$f" ] || { echo "missing $f: build first (meson setup build && meson compile -C build)" >&2; exit 1; }
done

OUT=${OUT:-/tmp/bench-vm-gp3.$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

# run_vm LATENCY: the scenario in a VM; its TAP in $OUT/latency-N.tap, its
# results under $OUT/latency-N/bench-gp3/state/bench/.
run_vm() {
        local lat=$1 cmd
        cmd=(env DOCKER_RELOCATE="$BUILD/docker-relocate" DOCKER_RELOCATE_BUILDDIR="$BUILD"
                DOCKER_RELOCATE_VM_LOGS="$OUT/latency-$lat"
                "$top/tests/vm/run-scenario.sh" --ebs-latency "$lat" bench-gp3)
        if [ -n "${BENCH_VM_LOCK:-}" ]; then
                flock "$BENCH_VM_LOCK" "${cmd[@]}"
        else
                "${cmd[@]}"
        fi
}

rc=0
for lat in "${LATENCIES[@]}"; do
        echo "$(date +%H:%M:%S) the VM, EBS latency $lat ms: $OUT/latency-$lat.tap" >&2
        run_vm "$lat" >"$OUT/latency-$lat.tap" 2>&1 || { rc=1; echo "the VM run failed (latency $lat ms):" >&2; grep -E '^not ok|^run-scenario' "$OUT/latency-$lat.tap" >&2; }
done

for lat in "${LATENCIES[@]}"; do
        dir=$OUT/latency-$lat/bench-gp3/state/bench
        [ -f "$dir/results.tsv" ] || { echo "no results for latency $lat ms" >&2; continue; }
        echo
        cat "$dir/machine.txt"
        python3 "$here/report.py" "$dir/results.tsv" "$dir/trees.txt"
        # The requests of each copy and how long each side had one in
        # flight (the guest kernel's counters), where the scenario kept them.
        [ -f "$dir/io.txt" ] && { echo; sed 's/^/   /' "$dir/io.txt"; }
done | tee "$OUT/report.txt"
echo "results in $OUT"
exit $rc
