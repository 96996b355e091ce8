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

check "the package is installed" test "$(cat "$VM_STATE/deb-install.status" 2>&1)" = 0 ||
        diag "$(tail -n 20 "$VM_STATE/deb-install.log" 2>&1)"
check "cloud-init finished without errors" cloud-init status --long ||
        diag "$(grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 20)"
check "write_files left the move's options" grep -q '^DOCKER_RELOCATE_MOVE_OPTIONS=.*vol-0123456789abcdef0' \
        /etc/default/docker-relocate
if wait_for 600 unit_finished; then
        ok "the move unit ran"
else
        not_ok "the move unit ran"
        diag "$(systemctl status --no-pager "$UNIT" 2>&1)" "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
fi
is "the move unit succeeded" "$(systemctl show -P Result "$UNIT") $(systemctl show -P ExecMainStatus "$UNIT")" \
        "success 0" || diag "$(tail -n 30 /var/log/docker-relocate.log 2>&1)"
is "the unit disabled itself after the move" "$(systemctl is-enabled "$UNIT" 2>&1)" disabled
is "the JSON log holds one result" "$(json_objects /var/log/docker-relocate.json | wc -l)" 1
result=$(json_objects /var/log/docker-relocate.json | tail -n 1)

if phase 1; then
        is "--json: status done" "$(json_get 'j["status"]' <<<"$result")" done
        is "--json: changed" "$(json_get 'j["changed"]' <<<"$result")" true
        is "--json: the new data root" "$(json_get 'j["new_data_root"]' <<<"$result")" "$NEW"
        is "docker info: the data root is on the volume" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "the volume found by its id is mounted there" \
                "$(findmnt -n -o SOURCE --target "$NEW")" "/dev/$(ebs_disk)"
        check "fstab mounts it by UUID, nofail" \
                grep -Eq "^UUID=$(blkid -o value -s UUID "/dev/$(ebs_disk)")[[:space:]]+/mnt/docker-data[[:space:]].*nofail" /etc/fstab

        # The journal: one entry per step and one for the result, with the
        # fields a fleet's log pipeline filters on.
        entry=$(journal_entries "$RESULT_ID" -b | tail -n 1)
        is "journal: one result entry" "$(journal_entries "$RESULT_ID" -b | wc -l)" 1
        is "journal: result status, exit status, old and new root, device, volume id" \
                "$(json_get '" ".join(j.get(k, "-") for k in ("DOCKER_RELOCATE_STATUS", "DOCKER_RELOCATE_EXIT_STATUS", "DOCKER_RELOCATE_OLD_ROOT", "DOCKER_RELOCATE_NEW_ROOT", "DOCKER_RELOCATE_DEVICE", "DOCKER_RELOCATE_VOLUME_ID", "PRIORITY"))' <<<"$entry")" \
                "done 0 /var/lib/docker $NEW /dev/$(ebs_disk) vol-0123456789abcdef0 5"
        check "journal: the result has the downtime in seconds" \
                grep -Eq '^[0-9]+\.[0-9]$' <<<"$(json_get 'j.get("DOCKER_RELOCATE_DOWNTIME_SEC", "")' <<<"$entry")"
        is "journal: the steps, in order" \
                "$(journal_entries "$STEP_ID" -b | json_objects /dev/stdin | while read -r e; do json_get 'j["DOCKER_RELOCATE_STEP"]' <<<"$e"; done | tr '\n' ' ')" \
                "prepare pre-copy record stop copy configure start-verify restart-containers "
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
        check "cloud-init saw a new instance" grep -q "iid-docker-relocate-cloud-init-runcmd-2" \
                /var/lib/cloud/data/instance-id
        is "--json: status unchanged" "$(json_get 'j["status"]' <<<"$result")" unchanged
        is "--json: not changed" "$(json_get 'j["changed"]' <<<"$result")" false
        entry=$(journal_entries "$RESULT_ID" -b | tail -n 1)
        is "journal: this boot's result says unchanged" \
                "$(json_get 'j.get("DOCKER_RELOCATE_STATUS")' <<<"$entry")" unchanged
        is "journal: and no step ran" "$(journal_entries "$STEP_ID" -b | wc -l)" 0
        is "docker info: still on the volume" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "fstab, daemon.json, the tool's state and the filesystem untouched" "$(relocate_footprint)" "$(load footprint)"
        is "images, containers and volumes as before" "$(docker_fingerprint)" "$(load fingerprint)"
        docker_check_populated
fi
