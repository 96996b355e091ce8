#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run one VM scenario and print its results as TAP.
#
#   run-scenario.sh [OPTIONS] SCENARIO
#
# SCENARIO is a path, or a name in tests/vm/scenarios/ ("smoke" or
# "smoke.sh"). Options may also be given in the scenario itself, on a line
# "# vm-options: ..." (command-line options come after them).
#
#   --gp3                 throttle the EBS disk like a gp3 baseline
#                         (3000 IOPS, 125 MiB/s)
#   --ebs-latency MS      serve the EBS disk through nbdkit (its delay
#                         filter, on a unix socket in the run's work
#                         directory): every read, write, zero and trim
#                         request waits MS milliseconds (an integer; 0 = the
#                         same NBD path without delay), many requests in
#                         flight at once, as a network volume has. Combines
#                         with --gp3. Needs nbdkit on the host (not
#                         installed by the harness: nothing in the vm suite
#                         uses it)
#   --payload FILE        also carry FILE into the guest, as
#                         $VM_PAYLOAD/files/NAME; repeatable. A relative
#                         path is taken from the source tree, else from the
#                         build directory (tests/copy-probe)
#   --no-ebs-on-boot N    boot N (= phase N) without the EBS disk; repeatable
#   --ebs-size SIZE       size of the sparse EBS disk (default 8G)
#   --boot-timeout SEC    limit for one boot, from QEMU start to poweroff
#                         (default 420)
#   --max-boots N         give up after N boots (default 6)
#   --lose-boot N         the harness's own check: the first try of boot N
#                         dies in the kernel's initcalls and is booted
#                         once more
#   --attach-ebs-on-request N
#                         boot N starts without the EBS disk; the guest asks
#                         for it (scenario-lib.sh: ebs_attach) and the host
#                         hot-plugs it then, as an EBS attach does; later
#                         boots have it from the start
#   --detach-ebs-on-request N
#                         boot N starts with the EBS disk; when the guest
#                         asks (scenario-lib.sh: ebs_detach) the host
#                         unplugs its NVMe controller (QMP device_del), as
#                         a volume detached (or failing) under a running
#                         instance; later boots have it again
#   --user-data FILE      attach a cloud-init NoCloud seed (a vfat disk
#                         labelled CIDATA) with this user-data on every boot;
#                         SCENARIO.user-data next to the scenario is used
#                         by default, SCENARIO.meta-data too if present. A
#                         relative path is taken from the source tree
#                         (contrib/cloud-init/...) when it is not a file here
#   --meson-install       install the build with "meson install --destdir"
#                         into the payload ($VM_PAYLOAD/destdir) instead of
#                         installing the bare binary: the scenario unpacks
#                         it onto the system itself
#   --image NAME          boot this image (build-image.sh NAME): bookworm
#                         (the default; docker.io 20.10), sid (docker.io 28
#                         with containerd 2), selinux (bookworm with
#                         SELinux enabled, permissive: build-image-selinux.sh)
#                         or openrc (bookworm booted with sysvinit and
#                         OpenRC: build-image-openrc.sh)
#   --containerd-store    Docker starts on the containerd image store:
#                         /etc/docker/daemon.json is
#                         {"features": {"containerd-snapshotter": true}}
#                         before Docker first starts (the layout Engine 29
#                         gives a fresh install); without it Docker uses its
#                         graph driver (overlay2)
#   --deb FILE|auto       install this Debian package instead of the bare
#                         binary, early in boot with dpkg -i (before Docker
#                         and cloud-init start). "auto": $DOCKER_RELOCATE_DEB,
#                         else the package of this source tree, built once
#                         per source state (tools/build-deb.sh) and kept in
#                         the build directory for every later scenario
#   --image-only          build (or find in the cache) the image SCENARIO
#                         boots, print its directory and exit: nothing is
#                         booted (tools/test-all.sh builds the images ahead
#                         of the VM suites this way)
#
# Each boot is a fresh QEMU process; the guest always powers off (QEMU runs
# with -no-reboot, so a reboot in the guest also ends it) and the host boots
# it again while the scenario has asked for another phase. Disks persist
# between boots: the root disk is a qcow2 overlay over the cached image, made
# new for every scenario run.
#
# Environment:
#   DOCKER_RELOCATE            the binary under test (default: build/docker-relocate)
#   DOCKER_RELOCATE_BUILDDIR   its build directory, for --meson-install
#                              and --deb auto (default: the binary's directory)
#   DOCKER_RELOCATE_DEB        the package for --deb auto
#   DOCKER_RELOCATE_VM_CACHE   image cache (see build-image.sh)
#   DOCKER_RELOCATE_VM_LOGS    keep console logs and results here (SCENARIO/…)
#   DOCKER_RELOCATE_VM_APPEND  more kernel arguments, e.g. systemd.show_status=1
#   TAP_SKIP_STATUS            exit status when the VM cannot run here (77;
#                              meson sets 0, see tests/lib/tap.sh)
#   DOCKER_RELOCATE_VM_REQUIRED=1, or CI (as tests/lib/tap.sh reads it)
#                              what would be a skip for a missing dependency
#                              (root, QEMU, an image that cannot be built) is
#                              a failure
#
# Exit status: 0 all passed, 1 a test failed, 77 (see above) cannot run here:
# not root, no QEMU, or the image cannot be built.

