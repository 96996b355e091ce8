#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The copy benchmark on a disk like a gp3 volume: every request waits a
# fixed latency (nbdkit's delay filter on the host, --ebs-latency) and the
# disk is throttled to 3000 IOPS and 125 MiB/s (--gp3). Not a test of the
# move: run on demand by bench/vm-gp3.sh, which prints the table; in no
# meson suite.
#
# The EBS disk holds two ext4 filesystems, the source and the target, both
# behind the latency, as a root gp3 volume and a new gp3 volume both are.
# On the source, bench/gen-tree.py's node tree at a tenth of its size; then,
# caches dropped before each, on a fresh target filesystem each time: the
# floors (one reader, 64 threads reading), rsync, the engine (its default
# threads, 64 working all the time, and one thread), each copy checked with rsync --checksum; all of
# it twice. The
# figures go to $VM_STATE/bench/ in bench/run.sh's format (results.tsv,
# trees.txt) for bench/report.py; each copy is also a TAP check (it ran,
# and rsync finds nothing to change).
#
# vm-options: --gp3 --ebs-latency 1 --ebs-size 8G --boot-timeout 3600 --payload bench/gen-tree.py --payload tests/copy-probe

. "$VM_LIB"

out=$VM_STATE/bench
mkdir -p "$out"
scale=0.1
lat=${VM_EBS_LATENCY:-none}
tree=node-$scale-latency-$lat
results=$out/results.tsv
probe=/usr/local/bin/copy-probe
src=/mnt/src/docker
dstmnt=/mnt/dst

install -m 0755 "$VM_PAYLOAD/files/copy-probe" "$probe" || bail_out "no copy-probe in the payload"
disk=/dev/$(ebs_disk) || bail_out "no EBS disk"

now() {
        date +%s.%N
}
elapsed() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}
drop_caches() {
        sync
        echo 3 >/proc/sys/vm/drop_caches
}

# Docker and containerd idle on the guest's two emulated CPUs otherwise.
systemctl stop docker.service docker.socket containerd.service >/dev/null 2>&1

# Two partitions: the source (3 GiB) and the target (the rest).
ok 'printf "label: gpt\n,3G\n,\n" | sfdisk -q "$disk"' "EBS disk partitioned" || bail_out "sfdisk failed"
udevadm settle --timeout=30
srcdev=${disk}p1
dstdev=${disk}p2

# What one request costs as the guest sees it: 4 KiB reads, one at a time,
# O_DIRECT (the latency, the NBD round trip and the emulation's own cost).
t0=$(now)
dd if="$dstdev" of=/dev/null bs=4k count=1000 iflag=direct status=none
t1=$(now)
qd1_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) * 1000 / 1000 }') # ms per read, 1000 reads
diag "one 4 KiB read at a time: $qd1_ms ms each"

mkfs() {
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$1"
}

ok 'mkfs "$srcdev"' "source filesystem made" || bail_out "mkfs failed"
mkdir -p /mnt/src "$dstmnt"
ok 'mount "$srcdev" /mnt/src' "source mounted" || bail_out "mount failed"
t0=$(now)
ok 'python3 "$VM_PAYLOAD/files/gen-tree.py" node "$src" --scale "$scale" >"$out/gen-tree.txt" 2>&1' \
        "node tree generated at scale $scale" || bail_out "gen-tree.py failed: $(tail -n 3 "$out/gen-tree.txt")"
sync
diag "tree generated in $(elapsed "$t0" "$(now)") s: $(cat "$out/gen-tree.txt")"
# Read-only from here, as the data root of a stopped Docker.
ok 'mount -o remount,ro /mnt/src' "source read-only"

inodes=$(find "$src" -xdev -printf '%i\n' | sort -u | wc -l)
entries=$(find "$src" -xdev | wc -l)
dirs=$(find "$src" -xdev -type d | wc -l)
apparent=$(du -s -x -B1 --apparent-size "$src" | cut -f1)
allocated=$(du -s -x -B1 "$src" | cut -f1)
{
        echo "$tree info inodes=$inodes entries=$entries dirs=$dirs apparent_bytes=$apparent allocated_bytes=$allocated"
        echo "$tree disk ebs-latency-ms=$lat gp3-throttle=${VM_GP3:-0} qd1-4k-read-ms=$qd1_ms"
} >"$out/trees.txt"
{
        echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) guest $(uname -r) nproc=$(nproc) mem=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)kB"
        echo "# loadavg at start: $(cat /proc/loadavg)"
} >"$out/machine.txt"
printf '%-14s %9s %10s %10s %10s\n' "run copier" "src reads" "src busy s" "dst writes" "dst busy s" >"$out/io.txt"
printf 'tree\trun\tcopier\tseconds\tseconds_with_sync\tcpu_seconds\tpeak_rss_kib\tfidelity\texit\tloadavg\n' >"$results"

