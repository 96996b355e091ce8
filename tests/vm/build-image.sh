#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (or find in the cache) an image the VM scenarios boot.
#
#   build-image.sh [IMAGE]
#
# IMAGE is "bookworm" (the default: Debian 12, docker.io 20.10) or "sid"
# (Debian unstable: docker.io 28 with containerd 2, for the containerd image
# store). Each has its package list beside this script: image-packages.txt
# for bookworm, image-packages-IMAGE.txt for the others. "selinux" is
# derived from the bookworm image by build-image-selinux.sh.
#
# The image is keyed by a hash of its recipe: this script, the package list
# and the files installed into the guest. A cached image whose recipe is
# unchanged is reused as it is; any change builds a new one. On success the
# image directory (root.img, vmlinuz, initrd.img) is the last line on stdout;
# progress goes to stderr.
#
# Exit status: 0 image ready, 1 build failed, 2 unknown image, 77 cannot
# build here (not root).
#
# Environment:
#   DOCKER_RELOCATE_VM_CACHE   cache directory (/var/cache/docker-relocate-vm)
#   DOCKER_RELOCATE_VM_MIRROR  Debian mirror (default: taken from apt's sources)

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_top=${DOCKER_RELOCATE_VM_CACHE:-/var/cache/docker-relocate-vm}
suite=${1:-bookworm}
image_size=6G

# bookworm keeps the cache's top level (image-HASH, debs/), where older
# checkouts of this script look for it and prune it; every other image has a
# directory of its own, out of their reach, with its own .debs.
case $suite in
bookworm)
        cache=$cache_top
        package_list=image-packages.txt
        ;;
sid)
        cache=$cache_top/$suite
        package_list=image-packages-$suite.txt
        ;;
selinux)
        exec "$here/build-image-selinux.sh"
        ;;
*)
        echo "build-image: unknown image '$suite' (bookworm, sid, selinux)" >&2
        exit 2
        ;;
esac

log() {
        echo "build-image: $*" >&2
}

if [ "$(id -u)" != 0 ]; then
        log "debootstrap needs root; skipping"
        exit 77
