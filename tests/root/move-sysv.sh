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
# a no-op; cleanup removes the old tree.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-dockerd.sh"
dockerd_enter_namespace "$0" "$@"

BIN=${DOCKER_RELOCATE:?}
sandbox_init move-sysv
DOCKERD_DATA_ROOT=$WORK/old-root
DOCKERD_CONFIG=opts
dockerd_setup || exit 1
dockerd_start || { echo "Bail out! dockerd did not start"; exit 1; }
dockerd_populate || { echo "Bail out! populating failed"; exit 1; }
# Enough data that the copy takes a moment (for the SIGKILL below).
dockerd_docker volume create relocate-big >/dev/null
dockerd_docker run --rm --network none -v relocate-big:/big "$DOCKERD_IMAGE" \
        dd if=/dev/urandom of=/big/blob bs=1M count=300 2>/dev/null

sandbox_loop LOOP 3G || { echo "Bail out! losetup"; exit 1; }
MNT=$WORK/mnt
sandbox_on_exit "umount -l '$MNT'; chattr -i '$MNT'"
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
ok $([ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ]; echo $?) "dockerd runs on the old root"

# 1. --dry-run: the plan, and nothing changed.
out=$("$BIN" move --device "$LOOP" --mount "$MNT" --dry-run 2>&1)
ok $? "move --dry-run succeeds"
echo "$out" | grep -q -- "--data-root=$NEW"
ok $? "the plan shows the config diff"
ok $([ "$(sha256sum </etc/default/docker)" = "$OPTS0" ] && [ -z "$(blkid -p "$LOOP" 2>/dev/null)" ] &&
        [ ! -e /var/lib/docker-relocate/state.json ]; echo $?) "--dry-run changed nothing (config, device, journal)"

# 2. Docker refuses to start on the new root: exit 4, everything as before.
cp /etc/init.d/docker "$WORK/init-orig"
# The packaged script itself, with one line more at "start": it refuses
# when DOCKER_OPTS names the new root, as a dockerd that cannot use it would.
sed "/^[[:space:]]*start)\$/a\\\t\\tif grep -q -- '$NEW' /etc/default/docker; then echo 'injected: dockerd refuses $NEW' >\\&2; exit 1; fi" \
        "$WORK/init-orig" >/etc/init.d/docker