set -uo pipefail
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
skip_status=${TAP_SKIP_STATUS:-77}

ebs_serial=vol0123456789abcdef0

defaults() {
        ebs_size=8G
        boot_timeout=420
        max_boots=6
        gp3=0
        ebs_latency=
        payload_files=()
        no_ebs_boots=" "
        attach_boots=" "
        detach_boots=" "
        user_data=
        meson_install=0
        image_name=bookworm
        image_only=0
        containerd_store=0
        lose_boot=
        deb=
        scenario=
}
defaults
tests=0
failed=0

work=
qemu_pid=
watcher_pid=
nbdkit_pid=

log() {
        echo "# $*"
}

skip_all() {
        echo "1..0 # SKIP $*"
        exit "$skip_status"
}

# Where the VM is required (CI), what it lacks is a failure, not a skip.
vm_required() {
        [ "${DOCKER_RELOCATE_VM_REQUIRED:-0}" = 1 ] ||
                { [ -n "${CI:-}" ] && [ "$CI" != false ] && [ "$CI" != 0 ]; }
}

skip_all_missing() {
        if vm_required; then
                echo "not ok 1 - $*"
                echo "1..1"
                exit 1
        fi
        skip_all "$*"
}

die() {
        echo "run-scenario: $*" >&2
        exit 2
}

cleanup() {
        if [ -n "$watcher_pid" ]; then
                kill "$watcher_pid" 2>/dev/null
                wait "$watcher_pid" 2>/dev/null
        fi
        if [ -n "$qemu_pid" ]; then
                kill "$qemu_pid" 2>/dev/null
                wait "$qemu_pid" 2>/dev/null
        fi
        # After QEMU, which it serves the EBS disk to.
        nbdkit_stop
        [ -n "$work" ] && rm -rf "$work"
}

# --ebs-latency: nbdkit serves the EBS image on a unix socket, each request
# delayed, for one boot (a boot that starts from fresh disks or a grown one
# gets a server that sees that file). Foreground (-f), so that its PID is
# ours to stop; --exit-with-parent ends it should this script be killed
# outright. Waits at most 10 s for the socket.
nbdkit_start() {
        local filter=() delay=()

        nbdkit_stop
        rm -f "$ebs_sock"
        # rdelay: reads; wdelay: writes, zeroes and trims.
        [ "$ebs_latency" = 0 ] || filter=(--filter=delay) delay=("rdelay=${ebs_latency}ms" "wdelay=${ebs_latency}ms")
        nbdkit -f --exit-with-parent -U "$ebs_sock" "${filter[@]}" file "file=$work/ebs.img" "${delay[@]}" \
                </dev/null >"$work/nbdkit-$1.log" 2>&1 &
        nbdkit_pid=$!
        for _ in $(seq 1 100); do
                [ -S "$ebs_sock" ] && return 0
                kill -0 "$nbdkit_pid" 2>/dev/null || break
                sleep 0.1
        done
        echo "run-scenario: nbdkit did not serve $ebs_sock: $(tail -n 3 "$work/nbdkit-$1.log")" >&2
        nbdkit_stop
        return 1
}

