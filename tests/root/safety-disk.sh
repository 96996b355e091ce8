#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Disk and path safety of prepare, move and grow, on a real dockerd (SysV
# init script) with loop devices, in a private mount namespace. Every refused
# case checks the exit status (3), a message naming the offending thing, and
# that the files the tool may write (fstab, the Docker configuration, the
# journal directory), the mounts, the device (its first and last blocks and
# its allocation) and Docker (its root dir, its image, container and volume
# sets) are byte for byte as before. At the end a correct move still
# succeeds, with one canonical path for the mount, fstab, the copy and the
# configuration.
#
# Sections (SAFETY_DISK_SECTIONS, default all): mount-place (a mount point or
# --to inside or above what is moved, or in system directories), undo (a
# failed move takes back its volume), stacked (loop devices on loop devices),
# tmpfs (--to on memory), path ('..' after a symlink), writes (preconditions
# of every write: journal, fstab, mount point, lock), grow (only volumes of
# ours), more (device links, partitions, a device swapped between check and
# write, labels, fstab lines, busy mount points), final (the correct move).
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
SECTIONS=${SAFETY_DISK_SECTIONS:-mount-place undo stacked tmpfs path writes grow more final}

dockerd_private_system
# The private /var/lib binds the machine's entries back in: whatever state
# of this tool (or containerd's) the machine holds stays out of reach.
for d in /var/lib/docker-relocate /var/lib/containerd; do
        if mountpoint -q "$d"; then
                umount -l "$d" && rmdir "$d"
        fi
done
DOCKERD_DATA_ROOT=$WORK/old-root
DOCKERD_CONFIG=opts
dockerd_setup
dockerd_start || bail_out "dockerd did not start"
dockerd_populate || bail_out "populating failed"
cp /etc/fstab "$WORK/fstab.orig"
cp /etc/init.d/docker "$WORK/init-orig"

want() { [[ " $SECTIONS " == *" $1 "* ]]; }
show() { sed 's/^/#   /' "$@" | head -n 30; }

# ext4 with its inode tables and journal written at once: no lazy init
# writing to the device later, while a test compares its checksums (the
# test's mounts are noatime for the same reason: the tool's reads of a
# directory must not show as writes).
mkfs_now() {
        mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$@"
}

# What a refused run must leave as it was.
host_state() {
        sha256sum /etc/fstab /etc/default/docker /etc/docker/daemon.json 2>&1
        find /var/lib/docker-relocate -printf '%p %y %s %T@\n' 2>/dev/null | sort
        awk '{ print $5, $(NF - 2), $(NF - 1) }' /proc/self/mountinfo | sort
        dockerd_root_dir
        dockerd_sets
}
# A device as a checksum of where a filesystem or partition table would be
# written first (its first 16 MiB and last MiB) and of its backing file's
# allocation, which any write to a sparse image grows. Read with O_DIRECT:
# what the device holds, not the kernel's cached view of it, which ext4
# changes with nothing written (it fills in a new filesystem's unused block
# bitmaps in memory, a while after the mount).
devsum_now() {
        local d size
        for d in "$@"; do
                size=$(blockdev --getsize64 "$d")
                dd if="$d" iflag=direct bs=1M count=16 status=none | sha256sum
                dd if="$d" iflag=direct,skip_bytes skip=$((size - 1048576)) bs=1M count=1 status=none | sha256sum
                [ -d "/sys/block/${d#/dev/}/loop" ] && stat -c %b "$(losetup -n -O BACK-FILE "$d" | sed 's/ *$//')"
        done | sha256sum
}
# devsum DEVICES: devsum_now once the kernel has written out what it holds
# for them. A sync writes a loop device's blocks into the page cache of its
# backing file, and a journal commit that sync forces on a filesystem over
# a loop device does the same; only the next sync writes those pages out
# and allocates them, and a stack of loop devices takes as many syncs as it
# is deep. So: sync until two sums in a row agree (at most 6 syncs).
devsum() {
        local a b _
        sync
        a=$(devsum_now "$@")
        for _ in 1 2 3 4 5; do
                sync
                b=$(devsum_now "$@")
                [ "$a" = "$b" ] && break
                a=$b
        done
        echo "$b"
}

# refused NAME REGEX DEVICES -- ARGS...: runs the tool with ARGS, expects
# exit 3, a message matching REGEX, and nothing changed (DEVICES: the
# devices to checksum, space separated; "-" for none).
refused() {
        local name=$1 re=$2 devs=$3 hs ds rc
        shift 4
        [ "$devs" = - ] && devs=
        # Nothing of the test's own left to write back (the journal of a
        # filesystem mounted read-write commits every few seconds).
        sync
        hs=$(host_state)
        # shellcheck disable=SC2086
        ds=$(devsum $devs)
        "$BIN" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
        rc=$?
        ok '[ $rc = 3 ]' "$name: refused (exit $rc)"
        ok 'grep -Eq -- "$re" "$WORK/err" "$WORK/out"' "$name: the message names it"
        [ $rc = 3 ] && grep -Eq -- "$re" "$WORK/err" "$WORK/out" || show "$WORK/err" "$WORK/out"
        ok '[ "$(host_state)" = "$hs" ]' "$name: files, mounts and Docker unchanged"
        # shellcheck disable=SC2086
        [ -z "$devs" ] || ok '[ "$(devsum $devs)" = "$ds" ]' "$name: the device is unchanged"
        reset_host
}

