#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# contrib/cloud-init/user-data-runcmd.yaml, unchanged, as the user-data of
# a NoCloud seed read by Debian's cloud-init, on a VM where the package is
# installed: write_files leaves the move's options in
# /etc/default/docker-relocate, runcmd enables and starts
# docker-relocate-move.service, which moves Docker onto the volume named by
# its id (vol-…), with no terminal. The result is in
# /var/log/docker-relocate.json and in the journal (structured entries,
# journalctl -o json). Then the instance is imaged and a new instance
# launched from it (a new instance id, /var/lib/cloud as it was): runcmd and
# the unit run again, the move is a no-op that says so, the JSON file holds
# that one result, and the volume, the configuration and the data stay
# exactly as they were.
# vm-options: --user-data contrib/cloud-init/user-data-runcmd.yaml --deb auto --boot-timeout 720

. "$VM_LIB"

NEW=/mnt/docker-data/docker
UNIT=docker-relocate-move.service
STEP_ID=47149657920f4865ad63b4d2f256ebf5
RESULT_ID=17b56e3d23b94663884cc89c537de8cc

# unit_finished: the unit ran on this boot and is no longer running (its
# result is in the journal; the unit disables itself, and the daemon-reload
# of that loses systemd's own timestamps of a oneshot).
unit_finished() {
        [ "$(systemctl show -P ActiveState "$UNIT")" != activating ] &&
                [ "$(journal_entries "$RESULT_ID" -b | wc -l)" -ge 1 ]
}

ok 'test "$(cat "$VM_STATE/deb-install.status" 2>&1)" = 0' "the package is installed" ||
        diag "$(tail -n 20 "$VM_STATE/deb-install.log" 2>&1)"
ok 'cloud-init status --long' "cloud-init finished without errors" ||
        diag "$(grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 20)"
like "$(cat /etc/default/docker-relocate 2>&1)" '^DOCKER_RELOCATE_MOVE_OPTIONS=.*vol-0123456789abcdef0' \
        "write_files left the move's options"
ok 'wait_for 600 unit_finished' "the move unit ran" ||
        diag "$(systemctl status --no-pager "$UNIT" 2>&1)" "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
is "$(systemctl show -P Result "$UNIT") $(systemctl show -P ExecMainStatus "$UNIT")" \
        "success 0" "the move unit succeeded" || diag "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
is "$(systemctl is-enabled "$UNIT" 2>&1)" disabled "the unit disabled itself after the move"
is "$(json_objects /var/log/docker-relocate.json | wc -l)" 1 "the JSON log holds one result"
result=$(json_objects /var/log/docker-relocate.json | tail -n 1)

if phase 1; then
        is "$(json_get 'j["status"]' <<<"$result")" changed "--json: status changed"
        is "$(json_get 'j["changed"]' <<<"$result")" true "--json: changed"
        is "$(json_get 'j["new_data_root"]' <<<"$result")" "$NEW" "--json: the new data root"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the data root is on the volume"
        is "$(findmnt -n -o SOURCE --target "$NEW")" "/dev/$(ebs_disk)" \
                "the volume found by its id is mounted there"
        ok 'grep -Eq "^UUID=$(blkid -o value -s UUID "/dev/$(ebs_disk)")[[:space:]]+/mnt/docker-data[[:space:]].*nofail" /etc/fstab' "fstab mounts it by UUID, nofail"

        # The journal: one entry per step and one for the result, with the
        # fields a fleet's log pipeline filters on.
        entry=$(journal_entries "$RESULT_ID" -b | tail -n 1)
        is "$(journal_entries "$RESULT_ID" -b | wc -l)" 1 "journal: one result entry"
        is "$(json_get '" ".join(j.get(k, "-") for k in ("DOCKER_RELOCATE_STATUS", "DOCKER_RELOCATE_EXIT_STATUS", "DOCKER_RELOCATE_OLD_ROOT", "DOCKER_RELOCATE_NEW_ROOT", "DOCKER_RELOCATE_DEVICE", "DOCKER_RELOCATE_VOLUME_ID", "PRIORITY"))' <<<"$entry")" \
                "changed 0 /var/lib/docker $NEW /dev/$(ebs_disk) vol-0123456789abcdef0 5" \
                "journal: result status, exit status, old and new root, device, volume id"
        like "$(json_get 'j.get("DOCKER_RELOCATE_DOWNTIME_SEC", "")' <<<"$entry")" '^[0-9]+\.[0-9]$' \
                "journal: the result has the downtime in seconds"
        is "$(journal_entries "$STEP_ID" -b | json_objects /dev/stdin | while read -r e; do json_get 'j["DOCKER_RELOCATE_STEP"]' <<<"$e"; done | tr '\n' ' ')" \
                "prepare pre-copy record stop copy configure start-verify restart-containers " \
                "journal: the steps, in order"
        diag "$(journalctl --no-pager -b -o cat MESSAGE_ID="$RESULT_ID")"

        # Data that lives on the volume from now on, for the second boot.
        docker_populate
        save fingerprint "$(docker_fingerprint)"
        save footprint "$(relocate_footprint)"

        # The next boot is a new instance launched from an image of this one:
        # cloud-init's per-instance work runs again.
        new_instance_to_next_phase
fi

if phase 2; then
        ok 'grep -q "iid-docker-relocate-cloud-init-runcmd-2" /var/lib/cloud/data/instance-id' "cloud-init saw a new instance"
        is "$(json_get 'j["status"]' <<<"$result")" unchanged "--json: status unchanged"
        is "$(json_get 'j["changed"]' <<<"$result")" false "--json: not changed"
        entry=$(journal_entries "$RESULT_ID" -b | tail -n 1)
        is "$(json_get 'j.get("DOCKER_RELOCATE_STATUS")' <<<"$entry")" unchanged \
                "journal: this boot's result says unchanged"
        is "$(journal_entries "$STEP_ID" -b | wc -l)" 0 "journal: and no step ran"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: still on the volume"
        is "$(relocate_footprint)" "$(load footprint)" "fstab, daemon.json, the tool's state and the filesystem untouched"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers and volumes as before"
        docker_check_populated
fi
