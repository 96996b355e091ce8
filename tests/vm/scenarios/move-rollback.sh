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

json_get() {
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

mkdir -p /etc/docker "${REFUSE%/*}"
printf '{\n  "log-driver": "json-file"\n}\n' >"$JSON"
cat >"$REFUSE" <<'UNIT'
# Test only: dockerd "refuses" any data root on the volume.
[Service]
ExecStartPre=/bin/sh -c '! grep -q /mnt/docker-data /etc/docker/daemon.json'
UNIT
systemctl daemon-reload
check "docker.service restarted with daemon.json and the refusing drop-in" systemctl restart docker.service
docker_populate
fingerprint=$(docker_fingerprint)
json_sum=$(sha256sum <"$JSON")

docker-relocate move --device "$EBS_SERIAL" --yes --json >/root/move.json 2>/root/move.err
rc=$?
is "the failed move exits 4" "$rc" 4 || diag "$(tail -n 20 /root/move.err)"
is "the report says rolled-back, error code 4" "$(json_get /root/move.json 'd["status"], d["error"]["code"]')" \
        "('rolled-back', 4)"
diag "error: $(json_get /root/move.json 'd["error"]["message"]')"
is "docker.service is active" "$(systemctl is-active docker.service)" active
is "docker info: the old root dir" "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker
is "daemon.json is byte-identical to before" "$(sha256sum <"$JSON")" "$json_sum"
check "the RequiresMountsFor drop-in is gone" test ! -e "$MOUNT_DROPIN"
is "docker.service no longer requires the volume" "$(systemctl show -P RequiresMountsFor docker.service)" ""
is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$fingerprint"
if wait_for 60 sh -c '[ "$(docker inspect -f "{{.State.Running}}" vm-web)" = true ]'; then
        ok "container vm-web is running again"
else
        not_ok "container vm-web is running again"
        diag "$(docker ps -a 2>&1)"
fi
is "the journal records the rollback" "$(json_get /var/lib/docker-relocate/state.json 'd["phase"]')" rolled-back
# The volume this run prepared is taken back: unmounted, its fstab line and
# mount point gone; its filesystem stays for the next run.
is "the volume is no longer mounted" "$(findmnt -n -o TARGET /mnt/docker-data)" ""
check "fstab has no line for the volume" sh -c '! grep -q /mnt/docker-data /etc/fstab'
check "the mount point it made is gone" test ! -e /mnt/docker-data
is "the filesystem stays on the volume" "$(blkid -o value -s LABEL "/dev/$(ebs_disk)")" docker-data
is "the report's warnings say the volume was unmounted" \
        "$(json_get /root/move.json 'any(w.startswith("unmounted ") and w.endswith(" from /mnt/docker-data") for w in d["warnings"])')" \
        True