# Whatever a wrong answer of the tool left behind, so that the next case
# starts from the same host (only needed when a case fails).
reset_host() {
        local m
        for m in $(awk -v w="$WORK/t-" -v d="$DOCKERD_DATA_ROOT/volume-data" \
                'index($5, w) == 1 || $5 == d { print $5 }' /proc/self/mountinfo | sort -r); do
                umount -l "$m"
        done
        [ -d "$DOCKERD_DATA_ROOT/volume-data" ] && chattr -i "$DOCKERD_DATA_ROOT/volume-data" &&
                rmdir "$DOCKERD_DATA_ROOT/volume-data"
        cmp -s /etc/fstab "$WORK/fstab.orig" || cp "$WORK/fstab.orig" /etc/fstab
        find "$WORK" -maxdepth 1 -name 't-*' -exec chattr -i {} + 2>/dev/null
        find "$WORK" -maxdepth 1 -name 't-*' -exec rm -rf --one-file-system {} + 2>/dev/null
        if [ -z "$(dockerd_pid)" ]; then
                diag "Docker was left stopped: starting it again"
                dockerd_start >/dev/null || true
        fi
}

SETS0=$(dockerd_sets)
# The volume of the moves: large enough for the data plus the margin.
sandbox_loop VOL 2G || bail_out "losetup"

# --- (5) the mount point and --to: never inside or above what is moved, --
# --- nor in a system directory -----------------------------------------------

if want mount-place; then
        refused "--mount inside the data root" "lies inside $DOCKERD_DATA_ROOT" "$VOL" -- \
                move --device "$VOL" --mount "$DOCKERD_DATA_ROOT/volume-data" --yes
        ok '[ ! -e "$DOCKERD_DATA_ROOT/volume-data" ]' "--mount inside the data root: no directory made there"
        # The rest is refused in the plan: a dry run shows it.
        refused "--mount inside /var/lib/containerd" "lies inside /var/lib/containerd" "$VOL" -- \
                move --device "$VOL" --mount /var/lib/containerd/volume --dry-run
        refused "--mount inside the tool's own state" "lies inside /var/lib/docker-relocate" "$VOL" -- \
                move --device "$VOL" --mount /var/lib/docker-relocate/vol --dry-run
        for d in /etc/docker-data /usr/local/docker-data /boot/docker /run/docker-data /proc/docker /dev/docker \
                /sys/docker; do
                refused "--mount $d" "$d is inside /[a-z]+, which belongs to the operating system" "$VOL" -- \
                        move --device "$VOL" --mount "$d" --dry-run
        done
        for d in / /var /mnt /home /tmp; do
                refused "--mount $d" "$d is a system directory" "$VOL" -- move --device "$VOL" --mount "$d" --dry-run
        done
        # An empty directory that holds the data root further down: the
        # data root lies elsewhere, so make one that an empty mount point
        # would sit above.
        refused "--mount above the data root" "lies above $DOCKERD_DATA_ROOT" "$VOL" -- \
                move --device "$VOL" --mount "$(dirname "$DOCKERD_DATA_ROOT")" --dry-run
        # --to on a filesystem of its own, mounted below /etc.
        sandbox_loop ETCVOL 512M
        mkfs_now "$ETCVOL"
        sandbox_mount -o noatime "$ETCVOL" /etc/dr-volume
        mkdir /etc/dr-volume/docker
        refused "--to inside /etc" "/etc/dr-volume/docker is inside /etc" "$ETCVOL" -- \
                move --to /etc/dr-volume/docker --dry-run
        mkdir -p "$WORK/t-to" && ln -s "$DOCKERD_DATA_ROOT" "$WORK/t-to/link"
        refused "--to a link to the data root" "$DOCKERD_DATA_ROOT" - -- move --to "$WORK/t-to/link" --dry-run
fi

# undo_report_says JSON MOUNT: the report of a rolled-back move names what it
# took back (the mount, the fstab line) and what it left on the device.
undo_report_says() {
        python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
w = " ".join(j["warnings"])
assert j["status"] == "rolled-back" and j["error"]["code"] == 4, j
assert "unmounted" in w and "removed the line" in w and "left on the device" in w, w
assert sys.argv[2] in w, w
PY
}

# --- (5) a move that fails after preparing the volume takes it back ----------

