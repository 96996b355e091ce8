# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced by VM scenarios (". "$VM_LIB""), inside the VM, as root.
#
# The runner sets:
#   VM_PHASE    this boot's phase: 1 on the first boot, 2 after the first
#               reboot_to_next_phase, ...
#   VM_STATE    a directory on the payload share that survives reboots
#   VM_PAYLOAD  the payload share (the binaries under test are already
#               installed in /usr/local/sbin)
#   VM_EBS      1 when the "EBS" NVMe disk is attached on this boot
#   VM_GP3      1 when that disk is throttled like a gp3 baseline
#   VM_EBS_LATENCY
#               milliseconds each request to that disk waits (nbdkit's delay
#               filter on the host), empty when it is a plain file
#
# TAP: tests/lib/tap.sh, which the payload carries next to this file (ok,
# is, like, skip, diag, wait_for, json_get, ...). Each phase numbers its own
# checks and prints no plan: the host numbers the lines of all phases and
# writes the plan.

# shellcheck source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# Polling forks; under emulation once a second is often enough.
WAIT_FOR_INTERVAL=1

# ---- watchdog -----------------------------------------------------------------

# A minute before the host's limit for this boot (VM_WATCHDOG_AT, in seconds
# of uptime), what still runs goes to the serial console, each line
# "watchdog: ...": the tool's and Docker's processes with where the kernel
# holds them, the tool's threads' kernel stacks, systemd's queued jobs and
# the journal's last lines. When the boot then times out, the host prints
# them first (run-scenario.sh), so a hang names what hung.
vm_watchdog_dump() {
        local pid task

        echo "at $(cut -d' ' -f1 /proc/uptime) s uptime, the scenario still runs:"
        ps -eo pid=,ppid=,etimes=,stat=,wchan:24=,args= |
                awk '$1 != 2 && $2 != 2' |
                grep -E 'docker-relocate|dockerd|containerd|rsync|docker |systemctl|mount|mkfs|fsck|udevadm|scenario' |
                grep -v -E 'grep -E|ps -eo' | cut -c1-200
        for pid in $(pgrep -x docker-relocate); do
                for task in /proc/"$pid"/task/*; do
                        echo "docker-relocate $pid thread ${task##*/} ($(cat "$task/comm" 2>/dev/null)):" \
                                "$(tr '\n' ' ' <"$task/stack" 2>/dev/null | cut -c1-220)"
                done
        done
        echo "systemd jobs: $(systemctl list-jobs --no-pager --no-legend 2>&1 | head -n 5 | tr '\n' ';')"
        journalctl --no-pager -n 20 -o short-monotonic 2>&1 | cut -c1-200
}

vm_watchdog() {
        local at=$1 now

        while now=$(cut -d. -f1 /proc/uptime) && [ "$now" -lt "$at" ]; do
                sleep 5
        done
        vm_watchdog_dump 2>&1 | sed 's/^/watchdog: /' >/dev/ttyS0
}

# Started once per phase, detached from the scenario's output (a process
# left holding that pipe would keep the runner waiting); the runner's unit
# ends it with the rest of its processes.
if [ -n "${VM_WATCHDOG_AT:-}" ] && [ -z "${VM_WATCHDOG_STARTED:-}" ] && [ -w /dev/ttyS0 ]; then
        export VM_WATCHDOG_STARTED=1
        vm_watchdog "$VM_WATCHDOG_AT" </dev/null >/dev/null 2>&1 &
        disown
fi

# The "EBS" volume as QEMU presents it.
EBS_SERIAL=vol0123456789abcdef0
BUSYBOX_IMAGE=vm/busybox:latest

# The files a move writes and the volume's filesystem UUID, as one text:
# what a run that changes nothing must leave exactly as it was.
relocate_footprint() {
        sha256sum /etc/fstab /etc/docker/daemon.json /var/lib/docker-relocate/state.json \
                /var/lib/docker-relocate/disks.json 2>&1
        blkid -o value -s UUID "/dev/$(ebs_disk)"
}

# ---- JSON ---------------------------------------------------------------------

# json_objects FILE: every JSON value in FILE, one per line, compact, in order
# (a file that --json results are appended to holds several, pretty-printed).
json_objects() {
        python3 -c '
import json, sys
text = open(sys.argv[1]).read()
dec, pos = json.JSONDecoder(), 0
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    obj, pos = dec.raw_decode(text, pos)
    print(json.dumps(obj, sort_keys=True))
' "$1"
}

# journal_entries MESSAGE_ID [JOURNALCTL ARGS...]: the journal entries with
# that MESSAGE_ID, one JSON object per line (journalctl -o json).
journal_entries() {
        local id=$1
        shift
        journalctl --no-pager -o json "$@" MESSAGE_ID="$id"
}

# ---- phases -----------------------------------------------------------------

# if phase 1; then ...; fi
phase() {
        [ "$VM_PHASE" = "$1" ]
}

