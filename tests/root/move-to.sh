#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# move --to onto an already mounted filesystem, with the data root set in
# /etc/docker/daemon.json, on a real dockerd (SysV init script) in a private
# mount namespace: every refusal leaves everything as it was (exit 3); the
# move edits daemon.json and nothing else; rollback needs --yes and brings
# Docker back to the old root and the old daemon.json; after daemon.json was
# edited since a move, the rollback sets the data root back and keeps the edit.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}

dockerd_running_populated

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"
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
        ok '[ $rc = 3 ] && [ "$(state)" = "$before" ]' "$what: refused (exit $rc), nothing changed"
        [ $rc = 3 ] || sed 's/^/#   /' "$WORK/out"
}

mkdir -p "$WORK/elsewhere"
refused "same filesystem as the data root" --to "$WORK/elsewhere" --yes
ok 'grep -q "same filesystem" "$WORK/out"' "the message says it is the same filesystem"
mkdir -p "$DOCKERD_DATA_ROOT/inside"
refused "a target inside the data root" --to "$DOCKERD_DATA_ROOT/inside" --yes
refused "a target that is not empty" --to "$VOL/full" --yes
refused "no terminal and no --yes" --to "$VOL/docker"
ok 'grep -q -- "--yes" "$WORK/out"' "the message asks for --yes"

# A conflict in the configuration: dockerd would not start again.
cp /etc/default/docker "$WORK/default.orig"
sed -i "s|^DOCKER_OPTS=\"|DOCKER_OPTS=\"--data-root=$DOCKERD_DATA_ROOT |" /etc/default/docker
refused "a data-root conflict (flag and daemon.json)" --to "$VOL/docker" --yes
ok 'grep -q "both as a flag" "$WORK/out"' "the message names the conflict"
# Every reason is on stderr, a line each, and in the JSON: under cloud-init
# or with 2>log, stdout (the plan, or the JSON object) is not what is read.
"$BIN" move --to "$VOL/full" --yes </dev/null >"$WORK/out" 2>"$WORK/err"
rc=$?
ok '[ $rc = 3 ] && grep -q "^error: Refused: .*both as a flag" "$WORK/err" &&
        grep -q "^error: Refused: .*is not empty" "$WORK/err"' \
        "a refusal prints each of its two reasons on stderr (exit $rc)"
[ $rc = 3 ] || sed 's/^/#   /' "$WORK/err"
"$BIN" move --to "$VOL/full" --yes --json </dev/null >"$WORK/out.json" 2>/dev/null
is "$(json_get '[j["status"], j["error"]["code"], len(j["plan"]["refusals"]),
        all(r in j["error"]["message"] for r in j["plan"]["refusals"])]' "$WORK/out.json")" '["refused", 3, 2, true]' \
        "--json: the refusal, its code and every reason in the object"
cp "$WORK/default.orig" /etc/default/docker

json0=$(cat /etc/docker/daemon.json)
opts0=$(sha256sum </etc/default/docker)
# Every dockerd the move runs itself (the one the init script names in
# DOCKERD=: the version, the configuration's check), logged with the
# journal's phase at that moment. The init script starts Docker through it
# too (with -p), which is not the move's own. The script is the harness's
# private copy, rewritten in place (it is bind-mounted).
mkdir "$WORK/shim"
cat >"$WORK/shim/dockerd" <<EOT
#!/bin/sh
phase=\$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("phase"))' $RELOCATE_STATE 2>/dev/null)
echo "\${phase:-none} \$*" >>"$WORK/dockerd-runs.txt"
exec $(command -v dockerd) "\$@"
EOT
chmod 0755 "$WORK/shim/dockerd"
sed "s|^DOCKERD=.*|DOCKERD=$WORK/shim/dockerd|" /etc/init.d/docker >"$WORK/init-shim" &&
        cat "$WORK/init-shim" >/etc/init.d/docker || bail_out "cannot point the init script at the shim"
PATH=$WORK/shim:$PATH "$BIN" move --to "$VOL/docker" --no-pre-copy --yes --json >"$WORK/move.json" 2>"$WORK/move.err"
rc=$?
is "$rc" 0 "move --to succeeds"
# Docker is down from "stopped" until the start: nothing of the move's own
# may keep it down longer, such as a dockerd run to check the configuration
# (the plan checks it before the stop).
ok 'grep -Eq "^[a-z-]+ --(version|validate)" "$WORK/dockerd-runs.txt" &&
        ! grep -Eq "^(stopped|copied|configured) --(version|validate)" "$WORK/dockerd-runs.txt"' \
        "the move runs the dockerd the init script names, and none of its own while Docker is stopped"
