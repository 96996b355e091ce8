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
. "$(dirname "$0")/../lib/tap.sh"
BIN=${DOCKER_RELOCATE:?}
MAN=${SRCDIR:?}/man/docker-relocate.8.scd
# The --options of text, one a line, sorted.
opts_of() {
        grep -oE -- '--[a-z][a-z-]+' <<<"$1" | sort -u
}
# The lines of the section of text that starts with the line $2.
section() {
        sed -n "/^$2\$/,/^\$/p" <<<"$1"
}

help=$("$BIN" --help)
is "$?" 0 "--help exits 0"
commands=$(section "$help" 'Commands:' | awk 'NF && $1 !~ /:$/ && $1 ~ /^[a-z-]+$/ {print $1}')
ok '[ "$(wc -w <<<"$commands")" -ge 8 ]' "--help lists the commands ($(echo $commands))"
man_options=$(sed -n '/^# OPTIONS/,/^# /p' "$MAN")

all=
for c in $commands; do
        h=$("$BIN" "$c" --help)
        is "$?" 0 "$c --help exits 0"
        usage=$(sed -n "s/^Usage: [^ ]* \[OPTIONS\.\.\.\] $c\( \|\$\)//p" <<<"$h")
        like "$h" "^Usage: .* $c" "$c --help shows the usage of $c, not the general help"
        own=$(opts_of "$usage")
        listed=$(opts_of "$(section "$h" 'Options:')")
        general=$(opts_of "$(section "$h" 'General options:')")
        is "$own" "$listed" "$c --help: its usage line names the options it lists"
        ok 'grep -qx -- --help <<<"$general"' "$c --help lists the general options"
        synopsis=$(grep -E "^\*docker-relocate\* \[_OPTIONS_\.\.\.\] \*$c\*( |\$)" "$MAN")
        ok '[ -n "$synopsis" ] && [ "$(opts_of "$synopsis")" = "$own" ]' \
                "man page SYNOPSIS: $c names exactly the options of '$c --help'" ||
                diag "synopsis: $(opts_of "$synopsis")" "help: $own"
        for o in $own $general; do
                ok 'grep -qF -- "*$o*" <<<"$man_options"' "man page OPTIONS documents $o ($c)"
        done
        all+=" $own $general"
        ok 'grep -qE "^\*$c\*" "$MAN"' "man page COMMANDS documents $c"
done
# (Elsewhere the page names other programs' options too: rsync's --delete.)
for o in $(sed -n '/^# SYNOPSIS/,/^# DESCRIPTION/p; /^# OPTIONS/,/^# /p' "$MAN" | grep -oE -- '\*--[a-z][a-z-]+\*' |
        tr -d '*' | sort -u); do
        ok 'grep -qxF -- "$o" <<<"$(tr " " "\n" <<<"$all")" || grep -qxF -- "$o" <<<"$(opts_of "$help")"' \
                "the man page's $o is an option of the program"
done
for o in $(opts_of "$help"); do
        ok 'grep -qF -- "*$o*" <<<"$man_options"' "man page OPTIONS documents $o (--help)"
done

# --root names a system tree: a directory with /etc.
mkdir "$WORK/etc"
# usage ERROR-SUBSTRING ARGS...: exit 2, with a message on stderr. Each runs
# against a root of its own and as a dry run: nothing here may reach the
# host.
usage() {
        local want=$1 rc
        shift
        "$BIN" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
        rc=$?
        ok '[ $rc = 2 ] && grep -qF -- "$want" "$WORK/err"' "usage error (exit $rc): $*" ||
                diag "$(cat "$WORK/err")"
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
# --root names the root of a system, and only where a command reads one.
usage "--root $WORK/typo: No such file" --root "$WORK/typo" status
usage "--root $WORK/typo: No such file" --root "$WORK/typo" set-data-root /srv/x
ok '[ ! -e "$WORK/typo" ]' "set-data-root under a mistyped --root creates nothing"
mkdir "$WORK/bare"
usage "it has no /etc directory" --root "$WORK/bare" set-data-root /srv/x
is "$(ls -A "$WORK/bare")" "" "set-data-root under a --root without /etc writes nothing"
usage "is not a directory" --root /dev/null status
for c in move rollback cleanup grow disks; do
        usage "'$c' does not take --root: it acts on the running host. For an offline image, status," \
                --root "$WORK" $c
done
"$BIN" --root "$WORK" prepare /dev/null --mount /a --fs xfs --label 123456789012 --dry-run >/dev/null 2>&1
isnt "$?" 2 "a 12-byte xfs label is no usage error"
"$BIN" --json move --device a --device b --dry-run >"$WORK/out" 2>/dev/null
is "$? $(json_get 'j["error"]["code"]' "$WORK/out")" "2 2" "--json: a usage error is one JSON object too, error.code 2"

done_testing
