#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The VM is what the other scenarios assume: systemd as PID 1, a working
# Docker engine, the binary under test with its libraries, and the "EBS"
# volume visible as EC2 Nitro shows it (NVMe, volume id as serial).
#
# vm-options: --gp3

. "$VM_LIB"

is "$(cat /proc/1/comm)" systemd "systemd is PID 1"
ok 'busctl --system list --no-pager' "system D-Bus answers"
ok 'systemctl is-active docker.service' "docker.service is active"
active=$(systemctl show -P ActiveEnterTimestampMonotonic docker.service)
diag "docker.service active $((active / 1000000)) s after boot" \
        "$(systemd-analyze critical-chain docker.service --no-pager 2>&1)"
ok 'docker info' "docker info answers"
is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "docker runs from the default data root"

ok 'docker-relocate --version' "docker-relocate --version runs"
is "$(ldd /usr/local/sbin/docker-relocate | grep -c 'not found')" 0 "all its libraries resolve"

disk=$(ebs_disk)
is "$disk" nvme0n1 "the EBS volume is nvme0n1"
is "$(tr -d ' ' </sys/block/nvme0n1/device/serial 2>/dev/null)" "$EBS_SERIAL" "its serial is the volume id"
is "$(cat /sys/block/nvme0n1/size 2>/dev/null)" $((8 * 1024 * 1024 * 2)) "it is 8 GiB"
ok 'dd if=/dev/nvme0n1 bs=1M count=16 iflag=direct status=none | cmp -s - <(head -c 16777216 /dev/zero)' \
        "it reads back zeros (throttled like gp3)"

docker_populate
is "$(docker run --rm "$BUSYBOX_IMAGE" echo hello)" hello "docker run prints"
docker_check_populated