copier_floor_tar() {
        tar -C "$1" --one-file-system --sparse -cf - . | cat >/dev/null
}
copier_floor_read() {
        "$probe" read --threads 64 "$1"
}
copier_rsync() {
        rsync -aHAXS --numeric-ids "$1/" "$2/"
}
copier_engine() {
        "$probe" copy "$1" "$2"
}
copier_engine_t64() {
        "$probe" copy --threads 64 "$1" "$2"
}
copier_engine_t1() {
        "$probe" copy --threads 1 "$1" "$2"
}

# iostat PARTITION: its requests and busy time so far (the kernel's
# counters): "reads writes busy_ms", busy meaning at least one request in
# flight.
iostat() {
        awk '{ print $1, $5, $10 }' "/sys/class/block/${1#/dev/}/stat"
}

# io_line NAME BEFORE-SRC AFTER-SRC BEFORE-DST AFTER-DST: the requests each
# side saw during a copy and how long it had one in flight.
io_line() {
        awk -v n="$1" -v a="$2" -v b="$3" -v c="$4" -v d="$5" 'BEGIN {
                split(a, x); split(b, y); split(c, u); split(d, v)
                printf "%-14s %9d %10.2f %10d %10.2f\n", n, y[1] - x[1], (y[3] - x[3]) / 1000, v[2] - u[2], (v[3] - u[3]) / 1000
        }'
}

# run_copier RUN NAME: one measured copy onto a fresh target filesystem.
run_copier() {
        local run=$1 name=$2 fn=copier_${2//-/_} dst=$dstmnt/docker t0 t1 t2 rc sec sync_sec fid n cpu
        local TIMEFORMAT='%U %S' tag=$2-$1 s0 s1 d0 d1

        mountpoint -q "$dstmnt" && umount "$dstmnt"
        mkfs "$dstdev" || return 1
        mount "$dstdev" "$dstmnt" || return 1
        mkdir "$dst"
        drop_caches
        s0=$(iostat "$srcdev") d0=$(iostat "$dstdev")
        t0=$(now)
        # The CPU time of the copier's processes (bash's time): under
        # emulation, what of the wall time the guest's CPUs were busy.
        { time "$fn" "$src" "$dst" >"$out/$tag.out" 2>&1; } 2>"$out/$tag.time"
        rc=$?
        t1=$(now)
        cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$out/$tag.time")
        sync -f "$dstmnt"
        t2=$(now)
        s1=$(iostat "$srcdev") d1=$(iostat "$dstdev")
        io_line "$run $name" "$s0" "$s1" "$d0" "$d1" >>"$out/io.txt"
        sec=$(elapsed "$t0" "$t1")
        sync_sec=$(elapsed "$t0" "$t2")
        if [ "${name#floor}" != "$name" ]; then
                fid=-
                sync_sec=-
                is "$rc" 0 "run $run, $name: read the source in $sec s (cpu $cpu s)"
        else
                # --modify-window=-1: nanoseconds; the engine's marker aside.
                rsync -n -x -aHAXS --numeric-ids --checksum --modify-window=-1 -i --delete \
                        --exclude=/.docker-relocate-copy "$src/" "$dst/" >"$out/fidelity-$tag.txt" 2>&1
                n=$?
                [ $n = 0 ] || echo "rsync exit $n" >>"$out/fidelity-$tag.txt"
                n=$(wc -l <"$out/fidelity-$tag.txt")
                if [ $rc != 0 ]; then fid=ERROR; elif [ "$n" = 0 ]; then fid=PASS; else fid="FAIL($n)"; fi
                is "$rc $fid" "0 PASS" \
                        "run $run, $name: copied in $sec s ($sync_sec s with sync, cpu $cpu s), rsync finds nothing to change" ||
                        diag "$(tail -n 5 "$out/$tag.out")" "$(head -n 5 "$out/fidelity-$tag.txt")"
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\t%s\t%s\n' "$tree" "$run" "$name" "$sec" "$sync_sec" "$cpu" "$fid" "$rc" \
                "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$results"
        umount "$dstmnt"
}

# Twice: the host is shared, and the second run shows how far the first
# one's order (the first copier after the tree was written) matters.
for run in 1 2; do
        for c in floor-tar floor-read rsync engine engine-t64 engine-t1; do
                run_copier "$run" "$c"
        done
done
echo "# loadavg at end: $(cat /proc/loadavg)" >>"$out/machine.txt"
for run in 1 2; do
        diag "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("engine default threads:", j.get("threads"), "at once down to", j.get("threads_lowest"))' \
                "$out/engine-$run.out" 2>&1 | tail -n 1)"
done
