#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# prepare on loop devices: ext4 and xfs, whole disk and --partition; the
# mount, the fstab line, the immutable mount point, the state record; a
# second run changes nothing; --dry-run changes nothing; our own filesystem
# is reused (remounted, moved) and never reformatted.

. "$(dirname "$0")/lib.sh"
lib_init "$@"

lib_private_copy /etc
lib_private_empty /var/lib
lib_private_run

json() { # json KEY < object: prints the value of a top-level key
        python3 -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print(json.dumps(v) if not isinstance(v, str) else v)' "$1"
}

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
        mkdir -p "$T/under" && mount --bind "$(dirname "$mnt")" "$T/under"
        like "$(lsattr -d "$T/under/$(basename "$mnt")")" '^-*i' "$name: mount point underneath is immutable"
        ok "! touch '$T/under/$(basename "$mnt")/x' 2>/dev/null" "$name: nothing can be written underneath"
        umount "$T/under"
}

# again NAME ARGS...: a second run must report no change and change nothing.
again() {
        local name=$1 before after
        shift
        before=$(lib_sum /etc/fstab /var/lib/docker-relocate/disks.json)
        lib_run R "$DR" prepare "$@" --json
        after=$(lib_sum /etc/fstab /var/lib/docker-relocate/disks.json)
        is "$R_rc" 0 "$name, second run: exit 0"
        is "$(echo "$R_out" | json changed)" false "$name, second run: changed false"
        is "$(echo "$R_out" | json status)" unchanged "$name, second run: status unchanged"
        is "$after" "$before" "$name, second run: fstab and state untouched"
}

cp /etc/fstab "$T/fstab.orig"

# --- dry run ----------------------------------------------------------------

lib_loop d1 1G
before=$(lib_sum "$d1" /etc/fstab)
lib_run R "$DR" prepare "$d1" --mount "$T/ext4" --dry-run --json
is "$R_rc" 0 "dry run: exit 0"
is "$(echo "$R_out" | json status)" planned "dry run: status planned"
like "$R_out" "make an ext4 filesystem" "dry run: lists mkfs"
is "$(lib_sum "$d1" /etc/fstab)" "$before" "dry run: device and fstab unchanged"
ok "[ ! -e '$T/ext4' ]" "dry run: no mount point made"

# --- ext4, whole disk ---------------------------------------------------------

lib_run R "$DR" prepare "$d1" --mount "$T/ext4" --json
is "$R_rc" 0 "ext4: exit 0"
is "$(echo "$R_out" | json changed)" true "ext4: changed"
is "$(echo "$R_out" | json fs_node)" "$d1" "ext4: filesystem on the whole disk"
check_prepared ext4 "$d1" "$d1" ext4 docker-data "$T/ext4"
ok "diff <(grep -v docker-relocate '$T/fstab.orig') <(grep -v -e docker-relocate -e '$T/' /etc/fstab)" \
        "ext4: every other fstab line and comment kept"
backup=$(echo "$R_out" | json fstab_backup)
ok "cmp -s '$T/fstab.orig' '$backup'" "ext4: fstab backed up first ($backup)"
again ext4 "$d1" --mount "$T/ext4"
again "ext4 by UUID=" "UUID=$(blkid -p -o value -s UUID "$d1")" --mount "$T/ext4"

# Unmounted (as after a reboot with the volume late): remounted, not
# reformatted.
uuid=$(blkid -p -o value -s UUID "$d1")
umount "$T/ext4"
lib_run R "$DR" prepare "$d1" --mount "$T/ext4" --json
is "$R_rc" 0 "ext4 unmounted: exit 0"
is "$(echo "$R_out" | json reused)" true "ext4 unmounted: reused"
is "$(blkid -p -o value -s UUID "$d1")" "$uuid" "ext4 unmounted: same filesystem (not reformatted)"
is "$(findmnt -n -o SOURCE --mountpoint "$T/ext4")" "$d1" "ext4 unmounted: mounted again"
is "$(fstab_lines_for "$T/ext4")" 1 "ext4 unmounted: still one fstab line"

