#!/bin/bash
# The change tracker with the copy engine: the tracker starts, the pre-copy
# runs while the source changes, more changes follow, and the final pass
# synchronises only the directories the tracker recorded. Every kind of
# change must arrive (new, written, written through mmap, deleted, renamed
# directory, new hard link, xattr, chmod, chown, symlink retargeted), checked
# with "rsync -n -x -aHAXS --numeric-ids --checksum -i --delete"; swapped
# directories whose files differ only in content arrive too. A queue
# that overflows makes the record incomplete, and the final pass then walks
# the whole tree. Last, a real dockerd data root: pre-copied while the
# daemon and a container run, final pass after the daemon stopped, and the
# daemon started on the copy finds everything.
set -u

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

PROBE=${COPY_PROBE:?COPY_PROBE is set by meson}
T=$WORK

# check DESCRIPTION COMMAND...: one result, the command's status (its
# "#" lines, printed as it runs, explain a failure).
check() {
        local what=$1
        shift
        if "$@"; then
                ok true "$what"
        else
                ok false "$what"
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
same() {
        local d
        d=$(rsync -n -x -aHAXS --numeric-ids --checksum --modify-window=-1 -i --delete --exclude=/.docker-relocate-copy \
                "$1/" "$2/" 2>&1)
        [ -z "$d" ] || {
                printf '#   rsync would change:\n'
                printf '%s\n' "$d" | head -n 20 | sed 's/^/#     /'
                return 1
        }
}

sandbox_ext4_volume SRCDEV 512M "$T/src" || bail_out "cannot make the source filesystem"
sandbox_ext4_volume DSTDEV 512M "$T/dst" || bail_out "cannot make the target filesystem"

# ---- every kind of change --------------------------------------------------------
S=$T/src/tree
D=$T/dst/tree
for p in $(seq 1 30); do
        mkdir -p "$S/pkgs/p$p/lib" "$S/pkgs/p$p/dist"
        for f in $(seq 1 60); do
                echo "package $p file $f" >"$S/pkgs/p$p/lib/f$f.js"
        done
        head -c 20000 /dev/urandom >"$S/pkgs/p$p/dist/bundle.js"
done
mkdir -p "$S/rename-me/inside" "$S/volume"
# A live directory whose name is what the kernel appends to the path of a
# deleted one.
mkdir -p "$S/pkgs/p20/x (deleted)"
echo old >"$S/pkgs/p20/x (deleted)/old"
echo inside >"$S/rename-me/inside/file"
head -c 65536 /dev/urandom >"$S/volume/mapped"
ln -s pkgs/p1 "$S/current"
total=$(find "$S" | wc -l)
# A data root's directories are older than the two seconds before the
# record began, which the final pass takes as in doubt (a ctime from the
# kernel's coarse clock): so are these.
sleep 3

# While the pre-copy runs: writes keep coming, as a container's would, and
# a directory is renamed, a file linked, an xattr set, a mode changed.
cat >"$T/during.sh" <<EOF
for i in \$(seq 1 20); do
        echo "tick \$i" >"$S/volume/ticks"
        echo "log \$i" >>"$S/pkgs/p3/dist/bundle.js"
        sleep 0.05
done
echo new >"$S/pkgs/p2/lib/created-during"
rm "$S/pkgs/p4/lib/f1.js"
mv "$S/pkgs/p16/dist" "$S/pkgs/p16/dist-renamed-during"
ln "$S/pkgs/p17/lib/f1.js" "$S/pkgs/p18/lib/linked-during.js"
echo during >>"$S/pkgs/p17/lib/f2.js"
setfattr -n user.during -v 1 "$S/pkgs/p19/lib/f1.js"
chmod 640 "$S/pkgs/p19/lib/f2.js"
EOF
# After it, before the final pass (Docker stopping).
cat >"$T/between.sh" <<EOF
set -e
echo new >"$S/pkgs/p5/lib/created-after"
echo appended >>"$S/pkgs/p6/lib/f2.js"
rm "$S/pkgs/p7/lib/f3.js"
mv "$S/rename-me" "$S/pkgs/renamed"
ln "$S/pkgs/p8/lib/f4.js" "$S/pkgs/p9/lib/new-link.js"
echo touched >>"$S/pkgs/p8/lib/f5.js"
setfattr -n user.changed -v yes "$S/pkgs/p10/lib/f6.js"
setfattr -n trusted.overlay.opaque -v y "$S/pkgs/p11/lib"
chmod 600 "$S/pkgs/p12/lib/f7.js"
chmod 700 "$S/pkgs/p13"
chown 4242:4343 "$S/pkgs/p14/lib/f8.js"
ln -sfn pkgs/p2 "$S/current"
mkfifo "$S/pkgs/p15/fifo"
echo new >"$S/pkgs/p20/x (deleted)/created-after"
# A write through a shared mapping, seen only when the file is closed.
python3 -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096)
m[0:6] = b"MAPPED"
m.flush(); m.close(); os.close(fd)' "$S/volume/mapped"
EOF
out=$("$PROBE" track --only-tracked --during "sh $T/during.sh" --between "sh $T/between.sh" "$S" "$D")
check "pre-copy while the source changes" eq "$(json 'd["precopy"]["errno"]' <<<"$out")" 0
check "changes made during it ran" eq "$(json 'd.get("during_status")' <<<"$out")" 0
check "changes made after it ran" eq "$(json 'd.get("between_status")' <<<"$out")" 0
check "the record is complete" eq "$(json 'd["record_complete"]' <<<"$out")" True
echo "# $(json 'd["record_dirs"]' <<<"$out") directories recorded: $(json '" ".join(d["dirs"])' <<<"$out")"
# Every directory something above changed in (a directory's own attributes
# count for itself), the renamed ones' old and new parents among them.
expected='(".", "pkgs", "volume", "pkgs/p2/lib", "pkgs/p3/dist", "pkgs/p4/lib", "pkgs/p16", "pkgs/p17/lib",
        "pkgs/p18/lib", "pkgs/p19/lib", "pkgs/p5/lib", "pkgs/p6/lib", "pkgs/p7/lib", "pkgs/p8/lib", "pkgs/p9/lib",
        "pkgs/p10/lib", "pkgs/p11/lib", "pkgs/p12/lib", "pkgs/p13", "pkgs/p14/lib", "pkgs/p15", "pkgs/p20/x (deleted)")'
