#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The copy benchmark: data roots built through a real dockerd, copied side by
# side by the peers and by docker-relocate's own copy, on fresh ext4 loop
# filesystems with cold caches, each copy checked for fidelity with rsync.
# Prints seconds and ratios; see bench/README.md for what each number means.
#
#   bench/run.sh [--quick] [--tree node|large|million]... [--runs N]
#                [--copiers LIST] [--threads LIST] [--throttle] [--tracker]
#                [--move] [--source-in-ram] [--no-prefault] [--out DIR]
#
# Root only; everything happens in a private mount namespace, on loop devices
# over sparse files. The machine's own Docker, /etc and disks are never
# touched. Needs a build: meson setup build && meson compile -C build (or
# BUILD=dir).
set -uo pipefail

# Loop devices of a benchmark show in every listing of block devices on the
# machine: where tests run beside it, BENCH_LOCK names the lock file they
# serialise on, and the benchmark holds it while it runs.
if [ -n "${BENCH_LOCK:-}" ] && [ -z "${BENCH_LOCKED:-}" ]; then
        exec env BENCH_LOCKED=1 flock "$BENCH_LOCK" "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
BUILD=${BUILD:-$top/build}
CACHE=${BENCH_CACHE:-/var/cache/docker-relocate-bench}

usage() {
        sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'
        cat <<'EOT'
Options:
  --quick          trees at a tenth of their size (cached separately), one run
  --tree T         node (default), large, million; repeat for several
  --runs N         repeat the whole comparison N times (default 2)
  --copiers LIST   comma-separated subset of: floor-tar, floor-par, floor-read,
                   rsync, rsync-tool, rsync-shard, tar, cp, engine (default:
                   all)
  --threads LIST   also run the engine with these thread counts (e.g. 1,4,16;
                   "default": its own count, to choose where it runs)
  --throttle       limit both loop devices like a gp3 volume (3000 IOPS,
                   125 MiB/s) through the blkio cgroup, where it works
  --tracker        also measure the final pass after a pre-copy: a full
                   re-walk against the change tracker, nothing changed and
                   a few changes, with dockerd running on the source
  --move           also time docker-relocate move (stop-the-world and with
                   pre-copy) on a copy of the data root, with a client
                   polling the Docker API to see the downtime
  --source-in-ram  the source image in RAM (tmpfs) behind its loop device:
                   the source and the target on separate devices, as the
                   root disk and the new volume are, so that the target's
                   write bandwidth alone bounds a copy of large files
  --no-prefault    do not touch the memory a copy will fill just before it
                   (see prefault_memory in lib-memory.sh; figures before
                   2026-11-29 were taken without)
  --out DIR        keep results there (default /tmp/bench-results.DATE)
EOT
}

QUICK=0
TREES=()
RUNS=2
COPIERS=floor-tar,floor-par,floor-read,rsync,rsync-tool,rsync-shard,tar,cp,engine
THREADS=
THROTTLE=0
TRACKER=0
MOVE=0
SOURCE_RAM=0
PREFAULT=1
OUT=
while [ $# -gt 0 ]; do
        case $1 in
        --quick) QUICK=1; RUNS=1 ;;
        --tree) TREES+=("$2"); shift ;;
        --runs) RUNS=$2; shift ;;
        --copiers) COPIERS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        --throttle) THROTTLE=1 ;;
        --tracker) TRACKER=1 ;;
        --move) MOVE=1 ;;
        --source-in-ram) SOURCE_RAM=1 ;;
        --no-prefault) PREFAULT=0 ;;
        --out) OUT=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
        esac
        shift