# Ends the boot's nbdkit: TERM, then KILL after 10 s, and reaps it.
nbdkit_stop() {
        [ -n "$nbdkit_pid" ] || return 0
        kill "$nbdkit_pid" 2>/dev/null
        for _ in $(seq 1 100); do
                kill -0 "$nbdkit_pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$nbdkit_pid" 2>/dev/null
        wait "$nbdkit_pid" 2>/dev/null
        nbdkit_pid=
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

parse_options() {
        while [ $# -gt 0 ]; do
                case $1 in
                --gp3) gp3=1 ;;
                --ebs-latency)
                        [[ ${2:-} =~ ^[0-9]+$ ]] || die "--ebs-latency needs milliseconds (an integer)"
                        ebs_latency=$2
                        shift
                        ;;
                --payload)
                        [ -n "${2:-}" ] || die "--payload needs a file"
                        payload_files+=("$2")
                        shift
                        ;;
                --no-ebs-on-boot)
                        [[ ${2:-} =~ ^[0-9]+$ ]] || die "--no-ebs-on-boot needs a boot number"
                        no_ebs_boots+="$2 "
                        shift
                        ;;
                --attach-ebs-on-request)
                        [[ ${2:-} =~ ^[0-9]+$ ]] || die "--attach-ebs-on-request needs a boot number"
                        attach_boots+="$2 "
                        shift
                        ;;
                --detach-ebs-on-request)
                        [[ ${2:-} =~ ^[0-9]+$ ]] || die "--detach-ebs-on-request needs a boot number"
                        detach_boots+="$2 "
                        shift
                        ;;
                --meson-install) meson_install=1 ;;
                --lose-boot)
                        [[ ${2:-} =~ ^[0-9]+$ ]] || die "--lose-boot needs a boot number"
                        lose_boot=$2
                        shift
                        ;;
                --containerd-store) containerd_store=1 ;;
                --image-only) image_only=1 ;;
                --image)
                        [[ ${2:-} =~ ^[a-z]+$ ]] || die "--image needs an image name"
                        image_name=$2
                        shift
                        ;;
                --deb)
                        [ -n "${2:-}" ] || die "--deb needs a package file or auto"
                        deb=$2
                        shift
                        ;;
                --ebs-size)
                        [ -n "${2:-}" ] || die "--ebs-size needs a size"
                        ebs_size=$2
                        shift
                        ;;
                --boot-timeout)
                        [[ ${2:-} =~ ^[0-9]+$ ]] || die "--boot-timeout needs seconds"
                        boot_timeout=$2
                        shift
                        ;;
                --user-data)
                        user_data=${2:-}
                        [ -f "$user_data" ] || [ -z "$user_data" ] || user_data=$srcdir/$user_data
                        [ -f "$user_data" ] || die "--user-data needs a file"
                        shift
                        ;;
                --max-boots)
                        [[ ${2:-} =~ ^[0-9]+$ ]] || die "--max-boots needs a number"
                        max_boots=$2
                        shift
                        ;;
                -*) die "unknown option $1" ;;
                *) [ -z "$scenario" ] || die "one scenario at a time"; scenario=$1 ;;
                esac
                shift
        done
}

