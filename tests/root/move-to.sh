#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# move --to onto an already mounted filesystem, with the data root set in
# /etc/docker/daemon.json, on a real dockerd (SysV init script) in a private
# mount namespace: every refusal leaves everything as it was (exit 3); the
# move edits daemon.json and nothing else; rollback needs --yes and brings
# Docker back to the old root and the old daemon.json.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-dockerd.sh"
dockerd_enter_namespace "$0" "$@"

BIN=${DOCKER_RELOCATE:?}

sandbox_init move-to
DOCKERD_DATA_ROOT=$WORK/old-root
DOCKERD_CONFIG=json
dockerd_setup || exit 1
dockerd_start || { echo "Bail out! dockerd did not start"; exit 1; }
dockerd_populate || { echo "Bail out! populating failed"; exit 1; }

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || { echo "Bail out! the volume"; exit 1; }
mkdir "$VOL/docker" "$VOL/full"
echo x >"$VOL/full/file"

state() {
        sha256sum /etc/docker/daemon.json /etc/default/docker /etc/fstab 2>/dev/null
        ls -A /var/lib/docker-relocate 2>/dev/null
        dockerd_docker info --format '{{.DockerRootDir}}'
}
refused() {
        local what=$1 before rc
        shift
        before=$(state)
        "$BIN" move "$@" </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok $([ $rc = 3 ] && [ "$(state)" = "$before" ]; echo $?) "$what: refused (exit $rc), nothing changed"
        [ $rc = 3 ] || sed 's/^/#   /' "$WORK/out"
}

mkdir -p "$WORK/elsewhere"
refused "same filesystem as the data root" --to "$WORK/elsewhere" --yes
grep -q "same filesystem" "$WORK/out"
ok $? "the message says it is the same filesystem"
mkdir -p "$DOCKERD_DATA_ROOT/inside"
refused "a target inside the data root" --to "$DOCKERD_DATA_ROOT/inside" --yes
refused "a target that is not empty" --to "$VOL/full" --yes
refused "no terminal and no --yes" --to "$VOL/docker"
grep -q -- "--yes" "$WORK/out"
ok $? "the message asks for --yes"

# A conflict in the configuration: dockerd would not start again.
cp /etc/default/docker "$WORK/default.orig"
sed -i "s|^DOCKER_OPTS=\"|DOCKER_OPTS=\"--data-root=$DOCKERD_DATA_ROOT |" /etc/default/docker
refused "a data-root conflict (flag and daemon.json)" --to "$VOL/docker" --yes
grep -q "both as a flag" "$WORK/out"
ok $? "the message names the conflict"
# Every reason is on stderr, a line each, and in the JSON: under cloud-init
# or with 2>log, stdout (the plan, or the JSON object) is not what is read.
"$BIN" move --to "$VOL/full" --yes </dev/null >"$WORK/out" 2>"$WORK/err"
rc=$?
ok $([ $rc = 3 ] && grep -q '^error: Refused: .*both as a flag' "$WORK/err" &&
        grep -q '^error: Refused: .*is not empty' "$WORK/err"; echo $?) \
        "a refusal prints each of its two reasons on stderr (exit $rc)"
[ $rc = 3 ] || sed 's/^/#   /' "$WORK/err"
"$BIN" move --to "$VOL/full" --yes --json </dev/null >"$WORK/out.json" 2>/dev/null
python3 - "$WORK/out.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
reasons = j["plan"]["refusals"]
assert j["status"] == "refused" and j["error"]["code"] == 3, j
assert len(reasons) == 2 and all(r in j["error"]["message"] for r in reasons), j
PY
ok $? "--json: the refusal, its code and every reason in the object"
cp "$WORK/default.orig" /etc/default/docker

json0=$(cat /etc/docker/daemon.json)
opts0=$(sha256sum </etc/default/docker)
"$BIN" move --to "$VOL/docker" --no-pre-copy --yes --json >"$WORK/move.json" 2>"$WORK/move.err"
rc=$?
ok $rc "move --to succeeds"
[ $rc = 0 ] || sed "s/^/#   /" "$WORK/move.json"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/move.err"
ok $([ "$(dockerd_docker info --format '{{.DockerRootDir}}')" = "$VOL/docker" ]; echo $?) "Docker runs on $VOL/docker"
python3 - "$VOL/docker" <<'PY'
import json, sys
j = json.load(open("/etc/docker/daemon.json"))
sys.exit(0 if j.get("data-root") == sys.argv[1] else 1)
PY
ok $? "daemon.json holds the new data-root"
ok $([ "$(sha256sum </etc/default/docker)" = "$opts0" ]; echo $?) "/etc/default/docker is untouched"
ok $([ ! -e /etc/systemd/system/docker.service.d/50-docker-relocate-mount.conf ]; echo $?) \
        "no systemd drop-in on a SysV host"

# --dry-run --json of rollback and cleanup: one object with the plan, and
# nothing changed (what Ansible's check mode reads).
before=$(state; sha256sum /var/lib/docker-relocate/state.json)
for verb in rollback cleanup; do
        "$BIN" $verb --dry-run --json </dev/null >"$WORK/$verb-plan.json" 2>"$WORK/out"
        rc=$?
        python3 - "$WORK/$verb-plan.json" "$verb" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["status"] == "planned" and j["changed"] is False, j
if sys.argv[2] == "rollback":
    assert "data-root" in j["plan"]["diff"], j
PY
        ok $([ $? = 0 ] && [ $rc = 0 ]; echo $?) "$verb --dry-run --json prints the plan"
done
ok $([ "$(state; sha256sum /var/lib/docker-relocate/state.json)" = "$before" ]; echo $?) \
        "the dry runs changed nothing"

"$BIN" rollback </dev/null >"$WORK/out" 2>&1
ok $([ $? = 3 ]; echo $?) "rollback without --yes is refused"
"$BIN" rollback --yes >"$WORK/out" 2>&1
rc=$?
ok $rc "rollback --yes succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/out"
ok $([ "$(dockerd_docker info --format '{{.DockerRootDir}}')" = "$DOCKERD_DATA_ROOT" ]; echo $?) \
        "Docker runs on the old root again"
ok $([ "$(cat /etc/docker/daemon.json)" = "$json0" ]; echo $?) "daemon.json is as it was"
ok $([ "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")" = true ]; echo $?) \
        "the running container runs"
"$BIN" cleanup --yes >"$WORK/out" 2>&1
ok $([ $? = 3 ] && [ -d "$DOCKERD_DATA_ROOT/image" ]; echo $?) "cleanup after a rollback is refused and removes nothing"

sandbox_done
