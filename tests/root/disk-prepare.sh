#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# prepare on loop devices: ext4 and xfs, whole disk and --partition; the
# mount, the fstab line, the immutable mount point, the state record; a
# second run changes nothing; --dry-run changes nothing; our own filesystem
# is reused (remounted, moved) and never reformatted.

. "$(dirname "$0")/../lib/tap.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}

sandbox_private_copy /etc
sandbox_private_empty /var/lib
sandbox_private_run

fstab_lines_for() { # number of fstab lines mounting on $1
        awk -v m="$1" '$1 !~ /^#/ && $2 == m' /etc/fstab | wc -l
}

# check_prepared NAME DEVICE FSNODE FSTYPE LABEL MOUNT
check_prepared() {
        local name=$1 fsnode=$3 fstype=$4 label=$5 mnt=$6 uuid
        uuid=$(blkid -p -o value -s UUID "$fsnode")
        is "$(findmnt -n -o SOURCE --mountpoint "$mnt")" "$fsnode" "$name: $fsnode mounted on its mount point"
        is "$(blkid -p -o value -s TYPE "$fsnode")" "$fstype" "$name: filesystem is $fstype"
        is "$(blkid -p -o value -s LABEL "$fsnode")" "$label" "$name: label $label"
        is "$(awk -v m="$mnt" '$2 == m' /etc/fstab)" \
                "UUID=$uuid $mnt $fstype defaults,nofail,x-systemd.device-timeout=30s 0 2" \
                "$name: fstab line by UUID with nofail and device timeout"
        ok "grep -B1 -F 'UUID=$uuid' /etc/fstab | head -1 | grep -q '^# docker-relocate: data volume'" \
                "$name: fstab line marked as ours"
        ok "grep -q '\"uuid\":[[:space:]]*\"$uuid\"' /var/lib/docker-relocate/disks.json" \
                "$name: filesystem recorded in disks.json"
        # The directory under the mount: immutable, so nothing lands there
        # while the volume is missing.
        mkdir -p "$WORK/under" && mount --bind "$(dirname "$mnt")" "$WORK/under"
        like "$(lsattr -d "$WORK/under/$(basename "$mnt")")" '^-*i' "$name: mount point underneath is immutable"
        ok "! touch '$WORK/under/$(basename "$mnt")/x' 2>/dev/null" "$name: nothing can be written underneath"
        umount "$WORK/under"
}

# again NAME ARGS...: a second run must report no change and change nothing.
again() {
        local name=$1 before after
        shift
        before=$(checksum_of /etc/fstab /var/lib/docker-relocate/disks.json)
        capture R "$BIN" prepare "$@" --json
        after=$(checksum_of /etc/fstab /var/lib/docker-relocate/disks.json)
        is "$R_rc" 0 "$name, second run: exit 0"
        is "$(json_get 'j.get("changed")' <<<"$R_out")" false "$name, second run: changed false"
        is "$(json_get 'j.get("status")' <<<"$R_out")" unchanged "$name, second run: status unchanged"
        is "$after" "$before" "$name, second run: fstab and state untouched"
}

cp /etc/fstab "$WORK/fstab.orig"

# --- dry run ----------------------------------------------------------------

sandbox_loop d1 1G
before=$(checksum_of "$d1" /etc/fstab)
capture R "$BIN" prepare "$d1" --mount "$WORK/ext4" --dry-run --json
is "$R_rc" 0 "dry run: exit 0"
is "$(json_get 'j.get("status")' <<<"$R_out")" planned "dry run: status planned"
like "$R_out" "make an ext4 filesystem" "dry run: lists mkfs"
is "$(checksum_of "$d1" /etc/fstab)" "$before" "dry run: device and fstab unchanged"
ok "[ ! -e '$WORK/ext4' ]" "dry run: no mount point made"

# --- ext4, whole disk ---------------------------------------------------------

