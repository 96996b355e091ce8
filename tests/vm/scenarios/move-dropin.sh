#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The move on a host whose data root is a flag in a systemd drop-in that
# overrides ExecStart, written as the most copied recipe has it
# (--data-root="DIR": systemd removes the quotes): the tool must read the
# unit's real ExecStart over D-Bus, change that one value inside its quotes
# in that one file (every other byte kept), not add data-root to
# daemon.json (the same option twice stops dockerd), reload systemd and
# start Docker on the new root.

. "$VM_LIB"

NEW=/mnt/docker-data/docker
OVERRIDE=/etc/systemd/system/docker.service.d/override.conf

mkdir -p "${OVERRIDE%/*}"
cat >"$OVERRIDE" <<'UNIT'
# Data root on its own flag (set by hand).
[Service]
ExecStart=
ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --data-root="/var/lib/docker"
UNIT
cp "$OVERRIDE" /root/override.orig
systemctl daemon-reload
check "docker.service restarted with the override" systemctl restart docker.service
is "data root from the flag" "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker
docker_populate
fingerprint=$(docker_fingerprint)

docker-relocate move --device "$EBS_SERIAL" --yes >/root/move.out 2>&1
rc=$?
is "move exits 0" "$rc" 0 || diag "$(tail -n 20 /root/move.out)"

is "docker.service is active" "$(systemctl is-active docker.service)" active
is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
is "the override now names the new root, in its quotes" \
        "$(grep '^ExecStart=/' "$OVERRIDE" | grep -o -- '--data-root[= ][^ ]*')" "--data-root=\"$NEW\""
is "only that line of the override changed" \
        "$(diff /root/override.orig "$OVERRIDE" | grep '^[<>]' | sed "s|$NEW|NEW|")" \
        "< ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --data-root=\"/var/lib/docker\"
> ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --data-root=\"NEW\""
check "no daemon.json was written" test ! -e /etc/docker/daemon.json
is "dockerd runs with the new flag" \
        "$(tr '\0' ' ' <"/proc/$(systemctl show -P MainPID docker.service)/cmdline" | grep -o -- '--data-root[= ][^ ]*')" \
        "--data-root=$NEW"
is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$fingerprint"
is "container vm-web is running" "$(docker inspect -f '{{.State.Running}}' vm-web 2>&1)" true