if want undo; then
        # Docker refuses to start on the new root: the move rolls back (4).
        sed "/^[[:space:]]*start)\$/a\\\t\\tif grep -q -- '$WORK/t-undo' /etc/default/docker; then echo 'injected: dockerd refuses' >\\&2; exit 1; fi" \
                "$WORK/init-orig" >/etc/init.d/docker
        hs=$(host_state)
        "$BIN" move --device "$VOL" --mount "$WORK/t-undo" --no-pre-copy --yes --json >"$WORK/undo.json" 2>"$WORK/undo.err"
        rc=$?
        cp "$WORK/init-orig" /etc/init.d/docker
        ok '[ $rc = 4 ]' "failed move: rolled back (exit $rc)"
        [ $rc = 4 ] || show "$WORK/undo.err"
        ok '! grep -q " $WORK/t-undo " /proc/self/mountinfo' "failed move: the volume is unmounted"
        ok 'cmp -s /etc/fstab "$WORK/fstab.orig"' "failed move: /etc/fstab is byte for byte as before"
        ok '[ ! -e "$WORK/t-undo" ]' "failed move: the mount point it made is gone"
        ok '[ "$(blkid -o value -s TYPE "$VOL")" = ext4 ] && [ "$(blkid -o value -s LABEL "$VOL")" = docker-data ]' \
                "failed move: the filesystem stays on the volume"
        ok 'undo_report_says "$WORK/undo.json" "$WORK/t-undo"' \
                "failed move: it says what it took back and what it left"
        ok '[ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(dockerd_sets)" = "$SETS0" ]' \
                "failed move: Docker runs on the old root with everything"
        reset_host

        # The move's disk step fails after it formatted a new volume: the
        # mount and mount point taken back, the filesystem left, said as
        # prepare says it (exit 5, the advice apart from the message).
        if [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ]; then
                sandbox_loop VOLD 2G || bail_out "losetup"
                hs=$(host_state | grep -v "^/var/lib/docker-relocate")
                DOCKER_RELOCATE_TEST_FAIL=prepare-mount:EIO "$BIN" move --device "$VOLD" --mount "$WORK/t-disk" \
                        --no-pre-copy --yes --json >"$WORK/disk.json" 2>"$WORK/disk.err"
                rc=$?
                ok '[ $rc = 5 ] && [ "$(json_get "j[\"status\"]" "$WORK/disk.json")" = needs-human ]' \
                        "disk step fails after mkfs: exit 5 (got $rc), needs-human"
                [ $rc = 5 ] || show "$WORK/disk.err"
                like "$(json_get 'j["error"]["message"]' "$WORK/disk.json")" \
                        "^The move's disk step failed, making $VOLD ready on $WORK/t-disk: Failed to mount $VOLD on $WORK/t-disk: " \
                        "disk step fails after mkfs: the message names the move's disk step"
                unlike "$(json_get 'j["error"]["message"]' "$WORK/disk.json")" "again|prepare" \
                        "disk step fails after mkfs: the message holds no advice"
                like "$(json_get 'j["error"]["advice"]' "$WORK/disk.json")" \
                        "^An ext4 filesystem \(UUID=[-0-9a-f]+\) was made on $VOLD and recorded as this tool's; nothing is mounted or in /etc/fstab: fix the cause and run the move again \(it reuses the filesystem\)\.\$" \
                        "disk step fails after mkfs: the advice says what is left and what to do"
                ok 'grep -q "run the move again" "$WORK/disk.err"' "disk step fails after mkfs: stderr has the advice"
                ok '[ ! -e "$WORK/t-disk" ] && [ "$(host_state | grep -v "^/var/lib/docker-relocate")" = "$hs" ]' \
                        "disk step fails after mkfs: the mount point taken back, files, mounts and Docker unchanged"
                # The same failure on that volume, now reused: what the step
                # did (the mount point) is taken back, nothing is left. (The
                # record of the volume is this tool's own bookkeeping.)
                hs=$(host_state | grep -v "^/var/lib/docker-relocate")
                DOCKER_RELOCATE_TEST_FAIL=prepare-mount:EIO "$BIN" move --device "$VOLD" --mount "$WORK/t-disk" \
                        --no-pre-copy --yes --json >"$WORK/disk.json" 2>"$WORK/disk.err"
                rc=$?
                is "$rc/$(json_get 'j["status"], j["error"]["advice"]' "$WORK/disk.json")" '1/["failed", null]' \
                        "disk step fails on a reused volume: all taken back, exit 1 without advice"
                ok '[ ! -e "$WORK/t-disk" ] && [ "$(host_state | grep -v "^/var/lib/docker-relocate")" = "$hs" ]' \
                        "disk step fails on a reused volume: nothing changed"
                reset_host
        else
                skip "the move's disk step failing" "a build without -Dfault_injection"
        fi
fi

# --- (6) loop devices stacked on loop devices --------------------------------

