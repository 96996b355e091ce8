#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the Debian package of this source tree:
#
#   tools/build-deb.sh [--chroot] [--lintian] [OUTDIR]
#
# "dpkg-buildpackage -us -uc -b" runs on a scratch copy of the tree (the
# files git knows, changes included; everything but build directories when
# this is not a git checkout), never in the tree itself: it writes into
# debian/ and into the parent directory. The .deb lands in OUTDIR (default
# build-deb/), its path is the last line on stdout, the build log is
# OUTDIR/build.log.
#
#   --chroot    build in a clean Debian 12 chroot (debootstrap minbase, then
#               the Build-Depends of debian/control with apt-get build-dep),
#               as a build daemon does; needs root. Without it the build
#               runs on this machine, which must have the Build-Depends
#               (apt-get build-dep ./ as root installs them).
#   --lintian   run lintian on the .deb and the .changes; an error or a
#               warning fails.
#
# Environment: DOCKER_RELOCATE_MIRROR, the Debian mirror for --chroot
# (default: the one apt uses here).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/.." && pwd)
chroot=0
lintian=0
outdir=

while [ $# -gt 0 ]; do
        case $1 in
        --chroot) chroot=1 ;;
        --lintian) lintian=1 ;;
        -*) echo "build-deb: unknown option $1" >&2; exit 2 ;;
        *) outdir=$1 ;;
        esac
        shift
done
outdir=${outdir:-$srcdir/build-deb}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
log=$outdir/build.log

work=$(mktemp -d "${TMPDIR:-/var/tmp}/docker-relocate-deb.XXXXXX")
cleanup() {
        set +e
        findmnt -rn -o TARGET | grep -F "$work/" | sort -r | while read -r m; do
                umount -l "$m"
        done
        rm -rf --one-file-system "$work"
}
trap cleanup EXIT

version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$srcdir/debian/changelog")
tree=docker-relocate-${version%-*}

# The source as a package build sees it: no build directories, no
# .git, nothing ignored.
copy_source() {
        local dest=$1
        mkdir -p "$dest"
        if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
                git -C "$srcdir" ls-files -z -c -o --exclude-standard |
                        (cd "$srcdir" && xargs -0 sh -c 'for f; do { [ -e "$f" ] || [ -L "$f" ]; } && printf "%s\0" "$f"; done' sh) |
                        tar -C "$srcdir" --null -T - -cf - | tar -C "$dest" -xf -
        else
                tar -C "$srcdir" --exclude='./build*' -cf - . | tar -C "$dest" -xf -
        fi
}

start=$SECONDS
if [ $chroot = 0 ]; then
        copy_source "$work/$tree"
        (cd "$work/$tree" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1 ||
                { tail -n 40 "$log" >&2; echo "build-deb: dpkg-buildpackage failed (log: $log)" >&2; exit 1; }
        results=$work
else
        [ "$(id -u)" = 0 ] || { echo "build-deb: --chroot needs root" >&2; exit 77; }
        mirror=${DOCKER_RELOCATE_MIRROR:-$("$here/debian-mirror.sh")}
        root=$work/chroot
        echo "build-deb: debootstrap bookworm from $mirror" >&2
        debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log" 2>&1 ||
                { tail -n 30 "$log" >&2; echo "build-deb: debootstrap failed" >&2; exit 1; }
        echo "build-deb: chroot ready after $((SECONDS - start)) s" >&2
        copy_source "$root/build/$tree"
        mount -t proc proc "$root/proc"
        # Nothing the build installs may start a service on this machine.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 0755 "$root/usr/sbin/policy-rc.d"
        # The build runs as an unprivileged user, as on a build daemon
        # (Rules-Requires-Root: no).
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 sh -ec "
                export DEBIAN_FRONTEND=noninteractive
                apt-get update
                apt-get install -y --no-install-recommends build-essential fakeroot
                apt-get build-dep -y --no-install-recommends /build/$tree
                useradd -m builder
                chown -R builder /build
                su builder -c 'cd /build/$tree && dpkg-buildpackage -us -uc -b'
        " >>"$log" 2>&1 || { tail -n 40 "$log" >&2; echo "build-deb: the chroot build failed (log: $log)" >&2; exit 1; }
        results=$root/build
fi
echo "build-deb: built in $((SECONDS - start)) s" >&2

deb=$(ls "$results"/docker-relocate_*.deb)
rm -f "$outdir"/docker-relocate*_*.deb "$outdir"/docker-relocate_*.changes "$outdir"/docker-relocate_*.buildinfo
cp "$results"/docker-relocate*_*.deb "$results"/docker-relocate_*.changes "$results"/docker-relocate_*.buildinfo "$outdir/"
deb=$outdir/$(basename "$deb")

if [ $lintian = 1 ]; then
        # Errors and warnings fail; info, pedantic and experimental tags
        # are printed only.
        lintian --info --display-info --fail-on error,warning "$outdir"/docker-relocate_*.changes >&2 ||
                { echo "build-deb: lintian complains" >&2; exit 1; }
fi
echo "$deb"
