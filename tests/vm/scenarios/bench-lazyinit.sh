#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What ext4's background zeroing of a new filesystem's inode tables
# (ext4lazyinit) costs a copy onto a fresh volume like a gp3 one (QEMU
# throttles the EBS disk to 3000 IOPS and 125 MiB/s, reads and writes
# alike, zeroing included): mkfs.ext4 as the tool runs it, then 4 GiB
# written with O_DIRECT (the device's bandwidth, not the guest's emulated
# CPUs), on a filesystem mounted as before ("defaults": the zeroing runs
# beside the write) and as the move mounts it now (noinit_itable: the
# zeroing waits). Twice each, a fresh filesystem each time; prints the
# times and their ratio. Not a test of the tool: run on demand,
#
#   tests/vm/run-scenario.sh bench-lazyinit
#
# in no meson suite. The volume is 400 GiB (sparse on the host): its inode
# tables are 6.4 GiB, which the zeroing writes at about a tenth of the
# bandwidth, for about ten minutes.
#
# vm-options: --gp3 --ebs-size 400G --boot-timeout 3600

. "$VM_LIB"

disk=/dev/$(ebs_disk) || bail_out "no EBS disk"
mnt=/mnt/lazyinit
size_mib=4096
queue=/sys/block/$(basename "$disk")/queue
diag "the disk: $(($(blockdev --getsize64 "$disk") >> 30)) GiB, write_zeroes_max_bytes $(cat "$queue/write_zeroes_max_bytes")"

now() { date +%s.%N; }
# Docker and containerd idle on the guest's two emulated CPUs otherwise.
systemctl stop docker.service docker.socket containerd.service >/dev/null 2>&1
mkdir -p "$mnt"

# One round: a fresh filesystem mounted with $1, the write timed; prints
# its seconds.
round() {
        local t0 t1
        mkfs.ext4 -q -F -L lazyinit "$disk" || return 1
        mount -o "$1" "$disk" "$mnt" || return 1
        t0=$(now)
        dd if=/dev/zero of="$mnt/big" bs=4M count=$((size_mib / 4)) oflag=direct status=none || { umount "$mnt"; return 1; }
        t1=$(now)
        umount "$mnt" || return 1
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

declare -A sum=([defaults]=0 [noinit_itable]=0)
for i in 1 2; do
        for opts in defaults noinit_itable; do
                s=$(round "$opts")
                ok '[ -n "$s" ]' "round $i, mounted $opts: $size_mib MiB in $s s" || bail_out "round $i failed"
                sum[$opts]=$(awk -v a="${sum[$opts]}" -v b="$s" 'BEGIN { print a + b }')
        done
done
diag "$(awk -v d="${sum[defaults]}" -v n="${sum[noinit_itable]}" -v m="$size_mib" 'BEGIN {
        printf "mean: defaults %.2f s (%.0f MiB/s), noinit_itable %.2f s (%.0f MiB/s): %.2fx", d / 2, m * 2 / d, n / 2, m * 2 / n, d / n }')"