# End this phase with a clean reboot; the scenario runs again with
# VM_PHASE+1. (The VM powers off and the host boots it again, possibly with
# other disks attached; see run-scenario.sh --no-ebs-on-boot.)
reboot_to_next_phase() {
        echo $((VM_PHASE + 1)) >"$VM_STATE/next-phase"
        exit $(($(tap_failures) > 0))
}

# As reboot_to_next_phase, but the next boot is a new instance launched from
# an image of this one: the host gives the cloud-init seed a new instance
# id, so cloud-init runs its once-per-instance work again (run-scenario.sh
# needs a seed).
new_instance_to_next_phase() {
        touch "$VM_STATE/new-instance"
        reboot_to_next_phase
}

# As reboot_to_next_phase, but the EBS volume is enlarged by SIZE (as
# truncate takes it: 4G) while the instance is down, as "modify-volume" on a
# stopped instance: the next boot sees the bigger disk, with the filesystem
# on it as it was.
grow_ebs_to_next_phase() {
        echo "$1" >"$VM_STATE/grow-ebs"
        reboot_to_next_phase
}

# As reboot_to_next_phase, but like pulling the power: no unmount, no sync,
# no service stops. For "the host crashed in the middle" scenarios.
crash_to_next_phase() {
        echo $((VM_PHASE + 1)) >"$VM_STATE/next-phase"
        echo $(($(tap_failures) > 0)) >"$VM_STATE/phase-$VM_PHASE.done"
        echo 1 >/proc/sys/kernel/sysrq
        echo b >/proc/sysrq-trigger
        sleep 60
}

# Keep a value from one phase to the next: save NAME VALUE / load NAME.
save() {
        printf '%s\n' "$2" >"$VM_STATE/saved-$1"
}

load() {
        cat "$VM_STATE/saved-$1" 2>/dev/null
}

# ---- the "EBS" disk -----------------------------------------------------------

# Prints the kernel name (nvme0n1) of the disk with the EBS serial.
ebs_disk() {
        local d
        for d in /sys/block/nvme*; do
                [ -e "$d/device/serial" ] || continue
                if [ "$(tr -d ' ' <"$d/device/serial")" = "$EBS_SERIAL" ]; then
                        basename "$d"
                        return 0
                fi
        done
        return 1
}

# host_request attach|detach: ask the host to hot-plug (or unplug) the EBS
# disk through QMP, and wait for its answer.
host_request() {
        rm -f "$VM_STATE/$1-ebs.status"
        touch "$VM_STATE/$1-ebs"
        if ! wait_for 60 test -s "$VM_STATE/$1-ebs.status"; then
                diag "the host did not answer the $1 request (run with --$1-ebs-on-request $VM_PHASE?)"
                return 1
        fi
        if [ "$(cat "$VM_STATE/$1-ebs.status")" != 0 ]; then
                diag "the host could not $1 the disk:" "$(cat "$VM_STATE/$1-ebs.log" 2>&1)"
                return 1
        fi
        return 0
}

# Unplug the EBS disk's NVMe controller (the boot must run with
# --detach-ebs-on-request): returns once QEMU took the request; the guest's
# kernel then removes the device.
ebs_detach() {
        host_request detach
}

# Attach the EBS disk now, on a boot the scenario runs with
# --attach-ebs-on-request: the host hot-plugs it (QMP device_add), as an
# EBS attach after boot. Returns once the host answered; the kernel shows the
# disk a moment later.
ebs_attach() {
        host_request attach
}

# ---- a data root worth moving -------------------------------------------------

# docker info's answer for one field, e.g. docker_info '{{.DockerRootDir}}'.
docker_info() {
        docker info --format "$1" 2>/dev/null
}

# Import a tiny image from busybox-static (there is no registry to pull from).
docker_import_busybox() {
        local dir applet

        docker image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1 && return 0
        dir=$(mktemp -d)
        mkdir -p "$dir/bin" "$dir/tmp" "$dir/data"
        cp /bin/busybox "$dir/bin/busybox"
        for applet in sh ls cat echo sleep cp mv rm mkdir test sha256sum dd ln stat wc sync true false; do
                ln -s busybox "$dir/bin/$applet"
        done
        tar -C "$dir" -c . | docker import -c 'CMD ["/bin/sh"]' - "$BUSYBOX_IMAGE" >/dev/null
        local rc=$?
        rm -rf "$dir"
        return $rc
}

# Where a volume's data lives on the host (under the current data root).
docker_volume_dir() {
        docker volume inspect -f '{{.Mountpoint}}' "$1" 2>/dev/null
}

