#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A moved host that boots without its data volume (detached, or late):
# fstab's nofail lets the boot go on, so only the RequiresMountsFor= drop-in
# and the immutable mount point stand between Docker and the empty directory
# under /mnt/docker-data. Docker must not start, the journal must say it
# waited for the mount, and nothing may be written where the volume belongs.
# On the next boot, with the volume back, everything is back. The volume
# comes back enlarged (as an EBS volume modified while its instance was
# down): "grow" then grows the mounted ext4 online, under a running Docker.
#
# vm-options: --no-ebs-on-boot 2

. "$VM_LIB"

NEW=/mnt/docker-data/docker
MOUNT_UNIT='mnt-docker\x2ddata.mount'

if phase 1; then
        docker_populate
        save fingerprint "$(docker_fingerprint)"
        docker-relocate move --device "$EBS_SERIAL" --yes >/root/move.out 2>&1
        rc=$?
        is "$rc" 0 "move exits 0" || diag "$(tail -n 20 /root/move.out)"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
        reboot_to_next_phase
fi

if phase 2; then
        # No docker CLI here: a connection to docker.sock would try to
        # activate docker.service again.
        ok '! ebs_disk' "the EBS disk is absent on this boot"
        ok 'systemctl is-active multi-user.target' "the boot finished anyway (nofail)"
        ok '! mountpoint -q /mnt/docker-data' "nothing is mounted on /mnt/docker-data" || diag "$(findmnt /mnt/docker-data)"
        state=$(systemctl is-active docker.service)
        like "$state" '^(inactive|failed)$' "docker.service did not start ($state)"
        ok '! pgrep -x dockerd' "no dockerd runs" || diag "$(ps -o pid,args -C dockerd)"
        journal=$(journalctl -b --no-pager -o cat -u docker.service 2>&1)
        ok 'grep -qi "dependency" <<<"$journal"' "the journal says docker.service failed on a dependency" ||
                diag "$journal"
        deps=$(systemctl show -p RequiresMountsFor -p Requires -p After docker.service)
        # systemctl show quotes the name and doubles its backslash.
        ok 'grep -qxF "RequiresMountsFor=$NEW" <<<"$deps" &&
                grep -q "^Requires=.*mnt-docker\\\\*x2ddata\\.mount" <<<"$deps" &&
                grep -q "^After=.*mnt-docker\\\\*x2ddata\\.mount" <<<"$deps"' "that dependency is the volume's mount" ||
                diag "$deps"
        mount_journal=$(journalctl -b --no-pager -o cat -u "$MOUNT_UNIT" 2>&1)
        diag "journal of $MOUNT_UNIT:" "$mount_journal" "journal of docker.service:" "$journal"
        is "$(ls -A /mnt/docker-data 2>&1)" "" "the mount point is empty"
        is "$(lsattr -d /mnt/docker-data 2>&1 | cut -d' ' -f1 | grep -o i)" i "the mount point is immutable"
        grow_ebs_to_next_phase 4G
fi

if phase 3; then
        ok 'ebs_disk' "the EBS disk is back"
        is "$(findmnt -rn -o SOURCE /mnt/docker-data)" /dev/nvme0n1 "the volume is mounted again"
        ok 'systemctl is-active docker.service' "docker.service started by itself"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes unchanged"
        ok 'wait_for 60 container_running vm-web' "container vm-web is running"

        # Online ext4 growth: the volume came back 4 GiB bigger.
        fs_size() { df -B1 --output=size /mnt/docker-data | tail -n 1 | tr -d ' '; }
        disk=$(blockdev --getsize64 /dev/nvme0n1)
        before=$(fs_size)
        ok '[ "$disk" -gt $((before + 3 * 1024 * 1024 * 1024)) ]' "the disk is bigger than its filesystem ($disk > $before bytes)"
        out=$(docker-relocate --json grow /mnt/docker-data --dry-run 2>/root/grow.err)
        is "$(json_get '[j["status"], j["changed"]]' <<<"$out")" '["planned", false]' "grow --dry-run: planned" ||
                diag "$out" "$(cat /root/grow.err)"
        is "$(fs_size)" "$before" "grow --dry-run: the filesystem keeps its size"
        out=$(docker-relocate --json grow /mnt/docker-data 2>/root/grow.err)
        rc=$?
        is "$rc" 0 "grow exits 0" || diag "$out" "$(cat /root/grow.err)"
        is "$(json_get '[j["status"], j["changed"]]' <<<"$out")" '["changed", true]' "grow: changed"
        after=$(fs_size)
        ok '[ "$after" -gt $((before + 3 * 1024 * 1024 * 1024)) ]' "the mounted ext4 grew online ($before -> $after bytes)"
        is "$(findmnt -rn -o SOURCE /mnt/docker-data)" /dev/nvme0n1 "still mounted from the volume"
        ok 'systemctl is-active docker.service' "docker.service still active"
        is "$(docker_fingerprint)" "$(load fingerprint)" "after the growth: images, containers, volumes unchanged"
        ok 'container_running vm-web' "after the growth: container vm-web still running"
        out=$(docker-relocate --json grow /mnt/docker-data 2>/root/grow.err)
        is "$(json_get '[j["status"], j["changed"]]' <<<"$out")" '["unchanged", false]' "grow again: unchanged" ||
                diag "$out" "$(cat /root/grow.err)"
fi
