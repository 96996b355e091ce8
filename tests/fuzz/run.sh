#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every libFuzzer target of a -Dfuzz=true build for SECONDS each,
# starting from its seed corpus tests/fuzz/<name>/ (never changed: new inputs
# go to a scratch corpus), and fails on any crash, leak, timeout or property
# violation, keeping the input that caused it. As many targets at a time as
# the machine has CPUs (FUZZ_JOBS): each is one process on one CPU. TAP on
# stdout, in the order of the targets' names.
#
#   tests/fuzz/run.sh SECONDS [BUILDDIR]     (BUILDDIR: build-fuzz)
#
# Make the build with:
#   CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:?usage: run.sh SECONDS [BUILDDIR]}
build=${2:-$here/../../build-fuzz}
out=${FUZZ_OUT:-$build/fuzz-out}
jobs=${FUZZ_JOBS:-$(nproc)}
mkdir -p "$out"
. "$here/../lib/tap.sh"

# fuzz NAME: one target from its seeds; its exit status in $out/NAME.rc.
fuzz() {
        local name=$1 work rc
        work=$(mktemp -d "$out/$name.XXXXXX")
        # -timeout: one input may take 10 s at most; -rss_limit_mb: no input
        # may make the parser take more than 2 GiB. timeout(1): a target that
        # does not stop on its own is ended (a minute's grace).
        timeout $((seconds + 60)) "$build/tests/fuzz-$name" -max_total_time="$seconds" -timeout=10 \
                -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/$name-" "$work" "$here/$name/" \
                >"$out/$name.log" 2>&1
        rc=$?
        rm -rf "$work"
        echo "$rc" >"$out/$name.rc"
}

names=()
for seeds in "$here"/*/; do
        names+=("$(basename "$seeds")")
done
for name in "${names[@]}"; do
        rm -f "$out/$name.rc"
        [ -x "$build/tests/fuzz-$name" ] || continue
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
                wait -n
        done
        fuzz "$name" &
done
wait

for name in "${names[@]}"; do
        bin=$build/tests/fuzz-$name
        ok '[ -x "$bin" ]' "$name: $bin is built (-Dfuzz=true)" || continue
        rc=$(cat "$out/$name.rc" 2>/dev/null || echo "none")
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -1)
        is "$rc" 0 "$name: ${runs:-?} inputs in ${seconds}s, no crash" ||
                diag "$(grep -E "ERROR|SUMMARY|property violated|Test unit written" "$out/$name.log" | head -8)"
done
done_testing