# Fill the data root with what a move must carry over intact:
#   - the imported busybox image;
#   - vm/deleted:latest, committed from a container that deleted a file
#     (its layer holds an overlay whiteout) and added one;
#   - the volume vm-data with a file, a hard link to it and a sparse file;
#   - the container vm-web, running, --restart always, which filled vm-data.
# Each step is a TAP check. Containers run with --network none: under
# emulation, setting up a network namespace costs seconds per container.
docker_populate() {
        ok 'docker_import_busybox' "busybox image imported" || return 1

        docker rm -f vm-committer >/dev/null 2>&1
        ok 'docker run --network none --name vm-committer "$BUSYBOX_IMAGE" sh -c "rm /bin/cat && echo committed >/added"' \
                "container deleting a file ran"
        ok 'docker commit vm-committer vm/deleted:latest' "commit with a deleted file"
        docker rm vm-committer >/dev/null 2>&1

        docker rm -f vm-web >/dev/null 2>&1
        docker volume create vm-data >/dev/null
        ok 'docker run -d --network none --name vm-web --restart always -v vm-data:/data "$BUSYBOX_IMAGE" sh -c "$VM_WEB"' \
                "container vm-web running with --restart always"
        ok 'wait_for 60 test -e "$(docker_volume_dir vm-data)/ready"' "volume vm-data filled"
}

# vm-web's script: fill the volume once, then wait, ending on SIGTERM.
VM_WEB='[ -e /data/ready ] || {
                echo volume-data >/data/file &&
                ln /data/file /data/hardlink &&
                dd if=/dev/zero of=/data/sparse bs=1 count=1 seek=67108863 2>/dev/null &&
                touch /data/ready; }
        trap "exit 0" TERM
        while :; do sleep 3600 & wait $!; done'

# container_running NAME: the container runs.
container_running() {
        [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]
}

# What must be the same before and after a move: image, container and
# volume ids (as the tool itself compares them), plus the volume's content.
docker_fingerprint() {
        local vol f

        vol=$(docker_volume_dir vm-data)
        docker image ls -q --no-trunc | sort -u
        docker ps -aq --no-trunc | sort
        docker volume ls -q | sort
        [ -n "$vol" ] || return 0
        for f in file sparse; do
                [ -f "$vol/$f" ] && sha256sum "$vol/$f" | sed "s|$vol/||"
        done
        return 0
}

# ---- the containerd image store (sid image) -----------------------------------

# docker info's driver-type (io.containerd.snapshotter.v1 on the containerd
# image store; empty on a graph driver).
docker_driver_type() {
        docker_info '{{range .DriverStatus}}{{if eq (index . 0) "driver-type"}}{{index . 1}}{{end}}{{end}}'
}

# The root "containerd config dump" names (containerd 2 quotes it with ').
containerd_dump_root() {
        containerd config dump 2>/dev/null | sed -n "s/^root = ['\"]\(.*\)['\"]\$/\1/p"
}

# The root the running containerd.service really uses: the directory of the
# metadata database its process holds open.
containerd_running_root() {
        local pid f
        pid=$(systemctl show -P MainPID containerd.service)
        [ "${pid:-0}" != 0 ] || return 1
        for f in /proc/"$pid"/fd/*; do
                f=$(readlink "$f")
                case $f in */io.containerd.metadata.v1.bolt/meta.db)
                        echo "${f%/io.containerd.metadata.v1.bolt/meta.db}"
                        return 0
                        ;;
                esac
        done
        return 1
}

# Docker's content as containerd itself lists it in namespace moby, past the
# Engine API: each image with its digest, the blobs of the content store,
# and the running containers with their tasks.
ctr_fingerprint() {
        ctr -n moby images ls 2>&1 | awk 'NR > 1 { print "image", $1, $3 }' | sort
        ctr -n moby content ls -q 2>&1 | sed 's/^/blob /' | sort
        ctr -n moby containers ls -q 2>&1 | sed 's/^/container /' | sort
        ctr -n moby tasks ls 2>&1 | awk 'NR > 1 { print "task", $1, $3 }' | sort
}

# The configuration files of Docker and containerd, and the move's drop-ins,
# as one text: what a refused or rolled-back move must leave as it was.
config_footprint() {
        local f
        for f in /etc/docker/daemon.json /etc/containerd/config.toml \
                /etc/systemd/system/docker.service.d/50-docker-relocate-mount.conf \
                /etc/systemd/system/containerd.service.d/50-docker-relocate-mount.conf; do
                if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
        done
}

# Check everything docker_populate made is still there and works.
docker_check_populated() {
        local vol

        is "$(docker run --rm --network none vm/deleted:latest \
                sh -c 'test -e /bin/cat && echo present || echo deleted; read x </added; echo $x')" \
                "deleted
committed" "image vm/deleted: file deleted, file added"

        vol=$(docker_volume_dir vm-data)
        is "$(cat "$vol/file" 2>&1) $(stat -c %h "$vol/file" 2>&1) $(stat -c %i "$vol/file" 2>&1)" \
                "volume-data 2 $(stat -c %i "$vol/hardlink" 2>&1)" "volume file intact, hard link kept"
        is "$(stat -c '%s %b' "$vol/sparse" 2>&1 | awk '{ print $1, ($2 < 64 ? "sparse" : "full") }')" \
                "67108864 sparse" "sparse file still sparse"
        ok 'wait_for 60 container_running vm-web' "container vm-web is running" || diag "$(docker ps -a 2>&1)"
}
