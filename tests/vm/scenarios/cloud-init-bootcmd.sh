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

ok 'test "$(cat "$VM_STATE/deb-install.status" 2>&1)" = 0' "the package is installed" ||
        diag "$(tail -n 20 "$VM_STATE/deb-install.log" 2>&1)"

ok 'cloud-init status --long' "cloud-init finished without errors" ||
        diag "$(grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 20)"

if phase 1; then
        ok 'wait_for 120 unit_waiting' "bootcmd installed and started the move unit" ||
                diag "$(systemctl status --no-pager "$UNIT" 2>&1)"
        ok 'wait_for 120 grep -q "Waiting up to 300 s for vol-0123456789abcdef0 to be attached" /var/log/docker-relocate.log' "the move waits for the volume" ||
                diag "$(tail -n 20 /var/log/docker-relocate.log 2>&1)"
        ok 'test -z "$(ebs_disk)"' "no EBS disk yet"

        # Something to move, made quickly: the move waits 300 s at most.
        ok 'docker_import_busybox' "busybox image imported"
        docker volume create vm-data >/dev/null
        echo volume-data >"$(docker_volume_dir vm-data)/file"
        fingerprint=$(docker_fingerprint)

        ok 'ebs_attach' "the host attached the volume"
        ok 'wait_for 60 ebs_disk' "the kernel shows the hot-plugged disk" ||
                diag "$(dmesg | grep -iE 'nvme|pci 0000:00:0[5-9]' | tail -n 10)"
        ok 'wait_for 300 unit_finished' "the move unit finished" ||
                diag "$(systemctl status --no-pager "$UNIT" 2>&1)" "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
        is "$(systemctl show -P Result "$UNIT")" success "the move unit succeeded" ||
                diag "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
        ok 'grep -Eq "vol-0123456789abcdef0 appeared as /dev/nvme[0-9]+n1 after [0-9.]+ s" /var/log/docker-relocate.log' "the move saw the volume arrive"
        is "$(json_objects /var/log/docker-relocate.json | wc -l)" 1 "the JSON log holds one result"
        result=$(json_objects /var/log/docker-relocate.json | tail -n 1)
        is "$(json_get 'j["status"]' <<<"$result")" changed "--json: status changed"
        is "$(json_get 'j["volume_id"]' <<<"$result")" vol-0123456789abcdef0 "--json: the volume id"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the data root is on the volume"
        is "$(findmnt -n -o SOURCE --target "$NEW")" "/dev/$(ebs_disk)" "the hot-plugged disk is mounted there"
        is "$(docker_fingerprint)" "$fingerprint" "images, containers, volumes unchanged"
        is "$(systemctl is-enabled "$UNIT" 2>&1)" disabled "the unit disabled itself after the move"

        save fingerprint "$fingerprint"
        save footprint "$(relocate_footprint)"
        new_instance_to_next_phase
fi

if phase 2; then
        ok 'grep -q "iid-docker-relocate-cloud-init-bootcmd-2" /var/lib/cloud/data/instance-id' "cloud-init saw a new instance"
        ok 'wait_for 300 unit_finished' "bootcmd ran again on the new instance and the move unit ran again" ||
                diag "$(systemctl status --no-pager "$UNIT" 2>&1)"
        is "$(systemctl show -P Result "$UNIT")" success "the move unit succeeded"
        is "$(json_objects /var/log/docker-relocate.json | while read -r o; do json_get 'j["status"]' <<<"$o"; done | tr '\n' ' ')" \
                "unchanged " \
                "the JSON log holds this run's one result: unchanged"
        is "$(grep -c 'Waiting up to' /var/log/docker-relocate.log)" 1 "the volume was there at once: no wait this time"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: still on the volume"
        is "$(relocate_footprint)" "$(load footprint)" "fstab, daemon.json, the tool's state and the filesystem untouched"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers and volumes as before"
        is "$(systemctl is-enabled "$UNIT" 2>&1)" disabled "the unit disabled itself again"
fi