if want stacked; then
        sandbox_loop LB 64M
        sandbox_loop_file LA "$LB"
        mkfs_now "$LA"
        sandbox_mount -o noatime "$LA" "$WORK/on-a"
        refused "backing device of a mounted loop device, --wipe" \
                "$LB is the backing device of $LA: $LB → ${LA#/dev/} → mounted on $WORK/on-a" "$LB" -- \
                prepare "$LB" --mount "$WORK/t-6" --wipe
        refused "move onto the backing device of a mounted loop device" "backing device of $LA" "$LB" -- \
                move --device "$LB" --mount "$WORK/t-6" --wipe --yes
        umount "$WORK/on-a"
        # The same blocks seen through the lower device, mounted.
        sandbox_mount -o ro "$LB" "$WORK/on-b"
        refused "loop device over a mounted device, --wipe" \
                "writing to $LA writes to $LB .*mounted on $WORK/on-b" "$LA" -- prepare "$LA" --mount "$WORK/t-6" --wipe
        umount "$WORK/on-b"
        refused "backing device of an attached loop device, nothing mounted" "$LB is the backing device of $LA" \
                "$LB" -- prepare "$LB" --mount "$WORK/t-6" --wipe
        # A loop device over a partition of the disk asked for.
        sandbox_loop LP 64M -P
        printf 'label: gpt\n,32M\n,\n' | sfdisk -q "$LP" >/dev/null 2>&1
        partx -a "$LP" 2>/dev/null
        for _ in $(seq 50); do [ -b "${LP}p1" ] && break; sleep 0.1; done
        sandbox_loop_file LQ "${LP}p1"
        mkfs_now "$LQ"
        sandbox_mount -o noatime "$LQ" "$WORK/on-q"
        refused "disk with a partition backing a mounted loop device, --wipe" \
                "${LP}p1 is the backing device of $LQ.*mounted on $WORK/on-q" "$LP ${LP}p1" -- \
                prepare "$LP" --mount "$WORK/t-6" --wipe
        umount "$WORK/on-q"
        # A file on a filesystem of the device backs a loop device, and that
        # filesystem was unmounted lazily: no mount table shows it.
        sandbox_loop LF 64M
        mkfs_now "$LF"
        mkdir -p "$WORK/on-f" && mount -o noatime "$LF" "$WORK/on-f"
        truncate -s 8M "$WORK/on-f/image"
        sandbox_loop_file LG "$WORK/on-f/image"
        # All of it on the device before the filesystem leaves the table.
        sync -f "$WORK/on-f/image"
        umount -l "$WORK/on-f"
        refused "holds a lazily unmounted filesystem backing a loop device, --wipe" \
                "$LF holds the filesystem with the backing file of $LG" "$LF" -- \
                prepare "$LF" --mount "$WORK/t-6" --wipe
        losetup -d "$LG" "$LA" "$LQ"
fi

# --- (7) --to on a filesystem that keeps nothing across a reboot -------------

if want tmpfs; then
        sandbox_mount -t tmpfs tmpfs "$WORK/ram"
        mkdir "$WORK/ram/docker"
        refused "--to on tmpfs" "$WORK/ram/docker is on tmpfs.*lost at the next reboot" - -- \
                move --to "$WORK/ram/docker" --yes
        sandbox_mount -t ramfs ramfs "$WORK/ramfs"
        mkdir "$WORK/ramfs/docker"
        refused "--to on ramfs" "is on ramfs" - -- move --to "$WORK/ramfs/docker" --yes
        sandbox_loop ROVOL 512M
        mkfs_now "$ROVOL"
        sandbox_mount "$ROVOL" "$WORK/rovol"
        mkdir "$WORK/rovol/docker"
        mount -o remount,ro "$WORK/rovol"
        refused "--to on a read-only mount" "is on a filesystem mounted read-only" "$ROVOL" -- \
                move --to "$WORK/rovol/docker" --yes
fi

# --- (8) one path, resolved once, the way the kernel does --------------------

if want path; then
        # lnk/../data: /x/data to the kernel, /data to a shell's cd.
        mkdir -p "$WORK/x/y"
        ln -s "$WORK/x/y" "$WORK/lnk"
        refused "--mount with '..' after a symlink" "reads two ways.*leads to $WORK/x/data.*take it to $WORK/data" \
                "$VOL" -- move --device "$VOL" --mount "$WORK/lnk/../data" --yes
        ok '[ ! -e "$WORK/x/data" ] && [ ! -e "$WORK/data" ]' "--mount with '..' after a symlink: no directory made"
        sandbox_loop TOVOL 512M
        mkfs_now "$TOVOL"
        sandbox_mount -o noatime "$TOVOL" "$WORK/x/y/vol"
        mkdir "$WORK/x/y/vol/docker"
        refused "--to with '..' after a symlink" "reads two ways.*leads to $WORK/x/y/vol/docker" "$TOVOL" -- \
                move --to "$WORK/lnk/../y/vol/docker" --yes
