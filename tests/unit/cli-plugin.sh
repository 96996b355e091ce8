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

# "docker relocate <TAB>": the Docker CLI asks the plugin through cobra's
# __complete protocol (candidates, then ":DIRECTIVE").
# The candidates docker offers for the words "$@" (the last one is the word
# being completed), and its directive on the last line.
complete_cli() {
        docker __complete relocate "$@" 2>/dev/null | cut -f1
}
out=$(complete_cli "")
is "$(sed '$d' <<<"$out" | tr '\n' ' ')" "status disks prepare move set-data-root rollback cleanup grow " \
        "docker relocate <TAB> offers the commands"
is "$(tail -n 1 <<<"$out")" ":4" "docker relocate <TAB> offers no files"
is "$(complete_cli se)" "$(printf 'set-data-root\n:4')" "docker relocate se<TAB> completes to set-data-root"
is "$(complete_cli move --fs "" | tr '\n' ' ')" "ext4 xfs :4 " "--fs offers ext4 and xfs"
is "$(complete_cli move --to "") $(complete_cli set-data-root "") $(complete_cli --root "")" ":16 :16 :16" \
        "--to, --root and set-data-root's argument offer directories"
is "$(complete_cli set-data-root /srv/docker --containerd-root "")" ":16" "--containerd-root offers directories"
is "$(complete_cli --root /srv st | tr '\n' ' ')" "status :4 " "the command is found behind an option with a value"
# Each command is offered exactly the options its own --help lists (but
# --version, which is no option of a command).
for c in status disks prepare move set-data-root rollback cleanup grow; do
        want=$("$BIN" "$c" --help | grep -oE -- '--[a-z][a-z-]+' | grep -vx -- --version | sort -u)
        got=$(complete_cli "$c" - | sed '$d' | sort -u)
        ok '[ -n "$want" ] && [ "$got" = "$want" ]' "$c: docker relocate $c -<TAB> offers the options of '$c --help'" ||
                diag "$(diff <(echo "$want") <(echo "$got"))"
done
like "$(complete_cli set-data-root -)" '^--containerd-root$' "set-data-root -<TAB> offers --containerd-root"
is "$("$BIN" __completeNoDesc "" 2>/dev/null | grep -c "$(printf '\t')")" 0 \
        "__completeNoDesc: the candidates without descriptions"
is "$("$BIN" __complete "" 2>/dev/null | grep -c "$(printf '\t')")" 8 "__complete: each command with its description"

done_testing
