#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The move on a host whose init is OpenRC (the openrc image: Debian booted
# with sysvinit and OpenRC, systemd installed but not running): dockerd is
# started by an openrc-run script, /etc/init.d/docker, with its options in
# DOCKER_OPTS of /etc/conf.d/docker, which holds --data-root, as the docker
# packages of OpenRC distributions lay it out. The tool must see OpenRC,
# stop and start Docker with rc-service, change the flag in
# /etc/conf.d/docker (the other option kept, no daemon.json written), carry
# every image, container and volume, and put the volume in fstab; after a
# reboot OpenRC's boot mounts the volume and starts Docker on it. Then
# rollback, again through rc-service, puts the old root and the file back.
# vm-options: --image openrc

. "$VM_LIB"

NEW=/mnt/docker-data/docker
CONFD=/etc/conf.d/docker
TOOL_LOG=/root/rc-service.log

# What the tool asks of OpenRC: rc-service is found first in
# /usr/local/sbin (the scenario's PATH), where this wrapper logs each call
# and runs the real one.
rc_service_logged() {
        cat >/usr/local/sbin/rc-service <<SH
#!/bin/sh
echo "\$*" >>$TOOL_LOG
exec /sbin/rc-service "\$@"
SH
        chmod 0755 /usr/local/sbin/rc-service
        rm -f "$TOOL_LOG"
}

# dockerd's command line (its pid from the pid file openrc-run tracks).
dockerd_cmdline() {
        tr '\0' ' ' <"/proc/$(cat /run/docker.pid)/cmdline"
}

if phase 1; then
        is "$(cat /proc/1/comm)" init "sysvinit's init is PID 1"
        ok '[ -e /run/openrc/softlevel ] && [ ! -e /run/systemd/system ]' "OpenRC runs the services, systemd does not"
        is "$(head -n 1 /etc/init.d/docker)" '#!/sbin/openrc-run' "/etc/init.d/docker is an openrc-run script"
        ok '/sbin/rc-service docker status' "rc-service: docker is started" || diag "$(tail -n 20 /var/log/docker.log)"
        is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "docker runs from the default data root"
        like "$(dockerd_cmdline)" "--data-root=/var/lib/docker --log-level=warn" "dockerd has DOCKER_OPTS of $CONFD"
        is "$(docker-relocate status --json 2>&1 | json_get '[j["init_system"], j["service_file"]]')" \
                '["openrc", "/etc/init.d/docker"]' "status: OpenRC, the init script"

        docker_populate
        fingerprint=$(docker_fingerprint)
        save fingerprint "$fingerprint"
        save confd "$(sha256sum <"$CONFD")"
        cp "$CONFD" /root/confd.orig
        old_pid=$(cat /run/docker.pid)

        rc_service_logged
        start=$(date +%s)
        docker-relocate move --device "$EBS_SERIAL" --yes >/root/move.out 2>&1
        rc=$?
        is "$rc" 0 "move exits 0" || diag "$(tail -n 30 /root/move.out)"
        diag "move took $(($(date +%s) - start)) s"
        like "$(cat "$TOOL_LOG" 2>&1)" "^docker stop$" "the move stopped Docker with rc-service docker stop"
        like "$(cat "$TOOL_LOG" 2>&1)" "^docker start$" "and started it with rc-service docker start"

        ok '/sbin/rc-service docker status' "rc-service: docker is started"
        isnt "$(cat /run/docker.pid)" "$old_pid" "a new dockerd runs, started by openrc-run"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
        is "$(grep '^DOCKER_OPTS=' "$CONFD")" "DOCKER_OPTS=\"--data-root=$NEW --log-level=warn\"" \
                "$CONFD: DOCKER_OPTS holds the new root, the other option kept"
        is "$(head -n 1 "$CONFD")" "$(head -n 1 /root/confd.orig)" "its comment line kept"
        ok '[ ! -e /etc/docker/daemon.json ]' "no daemon.json was written"
        like "$(dockerd_cmdline)" "--data-root=$NEW --log-level=warn" "dockerd runs with the new flag"
        uuid=$(blkid -o value -s UUID "/dev/$(ebs_disk)")
        like "$(cat /etc/fstab)" "^UUID=$uuid[[:space:]]+/mnt/docker-data[[:space:]]+ext4[[:space:]]+[^[:space:]]*nofail" \
                "fstab mounts the volume by UUID with nofail"
        is "$(docker_fingerprint)" "$fingerprint" "images, containers, volumes unchanged"
        # The contents are checked after the reboot (docker_check_populated).
        ok 'wait_for 60 container_running vm-web' "container vm-web is running" || diag "$(docker ps -a 2>&1)"
        reboot_to_next_phase
fi

if phase 2; then
        is "$(findmnt -n -o SOURCE /mnt/docker-data)" "/dev/$(ebs_disk)" "OpenRC's boot mounted the volume"
        ok '/sbin/rc-service docker status' "rc-service: docker started at boot"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker runs on the new root after the reboot"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes unchanged"
        docker_check_populated

        # rollback: back to the old root, through rc-service again.
        rc_service_logged
        docker-relocate rollback --yes >/root/rollback.out 2>&1
        rc=$?
        is "$rc" 0 "rollback exits 0" || diag "$(tail -n 30 /root/rollback.out)"
        like "$(cat "$TOOL_LOG" 2>&1)" "^docker stop$" "the rollback stopped Docker with rc-service"
        like "$(cat "$TOOL_LOG" 2>&1)" "^docker start$" "and started it with rc-service"
        ok '/sbin/rc-service docker status' "rc-service: docker is started"
        is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "docker info: the old root dir"
        is "$(sha256sum <"$CONFD")" "$(load confd)" "$CONFD is byte-identical to before the move"
        like "$(dockerd_cmdline)" "--data-root=/var/lib/docker --log-level=warn" "dockerd runs with the old flag"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes unchanged"
        ok 'wait_for 60 container_running vm-web' "container vm-web is running" || diag "$(docker ps -a 2>&1)"
fi
