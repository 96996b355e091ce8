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

# Until the move's final copy runs (its rsync child), at most 120 s.
wait_copying() {
        wait_for 120 pgrep -P "$move_pid" -x rsync
}

stopped() {
        [ "$(awk '{print $3}' "/proc/$move_pid/stat" 2>/dev/null)" = T ]
}

# Docker on the old root, as before the move.
as_before() {
        local what=$1
        is "$what: docker.service is active" "$(systemctl is-active docker.service)" active
        is "$what: Docker runs on the old root" "$(docker_info '{{.DockerRootDir}}')" "$OLD"
        is "$what: the same images, containers and volumes" "$(docker_fingerprint)" "$(load fingerprint)"
        is "$what: daemon.json byte for byte as before" "$(sha256sum <"$JSON")" "$(load json_sum)"
        check "$what: the RequiresMountsFor drop-in is gone" test ! -e "$DROPIN"
        is "$what: the journal says rolled-back" "$(journal_phase)" rolled-back
        if wait_for 60 sh -c '[ "$(docker inspect -f "{{.State.Running}}" vm-web)" = true ]'; then
                ok "$what: container vm-web runs"
        else
                not_ok "$what: container vm-web runs"
        fi
}

if phase 1; then
        mkdir -p /etc/docker
        printf '{\n  "log-driver": "json-file"\n}\n' >"$JSON"
        check "docker.service restarted with daemon.json" systemctl restart docker.service
        docker_populate
        # Enough data that the copy lasts a few seconds on the throttled
        # volume, for the faults to land in it.
        yes 0123456789abcdef | head -c 600M >"$(docker_volume_dir vm-data)/big"
        save fingerprint "$(docker_fingerprint)"
        save json_sum "$(sha256sum <"$JSON")"

        move_bg dbus env DOCKER_RELOCATE_TEST_CRASH=copied:stop \
                DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket
        if wait_for 300 stopped; then
                ok "D-Bus: the move stopped itself after its copy"
                systemctl stop dbus.socket dbus.service
                # The socket file stays (dbus.socket does not remove it on
                # stop); no one answers on it.
                check "D-Bus: the system bus is gone" sh -c '! busctl --system --timeout=5 status >/dev/null 2>&1'
                kill -CONT "$move_pid"
        else
                not_ok "D-Bus: the move stopped itself after its copy"
        fi
        wait "$move_pid"
        rc=$?
        is "D-Bus gone: the rollback cannot drive systemd either, exit 5" "$rc" 5 || diag "$(tail -n 20 /root/dbus.out)"
        is "D-Bus gone: the journal says failed" "$(journal_phase)" failed
        check "D-Bus gone: the message names rollback --yes" grep -q "rollback --yes" /root/dbus.out
        reboot_to_next_phase
fi

if phase 2; then
        is "D-Bus is back" "$(systemctl is-active dbus.service)" active
        is "after the D-Bus fault, the journal still says failed" "$(journal_phase)" failed
        docker-relocate move --device "$EBS_SERIAL" --yes >/root/refused.out 2>&1
        rc=$?
        is "a new move is refused while the rollback failed (exit 3)" "$rc" 3
        docker-relocate rollback --yes >/root/finish.out 2>&1
        rc=$?
        is "rollback --yes finishes the rollback (exit 0)" "$rc" 0 || diag "$(tail -n 20 /root/finish.out)"
        as_before "D-Bus fault, rolled back"

        # The volume unplugged under the final copy. Its partial copy is
        # removed first, so that the copy has all to do again.
        rm -rf "${NEW:?}"/* "$NEW"/.docker-relocate-copy
        move_bg unplug
        if wait_copying; then
                ok "unplug: the final copy runs"
                check "unplug: the host unplugged the volume" ebs_detach
        else
                not_ok "unplug: the final copy runs"
        fi
        wait "$move_pid"
        rc=$?
        is "unplug: the move fails and rolls back (exit 4)" "$rc" 4 || diag "$(tail -n 20 /root/unplug.out)"
        is "unplug: the device is gone" "$(ebs_disk)" ""
        as_before "unplug, same boot"
        # The filesystem of a vanished device is not unmounted cleanly: cut
        # the power rather than wait for the shutdown to give up on it.
        crash_to_next_phase
fi

if phase 3; then
        check "the volume is back and mounted" findmnt /mnt/docker-data
        as_before "unplug, next boot"

        # The power cut in the middle of the final copy, Docker stopped.
        rm -rf "${NEW:?}"/* "$NEW"/.docker-relocate-copy
        move_bg powercut
        if wait_copying; then
                ok "power cut: the final copy runs"
                sleep 1
                save powercut_phase "$(journal_phase)"
                crash_to_next_phase
        fi
        not_ok "power cut: the final copy runs"
        diag "$(tail -n 20 /root/powercut.out)"
fi

if phase 4; then
        is "power cut: it came during the copy, Docker stopped" "$(load powercut_phase)" stopped
        is "power cut: the journal still says stopped" "$(journal_phase)" stopped
        is "power cut: Docker came back at boot on the old root" "$(docker_info '{{.DockerRootDir}}')" "$OLD"
        is "power cut: daemon.json is as before" "$(sha256sum <"$JSON")" "$(load json_sum)"
        docker-relocate move --device "$EBS_SERIAL" --yes >/root/final.out 2>&1
        rc=$?
        is "the move run again finishes (exit 0)" "$rc" 0 || diag "$(tail -n 20 /root/final.out)"
        is "Docker runs on the volume" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "the same images, containers and volumes" "$(docker_fingerprint)" "$(load fingerprint)"
        is "the journal says done" "$(journal_phase)" done
        docker_check_populated
fi