check "… and lists every directory changed (missing ones shown)" \
        eq "$(json "[x for x in $expected if x not in d['dirs']]" <<<"$out")" "[]"
check "the final pass from the record succeeds" eq "$(json 'd["final_tracked"]["errno"]' <<<"$out")" 0
check "… without falling back to the whole tree" eq "$(json 'd["final_tracked"]["fell_back"]' <<<"$out")" False
check "… looking at a fraction of the tree" \
        test "$(json 'd["final_tracked"]["entries"]' <<<"$out")" -lt $((total / 2))
check "rsync -n finds nothing to do after it" same "$S" "$D"
check "the write through mmap arrived" eq "$(head -c 6 "$D/volume/mapped")" MAPPED

# ---- directories swapped, their files alike ----------------------------------------------
# npm's tarballs give every file one mtime (so do tar and reproducible
# builds): after two directories are swapped, or "rm -rf cur; mv staging
# cur", with a change inside each, the files and subdirectories in the
# target have the size and mtime of the source's, and only the record's
# placed directories (created or moved onto a name) say they are another's.
S0=$S D0=$D
S=$T/src/swap
D=$T/dst/swap
n=0
for d in a b cur staging; do
        n=$((n + 1))
        mkdir -p "$S/P/$d/lib"
        echo "version=$n" >"$S/P/$d/index.js"
        echo "version=$n" >"$S/P/$d/lib/util.js"
        touch -d @1000000000 "$S/P/$d/index.js" "$S/P/$d/lib/util.js" "$S/P/$d/lib"
done
sleep 3
cat >"$T/swap.sh" <<EOF
set -e
cd "$S/P"
mv a tmp && mv b a && mv tmp b
echo new >a/new && echo new >b/new
rm -rf cur && mv staging cur && echo new >cur/new
mkdir -p made/x/y && echo new >made/x/y/file
EOF
out=$("$PROBE" track --only-tracked --between "sh $T/swap.sh" "$S" "$D")
check "swapped and replaced directories" eq "$(json 'd.get("between_status")' <<<"$out")" 0
check "the record is complete" eq "$(json 'd["record_complete"]' <<<"$out")" True
echo "# placed directories recorded: $(json '" ".join(d["placed"])' <<<"$out")"
check "… and names the directories moved or made, none below another" \
        eq "$(json 'sorted(d["placed"])' <<<"$out")" "['P/a', 'P/b', 'P/cur', 'P/made']"
check "the final pass from the record succeeds" eq "$(json 'd["final_tracked"]["errno"]' <<<"$out")" 0
check "rsync -n finds nothing to do after it" same "$S" "$D"
check "the swapped directories' files are the source's" \
        eq "$(cat "$D/P/a/index.js" "$D/P/a/lib/util.js" "$D/P/cur/lib/util.js" | tr '\n' ' ')" \
        "version=2 version=2 version=4 "
S=$S0 D=$D0

