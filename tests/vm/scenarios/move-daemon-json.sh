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

# json_get FILE EXPR: EXPR on the parsed file as d.
json_get() {
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

if phase 1; then
        mkdir -p /etc/docker
        printf '{\n    "log-driver": "json-file",\n    "log-opts": { "max-size": "10m" },\n    "data-root": "/var/lib/docker"\n}\n' >"$JSON"
        check "docker.service restarted with daemon.json" systemctl restart docker.service
        is "data root from daemon.json" "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker
        docker_populate
        save fingerprint "$(docker_fingerprint)"

        docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/move.json 2>/root/move.err
        rc=$?
        is "move --device vol-0123456789abcdef0 exits 0" "$rc" 0 || diag "$(tail -n 20 /root/move.err)"
        is "the report says changed" "$(json_get /root/move.json 'd["status"], d["changed"]')" "('changed', True)"
        is "the report names the volume id" "$(json_get /root/move.json 'd["volume_id"]')" vol-0123456789abcdef0

        is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "the data root is on the NVMe disk" "$(findmnt -n -o SOURCE --target /mnt/docker-data | sed 's/\[.*//')" /dev/nvme0n1
        is "daemon.json: the new data-root, the other keys kept" \
                "$(json_get "$JSON" 'd["data-root"], d["log-driver"], d["log-opts"]')" \
                "('$NEW', 'json-file', {'max-size': '10m'})"
        uuid=$(blkid -s UUID -o value /dev/nvme0n1)
        save uuid "$uuid"
        check "fstab mounts the volume by UUID with nofail" \
                grep -Eq "^UUID=$uuid[[:space:]]+/mnt/docker-data[[:space:]]+ext4[[:space:]]+[^[:space:]]*nofail" /etc/fstab
        is "docker.service requires the mount (RequiresMountsFor)" \
                "$(systemctl show -P RequiresMountsFor docker.service)" "$NEW"
        is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$(load fingerprint)"
        reboot_to_next_phase
fi

if phase 2; then
        uuid=$(load uuid)
        is "after the reboot the volume is mounted, by its UUID" \
                "$(findmnt -rn -o SOURCE,UUID /mnt/docker-data)" "/dev/nvme0n1 $uuid"
        check "docker.service started by itself" systemctl is-active docker.service
        # systemctl show quotes the name and doubles its backslash.
        after=$(systemctl show -P After docker.service)
        if grep -q 'mnt-docker\\*x2ddata\.mount' <<<"$after"; then
                ok "docker.service is ordered after the volume's mount"
        else
                not_ok "docker.service is ordered after the volume's mount"
                diag "After=$after" "$(systemctl show -p Requires -p RequiresMountsFor docker.service)" \
                        "$(systemctl list-units --all --no-pager 'mnt-*')"
        fi
        is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "the data root is on the NVMe disk" "$(findmnt -n -o SOURCE --target "$NEW" | sed 's/\[.*//')" /dev/nvme0n1
        is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$(load fingerprint)"
        docker_check_populated
fi
