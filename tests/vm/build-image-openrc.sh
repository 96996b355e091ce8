#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (or find in the cache) the OpenRC image: the bookworm image of
# build-image.sh, booted with sysvinit and OpenRC instead of systemd.
#
#   build-image-openrc.sh
#
# It is derived from the bookworm image rather than bootstrapped again: the
# bookworm image's files are unpacked (debugfs, no loop device),
# sysvinit-core and openrc installed in place of systemd-sysv with apt in a
# chroot (image-packages-openrc.txt), dockerd and the test runner set up as
# openrc-run services (guest-openrc/), and the tree written out with
# mkfs.ext4 -d. The kernel and initrd are the bookworm image's. systemd
# stays installed but never runs.
#
# Cached in ${DOCKER_RELOCATE_VM_CACHE:-/var/cache/docker-relocate-vm}/openrc/image-HASH,
# where HASH covers this script, its package list, guest-openrc/ and the
# bookworm image it is made from (whose name is the hash of its recipe).
# Output and exit status as build-image.sh's.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${DOCKER_RELOCATE_VM_CACHE:-/var/cache/docker-relocate-vm}/openrc
image_size=6G

log() {
        echo "build-image-openrc: $*" >&2
}

if [ "$(id -u)" != 0 ]; then
        log "needs root; skipping"
        exit 77
fi
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

image_packages() {
        grep -v -e '^#' -e '^[[:space:]]*$' "$here/image-packages-openrc.txt" | paste -sd' ' -
}

recipe_hash() {
        (
                cd "$here" &&
                        cat build-image-openrc.sh image-packages-openrc.txt $(find guest-openrc -type f | LC_ALL=C sort)
                basename "$base"
        ) | sha256sum | cut -c1-16
}

# The files of an ext4 image, unpacked into DIR without a loop device.
# debugfs's rdump drops the set-user-id, set-group-id and sticky bits (sudo,
# /tmp) and makes no device nodes: the bits are read back from the image's
# directory listings and set again, and /dev gets the nodes debootstrap
# made there.
unpack_image() {
        local img=$1 dir=$2

        mkdir -p "$dir"
        debugfs -R "rdump / $dir" "$img" >/dev/null 2>"$dir.debugfs.log" || {
                cat "$dir.debugfs.log" >&2
                return 1
        }
        (cd "$dir" && find . -xdev -type d | sed 's|^\.||; s|^$|/|; s|^|ls -p "|; s|$|"|') >"$dir.ls"
        debugfs -f "$dir.ls" "$img" 2>/dev/null | python3 -c '
import os, sys
root, d = sys.argv[1], "/"
for line in sys.stdin:
    if line.startswith("debugfs: ls -p "):
        d = line[len("debugfs: ls -p "):].rstrip("\n").strip("\"").rstrip("/") + "/"
    elif line.startswith("/"):
        f = line.split("/")
        mode = int(f[2], 8)
        if mode & 0o7000 and f[5] not in (".", ".."):
            os.chmod(root + d + f[5], mode & 0o7777)
' "$dir" || return 1
        rm -f "$dir.ls" "$dir.debugfs.log"

        mknod -m 0666 "$dir/dev/null" c 1 3 &&
                mknod -m 0666 "$dir/dev/zero" c 1 5 &&
                mknod -m 0666 "$dir/dev/full" c 1 7 &&
                mknod -m 0666 "$dir/dev/random" c 1 8 &&
                mknod -m 0666 "$dir/dev/urandom" c 1 9 &&
                mknod -m 0666 "$dir/dev/tty" c 5 0 &&
                mknod -m 0600 "$dir/dev/console" c 5 1 &&
                mknod -m 0666 "$dir/dev/ptmx" c 5 2
}

build() {
        local dir=$1 mirror root start svc

        mirror=$(DOCKER_RELOCATE_MIRROR=${DOCKER_RELOCATE_VM_MIRROR:-} "$here/../../tools/debian-mirror.sh")
        root="$dir/rootfs"
        mkdir -p "$cache/debs"

        start=$SECONDS
        unpack_image "$base/root.img" "$root" || return 1
        log "unpacking the bookworm image took $((SECONDS - start)) s"

        start=$SECONDS
        # Services must not start inside the chroot on the build host.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 0755 "$root/usr/sbin/policy-rc.d"
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        cp -l "$cache"/debs/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
        # sysvinit-core replaces systemd-sysv, whose removal apt wants
        # confirmed.
        if ! DEBIAN_FRONTEND=noninteractive timeout 1800 chroot "$root" sh -c \
                "apt-get update &&
                 apt-get install -y --no-install-recommends --allow-remove-essential $(image_packages)" \
                >"$dir/apt.log" 2>&1; then
                tail -n 30 "$dir/apt.log" >&2
                cp "$dir/apt.log" "$cache/last-failed-build.log"
                log "apt-get install in the image failed (log in $cache/last-failed-build.log)"
                return 1
        fi
        cp -l -n "$root"/var/cache/apt/archives/*.deb "$cache/debs/" 2>/dev/null || true
        rm -f "$root/usr/sbin/policy-rc.d" "$root"/var/cache/apt/archives/*.deb
        log "apt-get install took $((SECONDS - start)) s"

        # dockerd started by an openrc-run script with its options in
        # /etc/conf.d/docker, in place of the package's LSB script; the
        # runner's two services in place of its systemd units.
        install -m 0755 "$here/guest-openrc/docker.initd" "$root/etc/init.d/docker"
        install -D -m 0644 "$here/guest-openrc/docker.confd" "$root/etc/conf.d/docker"
        rm -f "$root/etc/default/docker"
        install -m 0755 "$here/guest-openrc/vm-payload.initd" "$root/etc/init.d/vm-payload"
        install -m 0755 "$here/guest-openrc/vm-test-runner.initd" "$root/etc/init.d/vm-test-runner"
        # cloud-init's LSB scripts would run its stages on every boot (the
        # generator that keeps it off without a seed is systemd's), and
        # nothing else of a server is wanted under emulation.
        for svc in cloud-init-local cloud-init cloud-config cloud-final rsync sudo; do
                find "$root/etc/runlevels" -name "$svc" -delete
        done
        if ! chroot "$root" sh -c 'rc-update add vm-payload boot &&
                rc-update add docker default &&
                rc-update add vm-test-runner default &&
                ls -l /etc/runlevels/*' >>"$dir/apt.log" 2>&1; then
                tail -n 20 "$dir/apt.log" >&2
                return 1
        fi
        umount "$root/sys" "$root/proc"
        rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin

        cp "$base/vmlinuz" "$base/initrd.img" "$dir/"
        start=$SECONDS
        mkfs.ext4 -q -F -L vm-root -d "$root" "$dir/root.img" "$image_size" >&2
        log "mkfs.ext4 -d took $((SECONDS - start)) s"
        rm -rf --one-file-system "$root"
}

. "$here/image-cache.sh"

main() {
        base=$("$here/build-image.sh" bookworm | tail -n 1)
        [ -f "$base/complete" ] || return 1
        # The two newest: one per bookworm image a checkout uses.
        image_cache_get "$cache" "$(recipe_hash)" 2 OpenRC build
}

main "$@"
exit $?
