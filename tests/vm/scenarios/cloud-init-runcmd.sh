#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# contrib/cloud-init/user-data-runcmd.yaml, unchanged, as the user-data of
# a NoCloud seed read by Debian's cloud-init: on the instance's first boot
# runcmd moves Docker onto the volume named by its id (vol-…), with no
# terminal. The result is in /var/log/docker-relocate.json and in the
# journal (structured entries, journalctl -o json). Then cloud-init runs
# everything again ("cloud-init clean", as for an image made of this
# instance) on a second boot: the move must be a no-op that says so, and
# the volume, the configuration and the data must stay exactly as they were.
# vm-options: --user-data contrib/cloud-init/user-data-runcmd.yaml

. "$VM_LIB"

NEW=/mnt/docker-data/docker
STEP_ID=47149657920f4865ad63b4d2f256ebf5
RESULT_ID=17b56e3d23b94663884cc89c537de8cc

ok 'cloud-init status --long' "cloud-init finished without errors" ||
        diag "$(grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 20)"

if phase 1; then
        ok 'grep -qx "docker-relocate move: exit status 0" /var/log/docker-relocate.log' "runcmd's move exited 0" ||
                diag "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
        result=$(json_objects /var/log/docker-relocate.json | tail -n 1)
        is "$(json_get 'j["status"]' <<<"$result")" done "--json: status done"
        is "$(json_get 'j["changed"]' <<<"$result")" true "--json: changed"
        is "$(json_get 'j["new_data_root"]' <<<"$result")" "$NEW" "--json: the new data root"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the data root is on the volume"
        is "$(findmnt -n -o SOURCE --target "$NEW")" "/dev/$(ebs_disk)" "the volume found by its id is mounted there"
        ok 'grep -Eq "^UUID=$(blkid -o value -s UUID "/dev/$(ebs_disk)")[[:space:]]+/mnt/docker-data[[:space:]].*nofail" /etc/fstab' \
                "fstab mounts it by UUID, nofail"

        # The journal: one entry per step and one for the result, with the
        # fields a fleet's log pipeline filters on.
        entry=$(journal_entries "$RESULT_ID" -b | tail -n 1)
        is "$(journal_entries "$RESULT_ID" -b | wc -l)" 1 "journal: one result entry"
        is "$(json_get '" ".join(j.get(k, "-") for k in ("DOCKER_RELOCATE_STATUS", "DOCKER_RELOCATE_EXIT_STATUS", "DOCKER_RELOCATE_OLD_ROOT", "DOCKER_RELOCATE_NEW_ROOT", "DOCKER_RELOCATE_DEVICE", "DOCKER_RELOCATE_VOLUME_ID", "PRIORITY"))' <<<"$entry")" \
                "done 0 /var/lib/docker $NEW /dev/$(ebs_disk) vol-0123456789abcdef0 5" \
                "journal: result status, exit status, old and new root, device, volume id"
        like "$(json_get 'j.get("DOCKER_RELOCATE_DOWNTIME_SEC", "")' <<<"$entry")" '^[0-9]+\.[0-9]$' \
                "journal: the result has the downtime in seconds"
        is "$(journal_entries "$STEP_ID" -b | json_objects /dev/stdin | while read -r e; do json_get 'j["DOCKER_RELOCATE_STEP"]' <<<"$e"; done | tr '\n' ' ')" \
                "prepare pre-copy record stop copy configure start-verify restart-containers " "journal: the steps, in order"
        diag "$(journalctl --no-pager -b -o cat MESSAGE_ID="$RESULT_ID")"

        # Data that lives on the volume from now on, for the second boot.
        docker_populate
        save fingerprint "$(docker_fingerprint)"
        save footprint "$(relocate_footprint)"

        # The next boot is a first boot for cloud-init again: it runs
        # runcmd once more, as on an instance launched from an image of this
        # one.
        ok 'cloud-init clean' "cloud-init clean"
        reboot_to_next_phase
fi

if phase 2; then
        is "$(grep -cx 'docker-relocate move: exit status 0' /var/log/docker-relocate.log)" 2 \
                "runcmd ran again, and exited 0 again"
        result=$(json_objects /var/log/docker-relocate.json | tail -n 1)
        is "$(json_get 'j["status"]' <<<"$result")" unchanged "--json: status unchanged"
        is "$(json_get 'j["changed"]' <<<"$result")" false "--json: not changed"
        entry=$(journal_entries "$RESULT_ID" -b | tail -n 1)
        is "$(json_get 'j.get("DOCKER_RELOCATE_STATUS")' <<<"$entry")" unchanged \
                "journal: this boot's result says unchanged"
        is "$(journal_entries "$STEP_ID" -b | wc -l)" 0 "journal: and no step ran"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: still on the volume"
        is "$(relocate_footprint)" "$(load footprint)" \
                "fstab, daemon.json, the tool's state and the filesystem untouched"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers and volumes as before"
        docker_check_populated
fi
