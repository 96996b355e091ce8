#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The move on a host whose data root is set in /etc/docker/daemon.json, onto
# the "EBS" volume named by its volume id, driven through real systemd:
# daemon.json gets the new data root and keeps its other keys, the volume is
# in fstab by UUID, docker.service requires its mount. Then a real reboot:
# the volume is mounted again by that UUID, Docker starts on it by itself,
# with the same images, containers and volumes, and the container with a
# restart policy runs again.

. "$VM_LIB"

NEW=/mnt/docker-data/docker
JSON=/etc/docker/daemon.json

if phase 1; then
        mkdir -p /etc/docker
        printf '{\n    "log-driver": "json-file",\n    "log-opts": { "max-size": "10m" },\n    "data-root": "/var/lib/docker"\n}\n' >"$JSON"
        ok 'systemctl restart docker.service' "docker.service restarted with daemon.json"
        is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "data root from daemon.json"
        docker_populate
        save fingerprint "$(docker_fingerprint)"

        docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/move.json 2>/root/move.err
        rc=$?
        is "$rc" 0 "move --device vol-0123456789abcdef0 exits 0" || diag "$(tail -n 20 /root/move.err)"
        is "$(json_get '[j["status"], j["changed"]]' /root/move.json 2>&1)" '["changed", true]' "the report says changed"
        is "$(json_get 'j["volume_id"]' /root/move.json 2>&1)" vol-0123456789abcdef0 "the report names the volume id"

        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
        is "$(findmnt -n -o SOURCE --target /mnt/docker-data | sed 's/\[.*//')" /dev/nvme0n1 \
                "the data root is on the NVMe disk"
        # ext4 zeroed no inode tables during the copy, and does once it is
        # over.
        ok 'json_get "j[\"plan\"][\"disk_steps\"]" /root/move.json | grep -q "on /mnt/docker-data (noinit_itable"' \
                "the volume was mounted with noinit_itable for the copy"
        is "$(findmnt -n -o FSTYPE,FS-OPTIONS --mountpoint /mnt/docker-data | grep -c noinit_itable) $(findmnt -n -o FSTYPE --mountpoint /mnt/docker-data)" \
                "0 ext4" "and remounted without it after the move"
        is "$(json_get '[j["data-root"], j["log-driver"], j["log-opts"]]' "$JSON" 2>&1)" \
                "[\"$NEW\", \"json-file\", {\"max-size\": \"10m\"}]" "daemon.json: the new data-root, the other keys kept"
        uuid=$(blkid -s UUID -o value /dev/nvme0n1)
        save uuid "$uuid"
        ok 'grep -Eq "^UUID=$uuid[[:space:]]+/mnt/docker-data[[:space:]]+ext4[[:space:]]+[^[:space:]]*nofail" /etc/fstab' \
                "fstab mounts the volume by UUID with nofail"
        is "$(systemctl show -P RequiresMountsFor docker.service)" "$NEW" \
                "docker.service requires the mount (RequiresMountsFor)"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes unchanged"
        reboot_to_next_phase
fi

if phase 2; then
        uuid=$(load uuid)
        is "$(findmnt -rn -o SOURCE,UUID /mnt/docker-data)" "/dev/nvme0n1 $uuid" \
                "after the reboot the volume is mounted, by its UUID"
        ok 'systemctl is-active docker.service' "docker.service started by itself"
        # systemctl show quotes the name and doubles its backslash.
        after=$(systemctl show -P After docker.service)
        like "$after" 'mnt-docker\\*x2ddata\.mount' "docker.service is ordered after the volume's mount" ||
                diag "$(systemctl show -p Requires -p RequiresMountsFor docker.service)" \
                        "$(systemctl list-units --all --no-pager 'mnt-*')"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
        is "$(findmnt -n -o SOURCE --target "$NEW" | sed 's/\[.*//')" /dev/nvme0n1 "the data root is on the NVMe disk"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes unchanged"
        docker_check_populated
fi
