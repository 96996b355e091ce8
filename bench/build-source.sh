#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds one benchmark data root through a real dockerd, on an ext4 image:
# the generated tree imported as an image (docker import), and for the node
# tree a committed layer with whiteouts and an opaque directory, a volume
# with ACLs, a stopped container and a running one (restart policy, so it
# runs again whenever a daemon starts on a copy). Called by run.sh inside its
# private mount namespace, with:
#   BENCH_TREE BENCH_SCALE BENCH_IMG BENCH_FS_SIZE BENCH_MKFS_OPTS BENCH_WORK
# Writes BENCH_IMG and BENCH_IMG.info (one line of counts).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$top/tests/root/lib-dockerd.sh"
# tap.sh, which lib-dockerd.sh reads, makes a work directory and an exit
# trap for a test: the benchmark has its own, on /var/tmp for its images.
rm -rf --one-file-system "$WORK"
sandbox_in_private_ns || { echo "not in a private mount namespace" >&2; exit 1; }

tree=$BENCH_TREE
W=$BENCH_WORK
mkdir -p "$W/fs"
. "$here/lib-loop.sh"
cleanup() {
        dockerd_teardown
        sandbox_umount_all
        mountpoint -q "$W/fs" && umount "$W/fs"
        loop_detach_all
        rm -rf --one-file-system "$W"
}
trap cleanup EXIT
loop_traps

truncate -s "$BENCH_FS_SIZE" "$BENCH_IMG"
# shellcheck disable=SC2086
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 $BENCH_MKFS_OPTS "$BENCH_IMG" || exit 1
loop_attach dev "$BENCH_IMG" || exit 1
mount "$dev" "$W/fs" || exit 1

DOCKERD_TMP=$W/dockerd
DOCKERD_DATA_ROOT=$W/fs/docker
mkdir -p "$DOCKERD_TMP"
dockerd_setup || exit 1
dockerd_start || exit 1

t0=$SECONDS
python3 "$here/gen-tree.py" "$tree" "$W/gen" --scale "$BENCH_SCALE" --no-sparse || exit 1
dockerd_make_rootfs "$W/gen"
for t in find seq head xargs; do
        ln -sf busybox "$W/gen/bin/$t"
done
echo "# generated in $((SECONDS - t0))s"
t0=$SECONDS
# POSIX format: nanosecond times, xattrs and sparse maps travel in pax
# headers, which Docker's importer reads. A million files take longer than
# the harness's two minutes for a docker command.
tar -C "$W/gen" --sparse --xattrs --xattrs-include='*' --numeric-owner --format=posix -cf - . |
        timeout 3600 docker -H "unix://$DOCKERD_SOCK" import - "bench/$tree:1" >/dev/null ||
        { echo "docker import failed" >&2; exit 1; }
rm -rf "$W/gen"
echo "# imported in $((SECONDS - t0))s"

if [ "$tree" = node ]; then
        # A layer with whiteouts (files and directories deleted), an opaque
        # directory (deleted and made again), copied-up files, new files, a
        # hard link, committed as an image.
        dockerd_docker run --name bench-layer --network none "bench/$tree:1" sh -c '
                set -e
                cd /app/node_modules
                rm -rf $(ls -d pkg-* | head -n 40 | tail -n 5)
                rm -f $(ls -d pkg-* | head -n 60 | tail -n 10 | sed "s|$|/package.json|")
                p=$(ls -d pkg-* | head -n 70 | tail -n 1)
                rm -rf "$p" && mkdir "$p" && echo rebuilt > "$p/index.js"
                for f in $(ls -d pkg-*/package.json | head -n 100 | tail -n 20); do echo patched >> "$f"; done
                mkdir -p /app/generated
                for i in $(seq 1 500); do echo "generated $i" > /app/generated/g$i.js; done
                ln /app/generated/g1.js /app/generated/g1-link.js
                sync' || exit 1
        dockerd_docker commit bench-layer "bench/$tree:layered" >/dev/null || exit 1
        image=bench/$tree:layered
else
        image=bench/$tree:1
fi

dockerd_docker volume create benchvol >/dev/null || exit 1
dockerd_docker run --rm --network none -v benchvol:/vol "bench/$tree:1" sh -c '
        set -e
        mkdir -p /vol/db /vol/files
        for i in $(seq 1 1000); do echo "row $i" > /vol/files/f$i; done
        dd if=/dev/urandom of=/vol/db/data bs=1M count=64 2>/dev/null
        sync' || exit 1
# What an administrator may have set on a volume: ACLs (access and
# default) and a user xattr.
vol=$DOCKERD_DATA_ROOT/volumes/benchvol/_data
setfacl -m u:4242:rwx,g:4343:r-x "$vol/db" && setfacl -d -m u:4242:rw "$vol/db" || exit 1
setfattr -n user.backup -v nightly "$vol/files" || exit 1

dockerd_docker run --name bench-stopped --network none "$image" true || exit 1
# Its writable layer holds a sparse file of 1 GiB (four data extents of
# 1 MiB): Docker keeps holes only there (an image's layers are extracted
# from tar, which writes them out). Once running it ticks once a second
# into that layer, and ends on SIGTERM.
sparse_mib=$(python3 -c "print(max(1, int(1024 * $BENCH_SCALE)))")
# No volume mounted into it: the volume's path it would record names the
# data root where it was built, and the cached root is mounted elsewhere.
dockerd_docker run -d --name bench-running --network none --restart unless-stopped \
        "$image" \
        sh -c "[ -e /data/disk.img ] || for i in 0 1 2 3; do
                dd if=/dev/urandom of=/data/disk.img bs=1M count=1 seek=\$((i * $sparse_mib / 4)) conv=notrunc 2>/dev/null; done
                [ -e /data/disk.img ] && dd if=/dev/zero of=/data/disk.img bs=1M count=0 seek=$sparse_mib 2>/dev/null
                trap 'exit 0' TERM; i=0; while :; do i=\$((i+1)); echo \$i > /data/ticks; sleep 1 & wait; done" \
        >/dev/null || exit 1
# Until the sparse file is made.
for _ in $(seq 1 100); do
        [ -n "$(dockerd_docker exec bench-running cat /data/ticks 2>/dev/null)" ] && break
        sleep 0.2
done
dockerd_stop || exit 1

inodes=$(find "$DOCKERD_DATA_ROOT" -xdev -printf '%i\n' | sort -u | wc -l)
entries=$(find "$DOCKERD_DATA_ROOT" -xdev | wc -l)
dirs=$(find "$DOCKERD_DATA_ROOT" -xdev -type d | wc -l)
apparent=$(du -s -x -B1 --apparent-size "$DOCKERD_DATA_ROOT" | cut -f1)
allocated=$(du -s -x -B1 "$DOCKERD_DATA_ROOT" | cut -f1)
echo "inodes=$inodes entries=$entries dirs=$dirs apparent_bytes=$apparent allocated_bytes=$allocated" >"$BENCH_IMG.info"
cat "$BENCH_IMG.info"
umount "$W/fs" && loop_detach "$dev"
