#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No silent change of image store, on a real dockerd (Engine 20.10 through
# Debian's SysV init script, its graph driver overlay2, its own "managed"
# containerd under <data-root>/containerd/daemon) in a private mount
# namespace:
#
#   - the plan records the store: graph driver overlay2, no driver-type,
#     dockerd's own containerd, whose root moves with the data root;
#   - a copy that arrives without its overlay2/ layers (the move killed
#     after the final copy, the copy's layers removed, the move run again)
#     is refused before dockerd starts on it: exit 4, back on the old root,
#     daemon.json byte-identical (Engine 29 would have started such a data
#     root on the containerd store, its images gone);
#   - a dockerd that comes up on the new root with another storage driver
#     (the test's init script adds --storage-driver=vfs once daemon.json names
#     the new root) rolls back: exit 4, the message names both drivers;
#   - the move then goes through, and the managed containerd, whose config
#     dockerd writes under its exec root at every start, runs on
#     <new root>/containerd/daemon: the config names it, the process holds its
#     metadata database there.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
STATE=/var/lib/docker-relocate/state.json
# A move killed after its copy (DOCKER_RELOCATE_TEST_CRASH) makes the copy
# without its layers the rest of the test starts from.
dockerd_require_fault_injection

dockerd_running_populated

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"
# A target each: a rolled-back move leaves its copy behind, and a new move
# wants an empty directory.
NEW1=$VOL/try-1
NEW2=$VOL/try-2
NEW=$VOL/docker
mkdir "$NEW1" "$NEW2" "$NEW"

show() {
        sed 's/^/#   /' "$@"
}
# py FILE EXPR: EXPR on the JSON in FILE, as d; exit status 0 when true.
py() {
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' \
                "$1" "$2"
}
back_on_old() {
        local what=$1
        ok '[ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(dockerd_sets)" = "$SETS0" ]' \
                "$what: dockerd runs on the old root with every image, container and volume"
        ok '[ "$(sha256sum </etc/docker/daemon.json)" = "$JSON0" ]' "$what: daemon.json is byte-identical"
        ok '[ "$(dockerd_docker info --format '{{.Driver}}')" = overlay2 ]' "$what: on overlay2 as before"
        ok '[ "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")" = true ]' \
                "$what: the running container runs again"
}

JSON0=$(sha256sum </etc/docker/daemon.json)
SETS0=$(dockerd_sets)
ok '[ "$(dockerd_docker info --format '{{.Driver}}')" = overlay2 ]' "dockerd runs on overlay2"
ok '[ -S /var/run/docker/containerd/containerd.sock ] &&
        [ -e "$DOCKERD_DATA_ROOT/containerd/daemon/io.containerd.metadata.v1.bolt/meta.db" ]' \
        "dockerd runs its own containerd, its root under the data root"

# 0. The plan.
"$BIN" move --to "$NEW" --dry-run --json >"$WORK/plan.json" 2>"$WORK/plan.err"
ok 'py "$WORK/plan.json" '"'"'d["plan"]["image_store"] == {"store": "graph-driver", "driver": "overlay2", "driver_type": None,
        "containerd_kind": "managed", "containerd_address": None, "containerd_root_moves": False,
        "containerd_config_place": None} and len(d["plan"]["trees"]) == 1'"'"'' "the plan records the graph driver overlay2 and dockerd's own containerd, no second tree"
ok 'py "$WORK/plan.json" '"'"'any("holds the overlay2 layers" in s for s in d["plan"]["steps"])'"'"'' "the plan checks the copy's overlay2/ before the start"

# 1. The copy arrives without its layers.
DOCKER_RELOCATE_TEST_CRASH=copied "$BIN" move --to "$NEW1" --no-pre-copy --yes >"$WORK/crash.out" 2>&1
is "$?" 137 "a move killed after the final copy"
ok '[ -n "$(ls -A "$NEW1/overlay2")" ]' "the copy holds overlay2/"
rm -rf --one-file-system "${NEW1:?}"/overlay2/*
"$BIN" move --to "$NEW1" --no-pre-copy --yes --json >"$WORK/nolayers.json" 2>"$WORK/nolayers.err"
rc=$?
is "$rc" 4 "run again on a copy without its layers: rolled back (exit $rc)"
[ $rc = 4 ] || show "$WORK/nolayers.err"
ok 'py "$WORK/nolayers.json" '"'"'"lacks the layers of the graph driver overlay2" in d["error"]["message"]
        and "start-verify" not in [s["name"] for s in d["steps"]]'"'"'' "it says the layers are missing, and dockerd never started on the copy"
back_on_old "no layers"

# 2. dockerd comes up on another storage driver.
cp /etc/init.d/docker "$WORK/init-orig"
sed "/^[[:space:]]*start)\$/a\\\t\\tif grep -qs -- '$NEW2' /etc/docker/daemon.json; then DOCKER_OPTS=\"\$DOCKER_OPTS --storage-driver=vfs\"; fi" \
        "$WORK/init-orig" >/etc/init.d/docker
grep -q -- "--storage-driver=vfs" /etc/init.d/docker || bail_out "could not inject the driver"
"$BIN" move --to "$NEW2" --no-pre-copy --yes --json >"$WORK/driver.json" 2>"$WORK/driver.err"
rc=$?
is "$rc" 4 "a start on another storage driver: rolled back (exit $rc)"
[ $rc = 4 ] || show "$WORK/driver.err"
ok 'py "$WORK/driver.json" '"'"'"storage driver vfs, not overlay2" in d["error"]["message"]'"'"'' "the message names both drivers"
[ $? = 0 ] || show "$WORK/driver.json"
back_on_old "another driver"
cp "$WORK/init-orig" /etc/init.d/docker

# 3. The move, and dockerd's own containerd on the moved tree.
"$BIN" move --to "$NEW" --no-pre-copy --yes --json >"$WORK/move.json" 2>"$WORK/move.err"
rc=$?
is "$rc" 0 "the move goes through"
[ $rc = 0 ] || show "$WORK/move.err"
ok '[ "$(dockerd_root_dir)" = "$NEW" ] && [ "$(dockerd_sets)" = "$SETS0" ]' \
        "dockerd runs on $NEW with every image, container and volume"
ok 'py "$STATE" '"'"'d["image_store"]["store"] == "graph-driver" and d["image_store"]["driver"] == "overlay2"
        and d["image_store"]["containerd_kind"] == "managed" and "containerd" not in d["image_store"]'"'"'' "the journal records the store"
ok 'grep -Eq "^root = [\"'"'"']$NEW/containerd/daemon[\"'"'"']" /var/run/docker/containerd/containerd.toml' "dockerd wrote its containerd's config with the new root"
[ $? = 0 ] || show /var/run/docker/containerd/containerd.toml
pid=$(cat /var/run/docker/containerd/containerd.pid 2>/dev/null)
db=$(for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null | grep 'io.containerd.metadata.v1.bolt/meta.db$')
ok '[ "$db" = "$NEW/containerd/daemon/io.containerd.metadata.v1.bolt/meta.db" ]' \
        "the managed containerd holds its database on the new root ($db)"
ok '[ -e "$DOCKERD_DATA_ROOT/containerd/daemon/io.containerd.metadata.v1.bolt/meta.db" ]' \
        "the old tree, with its containerd/, is kept"
dockerd_docker run --rm --network none relocate-test/layered:1 sh -c '[ ! -e /etc/conf/a ] && cat /etc/conf/c' \
        >"$WORK/run.out" 2>&1
ok '[ "$(cat "$WORK/run.out")" = new ]' "a container runs from the moved layers, whiteouts intact"

done_testing