fi

# --- (11) every precondition of a write, before the first write --------------

if want writes; then
        # --wipe throughout: whatever the volume holds, only the write that
        # cannot be done stops the move.
        mkdir -p /var/lib/docker-relocate
        [ -e /var/lib/docker-relocate/state.json ] && mv /var/lib/docker-relocate/state.json "$WORK/state.saved"
        ln -s /nonexistent/state.json /var/lib/docker-relocate/state.json
        refused "a dangling state.json link" "state.json is a symbolic link" "$VOL" -- \
                move --device "$VOL" --mount "$WORK/t-11" --wipe --yes
        rm /var/lib/docker-relocate/state.json
        mv /var/lib/docker-relocate "$WORK/state-dir.saved"
        mkdir -p "$WORK/elsewhere"
        ln -s "$WORK/elsewhere" /var/lib/docker-relocate
        refused "the state directory a symlink" "/var/lib/docker-relocate.* symbolic link" "$VOL" -- \
                move --device "$VOL" --mount "$WORK/t-11" --wipe --yes
        ok '[ -z "$(ls -A "$WORK/elsewhere")" ]' "the state directory a symlink: nothing written there"
        rm /var/lib/docker-relocate
        mv "$WORK/state-dir.saved" /var/lib/docker-relocate
        sandbox_bind /var/lib/docker-relocate /var/lib/docker-relocate
        mount -o remount,bind,ro /var/lib/docker-relocate
        refused "a read-only state directory" "the journal cannot be written.*read-only" "$VOL" -- \
                move --device "$VOL" --mount "$WORK/t-11" --wipe --yes
        umount /var/lib/docker-relocate
        chattr +i /etc/fstab
        refused "an immutable /etc/fstab" "/etc/fstab.*immutable" "$VOL" -- \
                move --device "$VOL" --mount "$WORK/t-11" --wipe --yes
        chattr -i /etc/fstab
        # A file bound over /etc/fstab (containers, nspawn): a rename cannot
        # replace it, so it is written in place; on a read-only bind that
        # cannot be done either.
        cp /etc/fstab "$WORK/fstab.bound"
        sandbox_bind "$WORK/fstab.bound" /etc/fstab
        mount -o remount,bind,ro /etc/fstab
        refused "a bind-mounted /etc/fstab, read-only" "/etc/fstab is a mount point.*read-only" "$VOL" -- \
                move --device "$VOL" --mount "$WORK/t-11" --wipe --yes
        refused "prepare with a bind-mounted /etc/fstab, read-only" "/etc/fstab is a mount point.*read-only" \
                "$VOL" -- prepare "$VOL" --mount "$WORK/t-11" --wipe
        mount -o remount,bind,rw /etc/fstab
        sandbox_loop BF 128M
        "$BIN" prepare "$BF" --mount "$WORK/t-bf" >"$WORK/out" 2>&1
        rc=$?
        uuid=$(blkid -o value -s UUID "$BF")
        ok '[ $rc = 0 ] && [ -n "$uuid" ] &&
                grep -Eq "^UUID=$uuid[[:space:]]+$WORK/t-bf[[:space:]]" "$WORK/fstab.bound"' \
                "a bind-mounted /etc/fstab: the line is written in place (exit $rc)"
        [ $rc = 0 ] || show "$WORK/out"
        umount /etc/fstab
        ok 'cmp -s /etc/fstab "$WORK/fstab.orig"' "a bind-mounted /etc/fstab: the file under it untouched"
        # Killed in the middle of that in-place write (fault-injection
        # builds): the content written, not yet cut to its length. The
        # fields padded wide, which libmount writes with single spaces, so
        # that the new content is the shorter and the old tail stays behind
        # it. The killed run left a record of the write; the next run puts
        # the backup back before it reads the file, then writes it whole.
        if [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ]; then
                { cat "$WORK/fstab.orig"
                  printf '%s\n' "proc /proc proc defaults 0 0" "sysfs /sys sysfs defaults 0 0" \
                          "tmpfs /run/wide1 tmpfs defaults 0 0" "tmpfs /run/wide2 tmpfs defaults 0 0"
                } | sed '/^[[:space:]]*#/!s/[[:space:]]\{1,\}/                /g' >"$WORK/fstab.wide"
                cp "$WORK/fstab.wide" "$WORK/fstab.bound"
                sandbox_bind "$WORK/fstab.bound" /etc/fstab
                sandbox_loop BK 128M
                DOCKER_RELOCATE_TEST_CRASH=in-place-fstab "$BIN" prepare "$BK" --mount "$WORK/t-bk" >"$WORK/out" 2>&1
                rc=$?
                ok '[ $rc = 137 ] && ! cmp -s "$WORK/fstab.bound" "$WORK/fstab.wide" && [ -s /var/lib/docker-relocate/fstab-write ]' \
                        "a bind-mounted /etc/fstab, killed while written in place: exit $rc, the file torn, the write recorded" ||
                        show "$WORK/out"
                tail -n +2 /var/lib/docker-relocate/fstab-write >"$WORK/fstab.want" 2>/dev/null
                ok '[ -s "$WORK/fstab.want" ] && ! cmp -s "$WORK/fstab.bound" "$WORK/fstab.want"' \
                        "… neither the old content nor the new"
                "$BIN" prepare "$BK" --mount "$WORK/t-bk" >"$WORK/out" 2>&1
                rc=$?
                ok '[ $rc = 0 ] && grep -q "/etc/fstab was put back from" "$WORK/out"' \
                        "the next run puts the backup back first (exit $rc)" || show "$WORK/out"
                ok 'cmp -s "$WORK/fstab.bound" "$WORK/fstab.want" && [ ! -e /var/lib/docker-relocate/fstab-write ]' \
                        "… and writes the file whole, as the killed run meant to; the record is gone" ||
                        diff "$WORK/fstab.want" "$WORK/fstab.bound" | show
                umount /etc/fstab
        fi
        reset_host
        mount -o remount,bind,ro /etc
        refused "/etc on a read-only mount" "/etc/fstab cannot be written: /etc is on a read-only filesystem" \
                "$VOL" -- move --device "$VOL" --mount "$WORK/t-11" --wipe --yes
        mount -o remount,bind,rw /etc
        mkdir -p "$WORK/t-imm"
        chattr +i "$WORK/t-imm"
        refused "a mount point that cannot be made" "mount point $WORK/t-imm/m cannot be made.*immutable" "$VOL" -- \
                move --device "$VOL" --mount "$WORK/t-imm/m" --wipe --yes
        [ -e "$WORK/state.saved" ] && mv "$WORK/state.saved" /var/lib/docker-relocate/state.json
        # The disk lock is opened where it is named, never through a link.
        mkdir -p "$WORK/evil"
        rm -rf /run/docker-relocate
        ln -s "$WORK/evil" /run/docker-relocate
        ds=$(devsum "$VOL")
        "$BIN" prepare "$VOL" --mount "$WORK/t-11" --wipe >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc != 0 ] && [ -z "$(ls -A "$WORK/evil")" ] && [ "$(devsum "$VOL")" = "$ds" ]' \
                "a planted /run/docker-relocate link: no lock there, nothing done (exit $rc)"
        rm /run/docker-relocate
        # The run's own lock, planted as a link: not followed either.
        rm -f /run/docker-relocate.lock
        ln -s "$WORK/evil/run.lock" /run/docker-relocate.lock
        "$BIN" move --device "$VOL" --mount "$WORK/t-11" --wipe --dry-run >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc != 0 ] && [ ! -e "$WORK/evil/run.lock" ] && grep -q "docker-relocate.lock" "$WORK/out"' \
                "a planted /run/docker-relocate.lock link: not followed, nothing done (exit $rc)"
        rm /run/docker-relocate.lock
        reset_host