sed 's/^/#   dockerd run in phase /' "$WORK/dockerd-runs.txt" 2>/dev/null
[ $rc = 0 ] || sed "s/^/#   /" "$WORK/move.json"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/move.err"
is "$(dockerd_root_dir)" "$VOL/docker" "Docker runs on $VOL/docker"
is "$(json_get 'j.get("data-root")' /etc/docker/daemon.json)" "$VOL/docker" "daemon.json holds the new data-root"
is "$(sha256sum </etc/default/docker)" "$opts0" "/etc/default/docker is untouched"
ok '[ ! -e /etc/systemd/system/docker.service.d/50-docker-relocate-mount.conf ]' \
        "no systemd drop-in on a SysV host"

# --dry-run --json of rollback and cleanup: one object with the plan, and
# nothing changed (what Ansible's check mode reads).
before=$(state; sha256sum /var/lib/docker-relocate/state.json)
for verb in rollback cleanup; do
        "$BIN" $verb --dry-run --json </dev/null >"$WORK/$verb-plan.json" 2>"$WORK/out"
        rc=$?
        # The plan, and for rollback the diff that puts data-root back.
        is "$rc $(json_get '[j["status"], j["changed"], "'$verb'" != "rollback" or "data-root" in j["plan"]["diff"]]' \
                "$WORK/$verb-plan.json")" '0 ["planned", false, true]' "$verb --dry-run --json prints the plan"
done
is "$(state; sha256sum /var/lib/docker-relocate/state.json)" "$before" \
        "the dry runs changed nothing"

"$BIN" rollback </dev/null >"$WORK/out" 2>&1
is "$?" 3 "rollback without --yes is refused"
"$BIN" rollback --yes --json >"$WORK/rollback.json" 2>"$WORK/out"
rc=$?
is "$rc" 0 "rollback --yes succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/out"
is "$(json_get '[s["name"] for s in j["steps"]]' "$WORK/rollback.json")" \
        '["stop", "configure", "start-verify", "restart-containers"]' "rollback --json: its steps"
is "$(json_get 'all(s["seconds"] > 0 for s in j["steps"] if s["name"] in ("stop", "start-verify"))' "$WORK/rollback.json")" true \
        "rollback --json: stopping and starting Docker are timed"
is "$(dockerd_root_dir)" "$DOCKERD_DATA_ROOT" "Docker runs on the old root again"
is "$(cat /etc/docker/daemon.json)" "$json0" "daemon.json is as it was"
is "$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING")" true "the running container runs"
before=$(sha256sum /etc/docker/daemon.json /var/lib/docker-relocate/state.json)
"$BIN" rollback --yes --json </dev/null >"$WORK/again.json" 2>"$WORK/out"
rc=$?
is "$rc $(json_get '[j["status"], j["changed"], j["error"]]' "$WORK/again.json")" '0 ["unchanged", false, null]' \
        "rollback again has nothing to do: exit 0, status unchanged"
is "$(sha256sum /etc/docker/daemon.json /var/lib/docker-relocate/state.json)" "$before" \
        "rollback again writes nothing"
"$BIN" cleanup --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 3 ] && [ -d "$DOCKERD_DATA_ROOT/image" ]' "cleanup after a rollback is refused and removes nothing"

# daemon.json edited after a move: the rollback sets the data root back and
# keeps that edit, and its plan says why the file is not put back as it was.
mkdir "$VOL/docker2"
"$BIN" move --to "$VOL/docker2" --no-pre-copy --yes >"$WORK/out" 2>&1
rc=$?
is "$rc" 0 "a second move succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/out"
python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); j["log-level"] = "warn"; json.dump(j, open(sys.argv[1], "w"), indent=2)' \
        /etc/docker/daemon.json
"$BIN" rollback --dry-run --json </dev/null >"$WORK/plan2.json" 2>"$WORK/out"
is "$(json_get 'any("/etc/docker/daemon.json was changed since" in l and "every other change made since is kept" in l
        for l in j["plan"]["steps"])' "$WORK/plan2.json")" true \
        "the plan says daemon.json was changed since the move, and that the change is kept"
"$BIN" rollback --yes >"$WORK/out" 2>&1
rc=$?
is "$rc" 0 "rollback --yes succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/out"
is "$(dockerd_root_dir)" "$DOCKERD_DATA_ROOT" "Docker runs on the old root again"
is "$(json_get '[j.get("data-root"), j.get("log-level")]' /etc/docker/daemon.json)" "[\"$DOCKERD_DATA_ROOT\", \"warn\"]" \
        "daemon.json: the old data root, and the edit made after the move kept"

done_testing
