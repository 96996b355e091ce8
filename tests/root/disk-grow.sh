#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# grow after the volume was enlarged (truncate + losetup -c stand in for an
# EBS volume modification): the partition and the filesystem grow online, the
# sizes are reported, and a second grow is a no-op.

. "$(dirname "$0")/../lib/tap.sh"
sandbox_enter "$@"
require 'command -v sgdisk' "sgdisk (package gdisk)"

BIN=${DOCKER_RELOCATE:?}

sandbox_private_copy /etc
sandbox_private_empty /var/lib
sandbox_private_run

fs_bytes() { # size of the filesystem mounted on $1
        df -B1 --output=size "$1" | tail -1 | tr -d ' '
}

# enlarge DEVICE SIZE: grow the backing file and tell the loop driver.
enlarge() {
        truncate -s "$2" "$WORK/$(basename "$1").img"
        losetup -c "$1"
}

# Online ext4 growth (EXT4_IOC_RESIZE_FS) needs CAP_SYS_RESOURCE, which root
# lacks on some machines (containers, these test VMs). The VM scenario
# move-volume-missing grows a mounted ext4 online in any case.
have_sys_resource() {
        (( (0x$(awk '/^CapEff/ { print $2 }' /proc/self/status) >> 24) & 1 ))
}

# check_grow NAME FSTYPE MOUNT [DIR-ARG]: grows, checks the report and the
# no-op.
check_grow() {
        local name=$1 fstype=$2 mnt=$3 before after
        shift 3
        before=$(fs_bytes "$mnt")
        capture R "$BIN" grow "$@" --json
        after=$(fs_bytes "$mnt")
        ok "[ -f '$mnt/keep' ] && [ \"\$(cat '$mnt/keep')\" = kept ]" "$name: data still there"

        if [ "$fstype" = ext4 ] && ! have_sys_resource; then
                # Exit 5 where the partition grew under it: a change left.
                is "$R_rc" "$([ "$(json_get 'j.get("partition_grown")' <<<"$R_out")" = true ] && echo 5 || echo 1)" \
                        "$name: grow fails without CAP_SYS_RESOURCE"
                like "$(json_get 'j["error"]["message"] + " " + j["error"]["advice"]' <<<"$R_out")" \
                        "Permission denied.*CAP_SYS_RESOURCE.*keeps its size" \
                        "$name: and says why, and that nothing is lost"
                is "$after" "$before" "$name: filesystem untouched"
                skip "$name: online ext4 growth" "no CAP_SYS_RESOURCE for EXT4_IOC_RESIZE_FS here"
                return
        fi

        is "$R_rc" 0 "$name: grow exits 0"
        is "$(json_get 'j.get("changed")' <<<"$R_out")" true "$name: changed"
        ok "[ $after -gt $((before * 3 / 2)) ]" "$name: filesystem grew ($before → $after bytes)"
        is "$(json_get 'j.get("fs_old_bytes")' <<<"$R_out")" "$before" "$name: old size reported"
        is "$(json_get 'j.get("fs_new_bytes")' <<<"$R_out")" "$after" "$name: new size reported"

        capture R "$BIN" grow "$@" --json
        is "$R_rc" 0 "$name: second grow exits 0"
        is "$(json_get 'j.get("changed")' <<<"$R_out")" false "$name: second grow changes nothing"
        is "$(fs_bytes "$mnt")" "$after" "$name: size unchanged by the second grow"
}

# --- ext4 on the whole disk, DIR given ---------------------------------------

sandbox_loop d1 512M
"$BIN" prepare "$d1" --mount "$WORK/ext4" >/dev/null
echo kept > "$WORK/ext4/keep"

capture R "$BIN" grow "$WORK/ext4" --json
is "$R_rc" 0 "ext4: grow before any resize exits 0"
is "$(json_get 'j.get("changed")' <<<"$R_out")" false "ext4: nothing to grow yet"

capture R "$BIN" grow "$WORK/ext4" --dry-run --json
is "$(json_get '[j["status"], j["changed"]]' <<<"$R_out")" '["unchanged", false]' \
        "ext4: dry run before any resize: nothing to grow (status unchanged)"

enlarge "$d1" 1G
before=$(fs_bytes "$WORK/ext4")
capture R "$BIN" grow "$WORK/ext4" --dry-run --json
is "$R_rc" 0 "ext4: dry run exits 0"
# A dry run changes nothing: it plans (docker-relocate(8), JSON OUTPUT).
is "$(json_get '[j["status"], j["changed"]]' <<<"$R_out")" '["planned", false]' \
        "ext4: dry run sees room to grow (status planned)"
like "$R_out" "from 536870912 to about 1073741824 bytes \\(resize2fs\\)" "ext4: dry run says how much, and with what"
is "$(fs_bytes "$WORK/ext4")" "$before" "ext4: dry run grew nothing"
check_grow "ext4 whole disk" ext4 "$WORK/ext4" "$WORK/ext4"

# --- xfs on a partition, DIR from the state ---------------------------------

sandbox_loop d2 512M -P
"$BIN" prepare "$d2" --mount "$WORK/xfsp" --partition --fs xfs >/dev/null
echo kept > "$WORK/xfsp/keep"
p=$(basename "$d2")p1
psize=$(cat "/sys/block/$(basename "$d2")/$p/size")
enlarge "$d2" 1G
capture R "$BIN" grow --dry-run --json
is "$(json_get '[j["status"], j["changed"]]' <<<"$R_out")" '["planned", false]' \
        "xfs partition: dry run sees room to grow (status planned)"