# Moved to another mount point: our fstab line is replaced, not duplicated.
umount "$T/ext4"
lib_run R "$DR" prepare "$d1" --mount "$T/ext4-moved"
is "$R_rc" 0 "ext4 moved: exit 0"
is "$(fstab_lines_for "$T/ext4")" 0 "ext4 moved: old line gone"
is "$(fstab_lines_for "$T/ext4-moved")" 1 "ext4 moved: one new line"
is "$(grep -c "UUID=$uuid" /etc/fstab)" 1 "ext4 moved: the UUID appears once"
# Mounted where asked, but asked elsewhere now: refused, not remounted.
lib_run R "$DR" prepare "$d1" --mount "$T/ext4-third"
is "$R_rc" 3 "ext4 mounted elsewhere: refused"
like "$R_err" "is mounted on $T/ext4-moved, not on $T/ext4-third" "ext4 mounted elsewhere: says where"

# A different --fs for our own filesystem is refused, never reformatted.
lib_run R "$DR" prepare "$d1" --mount "$T/ext4-moved" --fs xfs
is "$R_rc" 3 "our ext4 asked as xfs: refused"
is "$(blkid -p -o value -s TYPE "$d1")" ext4 "our ext4 asked as xfs: still ext4"

# --- xfs, whole disk ----------------------------------------------------------

# A label no other device on this machine carries, for LABEL= below.
xlabel=drx$(( $$ % 100000 ))
lib_loop d2 1G
lib_run R "$DR" prepare "$d2" --mount "$T/xfs" --fs xfs --label "$xlabel"
is "$R_rc" 0 "xfs: exit 0"
check_prepared xfs "$d2" "$d2" xfs "$xlabel" "$T/xfs"
like "$(xfs_info "$T/xfs")" "ftype=1" "xfs: ftype=1"
again xfs "$d2" --mount "$T/xfs" --fs xfs --label "$xlabel"
again "xfs by LABEL=" "LABEL=$xlabel" --mount "$T/xfs" --label "$xlabel"

# --- --partition --------------------------------------------------------------

lib_loop d3 1G -P
lib_run R "$DR" prepare "$d3" --mount "$T/ext4p" --partition --json
is "$R_rc" 0 "ext4 --partition: exit 0"
is "$(echo "$R_out" | json fs_node)" "${d3}p1" "ext4 --partition: filesystem on ${d3}p1"
is "$(blkid -p -o value -s PTTYPE "$d3")" gpt "ext4 --partition: GPT on the disk"
is "$(sfdisk -d "$d3" | grep -c '^/dev')" 1 "ext4 --partition: exactly one partition"
like "$(sfdisk -d "$d3" | grep '^/dev')" "type=0FC63DAF-8483-4772-8E79-3D69D8477DE4" "ext4 --partition: Linux filesystem type"
# One partition over the disk: it ends within the last MiB.
end=$(( $(cat /sys/block/$(basename "$d3")/$(basename "$d3")p1/start) + $(cat /sys/block/$(basename "$d3")/$(basename "$d3")p1/size) ))
ok "[ $(( $(cat /sys/block/$(basename "$d3")/size) - end )) -le 2048 ]" "ext4 --partition: covers the whole disk"
check_prepared "ext4 --partition" "$d3" "${d3}p1" ext4 docker-data "$T/ext4p"
again "ext4 --partition" "$d3" --mount "$T/ext4p" --partition

lib_loop d4 1G -P
lib_run R "$DR" prepare "$d4" --mount "$T/xfsp" --partition --fs xfs
is "$R_rc" 0 "xfs --partition: exit 0"
check_prepared "xfs --partition" "$d4" "${d4}p1" xfs docker-data "$T/xfsp"
like "$(xfs_info "$T/xfsp")" "ftype=1" "xfs --partition: ftype=1"
again "xfs --partition" "$d4" --mount "$T/xfsp" --partition --fs xfs

# --- all lines together -------------------------------------------------------

# --- disks --json -------------------------------------------------------------

lib_loop d5 256M
lib_run R "$DR" disks --json
is "$R_rc" 0 "disks --json: exit 0"
disk_field() { # disk_field NAME EXPR: EXPR over the disk object d
        echo "$R_out" | python3 -c 'import json, sys
d = [x for x in json.load(sys.stdin)["disks"] if x["name"] == sys.argv[1]][0]
print(eval(sys.argv[2]))' "$1" "$2"
}
is "$(disk_field "$(basename "$d5")" 'd["eligible"], d["size"], d["reasons"]')" "(True, 268435456, [])" \
        "disks --json: a blank loop device is eligible, with its size"