done
[ ${#TREES[@]} -gt 0 ] || TREES=(node)

if [ "$(id -u)" != 0 ]; then
        echo "bench/run.sh needs root (loop devices, mounts, dockerd, drop_caches)" >&2
        exit 77
fi

# The harness of the root tests runs the private dockerd.
. "$top/tests/root/lib-dockerd.sh"
# tap.sh, which lib-dockerd.sh reads, makes a work directory and an exit
# trap for a test: the benchmark has its own, on /var/tmp for its images.
rm -rf --one-file-system "$WORK"
# A private mount namespace: this script again, there (sandbox_enter).
# Options are parsed again in the namespace: pass them on unchanged.
sandbox_enter \
        $([ $QUICK = 1 ] && echo --quick) $(for t in "${TREES[@]}"; do echo --tree "$t"; done) \
        --runs "$RUNS" --copiers "$COPIERS" ${THREADS:+--threads "$THREADS"} \
        $([ $THROTTLE = 1 ] && echo --throttle) $([ $TRACKER = 1 ] && echo --tracker) \
        $([ $MOVE = 1 ] && echo --move) $([ $SOURCE_RAM = 1 ] && echo --source-in-ram) \
        $([ $PREFAULT = 0 ] && echo --no-prefault) ${OUT:+--out "$OUT"}
sandbox_in_private_ns || { echo "not in a private mount namespace, refusing to mount" >&2; exit 1; }

PROBE=$BUILD/tests/runtime-probe
DRIVER=$BUILD/tests/copy-probe
BIN=$BUILD/docker-relocate
for f in "$PROBE" "$BIN" "$DRIVER"; do
        [ -x "$f" ] || { echo "missing $f: build first (meson setup build && meson compile -C build)" >&2; exit 1; }
done

W=$(mktemp -d /var/tmp/bench.XXXXXX)
OUT=${OUT:-/tmp/bench-results.$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT" "$CACHE"
RESULTS=$OUT/results.tsv
CGROUP=
. "$here/lib-loop.sh"
. "$here/lib-memory.sh"

log() {
        printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

cleanup() {
        local m
        dockerd_teardown 2>/dev/null
        awk -v w="$W" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null
        done
        loop_detach_all
        [ -n "$CGROUP" ] && rmdir "$CGROUP" 2>/dev/null
        rm -rf --one-file-system "$W"
}
trap cleanup EXIT
loop_traps

now() {
        date +%s.%N
}
elapsed() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# mkfs options per tree: the million-file tree needs more inodes than the
# default ratio gives.
mkfs_opts() {
        case $1 in
        million) echo "-i 4096" ;;
        *) echo "" ;;
        esac
}
fs_size() {
        case $1 in
        node) echo 8G ;;
        large) echo 10G ;;
        million) echo 12G ;;
        esac
}
scale() {
        [ $QUICK = 1 ] && echo 0.1 || echo 1
}

# ---- the source data roots, built through dockerd, cached ------------------

cache_key() {
        local tree=$1
        {
                cat "$here/gen-tree.py" "$here/build-source.sh"
                echo "$tree $(scale) $(fs_size "$tree") $(mkfs_opts "$tree")"
                dockerd --version
        } | sha256sum | cut -c1-16
}

# ensure_source TREE: prints the path of the cached ext4 image holding the
# data root (docker/ at its top), building it when missing.
ensure_source() {
        local tree=$1 key img
        key=$(cache_key "$tree")
        img=$CACHE/$tree-$(scale)-$key.img
        if [ -f "$img" ] && [ -f "$img.info" ]; then
                echo "$img"
                return 0
        fi
        log "building the $tree data root through dockerd (cached as $img)"
        rm -f "$img" "$img.info"
        BENCH_TREE=$tree BENCH_SCALE=$(scale) BENCH_IMG=$img.tmp BENCH_FS_SIZE=$(fs_size "$tree") \
                BENCH_MKFS_OPTS=$(mkfs_opts "$tree") BENCH_WORK=$W/build-$tree \
                bash "$here/build-source.sh" >&2 || { rm -f "$img.tmp"; return 1; }
        mv "$img.tmp.info" "$img.info" && mv "$img.tmp" "$img" || return 1
        # Older builds of the same tree are of no use any more.
        for old in "$CACHE/$tree-$(scale)-"*.img; do
                [ "$old" = "$img" ] || rm -f "$old" "$old.info"
        done
        echo "$img"
}

# ---- throttling ----------------------------------------------------------------

# The blkio controller of cgroup v1 limits what processes of a group submit
# to a device: reads fully, writes only where they are submitted directly
# (writeback from the page cache is not charged to the group on v1). Good
# enough to make per-file read latency dominate, as on a gp3 volume.
throttle_setup() {
        local base=/sys/fs/cgroup/blkio
        [ -w "$base/blkio.throttle.read_iops_device" ] || { log "no blkio cgroup: --throttle unavailable"; return 1; }
        CGROUP=$base/bench-$$
        mkdir -p "$CGROUP" || return 1
}
throttle_device() {
        local dev=$1 mm
        [ -n "$CGROUP" ] || return 0
        mm=$(lsblk -dno MAJ:MIN "$dev" | tr -d ' ')
        echo "$mm 3000" >"$CGROUP/blkio.throttle.read_iops_device"
        echo "$mm 3000" >"$CGROUP/blkio.throttle.write_iops_device"
        echo "$mm $((125 * 1024 * 1024))" >"$CGROUP/blkio.throttle.read_bps_device"
        echo "$mm $((125 * 1024 * 1024))" >"$CGROUP/blkio.throttle.write_bps_device"
}
# Runs "$@" inside the throttled group when there is one.
in_group() {
        if [ -n "$CGROUP" ]; then
                bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$CGROUP" "$@"
        else
                "$@"
        fi
}

