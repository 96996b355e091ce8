#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The move, end to end, on a real dockerd started through Debian's SysV init
# script, onto a loop-device "volume", all in a private mount namespace with
# private copies of /etc, /run and /var/lib. Checks, in order: --dry-run
# changes nothing; a start failure after the stop rolls back (exit 4) to the
# old root with the config byte-identical and every image, container and
# volume there; a move SIGKILLed during the copy completes when run again;
# after it the data root is on the volume with the same content (layers with
# whiteouts, hard links, sparse files; volume data; the running container
# running), fstab holds the volume by UUID, the old tree is kept; a re-run is
# a no-op; cleanup removes the old tree (after one that failed halfway,
# which rollback refuses to go back to). ext4's zeroing of the inode tables
# waits while the move copies, and starts when it ends, even after a kill.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
dockerd_running_populated opts
# Enough data that the copy takes a moment (for the SIGKILL below).
dockerd_docker volume create relocate-big >/dev/null
dockerd_docker run --rm --network none -v relocate-big:/big "$DOCKERD_IMAGE" \
        dd if=/dev/urandom of=/big/blob bs=1M count=300 2>/dev/null

sandbox_loop LOOP 3G || bail_out "losetup"
# The move mounts the volume here (and makes the mount point immutable).
MNT=$WORK/mnt
NEW=$MNT/docker

content() {
        dockerd_docker run --rm --network none -v relocate-vol:/vol relocate-test/layered:1 sh -c '
                cat /vol/file; cat /etc/conf/c; ls /etc/conf; [ -e /bin/ls ] && echo ls-present
                stat -c "%h %s" /data/one /data/two /data/sparse' | sha256sum
        dockerd_docker run --rm --network none -v relocate-big:/big "$DOCKERD_IMAGE" sh -c 'cat /big/blob' | sha256sum
}
SETS0=$(dockerd_sets)
CONTENT0=$(content)
OPTS0=$(sha256sum </etc/default/docker)
is "$(dockerd_root_dir)" "$DOCKERD_DATA_ROOT" "dockerd runs on the old root"

# 1. --dry-run: the plan, and nothing changed.
out=$("$BIN" move --device "$LOOP" --mount "$MNT" --dry-run 2>&1)
rc=$?
is "$rc" 0 "move --dry-run succeeds"
like "$out" "--data-root=$NEW" "the plan shows the config diff"
ok '[ "$(sha256sum </etc/default/docker)" = "$OPTS0" ] && [ -z "$(blkid -p "$LOOP" 2>/dev/null)" ] &&
        [ ! -e /var/lib/docker-relocate/state.json ]' "--dry-run changed nothing (config, device, journal)"

# 2. Docker refuses to start on the new root: exit 4, everything as before.
cp /etc/init.d/docker "$WORK/init-orig"
# The packaged script itself, with one line more at "start": it refuses
# when DOCKER_OPTS names the new root, as a dockerd that cannot use it would.
sed "/^[[:space:]]*start)\$/a\\\t\\tif grep -q -- '$NEW' /etc/default/docker; then echo 'injected: dockerd refuses $NEW' >\\&2; exit 1; fi" \
        "$WORK/init-orig" >/etc/init.d/docker
grep -q "injected: dockerd refuses" /etc/init.d/docker || bail_out "could not inject the failure"
"$BIN" move --device "$LOOP" --mount "$MNT" --yes --json >"$WORK/fail.json" 2>"$WORK/fail.err"
rc=$?
is "$rc" 4 "a failed start rolls back with exit 4 (got $rc)"
[ $rc = 4 ] || sed 's/^/#   /' "$WORK/fail.err"
is "$(json_get '[j["status"], j["error"]["code"]]' "$WORK/fail.json")" '["rolled-back", 4]' \
        "the JSON says rolled-back with error code 4"
is "$(dockerd_root_dir)" "$DOCKERD_DATA_ROOT" "after the rollback dockerd runs on the old root"
is "$(sha256sum </etc/default/docker)" "$OPTS0" "the config is byte-identical again"
is "$(dockerd_sets)" "$SETS0" "images, containers and volumes are all there"
is "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")" true "the running container runs again"
cp "$WORK/init-orig" /etc/init.d/docker
# The volume was mounted without ext4's zeroing of the new inode tables
# for the copy (the rollback unmounted it).
like "$(json_get 'j["plan"]["disk_steps"]' "$WORK/fail.json")" "mounted $LOOP on $MNT \\(noinit_itable" \
        "the volume was mounted with noinit_itable for the copy"
# "ext4 deferred" while mounted with noinit_itable, "ext4 zeroing" without.
itable() {
        findmnt -n -o FSTYPE,FS-OPTIONS --mountpoint "$MNT" |
                awk '{ print $1, ($2 ~ /(^|,)noinit_itable(,|$)/) ? "deferred" : "zeroing" }'
}

# 3. SIGKILL while the copy runs with Docker stopped, then run again. A
# build with the test hooks pauses right after the stop, where the kill
# lands for sure; without them the journal is polled, and the kill may come
# too late for a copy that takes a fraction of a second.
pause=
[ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ] && pause=$WORK/paused-stopped
DOCKER_RELOCATE_TEST_PAUSE=${pause:+stopped:$pause} \
        "$BIN" move --device "$LOOP" --mount "$MNT" --no-pre-copy --yes >"$WORK/kill.out" 2>&1 &