# One boot: QEMU under timeout(1), which ends it when the limit is reached.
# Returns QEMU's status, or 124 on timeout.
boot() {
        local n=$1 ebs=1 attach=0 args rc cmdline

        cmdline="root=/dev/vda rw console=ttyS0 quiet panic=1 mitigations=off"
        # Without a seed, cloud-init's generator would still enable it (a
        # datasource list of one is taken as found) and its stages cost
        # more than a minute of each boot under emulation.
        [ -f "$work/seed.img" ] || cmdline+=" cloud-init=disabled"
        # An image may need kernel arguments of its own (SELinux's).
        [ -f "$image/cmdline" ] && cmdline+=" $(cat "$image/cmdline")"
        # --lose-boot N (the harness's own check of boot_lost): the first
        # try of boot N has no /init to run and no root to mount, so the
        # kernel panics in its initcalls (prepare_namespace), before any
        # disk is mounted.
        [ "$n" = "$lose_boot" ] && [ $rebooted_lost = 0 ] && cmdline+=" rdinit=/lost root=/dev/lost"

        case $no_ebs_boots in *" $n "*) ebs=0 ;; esac
        case $attach_boots in *" $n "*) ebs=0 attach=1 ;; esac
        case $detach_boots in *" $n "*) attach=1 ;; esac
        # VM_WATCHDOG_AT: the guest's uptime at which scenario-lib.sh writes
        # what still runs to the console, a minute before the boot's limit.
        printf 'VM_EBS=%s\nVM_GP3=%s\nVM_EBS_LATENCY=%s\nVM_BOOT=%s\nVM_WATCHDOG_AT=%s\n' "$ebs" "$gp3" \
                "$ebs_latency" "$n" $((boot_timeout > 120 ? boot_timeout - 60 : boot_timeout / 2)) \
                >"$payload/state/boot.env"
        echo "$n" >"$payload/state/phase"

        args=(-name "docker-relocate-$name" -accel tcg,thread=multi -cpu max -m 2048 -smp 2
                -nographic -no-reboot -monitor none -serial "file:$work/console-$n.log" -nic none
                -kernel "$image/vmlinuz" -initrd "$image/initrd.img"
                -append "$cmdline ${DOCKER_RELOCATE_VM_APPEND:-}"
                -drive "file=$work/root.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap"
                -fsdev "local,id=payload,path=$payload,security_model=none"
                -device virtio-9p-pci,fsdev=payload,mount_tag=payload)
        if [ $ebs = 1 ]; then
                args+=(-drive "$ebs_drive" -device "nvme,serial=$ebs_serial,drive=ebs,id=ebs-nvme")
        fi
        if [ -f "$work/seed.img" ]; then
                args+=(-drive "file=$work/seed.img,if=virtio,format=raw,readonly=on")
        fi
        [ $attach = 1 ] && args+=(-qmp "unix:$work/qmp-$n.sock,server=on,wait=off")
        if [ -n "$ebs_latency" ] && { [ $ebs = 1 ] || [ $attach = 1 ]; }; then
                nbdkit_start "$n" || die "boot $n: no EBS disk to give QEMU"
        fi

        timeout --kill-after=20 "$boot_timeout" "$qemu" "${args[@]}" </dev/null >"$work/qemu-$n.log" 2>&1 &
        qemu_pid=$!
        if [ $attach = 1 ]; then
                attach_watcher "$n" &
                watcher_pid=$!
        fi
        wait "$qemu_pid"
        rc=$?
        qemu_pid=
        nbdkit_stop
        if [ -n "$watcher_pid" ]; then
                kill "$watcher_pid" 2>/dev/null
                wait "$watcher_pid" 2>/dev/null
                watcher_pid=
        fi
        return $rc
}

# Hot-plug the EBS disk into the running VM through QEMU's QMP socket: the
# same drive and NVMe controller (serial = volume id) a boot with the disk
# has, added to the PCI bus by ACPI hotplug, as a volume attach appears on a
# Nitro instance.
qmp_attach_ebs() {
        qmp_command "$1" "drive_add 0 $ebs_drive" "device_add nvme,serial=$ebs_serial,drive=ebs,id=ebs-nvme"
}

# qmp_command BOOT HMP-COMMAND...: each through the boot's QMP socket.
qmp_command() {
        local n=$1
        shift
        python3 - "$work/qmp-$n.sock" "$@" <<'PY'
import json
import socket
import sys

sock = socket.socket(socket.AF_UNIX)
sock.settimeout(30)
sock.connect(sys.argv[1])
f = sock.makefile("rw")


def call(command, arguments=None):
    msg = {"execute": command}
    if arguments:
        msg["arguments"] = arguments
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:  # skip asynchronous events
        line = f.readline()
        if not line:
            sys.exit("%s: QMP closed the connection" % command)
        reply = json.loads(line)
        if "return" in reply:
            return reply["return"]
        if "error" in reply:
            sys.exit("%s: %s" % (command, reply["error"].get("desc")))


f.readline()  # the greeting
call("qmp_capabilities")
for hmp in sys.argv[2:]:
    out = call("human-monitor-command", {"command-line": hmp}).strip()
    if out not in ("", "OK"):
        sys.exit("%s: %s" % (hmp, out))
    print("%s: done" % hmp.split()[0])
PY
}

# Runs beside QEMU on a boot with --attach-ebs-on-request or
# --detach-ebs-on-request: when the guest leaves state/attach-ebs (or
# state/detach-ebs) on the payload, attach (detach) the disk and answer with
# state/attach-ebs.status (detach-ebs.status): 0, or QEMU's complaint in the
# .log beside it. Ends with QEMU (the boot's own timeout bounds it).
attach_watcher() {
        local n=$1

        while kill -0 "$qemu_pid" 2>/dev/null; do
                if [ -f "$payload/state/attach-ebs" ]; then
                        rm -f "$payload/state/attach-ebs"
                        qmp_attach_ebs "$n" >"$payload/state/attach-ebs.log" 2>&1
                        echo $? >"$payload/state/attach-ebs.status"
                        log "boot $n: EBS disk attached on the guest's request (status $(cat "$payload/state/attach-ebs.status"))"
                fi
                if [ -f "$payload/state/detach-ebs" ]; then
                        rm -f "$payload/state/detach-ebs"
                        qmp_command "$n" "device_del ebs-nvme" >"$payload/state/detach-ebs.log" 2>&1
                        echo $? >"$payload/state/detach-ebs.status"
                        log "boot $n: EBS disk detached on the guest's request (status $(cat "$payload/state/detach-ebs.status"))"
                fi
                sleep 1
        done
}

