#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command and option that --help lists is documented in the man page,
# and the man page documents no option the program does not take.
set -uo pipefail
BIN=${DOCKER_RELOCATE:?}
MAN=${SRCDIR:?}/man/docker-relocate.8.scd
n=0
failed=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi
}

help=$("$BIN" --help)
ok $? "--help exits 0"
opts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
[ -n "$opts" ]
ok $? "--help lists options"
for o in $opts; do
        grep -qF -- "*$o*" "$MAN"
        ok $? "man page documents $o"
done
for c in $(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk 'NF && $1 !~ /:$/ && $1 ~ /^[a-z-]+$/ {print $1}'); do
        grep -qE "^\*$c\*" "$MAN"
        ok $? "man page documents the command $c"
done
for o in $(grep -oE -- '\*--[a-z][a-z-]+\*' "$MAN" | tr -d '*' | sort -u); do
        grep -qF -- "$o" <<<"$help"
        ok $? "the man page's $o exists in --help"
done
"$BIN" status --no-such-option >/dev/null 2>&1
ok $([ $? = 2 ]; echo $?) "an unknown option is a usage error (exit 2)"
"$BIN" disks --wipe >/dev/null 2>&1
ok $([ $? = 2 ]; echo $?) "an option the command does not take is a usage error"
echo "1..$n"
[ $failed = 0 ]
