#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The final pass after a pre-copy, measured: on a writable copy of a cached
# data root, dockerd runs (its container ticking into its layer), the change
# tracker starts, the engine pre-copies, dockerd stops, and the final pass
# runs from the tracker's record. Then, on the target that is now up to
# date, the other ways of doing that final pass: the engine comparing both
# trees (two-sided, as rsync does), and the tool's current final pass
# (copy_tree(): rsync --delete). Once with warm caches (the final pass runs
# right after the stop), once with cold ones. Called by run.sh --tracker in
# its private mount namespace:
#
#   tracker.sh IMAGE TREE OUTDIR
set -uo pipefail

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
PROBE=$BUILD/tests/copy-probe
RPROBE=$BUILD/tests/runtime-probe
W=$(mktemp -d /var/tmp/bench-tracker.XXXXXX)
. "$here/lib-loop.sh"
. "$here/lib-memory.sh"
DOCKERD_TMP=$W/dockerd
mkdir -p "$DOCKERD_TMP"

cleanup() {
        local m
        dockerd_teardown
        sandbox_umount_all
        awk -v w="$W" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null
        done
        loop_detach_all
        rm -rf --one-file-system "$W"
}
trap cleanup EXIT
loop_traps

log() {
        printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

log "tracker: a writable copy of the $tree data root"
cp --sparse=always "$img" "$W/src.img" || exit 1
loop_attach srcdev "$W/src.img" || exit 1
mkdir -p "$W/src"
mount "$srcdev" "$W/src" || exit 1
SRC=$W/src/docker
DOCKERD_DATA_ROOT=$SRC
dockerd_setup >&2 || exit 1

cat >"$W/stop.sh" <<EOF
pid=\$(cat $DOCKERD_PIDFILE)
kill -TERM "\$pid"
for i in \$(seq 1 600); do
        [ -d /proc/\$pid ] || exit 0
        sleep 0.1
done
exit 1
EOF

for mode in warm cold; do
        dockerd_start >&2 || exit 1
        # The container restarts with the daemon (restart policy).
        sleep 3
        rm -f "$W/dst.img"
        truncate -s 12G "$W/dst.img"
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$W/dst.img" || exit 1
        loop_attach dstdev "$W/dst.img" || exit 1
        mkdir -p "$W/dst"
        mount "$dstdev" "$W/dst" || exit 1
        DST=$W/dst/docker
        drop_caches
        prefault_memory "$(prefault_bytes "$img")"
        log "tracker ($mode): pre-copy while dockerd runs, stop, final passes"
        "$PROBE" track $([ $mode = cold ] && echo --cold) --between "sh $W/stop.sh" "$SRC" "$DST" \
                >"$OUT/tracker-$tree-$mode.json" || log "track failed: $(tail -n 5 "$OUT/tracker-$tree-$mode.json")"
        dockerd_stop >&2
        [ $mode = cold ] && drop_caches
        # The tool's current final pass, on the up-to-date target.
        t0=$(date +%s.%N)
        "$RPROBE" copy final "$SRC" "$DST" >"$OUT/tracker-$tree-$mode-rsync.json"
        t1=$(date +%s.%N)
        rsync_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
        fid=$(rsync -n -x -aHAXS --numeric-ids --checksum --modify-window=-1 -i --delete --exclude=/.docker-relocate-copy \
                "$SRC/" "$DST/" | wc -l)
        python3 - "$OUT/tracker-$tree-$mode.json" "$rsync_s" "$fid" "$mode" "$tree" <<'PY' | tee -a "$OUT/tracker.txt"
import json, sys
d = json.load(open(sys.argv[1]))
pre = d["precopy"]["seconds"]
print(f"tracker {sys.argv[5]} {sys.argv[4]} caches: pre-copy {pre:.2f} s ({d['precopy']['entries']} entries), "
      f"dockerd stop {d.get('between_seconds', 0):.2f} s, record {d['record_dirs']} dirs "
      f"(complete: {d['record_complete']}), resolved in {d['tracker_finish_seconds']:.3f} s")
for k, what in (("final_tracked", "final pass from the record"),
                ("final_full", "final pass, two-sided comparison")):
    f = d[k]
    print(f"  {what:<34} {f['seconds']:7.3f} s  {100 * f['seconds'] / pre:6.2f} % of the pre-copy  "
          f"({f['entries']} entries, {f['copied']} copied, {f['deleted']} deleted, fell back: {f['fell_back']})")
rs = float(sys.argv[2])
print(f"  {'final pass, rsync (copy_tree)':<34} {rs:7.3f} s  {100 * rs / pre:6.2f} % of the pre-copy")
print(f"  fidelity after all: {'PASS' if sys.argv[3] == '0' else 'FAIL (' + sys.argv[3] + ')'}; "
      f"peak RSS {d['peak_rss_kib'] / 1024:.1f} MiB")
PY
        umount "$W/dst"
        loop_detach "$dstdev"
done
