#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A move that fails after Docker was stopped rolls back: dockerd refuses the
# new data root (an ExecStartPre= in a drop-in of the test stands in for a
# daemon that cannot use it), so the start after the copy fails. The tool
# must restore daemon.json byte for byte, remove its RequiresMountsFor
# drop-in, reload systemd, start Docker on the old root and exit 4 with
# status "rolled-back"; every image, container and volume still there and
# the running container running again. The volume the run prepared is taken
# back too (unmounted, its fstab line and the mount point it made removed),
# its filesystem kept for the next run.

. "$VM_LIB"

JSON=/etc/docker/daemon.json
REFUSE=/etc/systemd/system/docker.service.d/90-test-refuse-new-root.conf
MOUNT_DROPIN=/etc/systemd/system/docker.service.d/50-docker-relocate-mount.conf

mkdir -p /etc/docker "${REFUSE%/*}"
printf '{\n  "log-driver": "json-file"\n}\n' >"$JSON"
cat >"$REFUSE" <<'UNIT'
# Test only: dockerd "refuses" any data root on the volume.
[Service]
ExecStartPre=/bin/sh -c '! grep -q /mnt/docker-data /etc/docker/daemon.json'
UNIT
systemctl daemon-reload
ok 'systemctl restart docker.service' "docker.service restarted with daemon.json and the refusing drop-in"
docker_populate
fingerprint=$(docker_fingerprint)
json_sum=$(sha256sum <"$JSON")

docker-relocate move --device "$EBS_SERIAL" --yes --json >/root/move.json 2>/root/move.err
rc=$?
is "$rc" 4 "the failed move exits 4" || diag "$(tail -n 20 /root/move.err)"
is "$(json_get '[j["status"], j["error"]["code"]]' /root/move.json 2>&1)" '["rolled-back", 4]' \
        "the report says rolled-back, error code 4"
diag "error: $(json_get 'j["error"]["message"]' /root/move.json 2>&1)"
is "$(systemctl is-active docker.service)" active "docker.service is active"
is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "docker info: the old root dir"
is "$(sha256sum <"$JSON")" "$json_sum" "daemon.json is byte-identical to before"
ok '[ ! -e "$MOUNT_DROPIN" ]' "the RequiresMountsFor drop-in is gone"
is "$(systemctl show -P RequiresMountsFor docker.service)" "" "docker.service no longer requires the volume"
is "$(docker_fingerprint)" "$fingerprint" "images, containers, volumes unchanged"
ok 'wait_for 60 container_running vm-web' "container vm-web is running again" || diag "$(docker ps -a 2>&1)"
is "$(json_get 'j["phase"]' /var/lib/docker-relocate/state.json 2>&1)" rolled-back "the journal records the rollback"
# The volume this run prepared is taken back: unmounted, its fstab line and
# mount point gone; its filesystem stays for the next run.
is "$(findmnt -n -o TARGET /mnt/docker-data)" "" "the volume is no longer mounted"
ok '! grep -q /mnt/docker-data /etc/fstab' "fstab has no line for the volume"
ok '[ ! -e /mnt/docker-data ]' "the mount point it made is gone"
is "$(blkid -o value -s LABEL "/dev/$(ebs_disk)")" docker-data "the filesystem stays on the volume"
is "$(json_get 'any(w.startswith("unmounted ") and w.endswith(" from /mnt/docker-data") for w in j["warnings"])' /root/move.json 2>&1)" \
        true "the report's warnings say the volume was unmounted"