is "$(disk_field "$(basename "$d1")" 'd["eligible"]')" False "disks --json: a prepared device is not"
is "$(disk_field "$(basename "$d1")" 'd["prepared"], d["eligible"]')" "(True, False)" "disks --json: ours is marked prepared"
is "$(disk_field "$(basename "$d5")" 'd["prepared"]')" False "disks --json: a blank one is not"
is "$(disk_field "$(basename "$d1")" 'd["mounts"]')" "['$T/ext4-moved']" "disks --json: with its mount point"
like "$(disk_field "$(basename "$d1")" 'd["reasons"]')" "is mounted on $T/ext4-moved" "disks --json: and the reason"
like "$(disk_field "$(basename "$d1")" 'd["signatures"]')" "ext4 filesystem \\(UUID=$uuid" "disks --json: and its signature"
is "$(disk_field "$(basename "$d3")" '[p["name"] for p in d["partitions"]]')" "['$(basename "$d3")p1']" \
        "disks --json: partitions listed under their disk"
is "$(disk_field "$(basename "$d3")" 'd["partitions"][0]["mounts"]')" "['$T/ext4p']" "disks --json: partition mount"
lib_run R "$DR" disks
like "$R_out" "$(basename "$d5") +256.0M" "disks: human table lists the device"

# An unattached loop device (no backing file, no media) is in /sys/block but
# is no disk anyone could pick: not listed.
free_loop=$(losetup -f 2>/dev/null)
if [ -n "$free_loop" ] && [ -e "/sys/block/$(basename "$free_loop")" ]; then
        lib_run R "$DR" disks --json
        is "$(echo "$R_out" | python3 -c 'import json, sys
print(sys.argv[1] in [d["name"] for d in json.load(sys.stdin)["disks"]])' "$(basename "$free_loop")")" False \
                "disks: an unattached loop device is not listed"
else
        skip "disks: an unattached loop device is not listed" "no unattached loop device in /sys/block"
fi

# --- --wait-device: a volume attached after the command started ---------------

# Attached now to an empty file, so it has no media, and only gets its size
# 2 s later: what the kernel shows of a volume still being attached, with no
# race for a free loop device.
touch "$T/late.img"
lib_loop_file late "$T/late.img"
( sleep 2; truncate -s 256M "$T/late.img"; losetup -c "$late" ) &
grow_pid=$!
lib_on_exit "kill $grow_pid"
lib_run R "$DR" prepare "$late" --mount "$T/late" --wait-device 30
wait "$grow_pid"
is "$R_rc" 0 "--wait-device: prepared a device whose media arrived 2 s later"
is "$(findmnt -n -o SOURCE --mountpoint "$T/late")" "$late" "--wait-device: and mounted it"
like "$R_err" "Waiting up to 30 s for $late to be attached" "--wait-device: says it waits"
like "$R_err" "$late appeared as /dev/$(basename "$late") after [0-9]" "--wait-device: and when the device came"

# --- xfs without ftype=1 is never reused ------------------------------------------

lib_loop d6 400M
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
sum_before=$(lib_sum "$d6")
lib_run R "$DR" prepare "$d6" --mount "$T/noftype"
is "$R_rc" 3 "xfs without ftype=1: refused"
like "$R_err" "without ftype=1" "xfs without ftype=1: says why"
is "$(lib_sum "$d6")" "$sum_before" "xfs without ftype=1: device unchanged"
ok "[ ! -e '$T/noftype' ]" "xfs without ftype=1: no mount point made"

# d1 (moved once), d2, d3, d4, the late one.
is "$(grep -c '^# docker-relocate: data volume' /etc/fstab)" 5 "five volumes, five marked lines"
is "$(findmnt --tab-file /etc/fstab -n -o SOURCE | grep -c '^UUID=' )" \
        "$(( $(grep -c '^UUID=' "$T/fstab.orig") + 5 ))" "findmnt reads the five new lines, all by UUID"

lib_done
