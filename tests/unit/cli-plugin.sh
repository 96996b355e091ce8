#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The binary as a Docker CLI plugin, run by the real docker CLI: a private
# DOCKER_CONFIG holds cli-plugins/docker-relocate, a link to the built binary,
# the way the installed link in <libexecdir>/docker/cli-plugins works.
# "docker relocate ARGS" must behave exactly as "docker-relocate ARGS". Needs
# no daemon: only the CLI's plugin handling runs.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
BIN=${DOCKER_RELOCATE:?}
FIXTURES=${FIXTURES:?}

require 'command -v docker' "the docker CLI (package docker.io)"

mkdir -p "$WORK/config/cli-plugins"
ln -s "$BIN" "$WORK/config/cli-plugins/docker-relocate"
export DOCKER_CONFIG=$WORK/config
# No daemon is needed; never talk to the machine's.
export DOCKER_HOST=unix://$WORK/no-daemon.sock
unset DOCKER_CONTEXT

meta=$("$BIN" docker-cli-plugin-metadata)
is "$(json_get '[j["SchemaVersion"], bool(j["Vendor"] and j["Version"] and j["ShortDescription"])]' <<<"$meta")" \
        '["0.1.0", true]' "docker-cli-plugin-metadata prints the metadata JSON"

is "$(docker relocate --version 2>&1)" "$("$BIN" --version)" "docker relocate --version"

out=$(docker relocate --help 2>&1)
rc=$?
ok '[ $rc = 0 ] && grep -q "^Usage: docker relocate " <<<"$out" && grep -q "^  move " <<<"$out"' \
        "docker relocate --help shows our help, naming 'docker relocate'"
like "$(docker help relocate 2>&1)" '^Usage: docker relocate ' "docker help relocate shows our help"

like "$(docker --help 2>&1)" '^  relocate\*? +Move Docker' "docker --help lists relocate with its description"

for f in default daemon-json dropin-data-root debian-sysv; do
        tree=$FIXTURES/config/$f/tree
        [ -d "$tree" ] || continue
        direct=$("$BIN" status --root "$tree" --json 2>&1)
        rc1=$?
        plugin=$(docker relocate status --root "$tree" --json 2>&1)
        rc2=$?
        ok '[ $rc1 = $rc2 ] && [ "$direct" = "$plugin" ] && json_get "j" <<<"$plugin" >/dev/null' \
                "docker relocate status --root ($f) --json equals the binary's"
done

docker relocate disks --wipe >/dev/null 2>&1
is "$?" 2 "a usage error keeps exit status 2 through the CLI"
docker relocate no-such-command >/dev/null 2>&1
is "$?" 2 "an unknown command is a usage error through the CLI"

done_testing
