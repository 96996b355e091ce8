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
#   --no-ebs-on-boot N    boot N (= phase N) without the EBS disk; repeatable
#   --ebs-size SIZE       size of the sparse EBS disk (default 8G)
#   --boot-timeout SEC    limit for one boot, from QEMU start to poweroff
#                         (default 420)
#   --max-boots N         give up after N boots (default 6)
#   --user-data FILE      attach a cloud-init NoCloud seed (a vfat disk
#                         labelled CIDATA) with this user-data on every boot;
#                         SCENARIO.user-data next to the scenario is used
#                         by default, SCENARIO.meta-data too if present
#
# Each boot is a fresh QEMU process; the guest always powers off (QEMU runs
# with -no-reboot, so a reboot in the guest also ends it) and the host boots
# it again while the scenario has asked for another phase. Disks persist
# between boots: the root disk is a qcow2 overlay over the cached image, made
# new for every scenario run.
#
# Environment:
#   DOCKER_RELOCATE            the binary under test (default: build/docker-relocate)
#   DOCKER_RELOCATE_VM_CACHE   image cache (see build-image.sh)
#   DOCKER_RELOCATE_VM_LOGS    keep console logs and results here (SCENARIO/…)
#   DOCKER_RELOCATE_VM_APPEND  more kernel arguments, e.g. systemd.show_status=1
#   DOCKER_RELOCATE_VM_SKIP_STATUS  exit status when the VM cannot run here (77)
#   DOCKER_RELOCATE_VM_REQUIRED=1   a failed image build is a failure, not a skip
#
# Exit status: 0 all passed, 1 a test failed, 77 (see above) cannot run here:
# not root, no QEMU, or the image cannot be built.

set -uo pipefail
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
skip_status=${DOCKER_RELOCATE_VM_SKIP_STATUS:-77}

ebs_serial=vol0123456789abcdef0

defaults() {
        ebs_size=8G
        boot_timeout=420
        max_boots=6
        gp3=0
        no_ebs_boots=" "
        user_data=
        scenario=
}
defaults
tests=0
failed=0

work=
qemu_pid=

log() {
        echo "# $*"
}

skip_all() {
        echo "1..0 # SKIP $*"
        exit "$skip_status"
}

die() {
        echo "run-scenario: $*" >&2
        exit 2
}

cleanup() {
        if [ -n "$qemu_pid" ]; then
                kill "$qemu_pid" 2>/dev/null
                wait "$qemu_pid" 2>/dev/null
        fi
        [ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

parse_options() {
        while [ $# -gt 0 ]; do
                case $1 in
                --gp3) gp3=1 ;;
                --no-ebs-on-boot)
                        [[ ${2:-} =~ ^[0-9]+$ ]] || die "--no-ebs-on-boot needs a boot number"
                        no_ebs_boots+="$2 "
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
                        [ -f "${2:-}" ] || die "--user-data needs a file"
                        user_data=$2
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
        local n=$1 ebs=1 args rc cmdline

        cmdline="root=/dev/vda rw console=ttyS0 quiet panic=1 mitigations=off"
        # Without a seed, cloud-init's generator would still enable it (a
        # datasource list of one is taken as found) and its stages cost
        # more than a minute of each boot under emulation.
        [ -f "$work/seed.img" ] || cmdline+=" cloud-init=disabled"

        case $no_ebs_boots in *" $n "*) ebs=0 ;; esac
        printf 'VM_EBS=%s\nVM_GP3=%s\nVM_BOOT=%s\n' "$ebs" "$gp3" "$n" >"$payload/state/boot.env"
        echo "$n" >"$payload/state/phase"

        args=(-name "docker-relocate-$name" -accel tcg,thread=multi -cpu max -m 2048 -smp 2
                -nographic -no-reboot -monitor none -serial "file:$work/console-$n.log" -nic none
                -kernel "$image/vmlinuz" -initrd "$image/initrd.img"
                -append "$cmdline ${DOCKER_RELOCATE_VM_APPEND:-}"
                -drive "file=$work/root.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap"
                -fsdev "local,id=payload,path=$payload,security_model=none"
                -device virtio-9p-pci,fsdev=payload,mount_tag=payload)
        if [ $ebs = 1 ]; then
                args+=(-drive "$ebs_drive" -device "nvme,serial=$ebs_serial,drive=ebs")
        fi
        if [ -f "$work/seed.img" ]; then
                args+=(-drive "file=$work/seed.img,if=virtio,format=raw,readonly=on")
        fi

        timeout --kill-after=20 "$boot_timeout" "$qemu" "${args[@]}" </dev/null >"$work/qemu-$n.log" 2>&1 &
        qemu_pid=$!
        wait "$qemu_pid"
        rc=$?
        qemu_pid=
        return $rc
}