grep -q "injected: dockerd refuses" /etc/init.d/docker || echo "Bail out! could not inject the failure"
"$BIN" move --device "$LOOP" --mount "$MNT" --yes --json >"$WORK/fail.json" 2>"$WORK/fail.err"
rc=$?
ok $([ $rc = 4 ]; echo $?) "a failed start rolls back with exit 4 (got $rc)"
[ $rc = 4 ] || sed 's/^/#   /' "$WORK/fail.err"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["status"]=="rolled-back" and j["error"]["code"]==4 else 1)' "$WORK/fail.json"
rc=$?
[ $rc = 0 ] || sed "s/^/#   /" "$WORK/fail.json"
ok $rc "the JSON says rolled-back with error code 4"
ok $([ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ]; echo $?) "after the rollback dockerd runs on the old root"
ok $([ "$(sha256sum </etc/default/docker)" = "$OPTS0" ]; echo $?) "the config is byte-identical again"
ok $([ "$(dockerd_sets)" = "$SETS0" ]; echo $?) "images, containers and volumes are all there"
ok $([ "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")" = true ]; echo $?) \
        "the running container runs again"
cp "$WORK/init-orig" /etc/init.d/docker

# 3. SIGKILL while the copy runs with Docker stopped, then run again.
"$BIN" move --device "$LOOP" --mount "$MNT" --no-pre-copy --yes >"$WORK/kill.out" 2>&1 &
pid=$!
killed=no
for _ in $(seq 1 3000); do
        if grep -q '"phase":[[:space:]]*"stopped"' /var/lib/docker-relocate/state.json 2>/dev/null; then
                # At once: with the data in the page cache the copy can
                # take well under a second.
                kill -KILL "$pid" 2>/dev/null && killed=yes
                break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
done
wait "$pid" 2>/dev/null
phase=$(grep -o '"phase":[[:space:]]*"[a-z-]*"' /var/lib/docker-relocate/state.json | grep -o '"[a-z-]*"$')
ok $([ $killed = yes ] && { [ "$phase" = '"stopped"' ] || [ "$phase" = '"copied"' ]; }; echo $?) \
        "the move was killed while Docker was stopped (journal phase $phase)"
ok $([ -z "$(dockerd_pid)" ]; echo $?) "dockerd is down after the kill"
"$BIN" move --device "$LOOP" --mount "$MNT" --no-pre-copy --yes --json >"$WORK/resume.json" 2>"$WORK/resume.err"
rc=$?
ok $([ $rc = 0 ]; echo $?) "running the move again completes it (got $rc)"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/resume.err"

# 4. After the move.
ok $([ "$(dockerd_root_dir)" = "$NEW" ]; echo $?) "docker info shows the new root $NEW"
# dockerd bind-mounts its root onto itself ("/dev/loopN[/docker]").
src=$(findmnt -n -o SOURCE --target "$NEW" | sed 's/\[.*//')
ok $([ "$src" = "$LOOP" ]; echo $?) "the new root is on the volume ($src)"
ok $([ "$(dockerd_sets)" = "$SETS0" ]; echo $?) "the same images, containers and volumes"
ok $([ "$(content)" = "$CONTENT0" ]; echo $?) "layers (whiteouts, hard links, sparse file) and volume data intact"
ok $([ "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")" = true ]; echo $?) \
        "the running container runs"
uuid=$(blkid -s UUID -o value "$LOOP")
grep -Eq "^UUID=$uuid[[:space:]]+$MNT[[:space:]]+ext4[[:space:]]+[^[:space:]]*nofail" /etc/fstab
ok $? "fstab mounts the volume by UUID with nofail"
grep -q -- "--data-root=$NEW" /etc/default/docker
ok $? "DOCKER_OPTS carries the new data root"
ok $([ -d "$DOCKERD_DATA_ROOT/image" ] && [ -d "$DOCKERD_DATA_ROOT/volumes" ]; echo $?) "the old tree is kept"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["changed"] and j["status"]=="changed" and j["downtime_seconds"] is not None else 1)' "$WORK/resume.json"
ok $? "the JSON reports changed, done and the downtime"

# 5. A re-run is a no-op.
before=$(sha256sum /etc/default/docker /etc/fstab)
"$BIN" move --device "$LOOP" --mount "$MNT" --yes --json >"$WORK/again.json" 2>/dev/null
rc=$?
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["changed"] is False else 1)' "$WORK/again.json"
ok $([ $rc = 0 ] && [ "$(sha256sum /etc/default/docker /etc/fstab)" = "$before" ]; echo $?) \
        "a re-run exits 0, says changed: false and writes nothing"

# 6. cleanup removes the old tree, and only then.
"$BIN" cleanup --yes >/dev/null 2>&1
ok $? "cleanup succeeds"
"$BIN" cleanup --yes --json >"$WORK/cleanup-again.json" 2>/dev/null
rc=$?
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["status"]=="unchanged" and j["changed"] is False and j["error"] is None else 1)' "$WORK/cleanup-again.json"
ok $([ $? = 0 ] && [ $rc = 0 ]; echo $?) "cleanup again has nothing to do: exit 0, status unchanged"
ok $([ ! -e "$DOCKERD_DATA_ROOT/image" ]; echo $?) "the old tree is gone"
ok $([ "$(dockerd_sets)" = "$SETS0" ]; echo $?) "Docker still has everything"
# Containers keep absolute paths of their volumes; with the old tree gone
# they must still start.
dockerd_docker restart -t 1 "$DOCKERD_RUNNING" >/dev/null 2>&1
ok $? "the container with a named volume restarts without the old tree"
dockerd_docker start -a "$DOCKERD_STOPPED" >/dev/null 2>&1
ok $? "the stopped container starts without the old tree"

sandbox_done
