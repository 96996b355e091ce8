#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every libFuzzer target of a -Dfuzz=true build for SECONDS each,
# starting from its seed corpus tests/fuzz/<name>/ (never changed: new inputs
# go to a scratch corpus), and fails on any crash, leak, timeout or property
# violation, keeping the input that caused it. TAP on stdout.
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
mkdir -p "$out"
. "$here/../lib/tap.sh"

for seeds in "$here"/*/; do
        name=$(basename "$seeds")
        bin=$build/tests/fuzz-$name
        ok '[ -x "$bin" ]' "$name: $bin is built (-Dfuzz=true)" || continue
        work=$(mktemp -d "$out/$name.XXXXXX")
        # -timeout: one input may take 10 s at most; -rss_limit_mb: no input
        # may make the parser take more than 2 GiB.
        "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="$out/$name-" "$work" "$seeds" >"$out/$name.log" 2>&1
        rc=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -1)
        is "$rc" 0 "$name: ${runs:-?} inputs in ${seconds}s, no crash" ||
                diag "$(grep -E "ERROR|SUMMARY|property violated|Test unit written" "$out/$name.log" | head -8)"
        rm -rf "$work"
done
done_testing