fi
# PATH may lack the sbin directories when run through sudo or meson.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# Host tools: one list, shared with CI (packages.txt).
install_host_packages() {
        local pkg cmd missing=()

        while read -r pkg cmd; do
                case $pkg in '' | '#'*) continue ;; esac
                command -v "$cmd" >/dev/null || missing+=("$pkg")
        done <"$here/packages.txt"
        [ ${#missing[@]} -eq 0 ] && return 0

        log "installing host packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        if ! timeout 900 apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
                timeout 300 apt-get update >&2
                timeout 900 apt-get install -y --no-install-recommends "${missing[@]}" >&2
        fi
}

image_packages() {
        grep -v -e '^#' -e '^[[:space:]]*$' "$here/$package_list" | paste -sd' ' -
}

# Suites other than the image's own that the list takes packages from, as
# "package/suite" (sid takes trixie's kernel).
extra_suites() {
        image_packages | tr ' ' '\n' | sed -n 's|^[^/]*/||p' | sort -u
}

recipe_hash() {
        (cd "$here" && cat build-image.sh "$package_list" $(find guest -type f | LC_ALL=C sort)) |
                sha256sum | cut -c1-16
}

# Everything the guest needs besides packages. Runs on the unpacked tree.
configure_rootfs() {
        local root=$1 unit

        echo docker-relocate-vm >"$root/etc/hostname"
        printf '127.0.0.1\tlocalhost\n127.0.1.1\tdocker-relocate-vm\n' >"$root/etc/hosts"
        printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t1\n' >"$root/etc/fstab"

        install -D -m 0755 "$here/guest/vm-test-runner" "$root/usr/local/libexec/vm-test-runner"
        install -D -m 0644 "$here/guest/vm-payload.service" "$root/etc/systemd/system/vm-payload.service"
        install -D -m 0644 "$here/guest/vm-test-runner.service" "$root/etc/systemd/system/vm-test-runner.service"
        mkdir -p "$root/etc/systemd/system/sysinit.target.wants" "$root/etc/systemd/system/multi-user.target.wants"
        ln -sf /etc/systemd/system/vm-payload.service \
                "$root/etc/systemd/system/sysinit.target.wants/vm-payload.service"
        ln -sf /etc/systemd/system/vm-test-runner.service \
                "$root/etc/systemd/system/multi-user.target.wants/vm-test-runner.service"

        # Nothing logs in, and under emulation every unit costs boot time:
        # mask what a test VM never needs.
        for unit in serial-getty@ttyS0.service getty@tty1.service \
                apt-daily.timer apt-daily-upgrade.timer man-db.timer \
                e2scrub_all.timer e2scrub_reap.service fstrim.timer \
                systemd-timesyncd.service; do
                ln -sf /dev/null "$root/etc/systemd/system/$unit"
        done

        # cloud-init (when in the image) looks only for a NoCloud seed, so a
        # boot without one does not wait on a metadata service that is not
        # there: ds-identify then disables it for that boot.
        # The image has no locales package: leave the locale alone rather
        # than fail every run in update-locale.
        if [ -d "$root/etc/cloud/cloud.cfg.d" ]; then
                printf 'datasource_list: [ NoCloud ]\nlocale: false\n' \
                        >"$root/etc/cloud/cloud.cfg.d/90-docker-relocate-vm.cfg"
        fi

        rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
}

build() {
        local dir=$1 mirror root kernel initrd start

        mirror=$(DOCKER_RELOCATE_MIRROR=${DOCKER_RELOCATE_VM_MIRROR:-} "$here/../../tools/debian-mirror.sh")
        root="$dir/rootfs"
        mkdir -p "$root" "$cache/debs"

        # A plain minbase first, then the packages with apt inside it:
        # debootstrap's own ordering fails to configure a set this large
        # (python3-cryptography before python3), apt's does not.
        log "debootstrap $suite from $mirror"
        start=$SECONDS
        # --cache-dir keeps the downloaded .debs, so a recipe change does not
        # download everything again.
        timeout 1800 debootstrap --variant=minbase --cache-dir="$cache/debs" \
                "$suite" "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
                tail -n 30 "$dir/debootstrap.log" >&2
                cp "$dir/debootstrap.log" "$cache/last-failed-build.log"
                log "debootstrap failed (log in $cache/last-failed-build.log)"
                return 1
        }
        log "debootstrap took $((SECONDS - start)) s"

        start=$SECONDS
        # Services must not start inside the chroot on the build host.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 0755 "$root/usr/sbin/policy-rc.d"
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        cp -l "$cache"/debs/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
        for extra in $(extra_suites); do
                echo "deb $mirror $extra main" >"$root/etc/apt/sources.list.d/$extra.list"
        done
        # sid's Release file is valid for a week only: a mirror that is a
        # snapshot of the archive serves it expired, and apt would refuse it.
        if ! DEBIAN_FRONTEND=noninteractive timeout 1800 chroot "$root" sh -c \
                "apt-get -o Acquire::Check-Valid-Until=false update &&
                 apt-get install -y --no-install-recommends $(image_packages)" \
                >"$dir/apt.log" 2>&1; then
                tail -n 30 "$dir/apt.log" >&2
                cp "$dir/apt.log" "$cache/last-failed-build.log"
                log "apt-get install in the image failed (log in $cache/last-failed-build.log)"
                return 1
        fi
        cp -l -n "$root"/var/cache/apt/archives/*.deb "$cache/debs/" 2>/dev/null || true
        umount "$root/sys" "$root/proc"
        rm -f "$root/usr/sbin/policy-rc.d" "$root"/var/cache/apt/archives/*.deb
        for extra in $(extra_suites); do
                rm -f "$root/etc/apt/sources.list.d/$extra.list"
        done
        log "apt-get install took $((SECONDS - start)) s"

        configure_rootfs "$root"

        kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n 1)
        initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -n 1)
        cp "$kernel" "$dir/vmlinuz"
        cp "$initrd" "$dir/initrd.img"

        start=$SECONDS
        mkfs.ext4 -q -F -L vm-root -d "$root" "$dir/root.img" "$image_size" >&2
        log "mkfs.ext4 -d took $((SECONDS - start)) s"
        rm -rf --one-file-system "$root"
}

. "$here/image-cache.sh"

main() {
        if ! install_host_packages; then
                log "cannot install the host tools in packages.txt"
                exit 77
        fi
        # Keep the four newest images: checkouts of several branches on one
        # machine each want their own, and a smaller cache rebuilds them in
        # turn. Each takes about 1.5 GB of the sparse 6 GB.
        image_cache_get "$cache" "$(recipe_hash)" 4 "$suite" build
}

main "$@"
exit $?