capture R "$BIN" prepare "$d1" --mount "$WORK/ext4" --json
is "$R_rc" 0 "ext4: exit 0"
is "$(json_get 'j.get("changed")' <<<"$R_out")" true "ext4: changed"
is "$(json_get 'j.get("fs_node")' <<<"$R_out")" "$d1" "ext4: filesystem on the whole disk"
check_prepared ext4 "$d1" "$d1" ext4 docker-data "$WORK/ext4"
ok "diff <(grep -v docker-relocate '$WORK/fstab.orig') <(grep -v -e docker-relocate -e '$WORK/' /etc/fstab)" \
        "ext4: every other fstab line and comment kept"
backup=$(json_get 'j.get("fstab_backup")' <<<"$R_out")
ok "cmp -s '$WORK/fstab.orig' '$backup'" "ext4: fstab backed up first ($backup)"
again ext4 "$d1" --mount "$WORK/ext4"
again "ext4 by UUID=" "UUID=$(blkid -p -o value -s UUID "$d1")" --mount "$WORK/ext4"

# Unmounted (as after a reboot with the volume late): remounted, not
# reformatted.
uuid=$(blkid -p -o value -s UUID "$d1")
umount "$WORK/ext4"
capture R "$BIN" prepare "$d1" --mount "$WORK/ext4" --json
is "$R_rc" 0 "ext4 unmounted: exit 0"
is "$(json_get 'j.get("reused")' <<<"$R_out")" true "ext4 unmounted: reused"
is "$(blkid -p -o value -s UUID "$d1")" "$uuid" "ext4 unmounted: same filesystem (not reformatted)"
is "$(findmnt -n -o SOURCE --mountpoint "$WORK/ext4")" "$d1" "ext4 unmounted: mounted again"
is "$(fstab_lines_for "$WORK/ext4")" 1 "ext4 unmounted: still one fstab line"

# A copy of the volume (as from a snapshot) attached beside it: the same
# UUID on two devices. Neither is reused until one has another UUID.
img=$(losetup -n -O BACK-FILE "$d1" | sed 's/ *$//')
umount "$WORK/ext4"
cp --sparse=always "$img" "$WORK/copy.img"
sandbox_loop_file dcopy "$WORK/copy.img"
fstab0=$(sha256sum </etc/fstab)
capture R "$BIN" prepare "$d1" --mount "$WORK/ext4"
ok '[ "$R_rc" = 3 ] && grep -q "and so does another block device" <<<"$R_err" && [ "$(sha256sum </etc/fstab)" = "$fstab0" ] &&
        ! findmnt -n --mountpoint "$WORK/ext4" >/dev/null' \
        "a copy of the volume attached: refused (exit $R_rc), nothing mounted or written"
[ "$R_rc" = 3 ] || diag "$R_err"
wipefs -q -a "$dcopy"
capture R "$BIN" prepare "$d1" --mount "$WORK/ext4"
is "$R_rc" 0 "the copy wiped: the volume is reused again"

# Moved to another mount point: our fstab line is replaced, not duplicated.
umount "$WORK/ext4"
capture R "$BIN" prepare "$d1" --mount "$WORK/ext4-moved"
is "$R_rc" 0 "ext4 moved: exit 0"
is "$(fstab_lines_for "$WORK/ext4")" 0 "ext4 moved: old line gone"
is "$(fstab_lines_for "$WORK/ext4-moved")" 1 "ext4 moved: one new line"
is "$(grep -c "UUID=$uuid" /etc/fstab)" 1 "ext4 moved: the UUID appears once"
# Mounted where asked, but asked elsewhere now: refused, not remounted.
capture R "$BIN" prepare "$d1" --mount "$WORK/ext4-third"
is "$R_rc" 3 "ext4 mounted elsewhere: refused"
like "$R_err" "is mounted on $WORK/ext4-moved, not on $WORK/ext4-third" "ext4 mounted elsewhere: says where"

# A different --fs for our own filesystem is refused, never reformatted.
capture R "$BIN" prepare "$d1" --mount "$WORK/ext4-moved" --fs xfs
is "$R_rc" 3 "our ext4 asked as xfs: refused"
is "$(blkid -p -o value -s TYPE "$d1")" ext4 "our ext4 asked as xfs: still ext4"

# --- xfs, whole disk ----------------------------------------------------------