# ---- copiers -------------------------------------------------------------------

# Each copier copies the contents of $1 into $2 (which exists, empty).
copier_floor_tar() {
        # --sparse: the holes of a sparse file are no data to read.
        tar -C "$1" --one-file-system --sparse -cf - . | cat >/dev/null
}
copier_floor_par() {
        (cd "$1" && find . -xdev -type f -print0 | xargs -0 -r -P 8 -n 64 cat >/dev/null)
}
copier_floor_read() {
        # 64 threads walking and reading (holes skipped): what the device
        # gives to parallel readers (more threads gain nothing here).
        "$DRIVER" read --threads 64 "$1"
}
copier_rsync() {
        rsync -aHAXS --numeric-ids "$1/" "$2/"
}
copier_rsync_tool() {
        # The tool's own copy as main has it: rsync with copy_rsync_argv()'s
        # flags, its progress parsed, through copy_tree(), the stop-the-world
        # (final) pass.
        "$PROBE" copy final "$1" "$2"
}
copier_rsync_shard() {
        # Candidate (a): one rsync per layer directory, four at a time, then
        # one reconciling pass over everything (which also links what crosses
        # shards).
        local src=$1 dst=$2
        rsync -aHAXS --numeric-ids -d "$src/" "$dst/" || return 1
        (cd "$src" && find . -mindepth 2 -maxdepth 2 -type d \( -path './overlay2/*' -o -path './volumes/*' \) -print0) |
                xargs -0 -r -P 4 -I{} rsync -aHAXS --numeric-ids -R "$src/./{}" "$dst/" || return 1
        rsync -aHAXS --numeric-ids --delete "$src/" "$dst/"
}
copier_tar() {
        tar -C "$1" --one-file-system --xattrs --xattrs-include='*' --acls --sparse --numeric-owner -cf - . |
                tar -C "$2" --xattrs --xattrs-include='*' --acls --numeric-owner -xpf -
}
copier_cp() {
        cp -ax "$1/." "$2/"
}
copier_engine() {
        # Its JSON (what it did, its own peak RSS) lands in the copier's
        # output file.
        "$DRIVER" copy "$1" "$2" ${ENGINE_THREADS:+--threads "$ENGINE_THREADS"}
}

export -f copier_floor_tar copier_floor_par copier_floor_read copier_rsync copier_rsync_tool copier_rsync_shard copier_tar \
        copier_cp copier_engine
export PROBE DRIVER W BUILD

# fidelity SRC DST: what rsync would still change (nothing, on a faithful
# copy; the tool's marker aside). Prints the number of lines; the lines go
# to $OUT.
fidelity() {
        local src=$1 dst=$2 name=$3
        # --modify-window=-1: rsync compares whole seconds otherwise.
        rsync -n -x -aHAXS --numeric-ids --checksum --modify-window=-1 -i --delete \
                --exclude=/.docker-relocate-copy "$src/" "$dst/" >"$OUT/fidelity-$name.txt" 2>&1
        local rc=$?
        [ $rc = 0 ] || echo "rsync exit $rc" >>"$OUT/fidelity-$name.txt"
        wc -l <"$OUT/fidelity-$name.txt"
}

