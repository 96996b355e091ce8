#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Try docker-relocate.
#
#   sudo tools/demo.sh            a sandboxed move: a throwaway dockerd with a
#                                 small imported image, a running container and
#                                 a volume, moved onto a loop-device "volume",
#                                 all in a private mount namespace. Nothing of
#                                 the host's Docker, /etc or disks is touched.
#   sudo tools/demo.sh DEVICE     the real thing on this host: shows the plan
#                                 for moving Docker onto DEVICE and asks before
#                                 doing anything.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

if [ "$(id -u)" -ne 0 ]; then
        echo "demo: run as root (it installs packages, and the sandbox uses mounts and loop devices)." >&2
        exit 1
fi
if [ -z "${DEMO_REEXEC:-}" ]; then
        tools/install-deps.sh
        [ -d build ] || meson setup build >/dev/null
        meson compile -C build >/dev/null
fi
BIN=$src/build/docker-relocate

if [ $# -gt 0 ]; then
        "$BIN" status
        exec "$BIN" move --device "$1"
fi

. "$src/tests/root/lib-dockerd.sh"
# The namespace: everything mounted below vanishes with this script.
if [ -z "${DEMO_REEXEC:-}" ]; then
        exec unshare --mount --propagation private -- env DEMO_REEXEC=1 DOCKERD_REEXEC=1 bash "$0"
fi

WORK=$(mktemp -d /tmp/docker-relocate-demo.XXXXXX)
LOOP=""
MNT=$WORK/mnt
finish() {
        umount -l "$MNT" 2>/dev/null || true
        chattr -i "$MNT" 2>/dev/null || true
        dockerd_teardown
        [ -n "$LOOP" ] && losetup -d "$LOOP"
        awk -v w="$WORK" 'index($5, w) == 1 || $5 == "/etc" || $5 ~ "^/var/lib" { print $5 }' /proc/self/mountinfo |
                sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        dockerd_rm_work "$WORK"
}
trap finish EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "A throwaway dockerd (SysV init script, DOCKER_OPTS in /etc/default/docker)"
dockerd_private_system "$WORK"
DOCKERD_TMP=$WORK/dockerd DOCKERD_DATA_ROOT=$WORK/var-lib-docker DOCKERD_CONFIG=opts
mkdir -p "$DOCKERD_TMP"
dockerd_setup
dockerd_start
dockerd_populate
dockerd_docker ps -a --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}'
echo "docker info: Docker Root Dir: $(dockerd_docker info --format '{{.DockerRootDir}}')"

say "A 2 GiB loop device stands in for the new EBS volume"
truncate -s 2G "$WORK/volume.img"
LOOP=$(losetup -f --show "$WORK/volume.img")
echo "$LOOP"

say "docker-relocate status"
"$BIN" status

say "docker-relocate move --device $LOOP --mount $MNT --dry-run"
"$BIN" move --device "$LOOP" --mount "$MNT" --dry-run

say "docker-relocate move --device $LOOP --mount $MNT --yes"
"$BIN" move --device "$LOOP" --mount "$MNT" --yes

say "After the move"
echo "docker info: Docker Root Dir: $(dockerd_docker info --format '{{.DockerRootDir}}')"
dockerd_docker ps -a --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}'
grep "$MNT" /etc/fstab
grep DOCKER_OPTS /etc/default/docker

say "Running it again is a no-op"
"$BIN" move --device "$LOOP" --mount "$MNT" --yes