# A label no other device on this machine carries, for LABEL= below.
xlabel=drx$(( $$ % 100000 ))
sandbox_loop d2 1G
capture R "$BIN" prepare "$d2" --mount "$WORK/xfs" --fs xfs --label "$xlabel"
is "$R_rc" 0 "xfs: exit 0"
check_prepared xfs "$d2" "$d2" xfs "$xlabel" "$WORK/xfs"
like "$(xfs_info "$WORK/xfs")" "ftype=1" "xfs: ftype=1"
again xfs "$d2" --mount "$WORK/xfs" --fs xfs --label "$xlabel"
again "xfs by LABEL=" "LABEL=$xlabel" --mount "$WORK/xfs" --label "$xlabel"

# --- --partition --------------------------------------------------------------

sandbox_loop d3 1G -P
capture R "$BIN" prepare "$d3" --mount "$WORK/ext4p" --partition --json
is "$R_rc" 0 "ext4 --partition: exit 0"
is "$(json_get 'j.get("fs_node")' <<<"$R_out")" "${d3}p1" "ext4 --partition: filesystem on ${d3}p1"
is "$(blkid -p -o value -s PTTYPE "$d3")" gpt "ext4 --partition: GPT on the disk"
is "$(sfdisk -d "$d3" | grep -c '^/dev')" 1 "ext4 --partition: exactly one partition"
like "$(sfdisk -d "$d3" | grep '^/dev')" "type=0FC63DAF-8483-4772-8E79-3D69D8477DE4" "ext4 --partition: Linux filesystem type"
# One partition over the disk: it ends within the last MiB.
end=$(( $(cat /sys/block/$(basename "$d3")/$(basename "$d3")p1/start) + $(cat /sys/block/$(basename "$d3")/$(basename "$d3")p1/size) ))
ok "[ $(( $(cat /sys/block/$(basename "$d3")/size) - end )) -le 2048 ]" "ext4 --partition: covers the whole disk"
check_prepared "ext4 --partition" "$d3" "${d3}p1" ext4 docker-data "$WORK/ext4p"
again "ext4 --partition" "$d3" --mount "$WORK/ext4p" --partition

sandbox_loop d4 1G -P
capture R "$BIN" prepare "$d4" --mount "$WORK/xfsp" --partition --fs xfs
is "$R_rc" 0 "xfs --partition: exit 0"
check_prepared "xfs --partition" "$d4" "${d4}p1" xfs docker-data "$WORK/xfsp"
like "$(xfs_info "$WORK/xfsp")" "ftype=1" "xfs --partition: ftype=1"
again "xfs --partition" "$d4" --mount "$WORK/xfsp" --partition --fs xfs

# --- all lines together -------------------------------------------------------

# --- disks --json -------------------------------------------------------------

sandbox_loop d5 256M
capture R "$BIN" disks --json
is "$R_rc" 0 "disks --json: exit 0"
disk_field() { # disk_field NAME EXPR: EXPR over the disk object d, as JSON
        json_get "(lambda d: $2)([x for x in j['disks'] if x['name'] == '$1'][0])" <<<"$R_out"
}
is "$(disk_field "$(basename "$d5")" '[d["eligible"], d["size"], d["reasons"]]')" "[true, 268435456, []]" \
        "disks --json: a blank loop device is eligible, with its size"
is "$(disk_field "$(basename "$d1")" 'd["eligible"]')" false "disks --json: a prepared device is not"
is "$(disk_field "$(basename "$d1")" '[d["prepared"], d["eligible"]]')" "[true, false]" "disks --json: ours is marked prepared"
is "$(disk_field "$(basename "$d5")" 'd["prepared"]')" false "disks --json: a blank one is not"
is "$(disk_field "$(basename "$d1")" 'd["mounts"]')" "[\"$WORK/ext4-moved\"]" "disks --json: with its mount point"
like "$(disk_field "$(basename "$d1")" 'd["reasons"]')" "is mounted on $WORK/ext4-moved" "disks --json: and the reason"
like "$(disk_field "$(basename "$d1")" 'd["signatures"]')" "ext4 filesystem \\(UUID=$uuid" "disks --json: and its signature"
is "$(disk_field "$(basename "$d3")" '[p["name"] for p in d["partitions"]]')" "[\"$(basename "$d3")p1\"]" \
        "disks --json: partitions listed under their disk"
