#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The binary as a Docker CLI plugin, run by the real docker CLI: a private
# DOCKER_CONFIG holds cli-plugins/docker-relocate, a link to the built binary,
# the way the installed link in <libexecdir>/docker/cli-plugins works.
# "docker relocate ARGS" must behave exactly as "docker-relocate ARGS". Needs
# no daemon: only the CLI's plugin handling runs.
set -uo pipefail
BIN=${DOCKER_RELOCATE:?}
FIXTURES=${FIXTURES:?}
n=0
failed=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi
}

if ! command -v docker >/dev/null 2>&1; then
        # Status 0: meson's TAP reader takes the plan for a skip only then
        # (a package build has no docker CLI).
        echo "1..0 # SKIP no docker CLI"
        exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/config/cli-plugins"
ln -s "$BIN" "$WORK/config/cli-plugins/docker-relocate"
export DOCKER_CONFIG=$WORK/config
# No daemon is needed; never talk to the machine's.
export DOCKER_HOST=unix://$WORK/no-daemon.sock
unset DOCKER_CONTEXT

meta=$("$BIN" docker-cli-plugin-metadata)
python3 - "$meta" <<'PY'
import json, sys
m = json.loads(sys.argv[1])
assert m["SchemaVersion"] == "0.1.0", m
assert m["Vendor"] and m["Version"] and m["ShortDescription"], m
PY
ok $? "docker-cli-plugin-metadata prints the metadata JSON"

[ "$(docker relocate --version 2>&1)" = "$("$BIN" --version)" ]
ok $? "docker relocate --version"

out=$(docker relocate --help 2>&1)
rc=$?
[ $rc = 0 ] && grep -q '^Usage: docker relocate ' <<<"$out" && grep -q '^  move ' <<<"$out"
ok $? "docker relocate --help shows our help, naming 'docker relocate'"
out=$(docker help relocate 2>&1)
grep -q '^Usage: docker relocate ' <<<"$out"
ok $? "docker help relocate shows our help"

docker --help 2>&1 | grep -qE '^  relocate\*? +Move Docker'
ok $? "docker --help lists relocate with its description"

for f in default daemon-json dropin-data-root debian-sysv; do
        tree=$FIXTURES/config/$f/tree
        [ -d "$tree" ] || continue
        direct=$("$BIN" status --root "$tree" --json 2>&1)
        rc1=$?
        plugin=$(docker relocate status --root "$tree" --json 2>&1)
        rc2=$?
        [ $rc1 = $rc2 ] && [ "$direct" = "$plugin" ] && python3 -c 'import json,sys; json.loads(sys.argv[1])' "$plugin"
        ok $? "docker relocate status --root ($f) --json equals the binary's"
done

docker relocate disks --wipe >/dev/null 2>&1
ok $([ $? = 2 ]; echo $?) "a usage error keeps exit status 2 through the CLI"
docker relocate no-such-command >/dev/null 2>&1
ok $([ $? = 2 ]; echo $?) "an unknown command is a usage error through the CLI"

echo "1..$n"
[ $failed = 0 ]