# A NoCloud seed as cloud-init finds it on a disk: vfat labelled CIDATA
# with user-data and meta-data (built with mtools; no loop device).
make_seed() {
        local meta="${scenario%.sh}.meta-data"

        if [ -f "$meta" ]; then
                cp "$meta" "$work/meta-data"
        else
                printf 'instance-id: iid-docker-relocate-%s\nlocal-hostname: docker-relocate-vm\n' \
                        "$name" >"$work/meta-data"
        fi
        cp "$user_data" "$work/user-data"
        mkfs.vfat -n CIDATA -C "$work/seed.img" 2048 >/dev/null &&
                mcopy -i "$work/seed.img" "$work/user-data" "$work/meta-data" ::
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
        echo "not ok $tests - boot $n: $what"
        log "last lines of the serial console:"
        tail -n 40 "$work/console-$n.log" 2>/dev/null | sed 's/\r$//; s/^/#   /'
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

# Everything runs from here, so that the whole file is read before any of it
# runs (editing the script during a run cannot break that run).
main() {
        parse_options "$@"
        [ -n "$scenario" ] || die "usage: run-scenario.sh [--gp3] [--no-ebs-on-boot N] [--ebs-size SIZE] [--boot-timeout SEC] SCENARIO"
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

        [ "$(id -u)" = 0 ] || skip_all "VM scenarios need root"

        binary=${DOCKER_RELOCATE:-$srcdir/build/docker-relocate}
        [ -x "$binary" ] || die "no binary to test at $binary (set DOCKER_RELOCATE)"

        start_all=$SECONDS
        image=$("$here/build-image.sh" | tail -n 1)
        rc=$?
        if [ $rc != 0 ] || [ ! -f "$image/complete" ]; then
                # CI sets DOCKER_RELOCATE_VM_REQUIRED=1: there a broken image build
                # must fail, not hide as a skip.
                if [ "${DOCKER_RELOCATE_VM_REQUIRED:-0}" = 1 ] && [ $rc != 77 ]; then
                        echo "not ok 1 - build the VM image (status $rc)"
                        echo "1..1"
                        exit 1
                fi
                skip_all "the VM image cannot be built here (status $rc)"
        fi
        log "image $image ready after $((SECONDS - start_all)) s"

        qemu=$(command -v qemu-system-x86_64) || skip_all "no qemu-system-x86_64"

        work=$(mktemp -d "${TMPDIR:-/var/tmp}/docker-relocate-vm.XXXXXX")
        payload="$work/payload"
        mkdir -p "$payload/bin" "$payload/state" "$payload/results"
        cp "$binary" "$payload/bin/docker-relocate"
        cp "$scenario" "$payload/scenario.sh"
        cp "$here/scenario-lib.sh" "$payload/scenario-lib.sh"
        # Files a scenario may need besides the binary (the Ansible module,
        # cloud-init examples), as $VM_PAYLOAD/contrib.
        [ -d "$srcdir/contrib" ] && cp -r "$srcdir/contrib" "$payload/contrib"

        [ -z "$user_data" ] && [ -f "${scenario%.sh}.user-data" ] && user_data="${scenario%.sh}.user-data"
        if [ -n "$user_data" ]; then
                make_seed || die "cannot build the cloud-init seed"
        fi

        # A hard link keeps the base alive should a newer build prune this image
        # between two boots (when the cache is on the same filesystem).
        base="$image/root.img"
        ln "$base" "$work/base.img" 2>/dev/null && base="$work/base.img"
        qemu-img create -q -f qcow2 -F raw -b "$base" "$work/root.qcow2" ||
                die "cannot create the root overlay"
        truncate -s "$ebs_size" "$work/ebs.img"

        ebs_drive="file=$work/ebs.img,if=none,id=ebs,format=raw,cache=unsafe"
        [ $gp3 = 1 ] && ebs_drive+=",throttling.iops-total=3000,throttling.bps-total=131072000"

        log "scenario $name: EBS disk $ebs_size$([ $gp3 = 1 ] && echo ", gp3 throttling")$([ "$no_ebs_boots" != " " ] && echo ", absent on boot(s)$no_ebs_boots")"
        n=1
        while :; do
                rm -f "$payload/state/next-phase"
                boot_start=$SECONDS
                boot "$n"
                rc=$?
                log "boot $n: $((SECONDS - boot_start)) s (qemu status $rc)"
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
