#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (or find in the cache) the SELinux image: the bookworm image of
# build-image.sh with Debian's SELinux policy and tools, booted with SELinux
# enabled and permissive.
#
#   build-image-selinux.sh
#
# Derived from the bookworm image rather than bootstrapped again, which
# takes a fraction of the time: a sparse copy of its root.img, mounted
# (a loop device), the packages of image-packages-selinux.txt installed
# with apt in a chroot, /etc/selinux/config set to permissive with the
# default policy. The kernel and initrd are the bookworm image's; the file
# "cmdline" beside them holds the kernel arguments that enable SELinux,
# which run-scenario.sh adds to every boot of the image.
#
# The filesystem is not relabelled (that is a boot of its own, minutes under
# emulation): permissive, unlabelled files only log denials, and what the
# scenarios check are the labels the tool sets and the policy's answers
# (matchpathcon), not the labels the image came with.
#
# Cached in ${DOCKER_RELOCATE_VM_CACHE:-/var/cache/docker-relocate-vm}/selinux/image-HASH,
# where HASH covers this script, its package list and the bookworm image it
# is made from (whose name is the hash of its recipe). Output and exit
# status as build-image.sh's.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${DOCKER_RELOCATE_VM_CACHE:-/var/cache/docker-relocate-vm}/selinux

log() {
        echo "build-image-selinux: $*" >&2
}

if [ "$(id -u)" != 0 ]; then
        log "needs root; skipping"
        exit 77
fi
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

image_packages() {
        grep -v -e '^#' -e '^[[:space:]]*$' "$here/image-packages-selinux.txt" | paste -sd' ' -
}

recipe_hash() {
        (
                cd "$here" && cat build-image-selinux.sh image-packages-selinux.txt
                basename "$base"
        ) | sha256sum | cut -c1-16
}

build() {
        local dir=$1 root start

        root="$dir/rootfs"
        mkdir -p "$root" "$cache/debs"
        start=$SECONDS
        cp --sparse=always "$base/root.img" "$dir/root.img"
        cp "$base/vmlinuz" "$base/initrd.img" "$dir/"
        mount -o loop "$dir/root.img" "$root"
        log "copying the bookworm image took $((SECONDS - start)) s"

        start=$SECONDS
        # Services must not start inside the chroot on the build host.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 0755 "$root/usr/sbin/policy-rc.d"
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --bind /dev "$root/dev"
        cp -l "$cache"/debs/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
        if ! DEBIAN_FRONTEND=noninteractive timeout 1800 chroot "$root" sh -c \
                "apt-get update && apt-get install -y --no-install-recommends $(image_packages)" \
                >"$dir/apt.log" 2>&1; then
                tail -n 30 "$dir/apt.log" >&2
                cp "$dir/apt.log" "$cache/last-failed-build.log"
                log "apt-get install in the image failed (log in $cache/last-failed-build.log)"
                return 1
        fi
        cp -l -n "$root"/var/cache/apt/archives/*.deb "$cache/debs/" 2>/dev/null || true
        log "apt-get install took $((SECONDS - start)) s"

        printf 'SELINUX=permissive\nSELINUXTYPE=default\n' >"$root/etc/selinux/config"
        # selinux-activate would relabel on the next boot; not wanted (above).
        rm -f "$root/.autorelabel"
        echo "security=selinux selinux=1" >"$dir/cmdline"

        rm -f "$root/usr/sbin/policy-rc.d" "$root"/var/cache/apt/archives/*.deb
        rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
        umount "$root/dev" "$root/sys" "$root/proc" "$root"
        rmdir "$root"
}

. "$here/image-cache.sh"

main() {
        base=$("$here/build-image.sh" bookworm | tail -n 1)
        [ -f "$base/complete" ] || return 1
        # The two newest: one per bookworm image a checkout uses.
        image_cache_get "$cache" "$(recipe_hash)" 2 SELinux build
}

main "$@"
exit $?
