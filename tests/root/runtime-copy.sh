#!/bin/bash
# The copy module on real filesystems: hard links, holes, xattrs (overlay's
# trusted.* among them), ACLs, device nodes and whiteouts, numeric owners,
# copied onto an ext4 loop device and compared entry by entry; the live
# pass staying on one filesystem, the final pass deleting; a full target
# reported as ENOSPC; a target without xattrs as EOPNOTSUPP.
set -u

. "$(dirname "$0")/lib-dockerd.sh" || { echo "Bail out! cannot read lib-dockerd.sh"; exit 1; }
dockerd_enter_namespace "$0" "$@"
# Nothing below may run in the machine's own mount namespace.
dockerd_in_private_ns || { echo "Bail out! not in a private mount namespace"; exit 1; }

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
T=$(mktemp -d /tmp/runtime-copy.XXXXXX)
LOOPS=()

cleanup() {
        local m l
        # Everything mounted below the work directory, deepest first.
        awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
                umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
        for l in "${LOOPS[@]}"; do
                losetup -d "$l" 2>/dev/null || true
        done
        rm -rf --one-file-system "$T"
}
trap cleanup EXIT

n=0
failed=0
check() {
        local what=$1
        shift
        n=$((n + 1))
        if "$@"; then
                echo "ok $n - $what"
        else
                echo "not ok $n - $what"
                failed=1
        fi
}
eq() {
        [ "$1" = "$2" ] || {
                printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
                return 1
        }
}
json() {
        python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
# A fresh ext4 on a loop device over a sparse file, mounted on $2.
loop_fs() {
        local size=$1 dir=$2 img dev
        img="$T/$(basename "$dir").img"
        truncate -s "$size" "$img"
        dev=$(losetup -f --show "$img") || return 1
        LOOPS+=("$dev")
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dev" || return 1
        mkdir -p "$dir"
        mount "$dev" "$dir"
}
# Every entry with what must survive the copy (not atime, not the inode
# number), sorted; run inside the tree.
listing() {
        (cd "$1" && find . -path ./lost+found -prune -o -printf '%p\n' | LC_ALL=C sort |
                while read -r p; do
                        if [ -d "$p" ] && [ ! -L "$p" ]; then
                                stat -c '%n %F %a %u %g %Y' "$p"
                        else
                                stat -c '%n %F %a %u %g %h %s %t:%T %Y %N' "$p"
                        fi
                done)
}
checksums() {
        (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}
# getfattr -R and getfacl -R follow directory order, which differs between
# filesystems: one path at a time, in sorted order.
xattrs() {
        (cd "$1" && find . -path ./lost+found -prune -o -printf '%p\n' | LC_ALL=C sort |
                while read -r p; do getfattr -h -d -m - -e hex "$p" 2>/dev/null; done)
}
acls() {
        (cd "$1" && find . -path ./lost+found -prune -o ! -type l -printf '%p\n' | LC_ALL=C sort |
                while read -r p; do getfacl -n "$p" 2>/dev/null; done)
}

# ---- the source tree -------------------------------------------------------
loop_fs 256M "$T/src-fs" || { echo "Bail out! cannot make the source filesystem"; exit 1; }
S=$T/src-fs/docker
mkdir -p "$S/overlay2/l1/diff/etc/conf" "$S/overlay2/l2/diff/etc" "$S/volumes/v/_data" "$S/mnt-below"
chmod 0710 "$S"
head -c 3000000 /dev/urandom >"$S/overlay2/l1/diff/blob"
echo "linked" >"$S/overlay2/l1/diff/etc/hosts"
ln "$S/overlay2/l1/diff/etc/hosts" "$S/overlay2/l2/diff/etc/hosts"
ln "$S/overlay2/l1/diff/etc/hosts" "$S/volumes/v/_data/third-link"
# Holes: 200 MiB apparent, two small data extents.
truncate -s 200M "$S/volumes/v/_data/sparse"
printf 'start' | dd of="$S/volumes/v/_data/sparse" conv=notrunc status=none
printf 'end' | dd of="$S/volumes/v/_data/sparse" bs=1 seek=$((150 * 1024 * 1024)) conv=notrunc status=none
# overlay: a whiteout (0/0 character device) and an opaque directory.
mknod "$S/overlay2/l2/diff/etc/passwd" c 0 0
setfattr -n trusted.overlay.opaque -v y "$S/overlay2/l2/diff/etc"
setfattr -n user.note -v "kept" "$S/overlay2/l1/diff/blob"
setfattr -n trusted.overlay.origin -v 0sAPsdAAEAAAAAAAAAAAAAAAAAAAAANiOnAMoUlbY= "$S/overlay2/l1/diff/etc/conf"
# Device nodes and a fifo as container images carry them.
mknod "$S/overlay2/l1/diff/null" c 1 3
mknod "$S/overlay2/l1/diff/loop9" b 7 9
mkfifo "$S/overlay2/l1/diff/fifo"
# ACLs, access and default.
setfacl -m u:4242:rwx,g:4343:r-x "$S/volumes/v/_data"
setfacl -d -m u:4242:rw "$S/volumes/v/_data"
# Owners that exist only inside images; setuid; a dangling symlink; an old mtime.
echo "x" >"$S/overlay2/l1/diff/owned"
chown 100999:100998 "$S/overlay2/l1/diff/owned"
cp /bin/busybox "$S/overlay2/l1/diff/suid"
chmod 4755 "$S/overlay2/l1/diff/suid"
ln -s /does/not/exist "$S/overlay2/l1/diff/dangling"
touch -d '2001-02-03 04:05:06' "$S/overlay2/l1/diff/owned"
# A mount below the root (as a container's shm would be).
mount -t tmpfs tmpfs "$S/mnt-below"
echo "on another filesystem" >"$S/mnt-below/file"

measure=$("$PROBE" measure "$S")
check "measure counts each inode once" \
        eq "$(json 'd["inodes"]' <<<"$measure")" "$(find "$S" -xdev -printf '%i\n' | sort -u | wc -l)"
check "measure: allocated bytes below apparent (holes)" \
        eval "[ $(json 'd["bytes"]' <<<"$measure") -lt $(json 'd["apparent_bytes"]' <<<"$measure") ]"
check "measure stays on the filesystem (-x)" eval "[ $(json 'd["inodes"]' <<<"$measure") -gt 10 ]"

below=$("$PROBE" mounts-below "$S")
check "the tmpfs below the root is found" eq "$(json 'd' <<<"$below")" "['$S/mnt-below']"
check "… and not taken for one of Docker's" eq "$("$PROBE" runtime-mounts-below "$S" | json 'd')" "[]"

# ---- live pass --------------------------------------------------------------
loop_fs 512M "$T/dst-fs" || { echo "Bail out! cannot make the target filesystem"; exit 1; }
D=$T/dst-fs/docker
out=$("$PROBE" copy live "$S" "$D")
check "live copy succeeds" eq "$(json 'd["errno"]' <<<"$out")" 0
check "progress callback fired" eval "[ $(json 'd["progress_calls"]' <<<"$out") -gt 0 ]"
check "progress ends at 100%" eq "$(json 'd["last_percent"]' <<<"$out")" 100
check "progress never went back" eq "$(json 'd["progress_monotonic"]' <<<"$out")" True
check "progress bytes cover the data" eval "[ $(json 'd["last_bytes"]' <<<"$out") -ge 3000000 ]"
check "live pass did not enter the mount below" eval "[ ! -e '$D/mnt-below/file' ]"
check "… but made its mount point" test -d "$D/mnt-below"

umount "$S/mnt-below"
echo "new file" >"$S/overlay2/l1/diff/added-later"
rm "$S/overlay2/l1/diff/fifo"
echo "stale" >"$D/stale-on-target"

# ---- final pass -------------------------------------------------------------
out=$("$PROBE" copy final "$S" "$D")
check "final copy succeeds" eq "$(json 'd["errno"]' <<<"$out")" 0
check "final pass deleted what the source no longer has" test ! -e "$D/overlay2/l1/diff/fifo"
check "final pass deleted what only the target had" test ! -e "$D/stale-on-target"
check "final pass brought the new file" test -f "$D/overlay2/l1/diff/added-later"

check "the target is marked as a copy of the source" grep -qxF "$S" "$D/.docker-relocate-copy"
check "marker removed" "$PROBE" unmark "$D"
check "entries, types, modes, owners, links, sizes, devices, mtimes equal" \
        eq "$(listing "$D")" "$(listing "$S")"
check "contents equal" eq "$(checksums "$D")" "$(checksums "$S")"
check "xattrs equal (trusted.overlay.*, user.*, ACLs)" eq "$(xattrs "$D")" "$(xattrs "$S")"
check "… and there were xattrs to compare" eval "[ $(xattrs "$S" | grep -c -e '^trusted.overlay' -e '^user.note' -e '^system.posix_acl') -eq 5 ]"
check "ACLs equal" eq "$(acls "$D")" "$(acls "$S")"
check "opaque directory kept" \
        eq "$(getfattr --only-values -n trusted.overlay.opaque "$D/overlay2/l2/diff/etc" 2>/dev/null)" y
check "whiteout is a 0/0 character device" \
        eq "$(stat -c '%F %t:%T' "$D/overlay2/l2/diff/etc/passwd")" "character special file 0:0"
check "three links share one inode" \
        eq "$(stat -c '%h %i' "$D/overlay2/l1/diff/etc/hosts" "$D/overlay2/l2/diff/etc/hosts" "$D/volumes/v/_data/third-link" | sort -u | wc -l) $(stat -c '%h' "$D/overlay2/l1/diff/etc/hosts")" "1 3"
check "sparse file stays sparse" \
        eval "[ $(du -k "$D/volumes/v/_data/sparse" | cut -f1) -lt 1024 ] && [ $(stat -c %s "$D/volumes/v/_data/sparse") -eq $((200 * 1024 * 1024)) ]"
check "numeric owner without a passwd entry" eq "$(stat -c '%u:%g' "$D/overlay2/l1/diff/owned")" "100999:100998"
check "the root's own mode" eq "$(stat -c '%a' "$D")" 710
check "default ACL kept" grep -q 'default:user:4242:rw-' <<<"$(getfacl -n "$D/volumes/v/_data" 2>/dev/null)"

# ---- a target that is not ours ----------------------------------------------
mkdir -p "$T/dst-fs/someone"
echo "precious" >"$T/dst-fs/someone/data"
out=$("$PROBE" copy final "$S" "$T/dst-fs/someone")
check "a non-empty target that is no copy is refused" eq "$(json 'd["errno"]' <<<"$out")" 39
check "… and keeps its files" eq "$(cat "$T/dst-fs/someone/data")" precious

# ---- a target that is too small ---------------------------------------------
loop_fs 16M "$T/small-fs" || { echo "Bail out! cannot make the small filesystem"; exit 1; }
mkdir "$T/src-fs/big"
head -c $((40 * 1024 * 1024)) /dev/urandom >"$T/src-fs/big/layer.tar"
out=$("$PROBE" copy final "$T/src-fs/big" "$T/small-fs/docker")
check "copy onto a full filesystem fails" eq "$(json 'd["errno"]' <<<"$out")" 28
check "… saying the target is full" grep -q 'target filesystem full' <<<"$out"
check "… with rsync's words" grep -q 'No space left on device' <<<"$out"

# ---- a target that cannot hold xattrs or ACLs -------------------------------
mkdir -p "$T/ramfs"
mount -t ramfs ramfs "$T/ramfs"
out=$("$PROBE" copy final "$S/volumes" "$T/ramfs/volumes")
check "copy onto ramfs (no xattrs) fails" eq "$(json 'd["errno"]' <<<"$out")" 95
check "… saying what the target lacks" grep -q 'cannot hold all attributes' <<<"$out"

# ---- a source that does not exist -------------------------------------------
out=$("$PROBE" copy final "$T/nonexistent" "$T/dst-fs/other")
check "missing source fails" eval "[ $(json 'd["errno"]' <<<"$out") -ne 0 ]"

echo "1..$n"
exit $failed
