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
ok 'systemctl restart docker.service' "docker.service restarted with OPTIONS from $ENVFILE"
is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "data root from OPTIONS"
docker_populate
fingerprint=$(docker_fingerprint)

docker-relocate move --device "$EBS_SERIAL" --yes >/root/move.out 2>&1
rc=$?
is "$rc" 0 "move exits 0" || diag "$(tail -n 20 /root/move.out)"

is "$(systemctl is-active docker.service)" active "docker.service is active"
is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
is "$(grep '^OPTIONS=' "$ENVFILE")" "OPTIONS='--data-root=$NEW --log-level=warn'" \
        "OPTIONS holds the new root, the other option kept"
is "$(head -n 1 "$ENVFILE")" "# /etc/sysconfig/docker" "the comment line kept"
is "$(sha256sum <"$OVERRIDE")" "$override_sum" "the unit's override is untouched"
ok '[ ! -e /etc/docker/daemon.json ]' "no daemon.json was written"
is "$(tr '\0' ' ' <"/proc/$(systemctl show -P MainPID docker.service)/cmdline" | grep -o -- '--data-root=[^ ]*')" "--data-root=$NEW" \
        "dockerd runs with the new flag"
is "$(docker_fingerprint)" "$fingerprint" "images, containers, volumes unchanged"
is "$(docker inspect -f '{{.State.Running}}' vm-web 2>&1)" true "container vm-web is running"
