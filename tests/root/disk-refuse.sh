#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every device prepare must refuse (exit 3), with the reason in the message,
# and proof that nothing was written: checksums of the device, /etc/fstab and
# the state directory before and after.

. "$(dirname "$0")/../lib/tap.sh"
sandbox_enter "$@"
require 'command -v sgdisk' "sgdisk (package gdisk)"

BIN=${DOCKER_RELOCATE:?}

SIG="$(dirname "$0")/disk-signatures.py"

sandbox_private_copy /etc
sandbox_private_empty /var/lib
sandbox_private_run

# state_sum: what prepare could have changed besides the device.
state_sum() {
        { cat /etc/fstab; find /var/lib -xdev -printf '%p %s %T@\n' 2>/dev/null | sort; } | sha256sum | cut -d' ' -f1
}

# refused NAME REGEX DEVICE PREPARE-ARGS...: runs prepare, expects exit 3, a
# message matching REGEX, and DEVICE (and its partitions) plus state unchanged.
refused() {
        local name=$1 re=$2 dev=$3 before after sbefore safter
        shift 3
        sync
        before=$(checksum_of "$dev" "$dev"p*)
        sbefore=$(state_sum)
        capture R "$BIN" prepare "$@"
        sync
        after=$(checksum_of "$dev" "$dev"p*)
        safter=$(state_sum)
        is "$R_rc" 3 "$name: refused (exit 3)"
        like "$R_err" "$re" "$name: says why"
        like "$R_err" "Nothing was changed" "$name: says nothing changed"
        is "$after" "$before" "$name: device unchanged (checksum)"
        is "$safter" "$sbefore" "$name: fstab and state unchanged"
}

M=$WORK/mnt
mkdir -p "$M.unused"

# --- signatures, each refused without --wipe --------------------------------

sandbox_loop d_ext4 64M
mkfs.ext4 -q -F -L other "$d_ext4"
refused "ext4 filesystem" "not blank.*ext4 filesystem.*pass --wipe" "$d_ext4" "$d_ext4" --mount "$M"

sandbox_loop d_xfs 320M
mkfs.xfs -q -f "$d_xfs"
refused "xfs filesystem" "not blank.*xfs filesystem" "$d_xfs" "$d_xfs" --mount "$M"

sandbox_loop d_gpt 64M
sgdisk -o "$d_gpt" >/dev/null
refused "GPT partition table" "not blank.*gpt partition table" "$d_gpt" "$d_gpt" --mount "$M"

sandbox_loop d_dos 64M
printf 'label: dos\n,\n' | sfdisk -q "$d_dos" >/dev/null 2>&1
refused "MBR partition table" "not blank.*dos partition table" "$d_dos" "$d_dos" --mount "$M"

sandbox_loop d_swap 64M
mkswap -q "$d_swap" >/dev/null
refused "swap signature" "not blank.*swap" "$d_swap" "$d_swap" --mount "$M"

sandbox_loop d_lvm 64M
python3 "$SIG" lvm "$d_lvm"
refused "LVM physical volume" "not blank.*LVM2_member" "$d_lvm" "$d_lvm" --mount "$M"

sandbox_loop d_raid 64M
python3 "$SIG" raid "$d_raid"
refused "md RAID member" "not blank.*linux_raid_member" "$d_raid" "$d_raid" --mount "$M"

# --- in use: refused even with --wipe ---------------------------------------

sandbox_loop d_mnt 64M
mkfs.ext4 -q -F "$d_mnt"
mkdir -p "$WORK/elsewhere"
# Read-only, so the kernel itself writes nothing while checksums are taken.
mount -o ro "$d_mnt" "$WORK/elsewhere"
refused "mounted device" "is mounted on $WORK/elsewhere" "$d_mnt" "$d_mnt" --mount "$M"
refused "mounted device, --wipe" "is mounted on $WORK/elsewhere.*--wipe does not override" "$d_mnt" "$d_mnt" --mount "$M" --wipe
umount "$WORK/elsewhere"

sandbox_loop d_part 64M -P
sgdisk -n 1:0:0 "$d_part" >/dev/null
partx -a "$d_part" 2>/dev/null || true
wait_for 10 test -b "${d_part}p1"
mkfs.ext4 -q -F "${d_part}p1"
mount -o ro "${d_part}p1" "$WORK/elsewhere"
refused "mounted partition, --wipe" "${d_part}p1 is mounted on $WORK/elsewhere" "$d_part" "$d_part" --mount "$M" --wipe
umount "$WORK/elsewhere"

sandbox_loop d_swapon 64M
mkswap -q "$d_swapon" >/dev/null
on_exit "swapoff '$d_swapon'"
if swapon "$d_swapon" 2>/dev/null; then
        refused "active swap, --wipe" "in use as swap" "$d_swapon" "$d_swapon" --mount "$M" --wipe
        swapoff "$d_swapon"
else
        skip "active swap refused" "swapon is not permitted here"
fi

if [ -d /boot ]; then
        sandbox_loop d_boot 64M
        mkfs.ext4 -q -F "$d_boot"
        # Only in this namespace: the host's /boot is untouched.
        mount -o ro "$d_boot" /boot
        on_exit "umount -l /boot"
        refused "device backing /boot, --wipe" "backs /boot" "$d_boot" "$d_boot" --mount "$M" --wipe
        umount /boot