# A NoCloud seed as cloud-init finds it on a disk: vfat labelled CIDATA
# with user-data and meta-data (built with mtools; no loop device).
#
# make_seed [N]: with N, the seed of a new instance launched from an image of
# the previous one, as the guest asks with state/new-instance: the same
# user-data with the instance id iid-...-N.
make_seed() {
        local meta="${scenario%.sh}.meta-data" iid="iid-docker-relocate-$name${1:+-$1}"

        if [ -f "$meta" ]; then
                sed "s/^instance-id:.*/instance-id: $iid/" "$meta" >"$work/meta-data"
        else
                printf 'instance-id: %s\nlocal-hostname: docker-relocate-vm\n' "$iid" >"$work/meta-data"
        fi
        cp "$user_data" "$work/user-data"
        rm -f "$work/seed.img"
        mkfs.vfat -n CIDATA -C "$work/seed.img" 2048 >/dev/null &&
                mcopy -i "$work/seed.img" "$work/user-data" "$work/meta-data" ::
}

# The package of this source tree, for --deb auto: built once per source
# state (a hash of the files a package build takes) into the build
# directory, so that every scenario of a run, and the next run of an
# unchanged tree, installs the same .deb. The package's own unit suite is
# skipped (nocheck): the unit suite runs on its own.
package_of_tree() {
        local builddir=$1 hash dir
        hash=$(cd "$srcdir" && { git ls-files -z -c -o --exclude-standard 2>/dev/null ||
                find . -path ./build\* -prune -o -type f -print0; } |
                xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f" && cat "$f"; done' sh |
                sha256sum | cut -c1-16)
        dir="$builddir/deb-$hash"
        (
                flock -w 1800 9 || exit 1
                if [ ! -f "$dir/done" ]; then
                        rm -rf "$builddir"/deb-*
                        DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" DEB_BUILD_PROFILES="nocheck ${DEB_BUILD_PROFILES:-}" \
                                "$srcdir/tools/build-deb.sh" "$dir" \
                                >"$builddir/deb-build.out" 2>&1 || exit 1
                        touch "$dir/done"
                fi
        ) 9>"$builddir/.deb.lock" || { cat "$builddir/deb-build.out" >&2; return 1; }
        ls "$dir"/docker-relocate_*.deb
}

# Number the phase's TAP lines into the run's sequence; anything else the
# scenario printed becomes a comment.
emit_results() {
        local file=$1 line

        [ -f "$file" ] || return 0
        while IFS= read -r line; do
                case $line in
                "ok "* | "ok" | "not ok"*)
                        tests=$((tests + 1))
                        case $line in "not ok"*)
                                case $line in *"# TODO"*) ;; *) failed=$((failed + 1)) ;; esac
                                ;;
                        esac
                        line=$(sed -E "s/^(not )?ok( [0-9]+)?/\1ok $tests/" <<<"$line")
                        echo "$line"
                        ;;
                "Bail out!"*)
                        tests=$((tests + 1))
                        failed=$((failed + 1))
                        echo "not ok $tests - ${line#Bail out! }"
                        ;;
                "1.."*) ;;
                "#"*) echo "$line" ;;
                *) echo "# $line" ;;
                esac
        done <"$file"
}

fail_boot() {
        local n=$1 what=$2
        tests=$((tests + 1))
        failed=$((failed + 1))
        local console="$work/console-$n.log"
        echo "not ok $tests - boot $n: $what"
        # What the scenario printed last and what still ran (the guest's
        # watchdog, scenario-lib.sh) first: a summary that shows a few lines
        # of a failure shows where it hung.
        log "the scenario's last output: $(sed 's/\r$//' "$console" 2>/dev/null |
                grep -v '^watchdog:' | grep -E '^(ok|not ok|#|vm-test-runner)' | tail -n 1)"
        sed -n 's/\r$//; s/^watchdog: /#   /p' "$console" 2>/dev/null | head -n 80
        log "last lines of the serial console:"
        sed 's/\r$//' "$console" 2>/dev/null | grep -v '^watchdog:' | tail -n 25 | sed 's/^/#   /'
        tail -n 5 "$work/qemu-$n.log" 2>/dev/null | sed 's/^/#   qemu: /'
}

