#!/bin/bash
# The copy engine on real filesystems, checked against rsync: a tree with
# everything Docker's data root holds (overlay's trusted.* xattrs and
# whiteouts, hard links among them, security.capability, ACLs, device nodes,
# numeric owners, holes, nanosecond times), copied live and then finally
# onto an ext4 loop device; after each pass
# "rsync -n -x -aHAXS --numeric-ids --checksum -i --delete" must find
# nothing to do. Then the errors: a full target (ENOSPC), a target that is
# not ours (ENOTEMPTY), one that cannot hold xattrs (EOPNOTSUPP), files
# vanishing during the live pass (tolerated), a mount point below the
# source during the final pass (EBUSY), a mount point in what the target
# has extra (EXDEV, nothing on it removed).
set -u

. "$(dirname "$0")/../lib/tap.sh"
sandbox_enter "$@"
T=$WORK

PROBE=${COPY_PROBE:?COPY_PROBE is set by meson}

json() {
        python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
# A fresh ext4 on a loop device, mounted on $2 (all undone at exit).
loop_fs() {
        local dev
        sandbox_ext4_volume dev "$1" "$2"
}
# What rsync would still do; empty for a faithful copy.
# (--modify-window=-1: times to the nanosecond; rsync compares seconds
# otherwise.)
rsync_diff() {
        rsync -n -x -aHAXS --numeric-ids --checksum --modify-window=-1 -i --delete \
                --exclude=/.docker-relocate-copy "$1/" "$2/" 2>&1
}
same() {
        local d
        d=$(rsync_diff "$1" "$2")
        [ -z "$d" ] || {
                printf '#   rsync would change:\n'
                printf '%s\n' "$d" | head -n 20 | sed 's/^/#     /'
                return 1
        }
}

# ---- the source tree ---------------------------------------------------------
loop_fs 256M "$T/src-fs" || bail_out "cannot make the source filesystem"
S=$T/src-fs/docker
mkdir -p "$S/overlay2/l1/diff/etc/conf" "$S/overlay2/l2/diff/etc" "$S/overlay2/l2/diff/usr" \
        "$S/volumes/v/_data" "$S/mnt-below" "$S/empty"
chmod 0710 "$S"
head -c 3000000 /dev/urandom >"$S/overlay2/l1/diff/blob"
head -c 12000000 /dev/urandom >"$S/overlay2/l1/diff/big-blob"
echo linked >"$S/overlay2/l1/diff/etc/hosts"
ln "$S/overlay2/l1/diff/etc/hosts" "$S/overlay2/l2/diff/etc/hosts"
ln "$S/overlay2/l1/diff/etc/hosts" "$S/volumes/v/_data/third-link"
truncate -s 200M "$S/volumes/v/_data/sparse"
printf start | dd of="$S/volumes/v/_data/sparse" conv=notrunc status=none
printf end | dd of="$S/volumes/v/_data/sparse" bs=1 seek=$((150 * 1024 * 1024)) conv=notrunc status=none
# overlay: whiteouts (0/0 character devices; the kernel shares one inode
# among them, so they are hard links too) and an opaque directory.
mknod "$S/overlay2/l2/diff/etc/passwd" c 0 0
ln "$S/overlay2/l2/diff/etc/passwd" "$S/overlay2/l2/diff/usr/shadow"
setfattr -n trusted.overlay.opaque -v y "$S/overlay2/l2/diff/etc"
setfattr -n trusted.overlay.origin -v 0sAPsdAAEAAAAAAAAAAAAAAAAAAAAANiOnAMoUlbY= "$S/overlay2/l1/diff/etc/conf"
setfattr -n user.note -v kept "$S/overlay2/l1/diff/blob"
mknod "$S/overlay2/l1/diff/null" c 1 3
mknod "$S/overlay2/l1/diff/loop9" b 7 9
mkfifo "$S/overlay2/l1/diff/fifo"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$S/overlay2/l1/diff/sock"
# ACLs, access and default; a capability (as ping has, cap_net_raw+ep).
setfacl -m u:4242:rwx,g:4343:r-x "$S/volumes/v/_data"
setfacl -d -m u:4242:rw "$S/volumes/v/_data"
echo "acl" >"$S/volumes/v/_data/inherits"
cp /bin/true "$S/overlay2/l1/diff/ping"
setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= "$S/overlay2/l1/diff/ping"
# Owners by number only, set-id bits, a dangling symlink, nanosecond times.
echo x >"$S/overlay2/l1/diff/owned"
chown 100999:100998 "$S/overlay2/l1/diff/owned"
chown -h 100997:100996 "$S/overlay2/l2/diff/etc/passwd"
cp /bin/true "$S/overlay2/l1/diff/suid"
chown 0:100995 "$S/overlay2/l1/diff/suid"
chmod 6755 "$S/overlay2/l1/diff/suid"
ln -s /does/not/exist "$S/overlay2/l1/diff/dangling"
touch -h -d '2001-02-03 04:05:06.123456789' "$S/overlay2/l1/diff/dangling"
touch -d '2001-02-03 04:05:06.987654321' "$S/overlay2/l1/diff/owned" "$S/empty"
# A filesystem mounted below (as a container's shm is).
mount -t tmpfs tmpfs "$S/mnt-below"
on_exit "umount -l '$S/mnt-below'"
echo "on another filesystem" >"$S/mnt-below/file"

# ---- live pass ---------------------------------------------------------------------
loop_fs 512M "$T/dst-fs" || bail_out "cannot make the target filesystem"
D=$T/dst-fs/docker
out=$("$PROBE" copy "$S" "$D")
is "$(json 'd["errno"]' <<<"$out")" 0 "live copy succeeds"
ok 'same "$S" "$D"' "rsync -n finds nothing to do after the live copy"
is "$(json 'd["progress_calls"] > 0 and d["progress_monotonic"] and d["last_percent"] == 100' <<<"$out")" True \
        "progress reported, monotonic, ending at 100%"
ok 'test ! -e "$D/mnt-below/file"' "the live pass did not enter the mount below"
ok 'test -d "$D/mnt-below"' "… but made its mount point"
# What rsync -n shows only indirectly, checked directly:
is "$(getfattr --only-values -n trusted.overlay.opaque "$D/overlay2/l2/diff/etc" 2>/dev/null)" y \
        "trusted.overlay.opaque kept"
cap() {
        getfattr -e hex -n security.capability "$1" 2>/dev/null | grep '^security'
}
is "$(cap "$D/overlay2/l1/diff/ping")" "$(cap "$S/overlay2/l1/diff/ping")" "security.capability kept"
is "$(getfacl -n -c "$D/volumes/v/_data" 2>/dev/null)" "$(getfacl -n -c "$S/volumes/v/_data" 2>/dev/null)" \
        "access and default ACLs kept"
is "$(getfacl -n -c "$D/volumes/v/_data/inherits" 2>/dev/null)" \
        "$(getfacl -n -c "$S/volumes/v/_data/inherits" 2>/dev/null)" \
        "a file without an ACL of its own got none from the directory's default"
is "$(stat -c '%F %t:%T %h %u:%g' "$D/overlay2/l2/diff/etc/passwd")" "character special file 0:0 2 100997:100996" \
        "whiteouts are 0/0 character devices, hard-linked, owned by number"
is "$(stat -c %i "$D/overlay2/l2/diff/etc/passwd")" "$(stat -c %i "$D/overlay2/l2/diff/usr/shadow")" "… one inode"
is "$(stat -c '%a %u:%g' "$D/overlay2/l1/diff/suid")" "6755 0:100995" "set-id bits kept after chown"
is "$([ "$(du -k "$D/volumes/v/_data/sparse" | cut -f1)" -lt 1024 ] && stat -c %s "$D/volumes/v/_data/sparse")" \
        $((200 * 1024 * 1024)) "sparse file stays sparse"
is "$(stat -c %y "$D/overlay2/l1/diff/dangling")" "$(stat -c %y "$S/overlay2/l1/diff/dangling")" \
        "symlink mtime to the nanosecond"
is "$(stat -c %a "$D")" 710 "the root's own mode"

# ---- final pass after changes ----------------------------------------------------------
umount "$S/mnt-below"
echo "new file" >"$S/overlay2/l1/diff/added-later"
rm "$S/overlay2/l1/diff/fifo"
setfattr -n trusted.overlay.opaque -v x "$S/overlay2/l2/diff/etc"
setfacl -m u:4244:r "$S/overlay2/l1/diff/owned"
mv "$S/overlay2/l2" "$S/overlay2/l3"
echo "stale" >"$D/stale-on-target"
out=$("$PROBE" copy --final "$S" "$D")
is "$(json 'd["errno"]' <<<"$out")" 0 "final pass succeeds"
ok 'same "$S" "$D"' "rsync -n finds nothing to do after the final pass"
ok 'test ! -e "$D/stale-on-target"' "the final pass deleted what only the target had"
ok 'grep -qxF "$S" "$D/.docker-relocate-copy"' "the target is marked as a copy of the source"
out=$("$PROBE" copy --final "$S" "$D")
is "$(json '(d["errno"], d["copied"], d["updated"], d["deleted"])' <<<"$out")" "(0, 0, 0, 0)" \
        "a final pass with nothing changed changes nothing"

# ---- a mount point below the source in the final pass -----------------------------------
mount -t tmpfs tmpfs "$S/mnt-below"
on_exit "umount -l '$S/mnt-below'"
out=$("$PROBE" copy --final "$S" "$D")
is "$(json 'd["errno"]' <<<"$out")" 16 "a mount below the source fails the final pass (EBUSY)"
like "$out" "mnt-below is a mount point" "… naming it"
umount "$S/mnt-below"

# ---- a target that is not ours ---------------------------------------------------------
mkdir -p "$T/dst-fs/someone"
echo "precious" >"$T/dst-fs/someone/data"
out=$("$PROBE" copy --final "$S" "$T/dst-fs/someone")
is "$(json 'd["errno"]' <<<"$out")" 39 "a non-empty target that is no copy is refused (ENOTEMPTY)"
is "$(cat "$T/dst-fs/someone/data")" precious "… and keeps its files"

# ---- a target that is too small ----------------------------------------------------------
loop_fs 16M "$T/small-fs" || bail_out "cannot make the small filesystem"
mkdir "$T/src-fs/big"
head -c $((40 * 1024 * 1024)) /dev/urandom >"$T/src-fs/big/layer.tar"
out=$("$PROBE" copy --final "$T/src-fs/big" "$T/small-fs/docker")
is "$(json 'd["errno"]' <<<"$out")" 28 "a copy onto a full filesystem fails (ENOSPC)"
like "$out" 'target filesystem is full.*layer.tar' "… saying so, with the path"

# ---- a target that cannot hold xattrs ------------------------------------------------------
mkdir -p "$T/ramfs"
sandbox_mount -t ramfs ramfs "$T/ramfs"
out=$("$PROBE" copy --final "$S/overlay2/l3" "$T/ramfs/l3")
is "$(json 'd["errno"]' <<<"$out")" 95 "a copy onto ramfs (no trusted.* xattrs) fails (EOPNOTSUPP)"
like "$out" 'cannot hold xattr trusted.overlay.opaque of .*/etc' "… naming the xattr and the file"

# ---- files vanishing during the live pass -------------------------------------------------
# A tree of small files deleted while it is copied: the live pass carries on
# (Docker deletes files while it runs), the final pass catches up. The race
# is repeated until a deletion lands between listing and copying.
V=$T/src-fs/vanishing
vanished=0
for attempt in 1 2 3 4 5; do
        rm -rf "$V" "$T/dst-fs/vanishing"
        mkdir -p "$V"
        for d in $(seq 1 40); do
                mkdir "$V/d$d"
                (cd "$V/d$d" && seq 1 300 | xargs touch)
        done
        out=$("$PROBE" copy --threads 2 --during "sleep 0.05; rm -rf $V/d*" "$V" "$T/dst-fs/vanishing")
        rc=$(json 'd["errno"]' <<<"$out")
        vanished=$(json 'd["vanished"]' <<<"$out")
        [ "$rc" != 0 ] && break
        [ "$vanished" -gt 0 ] && break
done
echo "# $vanished entries vanished during the live pass (attempt $attempt)"
is "$rc" 0 "the live pass succeeds while files vanish"
ok 'test "$vanished" -gt 0' "… and counts them as vanished"
out=$("$PROBE" copy --final "$V" "$T/dst-fs/vanishing")
is "$(json 'd["errno"]' <<<"$out")" 0 "the final pass after it succeeds"
ok 'same "$V" "$T/dst-fs/vanishing"' "… and rsync -n finds nothing to do"

# A filesystem mounted in the target where the source has nothing: the pass
# that removes the directory fails (EXDEV) and never empties that
# filesystem, which is not the copy's.
mkdir -p "$T/dst-fs/vanishing/stale/mnt"
sandbox_mount -t tmpfs tmpfs "$T/dst-fs/vanishing/stale/mnt"
echo precious >"$T/dst-fs/vanishing/stale/mnt/file"
out=$("$PROBE" copy --final "$V" "$T/dst-fs/vanishing")
is "$(json 'd["errno"]' <<<"$out")" 18 "a mount point in what the target has extra: the final pass fails (EXDEV)"
like "$out" "vanishing/stale/mnt is a mount point" "… naming the mount point, not the tree it is in"
is "$(cat "$T/dst-fs/vanishing/stale/mnt/file" 2>&1)" precious "… and the filesystem mounted there keeps its files"

done_testing