like "$R_out" "grow partition 1 of $d2" "xfs partition: dry run plans the partition"
like "$R_out" "xfs_growfs" "xfs partition: dry run plans xfs_growfs"
is "$(cat "/sys/block/$(basename "$d2")/$p/size")" "$psize" "xfs partition: dry run left the partition alone"
check_grow "xfs partition (recorded mount)" xfs "$WORK/xfsp"
pnew=$(cat "/sys/block/$(basename "$d2")/$p/size")
ok "[ $pnew -gt $((psize * 3 / 2)) ]" "xfs partition: the kernel sees the grown partition ($psize → $pnew sectors)"
end=$(( $(cat "/sys/block/$(basename "$d2")/$p/start") + pnew ))
ok "[ $(( $(cat /sys/block/$(basename "$d2")/size) - end )) -le 2048 ]" "xfs partition: reaches the end of the disk"
ok "sgdisk -v '$d2' 2>&1 | grep -q '^No problems found'" "xfs partition: GPT valid, backup header at the new end"

# --- ext4 on a partition ------------------------------------------------------

sandbox_loop d3 512M -P
"$BIN" prepare "$d3" --mount "$WORK/ext4p" --partition >/dev/null
echo kept > "$WORK/ext4p/keep"
enlarge "$d3" 1G
if [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ]; then
        # The filesystem's growth fails after the partition's: exit 5, the state
        # said, and a second run finishes it (check_grow).
        before=$(fs_bytes "$WORK/ext4p")
        capture R env DOCKER_RELOCATE_TEST_FAIL=grow-fs:EIO "$BIN" grow "$WORK/ext4p" --json
        is "$R_rc" 5 "ext4 partition, filesystem growth fails: exit 5 (needs a human)"
        is "$(json_get 'j["status"], j["changed"], j["partition_grown"]' <<<"$R_out")" '["needs-human", true, true]' \
                "ext4 partition, filesystem growth fails: needs-human, changed, the partition grown"
        like "$(json_get 'j["error"]["advice"]' <<<"$R_out")" "keeps its size, the partition is grown already; .*run grow again" \
                "ext4 partition, filesystem growth fails: the advice says the state and what to do"
        is "$(fs_bytes "$WORK/ext4p")" "$before" "ext4 partition, filesystem growth fails: filesystem untouched"
else
        skip "filesystem growth failing after the partition's" "a build without -Dfault_injection"
fi
check_grow "ext4 partition" ext4 "$WORK/ext4p" "$WORK/ext4p"
# The partition grows even when the filesystem cannot (yet).
p=$(basename "$d3")p1
end=$(( $(cat "/sys/block/$(basename "$d3")/$p/start") + $(cat "/sys/block/$(basename "$d3")/$p/size") ))
ok "[ $(( $(cat /sys/block/$(basename "$d3")/size) - end )) -le 2048 ]" "ext4 partition: reaches the end of the disk"

# --- a failure after the partition grew ---------------------------------------

if [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ]; then
        # Both grew, and reading the new size failed: exit 5, and the advice
        # says where the host stands.
        sandbox_loop d4 512M -P
        "$BIN" prepare "$d4" --mount "$WORK/xfs4" --partition --fs xfs >/dev/null
        enlarge "$d4" 1G
        capture R env DOCKER_RELOCATE_TEST_FAIL=grow-size:EIO "$BIN" grow "$WORK/xfs4" --json
        is "$R_rc" 5 "failure after the partition grew: exit 5 (needs a human)"
        is "$(json_get '[j["status"], j["partition_grown"]]' <<<"$R_out")" '["needs-human", true]' \
                "failure after the partition grew: needs-human, the partition grown"
        like "$(json_get 'j["error"]["advice"]' <<<"$R_out")" "Partition ${d4}p1 is grown already .*run grow again" \
                "failure after the partition grew: the advice says the state and what to do"
        capture R "$BIN" grow "$WORK/xfs4" --json
        is "$R_rc" 0 "failure after the partition grew: grow again exits 0"
else
        skip "a failure after the partition grew" "a build without -Dfault_injection"
fi

# --- a filesystem grow cannot follow ------------------------------------------

# Refused before anything grows (a partition grown under it would be a change
# for nothing).
if grep -qw vfat /proc/filesystems || modprobe -q vfat 2>/dev/null; then
        sandbox_loop d5 128M
        mkfs.vfat -n VF "$d5" >/dev/null && sandbox_mount "$d5" "$WORK/vfat" || bail_out "cannot make a vfat volume"
        enlarge "$d5" 256M
        capture R "$BIN" grow "$WORK/vfat" --json
        is "$R_rc" 3 "vfat: refused"
        like "$(json_get 'j["error"]["message"]' <<<"$R_out")" \
                "holds a vfat filesystem: grow grows ext2, ext3, ext4 and xfs only" "vfat: says why"
        is "$(json_get '[j["changed"], j["steps"]]' <<<"$R_out")" '[false, []]' "vfat: nothing changed"
else
        skip "a vfat volume: refused" "the kernel has no vfat"
fi

# --- not a mount point --------------------------------------------------------

mkdir -p "$WORK/plain"
capture R "$BIN" grow "$WORK/plain"
is "$R_rc" 1 "not a mount point: fails"
like "$R_err" "is not a mount point" "not a mount point: says so"

done_testing