pid=$!
killed=no
for _ in $(seq 1 3000); do
        if [ -n "$pause" ] && [ -e "$pause" ] ||
                { [ -z "$pause" ] && grep -q '"phase":[[:space:]]*"stopped"' /var/lib/docker-relocate/state.json 2>/dev/null; }; then
                # At once: with the data in the page cache the copy can
                # take well under a second.
                kill -KILL "$pid" 2>/dev/null && killed=yes
                [ -n "$pause" ] && is "$(itable)" "ext4 deferred" "at the stop, the volume is mounted with noinit_itable"
                break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
done
wait "$pid" 2>/dev/null
phase=$(grep -o '"phase":[[:space:]]*"[a-z-]*"' /var/lib/docker-relocate/state.json | grep -o '"[a-z-]*"$')
ok '[ $killed = yes ] && grep -Eqx "\"(stopped|copied)\"" <<<"$phase"' \
        "the move was killed while Docker was stopped (journal phase $phase)"
ok '[ -z "$(dockerd_pid)" ]' "dockerd is down after the kill"
"$BIN" move --device "$LOOP" --mount "$MNT" --no-pre-copy --yes --json >"$WORK/resume.json" 2>"$WORK/resume.err"
rc=$?
is "$rc" 0 "running the move again completes it (got $rc)"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/resume.err"

# 4. After the move.
is "$(dockerd_root_dir)" "$NEW" "docker info shows the new root $NEW"
is "$(itable)" "ext4 zeroing" "the run that completed the killed one remounted the volume without noinit_itable"
# dockerd bind-mounts its root onto itself ("/dev/loopN[/docker]").
src=$(findmnt -n -o SOURCE --target "$NEW" | sed 's/\[.*//')
is "$src" "$LOOP" "the new root is on the volume ($src)"
is "$(dockerd_sets)" "$SETS0" "the same images, containers and volumes"
is "$(content)" "$CONTENT0" "layers (whiteouts, hard links, sparse file) and volume data intact"
is "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")" true "the running container runs"
uuid=$(blkid -s UUID -o value "$LOOP")
like "$(cat /etc/fstab)" "^UUID=$uuid[[:space:]]+$MNT[[:space:]]+ext4[[:space:]]+[^[:space:]]*nofail" \
        "fstab mounts the volume by UUID with nofail"
like "$(cat /etc/default/docker)" "--data-root=$NEW" "DOCKER_OPTS carries the new data root"
ok '[ -d "$DOCKERD_DATA_ROOT/image" ] && [ -d "$DOCKERD_DATA_ROOT/volumes" ]' "the old tree is kept"
is "$(json_get '[j["changed"], j["status"], j["downtime_seconds"] is not None]' "$WORK/resume.json")" '[true, "changed", true]' \
        "the JSON reports changed (status changed) and the downtime"

# 5. A re-run is a no-op.
before=$(sha256sum /etc/default/docker /etc/fstab)
"$BIN" move --device "$LOOP" --mount "$MNT" --yes --json >"$WORK/again.json" 2>/dev/null
rc=$?
ok '[ $rc = 0 ] && [ "$(json_get "j[\"changed\"]" "$WORK/again.json")" = false ] &&
        [ "$(sha256sum /etc/default/docker /etc/fstab)" = "$before" ]' \
        "a re-run exits 0, says changed: false and writes nothing"

# 6. cleanup removes the old tree, and only then. A removal that fails
# halfway (a file it cannot remove) is recorded: rollback then refuses to
# start Docker on what is left, and cleanup run again finishes it.
victim=$(find "$DOCKERD_DATA_ROOT/image" -type f | head -n 1)
ok '[ -n "$victim" ] && chattr +i "$victim"' "a file of the old tree made immutable"
"$BIN" cleanup --yes --json >"$WORK/cleanup.json" 2>"$WORK/cleanup.out"
rc=$?
ok '[ $rc = 1 ] && [ -e "$victim" ] && [ ! -e "$DOCKERD_DATA_ROOT/volumes" ] &&
        [ "$(json_get "[j[\"status\"], j[\"changed\"]]" "$WORK/cleanup.json")" = "[\"failed\", true]" ]' \
        "cleanup fails halfway: exit 1, part of the old tree gone, and it says failed and changed (exit $rc)"
"$BIN" rollback --yes >"$WORK/rollback.out" 2>&1
rc=$?
ok '[ $rc = 3 ] && grep -q "did not finish" "$WORK/rollback.out" && [ "$(dockerd_root_dir)" = "$NEW" ]' \
        "rollback then refuses to go back to what is left (exit $rc), Docker stays on $NEW"
[ $rc = 3 ] || diag_files "$WORK/rollback.out"
chattr -i "$victim"
"$BIN" cleanup --yes --json >"$WORK/cleanup.json" 2>"$WORK/cleanup.out"
rc=$?
is "$rc $(json_get '[s["name"] for s in j["steps"]]' "$WORK/cleanup.json")" '0 ["delete-old"]' \
        "cleanup run again succeeds, its step delete-old"
"$BIN" cleanup --yes --json >"$WORK/cleanup-again.json" 2>/dev/null
rc=$?
is "$rc $(json_get '[j["status"], j["changed"], j["error"]]' "$WORK/cleanup-again.json")" '0 ["unchanged", false, null]' \
        "cleanup again has nothing to do: exit 0, status unchanged"
ok '[ ! -e "$DOCKERD_DATA_ROOT/image" ]' "the old tree is gone"
is "$(dockerd_sets)" "$SETS0" "Docker still has everything"
# Containers keep absolute paths of their volumes; with the old tree gone
# they must still start.
ok 'dockerd_docker restart -t 1 "$DOCKERD_RUNNING"' "the container with a named volume restarts without the old tree"
ok 'dockerd_docker start -a "$DOCKERD_STOPPED"' "the stopped container starts without the old tree"

done_testing
