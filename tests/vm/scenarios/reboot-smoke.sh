#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The multi-phase mechanism itself: state written in phase 1 is there in
# phase 2 after a real reboot, a container with a restart policy comes back
# by itself, and the host can leave the EBS disk out of a boot. The first
# try of boot 2 dies in the kernel's initcalls; the host boots it once more
# on the same disks (run-scenario.sh: boot_lost).
#
# vm-options: --no-ebs-on-boot 2 --lose-boot 2

. "$VM_LIB"

if phase 1; then
        ok 'ebs_disk' "the EBS disk is attached on boot 1"
        echo "written in phase 1" >/var/lib/vm-marker
        save boot_id "$(cat /proc/sys/kernel/random/boot_id)"
        docker_populate
        save fingerprint "$(docker_fingerprint)"
        reboot_to_next_phase
fi

if phase 2; then
        is "$(cat /var/lib/vm-marker 2>/dev/null)" "written in phase 1" "the marker on the root disk survived"
        isnt "$(cat /proc/sys/kernel/random/boot_id)" "$(load boot_id)" "this is a new boot"
        ok '! ebs_disk' "the EBS disk is absent on boot 2"
        ok 'systemctl is-active docker.service' "docker.service is active again"
        docker_check_populated
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes unchanged"
fi