else
        skip "device backing /boot refused" "no /boot on this machine"
fi

if ! command -v dmsetup >/dev/null; then
        skip_missing "device held by device-mapper refused" "dmsetup (package dmsetup)"
elif dmsetup version >/dev/null 2>&1; then
        sandbox_loop d_dm 64M
        name=dr-test-$$
        dmsetup create "$name" --table "0 $((64 * 2048)) linear $d_dm 0"
        on_exit "dmsetup remove '$name'"
        refused "device held by device-mapper, --wipe" "held by dm-" "$d_dm" "$d_dm" --mount "$M" --wipe
else
        # The holders check itself is covered by test-disk-sysroot on a
        # fixture tree.
        skip "device held by device-mapper refused" "no device-mapper in this kernel"
fi

# Held open exclusively by a program (as a VM or a database holds a raw
# device), with no mount or holder to show for it.
sandbox_loop d_excl 64M
python3 -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); print(flush=True); time.sleep(60)' \
        "$d_excl" > "$WORK/excl.ready" &
excl_pid=$!
on_exit "kill $excl_pid"
wait_for 10 test -s "$WORK/excl.ready"
refused "device opened exclusively, --wipe" "is in use \\(opened exclusively" "$d_excl" "$d_excl" --mount "$M" --wipe
kill "$excl_pid"; wait "$excl_pid" 2>/dev/null

sandbox_loop d_ro 64M -r
refused "read-only device" "is read-only" "$d_ro" "$d_ro" --mount "$M"

# --- the mount point --------------------------------------------------------

sandbox_loop d_blank 64M
mkdir -p "$WORK/full" && echo data > "$WORK/full/file"
refused "non-empty mount point" "$WORK/full is not empty" "$d_blank" "$d_blank" --mount "$WORK/full"
is "$(cat "$WORK/full/file")" data "non-empty mount point: its content is untouched"

mkdir -p "$WORK/busy" && mount -t tmpfs tmpfs "$WORK/busy"
refused "mount point already in use" "$WORK/busy is already a mount point" "$d_blank" "$d_blank" --mount "$WORK/busy"
umount "$WORK/busy"

refused "system directory as mount point" "/var/lib is a system directory" "$d_blank" "$d_blank" --mount /var/lib

cp /etc/fstab "$WORK/fstab.orig"
echo "/dev/sdz1 $WORK/taken ext4 defaults 0 2" >> /etc/fstab
refused "fstab mounts something else there" "/etc/fstab already mounts something on $WORK/taken" "$d_blank" "$d_blank" --mount "$WORK/taken"
cp "$WORK/fstab.orig" /etc/fstab

sandbox_loop d_isp 64M -P
sgdisk -n 1:0:0 "$d_isp" >/dev/null
partx -a "$d_isp" 2>/dev/null || true
wait_for 10 test -b "${d_isp}p1"
refused "--partition on a partition" "is a partition: --partition needs a whole disk" "${d_isp}p1" "${d_isp}p1" --mount "$M" --partition

# --- what DEVICE names ------------------------------------------------------

capture R "$BIN" prepare sdzz --mount "$M"
is "$R_rc" 1 "unknown device: a failure, not a refusal"
like "$R_err" "No device matches sdzz.*--wait-device" "unknown device: says so, suggests --wait-device"

start=$(date +%s)
capture R "$BIN" prepare vol-0123456789abcdef0 --mount "$M" --wait-device 2
is "$R_rc" 1 "--wait-device on a missing volume fails"
like "$R_err" "did not appear within 2 s" "--wait-device: clear timeout message"
ok "[ $(($(date +%s) - start)) -le 10 ]" "--wait-device: gave up in time"

capture R "$BIN" prepare "$d_blank" --mount "$M" --json --label "has space"
is "$R_rc" 2 "an invalid label is a usage error"
like "$R_err" "not a valid ext4 label" "the label error names the filesystem's limit"

# --- one at a time -----------------------------------------------------------

mkdir -p /run/docker-relocate
flock /run/docker-relocate/disk.lock sleep 3 &
holder=$!
on_exit "kill $holder"
wait_for 5 bash -c '! flock -n /run/docker-relocate/disk.lock true'
start=$(date +%s)
capture R "$BIN" prepare "$d_blank" --mount "$WORK/locked"
waited=$(( $(date +%s) - start ))
wait "$holder"
is "$R_rc" 0 "a prepare while another holds the lock: succeeds after it"
ok "[ $waited -ge 2 ]" "lock: it waited (${waited} s)"

# --- --wipe does what it says, and only when asked --------------------------

capture R "$BIN" prepare "$d_ext4" --mount "$WORK/wiped" --wipe --json
is "$R_rc" 0 "--wipe: the ext4 device is accepted"
like "$R_out" '"changed":[[:space:]]*true' "--wipe: changed"
like "$(blkid -o value -s LABEL "$d_ext4")" '^docker-data$' "--wipe: new filesystem with our label"

capture R "$BIN" prepare "$d_gpt" --mount "$WORK/wiped-gpt" --wipe
is "$R_rc" 0 "--wipe: the GPT device is accepted"
is "$(blkid -p -o value -s PTTYPE "$d_gpt")" "" "--wipe: no partition table left (primary and backup GPT gone)"
is "$(blkid -p -o value -s TYPE "$d_gpt")" ext4 "--wipe: only the new filesystem"

done_testing