keep_logs() {
        local dir=${DOCKER_RELOCATE_VM_LOGS:-}
        [ -n "$dir" ] || return 0
        dir="$dir/$name"
        rm -rf "$dir"
        mkdir -p "$dir"
        cp "$work"/console-*.log "$dir"/ 2>/dev/null
        cp -r "$payload/results" "$payload/state" "$dir"/ 2>/dev/null
}

# A new root overlay over the image, a new empty EBS disk.
fresh_disks() {
        rm -f "$work/root.qcow2" "$work/ebs.img"
        qemu-img create -q -f qcow2 -F raw -b "$base" "$work/root.qcow2" ||
                die "cannot create the root overlay"
        truncate -s "$ebs_size" "$work/ebs.img"
}

# A first boot that never reached the scenario (no "phase 1 starts" on the
# console) is booted once more, from fresh disks: it hung in the emulated
# machine's own start, before anything under test ran, which a CI run saw
# once in some hundred boots under emulation. Not where something under
# test runs before the scenario (a cloud-init seed, a package installed
# early in boot), nor twice: those stay failures. Prints what the lost boot
# showed.
#
# A later boot is booted once more only when its kernel died in its own
# start: a call trace through kernel_init_freeable (the initcalls, before
# the kernel runs the initramfs) and nothing of the scenario. No userspace
# ran, so no disk was mounted and the same disks boot again; a CI run saw
# the emulated kernel oops in an initcall once in some thousand boots.
# Anything later (systemd, the tool's own units at boot) stays a failure.
rebooted_lost=0
kernel_died_starting() {
        local console=$1

        grep -q "kernel_init_freeable" "$console" 2>/dev/null || return 1
        grep -Eq "Call Trace|Kernel panic|BUG:|Oops" "$console" 2>/dev/null || return 1
        ! grep -q "vm-test-runner:" "$console" 2>/dev/null
}

boot_lost() {
        local n=$1 rc=$2 console="$work/console-$1.log"

        [ $rebooted_lost = 0 ] || return 1
        [ "$rc" = 124 ] || [ "$rc" = 137 ] || [ ! -f "$payload/state/phase-$n.done" ] || return 1
        grep -q "vm-test-runner: phase $n starts" "$console" 2>/dev/null && return 1
        if [ "$n" = 1 ] && [ -z "$user_data" ] && [ -z "$deb" ]; then
                log "boot 1 never reached the scenario (qemu status $rc); booting once more from fresh disks." \
                        "What the lost boot's console ended with:"
        elif kernel_died_starting "$console"; then
                # A first boot starts from fresh disks all the same (below):
                # nothing was written to them.
                log "boot $n: the kernel died in its own start, before any disk was mounted" \
                        "(qemu status $rc); booting it once more $([ "$n" = 1 ] && echo "from fresh disks" ||
                                echo "with the same disks")." "What the lost boot's console ended with:"
        else
                return 1
        fi
        sed 's/\r$//' "$console" 2>/dev/null | tail -n 15 | sed 's/^/#   /; $a\'
        mv "$console" "$work/console-$n-lost.log"
        if [ "$n" = 1 ]; then
                rm -rf "$payload/results" "$payload/state"
                mkdir -p "$payload/results" "$payload/state"
                fresh_disks
        else
                rm -f "$payload/results/phase-$n.log"
        fi
        return 0
}

