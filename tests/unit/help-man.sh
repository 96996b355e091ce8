#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command and option that --help lists is documented in the man page,
# and the man page documents no option the program does not take.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
BIN=${DOCKER_RELOCATE:?}
MAN=${SRCDIR:?}/man/docker-relocate.8.scd

help=$("$BIN" --help)
is "$?" 0 "--help exits 0"
opts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
isnt "$opts" "" "--help lists options"
for o in $opts; do
        ok 'grep -qF -- "*$o*" "$MAN"' "man page documents $o"
done
for c in $(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk 'NF && $1 !~ /:$/ && $1 ~ /^[a-z-]+$/ {print $1}'); do
        ok 'grep -qE "^\*$c\*" "$MAN"' "man page documents the command $c"
done
for o in $(grep -oE -- '\*--[a-z][a-z-]+\*' "$MAN" | tr -d '*' | sort -u); do
        ok 'grep -qF -- "$o" <<<"$help"' "the man page's $o exists in --help"
done
"$BIN" status --no-such-option >/dev/null 2>&1
is "$?" 2 "an unknown option is a usage error (exit 2)"
"$BIN" disks --wipe >/dev/null 2>&1
is "$?" 2 "an option the command does not take is a usage error"
done_testing