is "$(disk_field "$(basename "$d3")" 'd["partitions"][0]["mounts"]')" "[\"$WORK/ext4p\"]" "disks --json: partition mount"
capture R "$BIN" disks
like "$R_out" "$(basename "$d5") +256.0M" "disks: human table lists the device"

# An unattached loop device (no backing file, no media) is in /sys/block but
# is no disk anyone could pick: not listed.
free_loop=$(losetup -f 2>/dev/null)
if [ -n "$free_loop" ] && [ -e "/sys/block/$(basename "$free_loop")" ]; then
        capture R "$BIN" disks --json
        is "$(json_get "'$(basename "$free_loop")' in [d['name'] for d in j['disks']]" <<<"$R_out")" false \
                "disks: an unattached loop device is not listed"
else
        skip "disks: an unattached loop device is not listed" "no unattached loop device in /sys/block"
fi

# --- --wait-device: a volume attached after the command started ---------------

# Attached now to an empty file, so it has no media, and only gets its size
# 2 s later: what the kernel shows of a volume still being attached, with no
# race for a free loop device.
touch "$WORK/late.img"
sandbox_loop_file late "$WORK/late.img"
( sleep 2; truncate -s 256M "$WORK/late.img"; losetup -c "$late" ) &
grow_pid=$!
on_exit "kill $grow_pid"
capture R "$BIN" prepare "$late" --mount "$WORK/late" --wait-device 30
wait "$grow_pid"
is "$R_rc" 0 "--wait-device: prepared a device whose media arrived 2 s later"
is "$(findmnt -n -o SOURCE --mountpoint "$WORK/late")" "$late" "--wait-device: and mounted it"
like "$R_err" "Waiting up to 30 s for $late to be attached" "--wait-device: says it waits"
like "$R_err" "$late appeared as /dev/$(basename "$late") after [0-9]" "--wait-device: and when the device came"

# --- xfs without ftype=1 is never reused ------------------------------------------

sandbox_loop d6 400M
mkfs.xfs -q -f -m crc=0 -n ftype=0 -L docker-data "$d6" >/dev/null 2>&1
# Recorded as ours (as if made by hand over an earlier record): this kernel
# cannot even mount a V4 xfs, so the check must come before any mount.
python3 - "$(blkid -p -o value -s UUID "$d6")" <<'PY'
import json, sys
p = "/var/lib/docker-relocate/disks.json"
j = json.load(open(p))
j["filesystems"].append({"uuid": sys.argv[1], "fstype": "xfs", "label": "docker-data", "mount": "/x"})
json.dump(j, open(p, "w"))
PY
sum_before=$(checksum_of "$d6")
capture R "$BIN" prepare "$d6" --mount "$WORK/noftype"
is "$R_rc" 3 "xfs without ftype=1: refused"
like "$R_err" "without ftype=1" "xfs without ftype=1: says why"
is "$(checksum_of "$d6")" "$sum_before" "xfs without ftype=1: device unchanged"
ok "[ ! -e '$WORK/noftype' ]" "xfs without ftype=1: no mount point made"

# d1 (moved once), d2, d3, d4, the late one.
is "$(grep -c '^# docker-relocate: data volume' /etc/fstab)" 5 "five volumes, five marked lines"
is "$(findmnt --tab-file /etc/fstab -n -o SOURCE | grep -c '^UUID=' )" \
        "$(( $(grep -c '^UUID=' "$WORK/fstab.orig") + 5 ))" "findmnt reads the five new lines, all by UUID"

