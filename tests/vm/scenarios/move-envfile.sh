#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The move on a host set up as RHEL-family packages do it: the unit reads
# EnvironmentFile=/etc/sysconfig/docker and runs dockerd with $OPTIONS,
# which holds --data-root. The tool must follow the unit's real
# EnvironmentFiles over D-Bus and change the flag inside OPTIONS (the other
# options kept), leave the unit and daemon.json alone, and start Docker on
# the new root.

. "$VM_LIB"

NEW=/mnt/docker-data/docker
OVERRIDE=/etc/systemd/system/docker.service.d/override.conf
ENVFILE=/etc/sysconfig/docker

mkdir -p "${OVERRIDE%/*}" /etc/sysconfig
cat >"$OVERRIDE" <<'UNIT'
[Service]
EnvironmentFile=
EnvironmentFile=/etc/sysconfig/docker
ExecStart=
ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $OPTIONS
UNIT
cat >"$ENVFILE" <<'ENV'
# /etc/sysconfig/docker
OPTIONS='--data-root=/var/lib/docker --log-level=warn'
ENV
override_sum=$(sha256sum <"$OVERRIDE")
systemctl daemon-reload
check "docker.service restarted with OPTIONS from $ENVFILE" systemctl restart docker.service
is "data root from OPTIONS" "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker
docker_populate
fingerprint=$(docker_fingerprint)

docker-relocate move --device "$EBS_SERIAL" --yes >/root/move.out 2>&1
rc=$?
is "move exits 0" "$rc" 0 || diag "$(tail -n 20 /root/move.out)"

is "docker.service is active" "$(systemctl is-active docker.service)" active
is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
is "OPTIONS holds the new root, the other option kept" "$(grep '^OPTIONS=' "$ENVFILE")" \
        "OPTIONS='--data-root=$NEW --log-level=warn'"
is "the comment line kept" "$(head -n 1 "$ENVFILE")" "# /etc/sysconfig/docker"
is "the unit's override is untouched" "$(sha256sum <"$OVERRIDE")" "$override_sum"
check "no daemon.json was written" test ! -e /etc/docker/daemon.json
is "dockerd runs with the new flag" \
        "$(tr '\0' ' ' <"/proc/$(systemctl show -P MainPID docker.service)/cmdline" | grep -o -- '--data-root=[^ ]*')" \
        "--data-root=$NEW"
is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$fingerprint"
is "container vm-web is running" "$(docker inspect -f '{{.State.Running}}' vm-web 2>&1)" true
