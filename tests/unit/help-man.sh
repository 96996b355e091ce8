#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The command line against its documentation, from what the program itself
# says: for every command that --help lists, "COMMAND --help" names its own
# options in its usage line and lists the same ones, and that usage line
# names exactly the options of the command's line in the man page's
# SYNOPSIS; every option any command takes is documented under OPTIONS, and
# the man page documents no option the program does not take. Then the
# usage errors: an option a command does not take, one with a value given
# twice, an empty value, a label too long for its filesystem.
set -uo pipefail
BIN=${DOCKER_RELOCATE:?}
MAN=${SRCDIR:?}/man/docker-relocate.8.scd
n=0
failed=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi
}
diag() {
        sed 's/^/#   /' <<<"$1"
}
# The --options of text, one a line, sorted.
opts_of() {
        grep -oE -- '--[a-z][a-z-]+' <<<"$1" | sort -u
}
# The lines of the section of text that starts with the line $2.
section() {
        sed -n "/^$2\$/,/^\$/p" <<<"$1"
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

help=$("$BIN" --help)
ok $? "--help exits 0"
commands=$(section "$help" 'Commands:' | awk 'NF && $1 !~ /:$/ && $1 ~ /^[a-z-]+$/ {print $1}')
[ "$(wc -w <<<"$commands")" -ge 8 ]
ok $? "--help lists the commands ($(echo $commands))"
man_options=$(sed -n '/^# OPTIONS/,/^# /p' "$MAN")

all=
for c in $commands; do
        h=$("$BIN" "$c" --help)
        ok $? "$c --help exits 0"
        usage=$(sed -n "s/^Usage: [^ ]* \[OPTIONS\.\.\.\] $c\( \|\$\)//p" <<<"$h")
        grep -q "^Usage: .* $c" <<<"$h"
        ok $? "$c --help shows the usage of $c, not the general help"
        own=$(opts_of "$usage")
        listed=$(opts_of "$(section "$h" 'Options:')")
        general=$(opts_of "$(section "$h" 'General options:')")
        [ "$own" = "$listed" ]
        ok $? "$c --help: its usage line names the options it lists"
        [ "$own" = "$listed" ] || diag "usage: $own"$'\n'"listed: $listed"
        grep -qx -- --help <<<"$general"
        ok $? "$c --help lists the general options"
        synopsis=$(grep -E "^\*docker-relocate\* \[_OPTIONS_\.\.\.\] \*$c\*( |\$)" "$MAN")
        [ -n "$synopsis" ] && [ "$(opts_of "$synopsis")" = "$own" ]
        ok $? "man page SYNOPSIS: $c names exactly the options of '$c --help'"
        [ "$(opts_of "$synopsis")" = "$own" ] || diag "synopsis: $(opts_of "$synopsis")"$'\n'"help: $own"
        for o in $own $general; do
                grep -qF -- "*$o*" <<<"$man_options"
                ok $? "man page OPTIONS documents $o ($c)"
        done
        all+=" $own $general"
        grep -qE "^\*$c\*" "$MAN"
        ok $? "man page COMMANDS documents $c"
done
# (Elsewhere the page names other programs' options too: rsync's --delete.)
for o in $(sed -n '/^# SYNOPSIS/,/^# DESCRIPTION/p; /^# OPTIONS/,/^# /p' "$MAN" | grep -oE -- '\*--[a-z][a-z-]+\*' |
        tr -d '*' | sort -u); do
        grep -qxF -- "$o" <<<"$(tr ' ' '\n' <<<"$all")" || grep -qxF -- "$o" <<<"$(opts_of "$help")"
        ok $? "the man page's $o is an option of the program"
done
for o in $(opts_of "$help"); do
        grep -qF -- "*$o*" <<<"$man_options"
        ok $? "man page OPTIONS documents $o (--help)"
done

# usage ERROR-SUBSTRING ARGS...: exit 2, with a message on stderr. Each runs
# against a root of its own and as a dry run: nothing here may reach the
# host.
usage() {
        local want=$1 rc
        shift
        "$BIN" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
        rc=$?
        [ $rc = 2 ] && grep -qF -- "$want" "$WORK/err"
        ok $? "usage error (exit $rc): $*"
        [ $rc = 2 ] || diag "$(cat "$WORK/err")"
}
usage "does not take --wipe" disks --wipe
usage "Unknown option" status --no-such-option
usage "--mount was given 2 times" --root "$WORK" prepare /dev/null --mount /a --mount /b --dry-run
usage "--label was given 2 times" --root "$WORK" prepare /dev/null --mount /a --label a --label b --dry-run
usage "--device was given 2 times" move --device /dev/null --device /dev/zero --dry-run
usage "--to was given 2 times" move --to /a --to /b --dry-run
usage "--device needs a value" move --device '' --dry-run
usage "--label needs a value" --root "$WORK" prepare /dev/null --mount /a --label '' --dry-run
usage "takes no empty argument" --root "$WORK" prepare '' --mount /a --dry-run
usage "at most 16" --root "$WORK" prepare /dev/null --mount /a --label 12345678901234567 --dry-run
usage "at most 12" --root "$WORK" prepare /dev/null --mount /a --fs xfs --label 1234567890123 --dry-run
usage "at most 16" move --device /dev/null --label 12345678901234567 --dry-run
usage "contradict" move --to /a --pre-copy --no-pre-copy --dry-run
"$BIN" --root "$WORK" prepare /dev/null --mount /a --fs xfs --label 123456789012 --dry-run >/dev/null 2>&1
ok $([ $? != 2 ]; echo $?) "a 12-byte xfs label is no usage error"
"$BIN" --json move --device a --device b --dry-run >"$WORK/out" 2>/dev/null
ok $([ $? = 2 ] && python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(j["error"]["code"] != 2)' \
        "$WORK/out"; echo $?) "--json: a usage error is one JSON object too, error.code 2"

echo "1..$n"
[ $failed = 0 ]
