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
ok 'systemctl restart docker.service' "docker.service restarted with the override"
is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "data root from the flag"
docker_populate
fingerprint=$(docker_fingerprint)

docker-relocate move --device "$EBS_SERIAL" --yes >/root/move.out 2>&1
rc=$?
is "$rc" 0 "move exits 0" || diag "$(tail -n 20 /root/move.out)"

is "$(systemctl is-active docker.service)" active "docker.service is active"
is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
is "$(grep '^ExecStart=/' "$OVERRIDE" | grep -o -- '--data-root[= ][^ ]*')" "--data-root=\"$NEW\"" \
        "the override now names the new root, in its quotes"
is "$(diff /root/override.orig "$OVERRIDE" | grep '^[<>]' | sed "s|$NEW|NEW|")" \
        "< ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --data-root=\"/var/lib/docker\"
> ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --data-root=\"NEW\"" \
        "only that line of the override changed"
ok 'test ! -e /etc/docker/daemon.json' "no daemon.json was written"
is "$(tr '\0' ' ' <"/proc/$(systemctl show -P MainPID docker.service)/cmdline" | grep -o -- '--data-root[= ][^ ]*')" \
        "--data-root=$NEW" \
        "dockerd runs with the new flag"
is "$(docker_fingerprint)" "$fingerprint" "images, containers, volumes unchanged"
is "$(docker inspect -f '{{.State.Running}}' vm-web 2>&1)" true "container vm-web is running"
