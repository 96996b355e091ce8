#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# contrib/cloud-init/user-data-bootcmd.yaml, unchanged, from a NoCloud seed,
# on a VM where the package is installed and whose volume is attached after
# boot: write_files leaves the move's options, bootcmd enables and queues
# docker-relocate-move.service once per instance, the unit's move waits
# (--wait-device) until the host hot-plugs the NVMe disk with the volume id
# as serial, then moves Docker onto it and disables itself. Then a new
# instance is launched from an image of this one (a new instance id,
# /var/lib/cloud as it was): "cloud-init-per instance" runs bootcmd again
# ("once" would not), the unit runs again, a no-op that changes nothing,
# and the JSON file holds that run's one result.
# vm-options: --user-data contrib/cloud-init/user-data-bootcmd.yaml --attach-ebs-on-request 1 --deb auto --boot-timeout 720

. "$VM_LIB"

NEW=/mnt/docker-data/docker
UNIT=docker-relocate-move.service

unit_state() {
        systemctl show -P ActiveState "$UNIT"
}

unit_waiting() {
        [ "$(unit_state)" = activating ]
}

# unit_finished: the unit ran on this boot and is no longer running: its
# result is in this boot's journal (systemd's own timestamps of a oneshot do
# not survive the daemon-reload of its "systemctl disable").
unit_finished() {
        [ "$(unit_state)" != activating ] &&
                [ "$(journal_entries 17b56e3d23b94663884cc89c537de8cc -b | wc -l)" -ge 1 ]
}

check "the package is installed" test "$(cat "$VM_STATE/deb-install.status" 2>&1)" = 0 ||
        diag "$(tail -n 20 "$VM_STATE/deb-install.log" 2>&1)"

check "cloud-init finished without errors" cloud-init status --long ||
        diag "$(grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 20)"

if phase 1; then
        check "bootcmd installed and started the move unit" wait_for 120 unit_waiting ||
                diag "$(systemctl status --no-pager "$UNIT" 2>&1)"
        check "the move waits for the volume" \
                wait_for 120 grep -q "Waiting up to 300 s for vol-0123456789abcdef0 to be attached" /var/log/docker-relocate.log ||
                diag "$(tail -n 20 /var/log/docker-relocate.log 2>&1)"
        check "no EBS disk yet" test -z "$(ebs_disk)"

        # Something to move, made quickly: the move waits 300 s at most.
        check "busybox image imported" docker_import_busybox
        docker volume create vm-data >/dev/null
        echo volume-data >"$(docker_volume_dir vm-data)/file"
        fingerprint=$(docker_fingerprint)

        check "the host attached the volume" ebs_attach
        if wait_for 60 ebs_disk; then
                ok "the kernel shows the hot-plugged disk"
        else
                not_ok "the kernel shows the hot-plugged disk"
                diag "$(dmesg | grep -iE 'nvme|pci 0000:00:0[5-9]' | tail -n 10)"
        fi
        if wait_for 300 unit_finished; then
                ok "the move unit finished"
        else
                not_ok "the move unit finished"
                diag "$(systemctl status --no-pager "$UNIT" 2>&1)" "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
        fi
        is "the move unit succeeded" "$(systemctl show -P Result "$UNIT")" success ||
                diag "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
        check "the move saw the volume arrive" \
                grep -Eq "vol-0123456789abcdef0 appeared as /dev/nvme[0-9]+n1 after [0-9.]+ s" /var/log/docker-relocate.log
        is "the JSON log holds one result" "$(json_objects /var/log/docker-relocate.json | wc -l)" 1
        result=$(json_objects /var/log/docker-relocate.json | tail -n 1)
        is "--json: status done" "$(json_get 'j["status"]' <<<"$result")" done
        is "--json: the volume id" "$(json_get 'j["volume_id"]' <<<"$result")" vol-0123456789abcdef0
        is "docker info: the data root is on the volume" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "the hot-plugged disk is mounted there" "$(findmnt -n -o SOURCE --target "$NEW")" "/dev/$(ebs_disk)"
        is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$fingerprint"
        is "the unit disabled itself after the move" "$(systemctl is-enabled "$UNIT" 2>&1)" disabled

        save fingerprint "$fingerprint"
        save footprint "$(relocate_footprint)"
        new_instance_to_next_phase
fi

if phase 2; then
        check "cloud-init saw a new instance" grep -q "iid-docker-relocate-cloud-init-bootcmd-2" \
                /var/lib/cloud/data/instance-id
        if wait_for 300 unit_finished; then
                ok "bootcmd ran again on the new instance and the move unit ran again"
        else
                not_ok "bootcmd ran again on the new instance and the move unit ran again"
                diag "$(systemctl status --no-pager "$UNIT" 2>&1)"
        fi
        is "the move unit succeeded" "$(systemctl show -P Result "$UNIT")" success
        is "the JSON log holds this run's one result: unchanged" \
                "$(json_objects /var/log/docker-relocate.json | while read -r o; do json_get 'j["status"]' <<<"$o"; done | tr '\n' ' ')" \
                "unchanged "
        check "the volume was there at once: no wait this time" \
                test "$(grep -c 'Waiting up to' /var/log/docker-relocate.log)" = 1
        is "docker info: still on the volume" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "fstab, daemon.json, the tool's state and the filesystem untouched" "$(relocate_footprint)" "$(load footprint)"
        is "images, containers and volumes as before" "$(docker_fingerprint)" "$(load fingerprint)"
        is "the unit disabled itself again" "$(systemctl is-enabled "$UNIT" 2>&1)" disabled
fi
