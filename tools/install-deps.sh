#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what building docker-relocate and running its tests needs, from
# Debian's archive. Safe to run again.
set -eu

BUILD="meson ninja-build pkg-config gcc libc6-dev scdoc
       libmount-dev libblkid-dev libfdisk-dev libcjson-dev libsystemd-dev libcurl4-openssl-dev"
# The tests drive the real programs: rsync copies, a real dockerd, mkfs,
# loop devices, and python3 for the golden runs.
TEST="python3 rsync diffutils util-linux fdisk e2fsprogs xfsprogs acl attr
      docker.io busybox-static kmod procps"
# The VM suite (real systemd) boots a debootstrapped image under QEMU.
VM="debootstrap qemu-system-x86 qemu-utils"

if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: run as root (apt-get install)." >&2
        exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# docker.io's maintainer scripts would start dockerd on the host; tests start
# their own, privately. policy-rc.d tells invoke-rc.d to leave services alone.
if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi

log=$(mktemp)
# shellcheck disable=SC2086
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $BUILD $TEST ${WITH_VM:+$VM}; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "install-deps: apt-get failed." >&2
        exit 1
fi
rm -f "$log"