# --- a failure after the device was written: exit 5, what is left, what to do
# (test hooks: a build with -Dfault_injection=true)
if [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ]; then
        # The fstab line fails after the mount: the volume is mounted without it.
        sandbox_loop d7 256M
        fstab0=$(checksum_of /etc/fstab)
        capture R env DOCKER_RELOCATE_TEST_FAIL=prepare-fstab:EIO "$BIN" prepare "$d7" --mount "$WORK/nofstab" --json
        is "$R_rc" 5 "fstab write fails after the mount: exit 5 (needs a human)"
        is "$(json_get 'j["status"], j["changed"], j["error"]["code"]' <<<"$R_out")" '["needs-human", true, 5]' \
                "fstab write fails: status needs-human, changed, error.code 5"
        like "$(json_get 'j["error"]["advice"]' <<<"$R_out")" "is mounted on $WORK/nofstab but has no line in /etc/fstab" \
                "fstab write fails: the advice says the volume is mounted without its fstab line"
        like "$R_err" "run prepare again \\(it reuses the filesystem and adds the line\\)" \
                "fstab write fails: stderr says what to do"
        is "$(findmnt -n -o SOURCE --mountpoint "$WORK/nofstab")" "$d7" "fstab write fails: the volume is mounted"
        is "$(checksum_of /etc/fstab)" "$fstab0" "fstab write fails: /etc/fstab unchanged"
        capture R "$BIN" prepare "$d7" --mount "$WORK/nofstab" --json
        is "$R_rc/$(json_get 'j["reused"]' <<<"$R_out")" "0/true" "fstab write fails, the advice followed: exit 0, reused"
        is "$(fstab_lines_for "$WORK/nofstab")" 1 "fstab write fails, the advice followed: the line is there"

        # What the run warned of is said before its failure too.
        sandbox_loop d7w 256M
        mkdir -p "$WORK/real-w" && ln -s "$WORK/real-w" "$WORK/link-w"
        capture R env DOCKER_RELOCATE_TEST_FAIL=prepare-fstab:EIO "$BIN" prepare "$d7w" --mount "$WORK/link-w"
        is "$R_rc" 5 "a warning, then a failure: exit 5"
        like "$R_err" "Warning: --mount $WORK/link-w is $WORK/real-w once symbolic links are resolved" \
                "a warning, then a failure: the warning is said"
        capture R "$BIN" prepare "$d7w" --mount "$WORK/real-w"
        is "$R_rc" 0 "a warning, then a failure, the advice followed: exit 0"

        # The record fails after mkfs: not mounted, and a new run needs --wipe.
        sandbox_loop d8 256M
        capture R env DOCKER_RELOCATE_TEST_FAIL=prepare-record:EIO "$BIN" prepare "$d8" --mount "$WORK/norecord"
        is "$R_rc" 5 "record fails after mkfs: exit 5"
        like "$R_err" "was made on $d8 but is not recorded" "record fails: says the filesystem is not recorded"
        unlike "$R_err" "will be reused" "record fails: does not promise a reuse"
        ok "! findmnt -n --source '$d8' >/dev/null" "record fails: nothing mounted"
        is "$(fstab_lines_for "$WORK/norecord")" 0 "record fails: no fstab line"
        capture R "$BIN" prepare "$d8" --mount "$WORK/norecord"
        is "$R_rc" 3 "record fails, run again without --wipe: refused, as the advice said"
        capture R "$BIN" prepare "$d8" --mount "$WORK/norecord" --wipe
        is "$R_rc" 0 "record fails, run again with --wipe: done"

        # needs_human NAME JSON: exit 5, status needs-human, error.code 5 and
        # advice (the contract requires it of exit 5).
        needs_human() {
                is "$R_rc/$(json_get 'j["status"], j["changed"], j["error"]["code"]' <<<"$2")" '5/["needs-human", true, 5]' \
                        "$1: exit 5, needs-human, changed"
        }

        # The mount point cannot be made after mkfs: the filesystem is made
        # and recorded, nothing else; a new run reuses it.
        sandbox_loop d9 256M
        capture R env DOCKER_RELOCATE_TEST_FAIL=prepare-mount-point:EACCES "$BIN" prepare "$d9" --mount "$WORK/nodir" --json
        needs_human "mount point fails after mkfs" "$R_out"
        like "$(json_get 'j["error"]["advice"]' <<<"$R_out")" \
                "was made on $d9 and recorded as this tool's; nothing is mounted or in /etc/fstab: fix the cause and run prepare again \(it reuses the filesystem\)\.\$" \
                "mount point fails after mkfs: the advice says what is there and that a new run reuses it"
        ok "[ ! -e '$WORK/nodir' ] && ! findmnt -n --source '$d9' >/dev/null" "mount point fails after mkfs: nothing made or mounted"
        capture R "$BIN" prepare "$d9" --mount "$WORK/nodir" --json
        is "$R_rc/$(json_get 'j["reused"]' <<<"$R_out")" "0/true" "mount point fails after mkfs, the advice followed: reused"

        # Our volume, reused on a new mount point: the mount fails after
        # the mount point was made.
        umount "$WORK/nodir"
        capture R env DOCKER_RELOCATE_TEST_FAIL=prepare-mount:EIO "$BIN" prepare "$d9" --mount "$WORK/nomount" --json
        needs_human "reused volume, the mount fails" "$R_out"
        like "$(json_get 'j["error"]["advice"]' <<<"$R_out")" \
                "on $d9 \(UUID=.*\) is as it was; it is not mounted; $WORK/nomount was made an empty, immutable mount point: fix the cause and run prepare again \(it reuses the filesystem and the mount point\); to give the mount point up, chattr -i and rmdir $WORK/nomount\." \
                "reused volume, the mount fails: the advice names the mount point made"
        like "$(lsattr -d "$WORK/nomount")" '^-*i' "reused volume, the mount fails: the mount point is there, immutable"
        capture R "$BIN" prepare "$d9" --mount "$WORK/nomount" --json
        is "$R_rc/$(findmnt -n -o SOURCE --mountpoint "$WORK/nomount")" "0/$d9" \
                "reused volume, the mount fails, the advice followed: mounted"
        # The same failure where the mount point was there already, made
        # by the run before: nothing changed, exit 1 without advice.
        umount "$WORK/nomount"
        capture R env DOCKER_RELOCATE_TEST_FAIL=prepare-mount-point:EIO "$BIN" prepare "$d9" --mount "$WORK/nomount" --json
        is "$R_rc/$(json_get 'j["status"], j["changed"], j["error"]["advice"]' <<<"$R_out")" '1/["failed", false, null]' \
                "a failure that changed nothing: exit 1, failed, no advice"
        capture R "$BIN" prepare "$d9" --mount "$WORK/nomount"
        is "$R_rc" 0 "and a new run mounts it"

        # The new partition cannot be read after the GPT was written.
        sandbox_loop d10 256M -P
        capture R env DOCKER_RELOCATE_TEST_FAIL=prepare-read:EIO "$BIN" prepare "$d10" --mount "$WORK/nopart" --partition --json
        needs_human "partition unreadable after the GPT" "$R_out"
        like "$(json_get 'j["error"]["advice"]' <<<"$R_out")" \
                "^$d10 holds a new partition table with one partition and nothing on it .*; nothing is mounted or in /etc/fstab: fix the cause and run prepare again with --wipe\.\$" \
                "partition unreadable after the GPT: the advice says the table is there and to run with --wipe"
        is "$(blkid -p -o value -s PTTYPE "$d10")" gpt "partition unreadable after the GPT: the GPT is there"
        capture R "$BIN" prepare "$d10" --mount "$WORK/nopart" --partition
        is "$R_rc" 3 "partition unreadable, run again without --wipe: refused, as the advice said"
        capture R "$BIN" prepare "$d10" --mount "$WORK/nopart" --partition --wipe
        is "$R_rc" 0 "partition unreadable, run again with --wipe: done"
else
        skip "failures after the device was written" "a build without -Dfault_injection"
fi

# A failure before anything was written stays exit 1.
capture R "$BIN" prepare /dev/nonexistent-device --mount "$WORK/none" --json
is "$R_rc/$(json_get 'j["status"], j["changed"]' <<<"$R_out")" '1/["failed", false]' \
        "a failure before any write: exit 1, failed, nothing changed"

done_testing