# run_copier TREE RUN NAME SRC: one measured copy on a fresh target.
run_copier() {
        local tree=$1 run=$2 name=$3 src=$4 fn img dev mnt dst t0 t1 t2 rc rss sec sync_sec fid tag
        fn=copier_${name//-/_}
        export ENGINE_THREADS
        [ "$name" = engine ] && [ -n "${ENGINE_THREADS:-}" ] && name="engine-t$ENGINE_THREADS"
        tag=$tree-$run-$name
        img=$W/target.img
        mnt=$W/target
        rm -f "$img"
        truncate -s "$(fs_size "$tree")" "$img"
        # shellcheck disable=SC2046
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 $(mkfs_opts "$tree") "$img" || return 1
        loop_attach dev "$img" || return 1
        throttle_device "$dev"
        mkdir -p "$mnt"
        mount "$dev" "$mnt" || return 1
        dst=$mnt/docker
        mkdir "$dst"
        drop_caches
        prefault_memory "$PREFAULT_BYTES"
        t0=$(now)
        in_group /usr/bin/time -f '%M %U %S' -o "$W/rss" bash -c '"$@"' _ "$fn" "$src" "$dst" >"$OUT/$tag.out" 2>&1
        rc=$?
        t1=$(now)
        in_group sync -f "$mnt"
        t2=$(now)
        read -r rss usr sys < <(tail -n 1 "$W/rss" 2>/dev/null)
        cpu=$(awk -v u="${usr:-0}" -v s="${sys:-0}" 'BEGIN { printf "%.2f", u + s }')
        sec=$(elapsed "$t0" "$t1")
        sync_sec=$(elapsed "$t0" "$t2")
        if [ "${name#floor}" != "$name" ]; then
                fid=-
                sync_sec=-
        elif [ $rc != 0 ]; then
                fid=ERROR
        else
                local n
                n=$(fidelity "$src" "$dst" "$tag")
                if [ "$n" = 0 ]; then fid=PASS; else fid="FAIL($n)"; fi
        fi
        [ $rc = 0 ] || log "$name failed (exit $rc): $(tail -n 3 "$OUT/$tag.out" | tr '\n' ' ')"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tree" "$run" "$name" "$sec" "$sync_sec" "$cpu" "$rss" \
                "$fid" "$rc" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"
        log "$tree run $run: $name ${sec}s (with sync ${sync_sec}s) cpu ${cpu}s rss ${rss}KiB fidelity $fid"
        umount "$mnt"
        loop_detach "$dev"
        rm -f "$img"
}

# write_bandwidth TREE: the target volume's raw sequential write bandwidth
# (O_DIRECT, 1 MiB blocks), on the same kind of fresh loop filesystem, in
# BW. Not run in a command substitution: its loop device must be recorded
# in this shell, to be detached at exit should it fail half way.
write_bandwidth() {
        local tree=$1 img=$W/bw.img dev mnt=$W/bw
        BW=
        truncate -s "$(fs_size "$tree")" "$img"
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$img" || return 1
        loop_attach dev "$img" || return 1
        throttle_device "$dev"
        mkdir -p "$mnt"
        mount "$dev" "$mnt" || return 1
        if command -v fio >/dev/null; then
                BW=$(in_group fio --name=bw --filename="$mnt/fio" --rw=write --bs=1M --size=2G --direct=1 \
                        --ioengine=libaio --iodepth=8 --output-format=json 2>/dev/null |
                        python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["write"]["bw"] / 1024, 1))')
        else
                BW=$(in_group dd if=/dev/zero of="$mnt/dd" bs=1M count=2048 oflag=direct 2>&1 |
                        awk '/copied/ { print $(NF-1), $NF }')
        fi
        umount "$mnt"
        loop_detach "$dev"
        rm -f "$img"
}

tree_info() {
        cat "$1.info"
}

# source_in_ram IMG: a copy of IMG on a tmpfs of its own, in SRC_IMG: the
# loop device over it reads from memory, with direct I/O, so the page cache
# still holds only the filesystem's pages and drop_caches still makes every
# read of the source a read of its device.
source_in_ram() {
        local img=$1 ram=$W/ram alloc avail
        alloc=$(du -B1 "$img" | cut -f1)
        # Memory the machine can spare, with 2 GiB left over for the copies'
        # page cache: a tmpfs larger than that would push the machine into
        # swap or the OOM killer half way through the copy.
        avail=$(awk '/^MemAvailable:/ { printf "%.0f\n", $2 * 1024 }' /proc/meminfo)
        if [ "$((alloc + 2147483648))" -gt "${avail:-0}" ]; then
                log "--source-in-ram: the image needs $((alloc >> 20)) MiB and 2 GiB besides;" \
                        "the machine has $((${avail:-0} >> 20)) MiB available"
                return 1
        fi
        mkdir -p "$ram"
        mount -t tmpfs -o size=$((alloc + 1073741824)) tmpfs "$ram" || return 1
        cp --sparse=always "$img" "$ram/source.img" || { umount "$ram"; return 1; }
        SRC_IMG=$ram/source.img
}

