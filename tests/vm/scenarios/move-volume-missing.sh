#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A moved host that boots without its data volume (detached, or late):
# fstab's nofail lets the boot go on, so only the RequiresMountsFor= drop-in
# and the immutable mount point stand between Docker and the empty directory
# under /mnt/docker-data. Docker must not start, the journal must say it
# waited for the mount, and nothing may be written where the volume belongs.
# On the next boot, with the volume back, everything is back.
#
# vm-options: --no-ebs-on-boot 2

. "$VM_LIB"

NEW=/mnt/docker-data/docker
MOUNT_UNIT='mnt-docker\x2ddata.mount'

if phase 1; then
        docker_populate
        save fingerprint "$(docker_fingerprint)"
        docker-relocate move --device "$EBS_SERIAL" --yes >/root/move.out 2>&1
        rc=$?
        is "move exits 0" "$rc" 0 || diag "$(tail -n 20 /root/move.out)"
        is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        reboot_to_next_phase
fi

if phase 2; then
        # No docker CLI here: a connection to docker.sock would try to
        # activate docker.service again.
        if ebs_disk >/dev/null; then
                not_ok "the EBS disk is absent on this boot"
        else
                ok "the EBS disk is absent on this boot"
        fi
        check "the boot finished anyway (nofail)" systemctl is-active multi-user.target
        if mountpoint -q /mnt/docker-data; then
                not_ok "nothing is mounted on /mnt/docker-data"
                diag "$(findmnt /mnt/docker-data)"
        else
                ok "nothing is mounted on /mnt/docker-data"
        fi
        state=$(systemctl is-active docker.service)
        case $state in
        inactive | failed) ok "docker.service did not start ($state)" ;;
        *) not_ok "docker.service did not start ($state)" ;;
        esac
        if pgrep -x dockerd >/dev/null; then
                not_ok "no dockerd runs"
                diag "$(ps -o pid,args -C dockerd)"
        else
                ok "no dockerd runs"
        fi
        journal=$(journalctl -b --no-pager -o cat -u docker.service 2>&1)
        if grep -qi "dependency" <<<"$journal"; then
                ok "the journal says docker.service failed on a dependency"
        else
                not_ok "the journal says docker.service failed on a dependency"
                diag "$journal"
        fi
        deps=$(systemctl show -p RequiresMountsFor -p Requires -p After docker.service)
        # systemctl show quotes the name and doubles its backslash.
        if grep -qxF "RequiresMountsFor=$NEW" <<<"$deps" &&
                grep -q '^Requires=.*mnt-docker\\*x2ddata\.mount' <<<"$deps" &&
                grep -q '^After=.*mnt-docker\\*x2ddata\.mount' <<<"$deps"; then
                ok "that dependency is the volume's mount"
        else
                not_ok "that dependency is the volume's mount"
                diag "$deps"
        fi
        mount_journal=$(journalctl -b --no-pager -o cat -u "$MOUNT_UNIT" 2>&1)
        diag "journal of $MOUNT_UNIT:" "$mount_journal" "journal of docker.service:" "$journal"
        is "the mount point is empty" "$(ls -A /mnt/docker-data 2>&1)" ""
        is "the mount point is immutable" "$(lsattr -d /mnt/docker-data 2>&1 | cut -d' ' -f1 | grep -o i)" i
        reboot_to_next_phase
fi

if phase 3; then
        check "the EBS disk is back" ebs_disk
        is "the volume is mounted again" "$(findmnt -rn -o SOURCE /mnt/docker-data)" /dev/nvme0n1
        check "docker.service started by itself" systemctl is-active docker.service
        is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$(load fingerprint)"
        if wait_for 60 sh -c '[ "$(docker inspect -f "{{.State.Running}}" vm-web)" = true ]'; then
                ok "container vm-web is running"
        else
                not_ok "container vm-web is running"
        fi
fi
