#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The VM is what the other scenarios assume: systemd as PID 1, a working
# Docker engine, the binary under test with its libraries, and the "EBS"
# volume visible as EC2 Nitro shows it (NVMe, volume id as serial);
# cloud-init runs user-data from a NoCloud seed (smoke.user-data) and
# Ansible is there.
#
# vm-options: --gp3

. "$VM_LIB"

is "systemd is PID 1" "$(cat /proc/1/comm)" systemd
check "system D-Bus answers" busctl --system list --no-pager
check "docker.service is active" systemctl is-active docker.service
active=$(systemctl show -P ActiveEnterTimestampMonotonic docker.service)
diag "docker.service active $((active / 1000000)) s after boot" \
        "$(systemd-analyze critical-chain docker.service --no-pager 2>&1)"
check "docker info answers" docker info
is "docker runs from the default data root" "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker

check "docker-relocate --version runs" docker-relocate --version
is "all its libraries resolve" "$(ldd /usr/local/sbin/docker-relocate | grep -c 'not found')" 0

check "cloud-init finished" cloud-init status
check "user-data ran docker-relocate" grep -q docker-relocate /var/lib/vm-cloud-init-ran
check "ansible-playbook runs" ansible-playbook --version

disk=$(ebs_disk)
is "the EBS volume is nvme0n1" "$disk" nvme0n1
is "its serial is the volume id" "$(tr -d ' ' </sys/block/nvme0n1/device/serial 2>/dev/null)" "$EBS_SERIAL"
is "it is 8 GiB" "$(cat /sys/block/nvme0n1/size 2>/dev/null)" $((8 * 1024 * 1024 * 2))
check "it reads back zeros (throttled like gp3)" \
        bash -c 'dd if=/dev/nvme0n1 bs=1M count=16 iflag=direct status=none | cmp -s - <(head -c 16777216 /dev/zero)'

docker_populate
is "docker run prints" "$(docker run --rm "$BUSYBOX_IMAGE" echo hello)" hello
docker_check_populated