# source_release SRCMNT SRCDEV: undoes run_tree's set-up of the source as
# far as it got, so that a tree that fails half way does not keep its
# mount, its loop device or its image in memory while the next tree runs.
source_release() {
        local srcmnt=$1 srcdev=$2
        if mountpoint -q "$srcmnt"; then
                umount "$srcmnt"
        fi
        if [ -n "$srcdev" ]; then
                loop_detach "$srcdev"
        fi
        if mountpoint -q "$W/ram"; then
                umount "$W/ram"
        fi
}

run_tree() {
        local tree=$1 img srcdev='' srcmnt=$W/src-$1 src run c t rc=0
        img=$(ensure_source "$tree") || { log "cannot build the $tree data root"; return 1; }
        SRC_IMG=$img
        # A copy fills the page cache with the source and the target.
        PREFAULT_BYTES=$(prefault_bytes "$img")
        if [ $SOURCE_RAM = 1 ]; then
                source_in_ram "$img" || { log "cannot put the $tree data root in RAM"; return 1; }
                echo "$tree source in-RAM (tmpfs behind the loop device)" >>"$OUT/trees.txt"
                log "$tree: the source is read from RAM"
        fi
        loop_attach srcdev "$SRC_IMG" -r || { source_release "$srcmnt" "$srcdev"; return 1; }
        throttle_device "$srcdev"
        mkdir -p "$srcmnt"
        mount -o ro,noload "$srcdev" "$srcmnt" || { source_release "$srcmnt" "$srcdev"; return 1; }
        src=$srcmnt/docker
        log "$tree: $(tree_info "$img")"
        echo "$tree info $(tree_info "$img")" >>"$OUT/trees.txt"
        for run in $(seq 1 "$RUNS"); do
                # Measured again before each run: a shared disk's bandwidth
                # drifts by a third within minutes, and a share of it is only
                # worth anything next to the copies it judges.
                write_bandwidth "$tree"
                echo "$tree write-bandwidth-MiBps $BW run=$run" >>"$OUT/trees.txt"
                log "$tree run $run: target volume writes ${BW} MiB/s (O_DIRECT, sequential)"
                for c in ${COPIERS//,/ }; do
                        ENGINE_THREADS= run_copier "$tree" "$run" "$c" "$src"
                done
                for t in ${THREADS//,/ }; do
                        # "default": the engine's own count, as `engine`
                        # (where in the order it runs is up to the list).
                        [ "$t" = default ] && t=
                        ENGINE_THREADS=$t run_copier "$tree" "$run" engine "$src"
                done
        done
        # Each measures what it can; a part that fails fails the run.
        if [ $TRACKER = 1 ]; then
                BUILD=$BUILD PREFAULT=$PREFAULT bash "$here/tracker.sh" "$img" "$tree" "$OUT" ||
                        { log "tracker benchmark failed"; rc=1; }
        fi
        if [ $MOVE = 1 ]; then
                BUILD=$BUILD PREFAULT=$PREFAULT bash "$here/move.sh" "$img" "$tree" "$OUT" ||
                        { log "move benchmark failed"; rc=1; }
        fi
        source_release "$srcmnt" "$srcdev"
        return $rc
}

# ---- report ------------------------------------------------------------------

report() {
        python3 "$here/report.py" "$RESULTS" "$OUT/trees.txt"
        local f
        for f in "$OUT/tracker.txt" "$OUT/move.txt"; do
                [ -f "$f" ] && { echo; cat "$f"; }
        done
}

{
        echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) nproc=$(nproc) $(git -C "$top" describe --always --dirty 2>/dev/null)"
        echo "# loadavg at start: $(cat /proc/loadavg)"
        # Whether the hypervisor may take free memory back (see
        # prefault_memory), and whether each copy was given it first.
        echo "# free page reporting: $([ -d /sys/module/page_reporting ] && echo possible || echo no)," \
                "memory touched before each copy: $([ $PREFAULT = 1 ] && echo yes || echo no)"
} >"$OUT/machine.txt"
printf 'tree\trun\tcopier\tseconds\tseconds_with_sync\tcpu_seconds\tpeak_rss_kib\tfidelity\texit\tloadavg\n' >"$RESULTS"
[ $THROTTLE = 1 ] && { throttle_setup || exit 1; }
failed=0
for tree in "${TREES[@]}"; do
        run_tree "$tree" || failed=1
done
echo "# loadavg at end: $(cat /proc/loadavg)" >>"$OUT/machine.txt"
report | tee "$OUT/report.txt"
echo "results in $OUT"
# A tree that could not be set up or measured, or a part of it (the
# tracker, the move) that failed, fails the run.
exit $failed
