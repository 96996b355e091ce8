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
src=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
        echo "demo: run as root (it installs packages, and the sandbox uses mounts and loop devices)." >&2
        exit 1
fi
build() {
        "$src/tools/install-deps.sh"
        [ -d "$src/build" ] || meson setup "$src/build" "$src" >/dev/null
        meson compile -C "$src/build" >/dev/null
}
BIN=$src/build/docker-relocate

if [ $# -gt 0 ]; then
        build
        "$BIN" status
        exec "$BIN" move --device "$1"
fi

# The sandbox of the tests (tests/lib/tap.sh): this script runs again in a
# private mount namespace, so everything mounted below vanishes with it; at
# exit the daemon is stopped, the mounts undone, the loop device detached and
# the work directory $WORK removed, however the demo ends.
. "$src/tests/root/lib-dockerd.sh"
sandbox_enter "$@"
build
MNT=$WORK/mnt

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "A throwaway dockerd (SysV init script, DOCKER_OPTS in /etc/default/docker)"
dockerd_private_system
DOCKERD_DATA_ROOT=$WORK/var-lib-docker DOCKERD_CONFIG=opts
dockerd_setup
dockerd_start
dockerd_populate
dockerd_docker ps -a --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}'
echo "docker info: Docker Root Dir: $(dockerd_docker info --format '{{.DockerRootDir}}')"

say "A 2 GiB loop device stands in for the new EBS volume"
sandbox_loop LOOP 2G
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