fi

# --- (12) grow: only a volume of ours, or a device named with prepare's checks -

fs_blocks() { dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block count/ { print $2 + 0 }'; }
if want grow; then
        # A filesystem of half its device, not made by this tool.
        sandbox_loop GV 256M
        mkfs_now "$GV" 128M
        sandbox_mount "$GV" "$WORK/g"
        mkdir "$WORK/g/sub"
        sandbox_mount --bind "$WORK/g/sub" "$WORK/g-bind"
        # Mounted read-write, the device changes under the kernel's hands:
        # what must not change is the filesystem's size.
        b0=$(fs_blocks "$GV")
        refused "grow on a bind mount" "$WORK/g-bind is a bind mount \\(of /sub" - -- grow "$WORK/g-bind"
        ok '[ "$(fs_blocks "$GV")" = "$b0" ]' "grow on a bind mount: the filesystem keeps its size"
        refused "grow on a filesystem not made by this tool" "not made by this tool.*grow $GV" - -- grow "$WORK/g"
        ok '[ "$(fs_blocks "$GV")" = "$b0" ]' "grow on a filesystem not made by this tool: size kept"
        refused "grow the root filesystem (dry run)" "backs /" - -- grow / --dry-run
        sandbox_loop_file GH "$GV"
        refused "grow a device named explicitly with a loop device on it" "$GV is the backing device of $GH" - -- \
                grow "$GV"
        ok '[ "$(fs_blocks "$GV")" = "$b0" ]' "grow a device with a loop device on it: size kept"
        losetup -d "$GH"
        "$BIN" grow "$GV" --json >"$WORK/grow.json" 2>"$WORK/grow.err"
        rc=$?
        b1=$(fs_blocks "$GV")
        # Online ext4 growth needs CAP_SYS_RESOURCE, which root may lack here.
        if [ $rc = 1 ] && grep -q "CAP_SYS_RESOURCE" "$WORK/grow.err"; then
                ok '[ "$b1" = "$b0" ]' "grow a device named explicitly: tried, and fails without CAP_SYS_RESOURCE"
        else
                ok '[ $rc = 0 ] && [ "$b1" -gt "$b0" ]' "grow a device named explicitly: grown ($b0 → $b1 blocks)"
                [ $rc = 0 ] || show "$WORK/grow.err"
        fi
fi

# --- more: device links, partitions, a device swapped, labels, fstab lines ---

if want more; then
        # A link to a partition of the disk that /boot is on (only in this
        # namespace).
        if [ -d /boot ]; then
                sandbox_loop BOOTD 64M -P
                printf 'label: gpt\n,\n' | sfdisk -q "$BOOTD" >/dev/null 2>&1
                partx -a "$BOOTD" 2>/dev/null
                for _ in $(seq 50); do [ -b "${BOOTD}p1" ] && break; sleep 0.1; done
                mkfs_now "${BOOTD}p1"
                sandbox_mount -o ro "${BOOTD}p1" /boot
                ln -s "${BOOTD}p1" "$WORK/boot-link"
                refused "a link to a partition backing /boot, --wipe" "${BOOTD}p1 backs /boot" "$BOOTD" -- \
                        prepare "$WORK/boot-link" --mount "$WORK/t-m" --wipe
                umount /boot
        fi
        # A partition beside a mounted one is fine, and the other stays as
        # it was.
        sandbox_loop TWO 256M -P
        printf 'label: gpt\n,64M\n,\n' | sfdisk -q "$TWO" >/dev/null 2>&1
        partx -a "$TWO" 2>/dev/null
        for _ in $(seq 50); do [ -b "${TWO}p2" ] && break; sleep 0.1; done
        mkfs_now "${TWO}p1"
        sandbox_mount -o ro "${TWO}p1" "$WORK/p1"
        p1=$(sha256sum <"${TWO}p1")
        refused "the disk of a mounted partition, --wipe" "${TWO}p1 is mounted on $WORK/p1" "$TWO" -- \
                prepare "$TWO" --mount "$WORK/t-m" --wipe
        "$BIN" prepare "${TWO}p2" --mount "$WORK/t-p2" >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && [ "$(sha256sum <"${TWO}p1")" = "$p1" ] &&
                [ "$(findmnt -n -o SOURCE "$WORK/t-p2")" = "${TWO}p2" ]' \
                "a partition beside a mounted one: prepared (exit $rc), the mounted one untouched"
        [ $rc = 0 ] || show "$WORK/out"
        reset_host

        # Its fstab line for the same UUID elsewhere: refused before mounting.
        uuid=$(blkid -o value -s UUID "${TWO}p2")
        echo "UUID=$uuid /srv/elsewhere ext4 defaults 0 2" >>/etc/fstab
        cp /etc/fstab "$WORK/fstab.uuid"
        refused "an fstab line of the administrator's for the same UUID" "conflicts with UUID=$uuid" "${TWO}p2" -- \
                prepare "${TWO}p2" --mount "$WORK/t-p2"
        cp "$WORK/fstab.orig" /etc/fstab
        echo "/dev/sdz9 $WORK/t-taken ext4 defaults 0 2" >>/etc/fstab
        refused "an fstab line for the mount point" "already mounts something on $WORK/t-taken" "$VOL" -- \
                move --device "$VOL" --mount "$WORK/t-taken" --yes
        cp "$WORK/fstab.orig" /etc/fstab
        sandbox_mount -t tmpfs tmpfs "$WORK/busy"
        refused "a mount point in use" "$WORK/busy is already a mount point" "$VOL" -- \
                move --device "$VOL" --mount "$WORK/busy" --yes
        umount "$WORK/busy"

        # Labels with odd bytes, empty or too long: a usage error (2), before
        # any disk is looked at; nothing written.
        for label in $'a\tb' $'a\nb' 'é' 'a"b' 'x=y' '' 'seventeen-bytes-x'; do
                hs=$(host_state)
                ds=$(devsum "$VOL")
                "$BIN" prepare "$VOL" --mount "$WORK/t-l" --label "$label" >"$WORK/out" 2>&1
                rc=$?
                ok '[ $rc = 2 ] && grep -qi "label" "$WORK/out" && [ "$(host_state)" = "$hs" ] &&
                        [ "$(devsum "$VOL")" = "$ds" ]' \
                        "label $(printf '%q' "$label"): refused as invalid (exit $rc), nothing changed"
        done

        # The device is swapped between its checks and the first write: the
        # last look before writing sees another device, and nothing is
        # written to either.
        if [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ]; then
                sandbox_loop SW 64M
                swimg=$(losetup -n -O BACK-FILE "$SW" | sed 's/ *$//')
                truncate -s 64M "$WORK/other.img"
                before=$(sha256sum <"$WORK/other.img")
                DOCKER_RELOCATE_TEST_PAUSE="prepare-checked:$WORK/paused" \
                        "$BIN" prepare "$SW" --mount "$WORK/t-sw" >"$WORK/sw.out" 2>&1 &
                pid=$!
                for _ in $(seq 300); do [ -e "$WORK/paused" ] && break; sleep 0.1; done
                paused=no
                if [ -e "$WORK/paused" ]; then
                        paused=yes
                        losetup -d "$SW"
                        for _ in $(seq 50); do losetup "$SW" "$WORK/other.img" 2>/dev/null && break; sleep 0.1; done
                        rm -f "$WORK/paused"
                fi
                wait $pid
                rc=$?
                ok '[ $paused = yes ] && [ $rc = 1 ] && grep -q "changed between its checks and the first write" "$WORK/sw.out" &&
                        [ "$(sha256sum <"$WORK/other.img")" = "$before" ] && [ "$(stat -c %b "$swimg")" = 0 ] &&
                        ! grep -q " $WORK/t-sw " /proc/self/mountinfo' \
                        "a device swapped between check and write: nothing written to either (exit $rc)"
                [ $rc = 1 ] || show "$WORK/sw.out"

                # A move whose volume gains a filesystem between the plan
                # and the act: refused as the plan would have been (exit
                # 3), nothing written, nothing of Docker touched.
                sandbox_loop LATE 2G
                hs=$(host_state)
                DOCKER_RELOCATE_TEST_PAUSE="planned:$WORK/paused" \
                        "$BIN" move --device "$LATE" --mount "$WORK/t-late" --no-pre-copy --yes --json \
                        >"$WORK/late.json" 2>"$WORK/late.err" &
                pid=$!
                for _ in $(seq 300); do [ -e "$WORK/paused" ] && break; sleep 0.1; done
                paused=no
                if [ -e "$WORK/paused" ]; then
                        paused=yes
                        mkfs.ext4 -q -F "$LATE"
                        ds=$(devsum "$LATE")
                        rm -f "$WORK/paused"
                fi
                wait $pid
                rc=$?
                ok '[ $paused = yes ] && [ $rc = 3 ] && grep -q "Refused: .*$LATE" "$WORK/late.err" &&
                        [ "$(json_get "[j[\"status\"], j[\"error\"][\"code\"]]" "$WORK/late.json")" = "[\"refused\", 3]" ]' \
                        "a volume that gained a filesystem after the plan: the move is refused (exit $rc)"
                [ $rc = 3 ] || show "$WORK/late.err" "$WORK/late.json"
                ok '[ "$(host_state)" = "$hs" ] && [ "$(devsum "$LATE")" = "$ds" ]' \
                        "… files, mounts, Docker and the device unchanged"
        else
                skip "a device swapped between check and write" "the binary is built without -Dfault_injection=true (its pause hook)"
                skip "a volume that gained a filesystem after the plan" "the binary is built without -Dfault_injection=true (its pause hook)"
        fi
        reset_host
fi

# --- the correct move still succeeds: one canonical path for everything -----

if want final; then
        mkdir -p "$WORK/real"
        ln -s "$WORK/real" "$WORK/via"
        NEW=$WORK/real/data/docker
        "$BIN" move --device "$VOL" --mount "$WORK/via/data" --no-pre-copy --dry-run >"$WORK/plan.out" 2>&1
        ok 'grep -q "to   $NEW" "$WORK/plan.out" && grep -q "resolved" "$WORK/plan.out"' \
                "the plan shows the canonical path and says it was resolved"
        "$BIN" move --device "$VOL" --mount "$WORK/via/data" --no-pre-copy --yes --json >"$WORK/move.json" 2>"$WORK/move.err"
        rc=$?
        ok '[ $rc = 0 ]' "a correct move succeeds (exit $rc)"
        [ $rc = 0 ] || show "$WORK/move.err"
        on_exit "umount -l '$WORK/real/data'; chattr -i '$WORK/real/data'"
        ok '[ "$(findmnt -n -o SOURCE --mountpoint "$WORK/real/data")" = "$VOL" ]' \
                "mounted on the canonical path"
        uuid=$(blkid -o value -s UUID "$VOL")
        ok 'grep -Eq "^UUID=$uuid[[:space:]]+$WORK/real/data[[:space:]]" /etc/fstab' \
                "fstab names the canonical path"
        ok 'grep -q -- "--data-root=$NEW" /etc/default/docker' "the configuration names the canonical path"
        ok '[ "$(dockerd_root_dir)" = "$NEW" ] && [ "$(dockerd_sets)" = "$SETS0" ]' \
                "Docker runs on the canonical path with the same images, containers and volumes"
        "$BIN" grow --dry-run >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ]' "grow on the volume of the move (recorded) is allowed (exit $rc)"
        [ $rc = 0 ] || show "$WORK/out"
fi

done_testing
