#!/bin/bash
# The copy module on real filesystems: hard links, holes, xattrs (overlay's
# trusted.* among them), ACLs, device nodes and whiteouts, numeric owners,
# copied onto an ext4 loop device and compared entry by entry; the live
# pass staying on one filesystem, the final pass deleting; a full target
# reported as ENOSPC; a target without xattrs as EOPNOTSUPP.
set -u

. "$(dirname "$0")/../lib/tap.sh"
sandbox_enter "$@"

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}

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
sandbox_ext4_volume dev 256M "$WORK/src-fs" || bail_out "cannot make the source filesystem"
S=$WORK/src-fs/docker
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
is "$(json_get 'j["inodes"]' <<<"$measure")" "$(find "$S" -xdev -printf '%i\n' | sort -u | wc -l)" \
        "measure counts each inode once"
ok "[ $(json_get 'j["bytes"]' <<<"$measure") -lt $(json_get 'j["apparent_bytes"]' <<<"$measure") ]" \
        "measure: allocated bytes below apparent (holes)"
ok "[ $(json_get 'j["inodes"]' <<<"$measure") -gt 10 ]" "measure stays on the filesystem (-x)"

below=$("$PROBE" mounts-below "$S")
is "$(json_get 'j' <<<"$below")" "[\"$S/mnt-below\"]" "the tmpfs below the root is found"

# ---- live pass --------------------------------------------------------------
sandbox_ext4_volume dev 512M "$WORK/dst-fs" || bail_out "cannot make the target filesystem"
D=$WORK/dst-fs/docker
out=$("$PROBE" copy live "$S" "$D")
is "$(json_get 'j["errno"]' <<<"$out")" 0 "live copy succeeds"
ok "[ $(json_get 'j["progress_calls"]' <<<"$out") -gt 0 ]" "progress callback fired"
is "$(json_get 'j["last_percent"]' <<<"$out")" 100 "progress ends at 100%"
is "$(json_get 'j["progress_monotonic"]' <<<"$out")" true "progress never went back"
ok "[ $(json_get 'j["last_bytes"]' <<<"$out") -ge 3000000 ]" "progress bytes cover the data"
ok "[ ! -e '$D/mnt-below/file' ]" "live pass did not enter the mount below"
ok '[ -d "$D/mnt-below" ]' "… but made its mount point"

umount "$S/mnt-below"
echo "new file" >"$S/overlay2/l1/diff/added-later"
rm "$S/overlay2/l1/diff/fifo"
echo "stale" >"$D/stale-on-target"

# ---- final pass -------------------------------------------------------------
out=$("$PROBE" copy final "$S" "$D")
is "$(json_get 'j["errno"]' <<<"$out")" 0 "final copy succeeds"
ok '[ ! -e "$D/overlay2/l1/diff/fifo" ]' "final pass deleted what the source no longer has"
ok '[ ! -e "$D/stale-on-target" ]' "final pass deleted what only the target had"
ok '[ -f "$D/overlay2/l1/diff/added-later" ]' "final pass brought the new file"

ok 'grep -qxF "$S" "$D/.docker-relocate-copy"' "the target is marked as a copy of the source"
ok '"$PROBE" unmark "$D"' "marker removed"
is "$(listing "$D")" "$(listing "$S")" "entries, types, modes, owners, links, sizes, devices, mtimes equal"
is "$(checksums "$D")" "$(checksums "$S")" "contents equal"
is "$(xattrs "$D")" "$(xattrs "$S")" "xattrs equal (trusted.overlay.*, user.*, ACLs)"
ok "[ $(xattrs "$S" | grep -c -e '^trusted.overlay' -e '^user.note' -e '^system.posix_acl') -eq 5 ]" \
        "… and there were xattrs to compare"
is "$(acls "$D")" "$(acls "$S")" "ACLs equal"
is "$(getfattr --only-values -n trusted.overlay.opaque "$D/overlay2/l2/diff/etc" 2>/dev/null)" y "opaque directory kept"
is "$(stat -c '%F %t:%T' "$D/overlay2/l2/diff/etc/passwd")" "character special file 0:0" \
        "whiteout is a 0/0 character device"
is "$(stat -c '%h %i' "$D/overlay2/l1/diff/etc/hosts" "$D/overlay2/l2/diff/etc/hosts" "$D/volumes/v/_data/third-link" | sort -u | wc -l) $(stat -c '%h' "$D/overlay2/l1/diff/etc/hosts")" "1 3" \
        "three links share one inode"
ok "[ $(du -k "$D/volumes/v/_data/sparse" | cut -f1) -lt 1024 ] && [ $(stat -c %s "$D/volumes/v/_data/sparse") -eq $((200 * 1024 * 1024)) ]" \
        "sparse file stays sparse"
is "$(stat -c '%u:%g' "$D/overlay2/l1/diff/owned")" "100999:100998" "numeric owner without a passwd entry"
is "$(stat -c '%a' "$D")" 710 "the root's own mode"
like "$(getfacl -n "$D/volumes/v/_data" 2>/dev/null)" 'default:user:4242:rw-' "default ACL kept"

# ---- a target that is not ours ----------------------------------------------
mkdir -p "$WORK/dst-fs/someone"
echo "precious" >"$WORK/dst-fs/someone/data"
out=$("$PROBE" copy final "$S" "$WORK/dst-fs/someone")
is "$(json_get 'j["errno"]' <<<"$out")" 39 "a non-empty target that is no copy is refused"
is "$(cat "$WORK/dst-fs/someone/data")" precious "… and keeps its files"

# ---- a target that is too small ---------------------------------------------
sandbox_ext4_volume dev 16M "$WORK/small-fs" || bail_out "cannot make the small filesystem"
mkdir "$WORK/src-fs/big"
head -c $((40 * 1024 * 1024)) /dev/urandom >"$WORK/src-fs/big/layer.tar"
out=$("$PROBE" copy final "$WORK/src-fs/big" "$WORK/small-fs/docker")
is "$(json_get 'j["errno"]' <<<"$out")" 28 "copy onto a full filesystem fails"
like "$out" 'target filesystem full' "… saying the target is full"
like "$out" 'No space left on device' "… with rsync's words"

# ---- a target that cannot hold xattrs or ACLs -------------------------------
mkdir -p "$WORK/ramfs"
mount -t ramfs ramfs "$WORK/ramfs"
out=$("$PROBE" copy final "$S/volumes" "$WORK/ramfs/volumes")
is "$(json_get 'j["errno"]' <<<"$out")" 95 "copy onto ramfs (no xattrs) fails"
like "$out" 'cannot hold all attributes' "… saying what the target lacks"

# ---- a source that does not exist -------------------------------------------
out=$("$PROBE" copy final "$WORK/nonexistent" "$WORK/dst-fs/other")
ok "[ $(json_get 'j["errno"]' <<<"$out") -ne 0 ]" "missing source fails"

done_testing

