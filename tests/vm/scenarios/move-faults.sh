#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The move under the faults only a real machine has, with as few boots as
# they allow; after each, the next boot checks that the host converged
# (Docker on the old root with the same images, containers and volumes,
# every file as before; or the move finished on the new root), and at the
# end a correct move succeeds.
#
#   boot 1  D-Bus goes away during the move, after the copy: the tool can
#           no longer drive systemd; the rollback fails (exit 5, 'failed').
#           As root the tool reaches systemd on its private socket first,
#           which outlives dbus-daemon; this move is given the system bus as
#           its one way (DBUS_SYSTEM_BUS_ADDRESS), so that taking the bus
#           away takes systemd away from it.
#   boot 2  D-Bus is back: "rollback --yes" finishes the rollback. Then the
#           volume is removed under the final copy (QMP device_del of its
#           NVMe controller): the move rolls back (exit 4) on its own.
#   boot 3  The volume is back, the host as before. Then the power is cut
#           in the middle of the final copy, Docker stopped.
#   boot 4  Docker came back on the old root at boot; the move run again
#           starts over and finishes: Docker on the volume, verified.
#
# The binary is a test build: the fault-injection hook stops it after its
# copy so that D-Bus can be taken away at that very point.
#
# vm-options: --detach-ebs-on-request 2 --gp3

. "$VM_LIB"

JSON=/etc/docker/daemon.json
DROPIN=/etc/systemd/system/docker.service.d/50-docker-relocate-mount.conf
STATE=/var/lib/docker-relocate/state.json
NEW=/mnt/docker-data/docker
OLD=/var/lib/docker

journal_phase() {
        json_get 'j["phase"]' <"$STATE" 2>&1
}

# The move in the background ($move_pid), output in /root/$1.out.
move_bg() {
        local name=$1
        shift
        "$@" docker-relocate move --device "$EBS_SERIAL" --no-pre-copy --yes >"/root/$name.out" 2>&1 &
        move_pid=$!
}

# Until the move's final copy runs, at most 120 s: Docker stopped and the
# copy's marker on the target (the copy engine, the default, runs in the
# move's own process; the target was emptied before).
copying() {
        [ "$(journal_phase)" = stopped ] && [ -e "$NEW/.docker-relocate-copy" ]
}
wait_copying() {
        wait_for 120 copying
}

stopped() {
        [ "$(awk '{print $3}' "/proc/$move_pid/stat" 2>/dev/null)" = T ]
}

# Docker on the old root, as before the move.
as_before() {
        local what=$1
        is "$(systemctl is-active docker.service)" active "$what: docker.service is active"
        is "$(docker_info '{{.DockerRootDir}}')" "$OLD" "$what: Docker runs on the old root"
        is "$(docker_fingerprint)" "$(load fingerprint)" "$what: the same images, containers and volumes"
        is "$(sha256sum <"$JSON")" "$(load json_sum)" "$what: daemon.json byte for byte as before"
        ok '[ ! -e "$DROPIN" ]' "$what: the RequiresMountsFor drop-in is gone"
        is "$(journal_phase)" rolled-back "$what: the journal says rolled-back"
        ok 'wait_for 60 container_running vm-web' "$what: container vm-web runs" || diag "$(docker ps -a 2>&1)"
}

if phase 1; then
        mkdir -p /etc/docker
        printf '{\n  "log-driver": "json-file"\n}\n' >"$JSON"
        ok 'systemctl restart docker.service' "docker.service restarted with daemon.json"
        docker_populate
        # Enough data that the copy lasts a few seconds on the throttled
        # volume, for the faults to land in it.
        yes 0123456789abcdef | head -c 600M >"$(docker_volume_dir vm-data)/big"
        save fingerprint "$(docker_fingerprint)"
        save json_sum "$(sha256sum <"$JSON")"

        move_bg dbus env DOCKER_RELOCATE_TEST_CRASH=copied:stop \
                DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket
        if ok 'wait_for 300 stopped' "D-Bus: the move stopped itself after its copy"; then
                systemctl stop dbus.socket dbus.service
                # The socket file stays (dbus.socket does not remove it on
                # stop); no one answers on it.
                ok '! busctl --system --timeout=5 status' "D-Bus: the system bus is gone"
                kill -CONT "$move_pid"
        fi
        wait "$move_pid"
        rc=$?
        is "$rc" 5 "D-Bus gone: the rollback cannot drive systemd either, exit 5" || diag "$(tail -n 20 /root/dbus.out)"
        is "$(journal_phase)" failed "D-Bus gone: the journal says failed"
        ok 'grep -q "rollback --yes" /root/dbus.out' "D-Bus gone: the message names rollback --yes"
        reboot_to_next_phase
fi

if phase 2; then
        is "$(systemctl is-active dbus.service)" active "D-Bus is back"
        is "$(journal_phase)" failed "after the D-Bus fault, the journal still says failed"
        docker-relocate move --device "$EBS_SERIAL" --yes >/root/refused.out 2>&1
        rc=$?
        is "$rc" 3 "a new move is refused while the rollback failed (exit 3)"
        docker-relocate rollback --yes >/root/finish.out 2>&1
        rc=$?
        is "$rc" 0 "rollback --yes finishes the rollback (exit 0)" || diag "$(tail -n 20 /root/finish.out)"
        as_before "D-Bus fault, rolled back"

        # The volume unplugged under the final copy. Its partial copy is
        # removed first, so that the copy has all to do again.
        rm -rf "${NEW:?}"/* "$NEW"/.docker-relocate-copy
        move_bg unplug
        if ok 'wait_copying' "unplug: the final copy runs"; then
                ok 'ebs_detach' "unplug: the host unplugged the volume"
        fi
        wait "$move_pid"
        rc=$?
        is "$rc" 4 "unplug: the move fails and rolls back (exit 4)" || diag "$(tail -n 20 /root/unplug.out)"
        is "$(ebs_disk)" "" "unplug: the device is gone"
        as_before "unplug, same boot"
        # The filesystem of a vanished device is not unmounted cleanly: cut
        # the power rather than wait for the shutdown to give up on it.
        crash_to_next_phase
fi

if phase 3; then
        ok 'findmnt /mnt/docker-data' "the volume is back and mounted"
        as_before "unplug, next boot"

        # The power cut in the middle of the final copy, Docker stopped.
        rm -rf "${NEW:?}"/* "$NEW"/.docker-relocate-copy
        move_bg powercut
        if ok 'wait_copying' "power cut: the final copy runs"; then
                sleep 1
                save powercut_phase "$(journal_phase)"
                crash_to_next_phase
        fi
        diag "$(tail -n 20 /root/powercut.out)"
fi

if phase 4; then
        is "$(load powercut_phase)" stopped "power cut: it came during the copy, Docker stopped"
        is "$(journal_phase)" stopped "power cut: the journal still says stopped"
        is "$(docker_info '{{.DockerRootDir}}')" "$OLD" "power cut: Docker came back at boot on the old root"
        is "$(sha256sum <"$JSON")" "$(load json_sum)" "power cut: daemon.json is as before"
        docker-relocate move --device "$EBS_SERIAL" --yes >/root/final.out 2>&1
        rc=$?
        is "$rc" 0 "the move run again finishes (exit 0)" || diag "$(tail -n 20 /root/final.out)"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "Docker runs on the volume"
        is "$(docker_fingerprint)" "$(load fingerprint)" "the same images, containers and volumes"
        is "$(journal_phase)" done "the journal says done"
        docker_check_populated
fi