# ---- an overflowing queue -----------------------------------------------------------------
# Without its thread the tracker reads the queue only at the end: more
# events than the kernel queues make it overflow.
max=$(cat /proc/sys/fs/fanotify/max_queued_events 2>/dev/null || echo 16384)
cat >"$T/flood.sh" <<EOF
set -e
mkdir "$S/flood"
cd "$S/flood" && seq 1 $((max + 2000)) | xargs touch
echo "changed in the flood" >>"$S/pkgs/p20/lib/f9.js"
EOF
out=$("$PROBE" track --only-tracked --no-thread --between "sh $T/flood.sh" "$S" "$D")
check "a flood of changes" eq "$(json 'd.get("between_status")' <<<"$out")" 0
check "the record is incomplete: the queue overflowed" \
        eq "$(json '(d["record_complete"], "overflowed" in (d["record_reason"] or ""))' <<<"$out")" "(False, True)"
check "the final pass walks the whole tree instead, and succeeds" \
        eq "$(json '(d["final_tracked"]["errno"], d["final_tracked"]["entries"] > d["record_dirs"])' <<<"$out")" "(0, True)"
check "rsync -n finds nothing to do after it" same "$S" "$D"

# ---- a real data root -----------------------------------------------------------------------
sandbox_ext4_volume OLDDEV 1G "$T/old" || bail_out "no loop device"
sandbox_ext4_volume NEWDEV 1G "$T/new" || bail_out "no loop device"
DOCKERD_DATA_ROOT=$T/old/docker
OLD=$DOCKERD_DATA_ROOT
NEW=$T/new/docker
dockerd_setup
check "dockerd starts" dockerd_start
check "dockerd populated" dockerd_populate
before=$(dockerd_inventory)

cat >"$T/container-writes.sh" <<EOF
docker -H unix://$DOCKERD_SOCK exec $DOCKERD_RUNNING sh -c 'for i in 1 2 3 4 5; do echo \$i >> /data/during; sleep 0.1; done; rm -f /etc/conf/b'
EOF
cat >"$T/stop.sh" <<EOF
docker -H unix://$DOCKERD_SOCK exec $DOCKERD_RUNNING sh -c 'echo after > /data/after; mkdir -p /data/newdir; echo x > /data/newdir/x'
pid=\$(cat $DOCKERD_PIDFILE)
kill -TERM "\$pid"
for i in \$(seq 1 300); do
        [ -d /proc/\$pid ] || exit 0
        sleep 0.2
done
exit 1
EOF
out=$("$PROBE" track --only-tracked --during "sh $T/container-writes.sh" --between "sh $T/stop.sh" "$OLD" "$NEW")
check "pre-copy while dockerd and a container run" eq "$(json 'd["precopy"]["errno"]' <<<"$out")" 0
check "dockerd stopped between the passes" eq "$(json 'd.get("between_status")' <<<"$out")" 0
check "the record is complete" eq "$(json 'd["record_complete"]' <<<"$out")" True
echo "# $(json 'd["record_dirs"]' <<<"$out") directories recorded;" \
        "final pass $(json 'd["final_tracked"]["seconds"]' <<<"$out") s" \
        "for $(json 'd["final_tracked"]["entries"]' <<<"$out") entries"
check "the final pass from the record succeeds" eq "$(json 'd["final_tracked"]["errno"]' <<<"$out")" 0
dockerd_stop
check "rsync -n finds nothing to do after it" same "$OLD" "$NEW"

"${RUNTIME_PROBE:?}" unmark "$NEW" >/dev/null
"$RUNTIME_PROBE" rebase "$NEW" "$OLD" >/dev/null
check "configured for the copy" dockerd_set_data_root "$NEW"
umount "$T/old"
check "dockerd starts on the copy" dockerd_start
check "images, containers, volumes and the volume's data unchanged" eq "$(dockerd_inventory)" "$before"
layered() {
        dockerd_docker run --rm --network none "$DOCKERD_IMAGE_LAYERED" sh -c "$1" 2>&1
}
check "whiteout still hides the deleted file" eq "$(layered 'test -e /bin/ls && echo present || echo hidden')" hidden
check "opaque directory still hides the lower one" eq "$(layered 'cd /etc/conf && echo *')" c
running=false
for _ in $(seq 1 100); do
        running=$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING" 2>/dev/null)
        [ "$running" = true ] && break
        sleep 0.1
done
check "the container runs from the copy" eq "$running" true
check "what it wrote during the pre-copy and after is in its layer" \
        eq "$(dockerd_docker exec "$DOCKERD_RUNNING" \
                sh -c 'cat /data/during /data/after /data/newdir/x; test -e /etc/conf/b || echo deleted' | tr '\n' ' ')" \
        "1 2 3 4 5 after x deleted "

done_testing