# Everything runs from here, so that the whole file is read before any of it
# runs (editing the script during a run cannot break that run).
main() {
        parse_options "$@"
        [ -n "$scenario" ] || die "usage: run-scenario.sh [--gp3] [--ebs-latency MS] [--no-ebs-on-boot N] [--ebs-size SIZE] [--boot-timeout SEC] SCENARIO"
        if [ ! -f "$scenario" ]; then
                name=${scenario%.sh}
                scenario="$here/scenarios/$name.sh"
                [ -f "$scenario" ] || die "no scenario $name"
        fi
        name=$(basename "$scenario" .sh)

        # Again from the defaults: the scenario's own options first, so those
        # on the command line add to them or override them.
        file_options=$(sed -n 's/^# vm-options:\(.*\)$/\1/p' "$scenario")
        cli_scenario=$scenario
        defaults
        # shellcheck disable=SC2086
        parse_options $file_options "$@"
        scenario=$cli_scenario

        [ "$(id -u)" = 0 ] || skip_all_missing "VM scenarios need root"

        # Before the image, which may take minutes to build (--image-only
        # boots nothing: no binary needed).
        binary=${DOCKER_RELOCATE:-$srcdir/build/docker-relocate}
        [ $image_only = 1 ] || [ -x "$binary" ] || die "no binary to test at $binary (set DOCKER_RELOCATE)"

        start_all=$SECONDS
        # An image derived from another has a script of its own
        # (build-image-openrc.sh).
        if [ -x "$here/build-image-$image_name.sh" ]; then
                image=$("$here/build-image-$image_name.sh" | tail -n 1)
        else
                image=$("$here/build-image.sh" "$image_name" | tail -n 1)
        fi
        rc=$?
        if [ $image_only = 1 ]; then
                [ $rc = 0 ] && [ -f "$image/complete" ] || die "the $image_name image cannot be built (status $rc)"
                echo "$image"
                return 0
        fi
        if [ $rc != 0 ] || [ ! -f "$image/complete" ]; then
                skip_all_missing "the VM image cannot be built here (status $rc)"
        fi
        log "$image_name image $image ready after $((SECONDS - start_all)) s"

        qemu=$(command -v qemu-system-x86_64) || skip_all_missing "no qemu-system-x86_64"

        work=$(mktemp -d "${TMPDIR:-/var/tmp}/docker-relocate-vm.XXXXXX")
        payload="$work/payload"
        mkdir -p "$payload/bin" "$payload/state" "$payload/results"
        if [ -n "$deb" ]; then
                if [ "$deb" = auto ]; then
                        deb=${DOCKER_RELOCATE_DEB:-}
                        if [ -z "$deb" ]; then
                                start=$SECONDS
                                deb=$(package_of_tree "${DOCKER_RELOCATE_BUILDDIR:-$(dirname "$binary")}") ||
                                        die "cannot build the package of this tree"
                                log "package $(basename "$deb") ready after $((SECONDS - start)) s"
                        fi
                fi
                [ -f "$deb" ] || die "no package $deb"
                # The package and nothing else: the guest has no bare binary.
                mkdir -p "$payload/deb"
                cp "$deb" "$payload/deb/"
        elif [ $meson_install = 1 ]; then
                # What a package of this build holds, staged like one; the
                # guest has no bare binary until the scenario unpacks it.
                builddir=${DOCKER_RELOCATE_BUILDDIR:-$(dirname "$binary")}
                meson install -C "$builddir" --destdir "$payload/destdir" --no-rebuild >"$work/install.log" 2>&1 ||
                        { cat "$work/install.log" >&2; die "meson install --destdir failed in $builddir"; }
        else
                cp "$binary" "$payload/bin/docker-relocate"
        fi
        if [ $containerd_store = 1 ]; then
                mkdir -p "$payload/first-boot/etc/docker"
                printf '{\n  "features": {\n    "containerd-snapshotter": true\n  }\n}\n' \
                        >"$payload/first-boot/etc/docker/daemon.json"
        fi
        cp "$scenario" "$payload/scenario.sh"
        cp "$here/scenario-lib.sh" "$payload/scenario-lib.sh"
        cp "$srcdir/tests/lib/tap.sh" "$payload/tap.sh"
        # Files a scenario may need besides the binary (the Ansible module,
        # cloud-init examples), as $VM_PAYLOAD/contrib.
        [ -d "$srcdir/contrib" ] && cp -r "$srcdir/contrib" "$payload/contrib"
        # Files a scenario asked for with --payload (a benchmark's tools),
        # as $VM_PAYLOAD/files/NAME.
        builddir=${DOCKER_RELOCATE_BUILDDIR:-$(dirname "$binary")}
        for f in "${payload_files[@]}"; do
                case $f in
                /*) ;;
                *) if [ -e "$srcdir/$f" ]; then f=$srcdir/$f; else f=$builddir/$f; fi ;;
                esac
                [ -f "$f" ] || die "--payload: no file $f"
                mkdir -p "$payload/files"
                cp "$f" "$payload/files/" || die "--payload: cannot copy $f"
        done

        [ -z "$user_data" ] && [ -f "${scenario%.sh}.user-data" ] && user_data="${scenario%.sh}.user-data"
        if [ -n "$user_data" ]; then
                make_seed || die "cannot build the cloud-init seed"
        fi

        # A hard link keeps the base alive should a newer build prune this image
        # between two boots (when the cache is on the same filesystem).
        base="$image/root.img"
        ln "$base" "$work/base.img" 2>/dev/null && base="$work/base.img"
        fresh_disks


        if [ -n "$ebs_latency" ]; then
                command -v nbdkit >/dev/null || die "--ebs-latency needs nbdkit on the host (apt-get install nbdkit)"
                ebs_sock=$work/ebs.sock
                ebs_drive="driver=nbd,server.type=unix,server.path=$ebs_sock,if=none,id=ebs,cache=unsafe"
        else
                ebs_drive="file=$work/ebs.img,if=none,id=ebs,format=raw,cache=unsafe"
        fi
        [ $gp3 = 1 ] && ebs_drive+=",throttling.iops-total=3000,throttling.bps-total=131072000"

        log "scenario $name: EBS disk $ebs_size$([ $gp3 = 1 ] && echo ", gp3 throttling")$([ -n "$ebs_latency" ] && echo ", ${ebs_latency} ms per request (nbdkit)")$([ "$no_ebs_boots" != " " ] && echo ", absent on boot(s)$no_ebs_boots")$([ "$attach_boots" != " " ] && echo ", attached on request on boot(s)$attach_boots")"
        n=1
        while :; do
                rm -f "$payload/state/next-phase"
                if [ -f "$payload/state/new-instance" ]; then
                        rm -f "$payload/state/new-instance"
                        [ -n "$user_data" ] || die "the scenario asked for a new instance but has no cloud-init seed"
                        make_seed "$n" || die "cannot build the cloud-init seed of the new instance"
                        log "boot $n: a new instance (instance-id iid-docker-relocate-$name-$n)"
                fi
                if [ -f "$payload/state/grow-ebs" ]; then
                        grow=$(cat "$payload/state/grow-ebs")
                        rm -f "$payload/state/grow-ebs"
                        [[ $grow =~ ^[0-9]+[KMG]$ ]] || die "the scenario asked to grow the EBS disk by '$grow'"
                        truncate -s "+$grow" "$work/ebs.img" || die "cannot grow the EBS disk"
                        log "boot $n: EBS disk grown by $grow to $(stat -c %s "$work/ebs.img") bytes"
                fi
                boot_start=$SECONDS
                boot "$n"
                rc=$?
                log "boot $n: $((SECONDS - boot_start)) s (qemu status $rc)"
                if boot_lost "$n" "$rc"; then
                        rebooted_lost=1
                        continue
                fi
                emit_results "$payload/results/phase-$n.log"

                if [ $rc = 124 ] || [ $rc = 137 ]; then
                        fail_boot "$n" "timed out after $boot_timeout s"
                        break
                elif [ ! -f "$payload/state/phase-$n.done" ]; then
                        fail_boot "$n" "the scenario did not finish (qemu status $rc)"
                        break
                fi
                status=$(cat "$payload/state/phase-$n.done")
                if [ "$status" != 0 ]; then
                        tests=$((tests + 1))
                        failed=$((failed + 1))
                        echo "not ok $tests - phase $n exited with status $status"
                fi

                [ -f "$payload/state/next-phase" ] || break
                if [ "$n" -ge "$max_boots" ]; then
                        fail_boot "$n" "asked for another phase after $max_boots boots"
                        break
                fi
                n=$((n + 1))
        done

        if [ -n "$lose_boot" ] && [ "$n" -ge "$lose_boot" ]; then
                tests=$((tests + 1))
                if [ $rebooted_lost = 1 ] && [ -f "$work/console-$lose_boot-lost.log" ] &&
                        kernel_died_starting "$work/console-$lose_boot-lost.log"; then
                        echo "ok $tests - boot $lose_boot died in the kernel's initcalls and was booted once more"
                else
                        failed=$((failed + 1))
                        echo "not ok $tests - boot $lose_boot was not lost and booted once more as asked"
                fi
        fi
        if [ $tests = 0 ]; then
                tests=1
                failed=1
                echo "not ok 1 - scenario $name reported no results"
        fi
        echo "1..$tests"
        log "scenario $name: $((SECONDS - start_all)) s in all, $n boot(s), $failed of $tests failed"
        keep_logs

        [ $failed = 0 ]
}

main "$@"
exit $?
