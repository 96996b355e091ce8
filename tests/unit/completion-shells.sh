#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The zsh and the fish completion (contrib/completion/_docker-relocate,
# docker-relocate.fish), each run by its real shell: "completion-shells.sh
# zsh" drives zsh's completion system in a pseudo-terminal (zpty: the line is
# typed, then TAB; compadd records what it is given), "completion-shells.sh
# fish" asks fish ("complete -C LINE"). Both ask the program through
# "__complete": the commands, each command's options, the values of --fs,
# directories, and devices with their volume ids; then every directive of
# cobra's protocol, from a stand-in program that answers with a known reply.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
BIN=${DOCKER_RELOCATE:?}
SH=${1:?zsh or fish}
DIR=${SRCDIR:?}/contrib/completion

case $SH in
zsh)
        require 'command -v zsh' "zsh (package zsh)"
        FILE=$DIR/_docker-relocate
        # What the machine is, not a missing package: a build chroot may
        # have no pseudo-terminals.
        zsh -fc 'zmodload zsh/zpty && zpty t true && zpty -d t' >/dev/null 2>&1 ||
                skip_all "no pseudo-terminal to run zsh's line editor in"
        ;;
fish)
        require 'command -v fish' "fish (package fish)"
        FILE=$DIR/docker-relocate.fish
        ;;
*) bail_out "no completion for the shell '$SH'" ;;
esac

# zsh: an interactive zsh in a pseudo-terminal, with the completion system
# (compinit) finding the completion in its directory first. compadd records
# the matches it would add (those that match what is typed); internal calls
# that only ask (-O, -A, -D) pass through. TAB completes, then runs a command
# that says so: no key waits while the completion runs (zsh cuts short what
# it does when more input is pending).
cat >"$WORK/drive.zsh" <<'ZSH'
# drive.zsh FPATH_DIR CAPTURE LINE
zmodload zsh/zpty || exit 1
zpty z "TERM=dumb zsh -f -i"
zpty -w z "PS1='> '; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D; unsetopt beep; bindkey -e"
zpty -w z 'compadd() { if [[ -n ${(M)@:#-[OAD]} ]]; then builtin compadd "$@"; return; fi; local -a m; builtin compadd -O m "$@"; (( $#m )) && print -rl -- $m >>'"${(q)2}"'; builtin compadd "$@"; }'
zpty -w z 'complete-then-done() { zle complete-word; BUFFER="print -r -- DO\"\"NE"; zle accept-line; }; zle -N complete-then-done; bindkey "^I" complete-then-done'
# (The quotes keep the echo of a command from matching what it prints.)
zpty -w z 'print -r -- REA""DY'
zpty -r z line '*READY*' || exit 1
zpty -w -n z "$3"$'\t'
zpty -r z line '*DONE*' || exit 1
zpty -d z
ZSH

# complete_line LINE: what the shell offers for LINE (the cursor at its
# end), one a line, sorted, without descriptions. PATH leads to the program
# in $WORK/bin. The shell's stderr goes to $WORK/stderr.
complete_line() {
        case $SH in
        zsh)
                : >"$WORK/capture"
                PATH=$WORK/bin:$PATH timeout 30 zsh -f "$WORK/drive.zsh" "$DIR" "$WORK/capture" "$1" \
                        >/dev/null 2>"$WORK/stderr" </dev/null || echo "(zsh failed)"
                sort -u "$WORK/capture"
                ;;
        fish)
                PATH=$WORK/bin:$PATH timeout 30 fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
                        "$FILE" "$1" 2>"$WORK/stderr" </dev/null | cut -f1 | sort -u
                ;;
        esac
}
has() { grep -qxF -- "$2" <<<"$1"; }
words() { tr '\n' ' ' <<<"$1"; }
# The candidates the program itself offers, without descriptions.
program_offers() {
        "$BIN" __completeNoDesc "$@" 2>/dev/null | grep -v '^:' | sort -u
}
# zsh offers a directory's entries by their name, fish by their path.
entry() {
        case $SH in
        zsh) echo "$2" ;;
        fish) echo "$1$2/" ;;
        esac
}

mkdir -p "$WORK/bin"
ln -s "$BIN" "$WORK/bin/docker-relocate"

case $SH in
zsh) ok 'zsh -n "$FILE"' "the completion parses" ;;
fish) ok 'fish --no-execute "$FILE"' "the completion parses" ;;
esac

# ---- the program's answers ------------------------------------------------------

out=$(complete_line "docker-relocate ")
is "$(words "$out")" "cleanup disks grow move prepare rollback set-data-root status " "the commands"
is "$(complete_line "docker-relocate se")" "set-data-root" "a command by its prefix"
ok '[ ! -s "$WORK/stderr" ]' "completion prints nothing on the terminal"

out=$(complete_line "docker-relocate move --")
is "$out" "$(program_offers move --)" "move: the options the program offers for move"
ok 'has "$out" --device && has "$out" --to && has "$out" --wait-device && ! has "$out" --version' \
        "move offers --device, --to, --wait-device, not --version"
out=$(complete_line "docker-relocate disks --")
ok 'has "$out" --json && ! has "$out" --wipe && ! has "$out" --device' "disks offers --json, not --wipe or --device"
out=$(complete_line "docker-relocate --root /srv status --")
ok 'has "$out" --json && ! has "$out" --device' "the command is found behind an option with a value"

is "$(words "$(complete_line "docker-relocate move --fs ")")" "ext4 xfs " "--fs offers ext4 xfs"
want=xfs
[ "$SH" = fish ] && want=--fs=xfs
is "$(complete_line "docker-relocate move --fs=x")" "$want" "--fs=x completes the value"
is "$(words "$(complete_line "docker-relocate move --copier ")")" "engine rsync " "--copier offers engine rsync"

mkdir -p "$WORK/dirs/alpha" "$WORK/dirs/beta"
touch "$WORK/dirs/afile"
is "$(complete_line "docker-relocate move --to $WORK/dirs/a")" "$(entry "$WORK/dirs/" alpha)" \
        "--to offers directories only"
out=$(complete_line "docker-relocate move --mount $WORK/dirs/")
ok 'has "$out" "$(entry "$WORK/dirs/" alpha)" && has "$out" "$(entry "$WORK/dirs/" beta)" && ! grep -q afile <<<"$out"' \
        "--mount offers directories only"
is "$(complete_line "docker-relocate set-data-root $WORK/dirs/b")" \
        "$(entry "$WORK/dirs/" beta)" "set-data-root's argument is a directory"

# The devices as the program lists them (the loop devices of tests that run
# beside this one come and go: left out on both sides).
not_loop() { grep -v '^/dev/loop' || true; }
out=$(complete_line "docker-relocate move --device " | not_loop)
want=$(program_offers move --device "" | not_loop)
ok '[ -n "$want" ] && [ "$out" = "$want" ]' "--device offers the devices the program lists" ||
        diff <(echo "$want") <(echo "$out") | sed 's/^/#   /'

# Each command is offered exactly the options its own --help lists (but
# --version, which is no option of a command).
for c in status disks prepare move set-data-root rollback cleanup grow; do
        want=$("$BIN" "$c" --help | grep -oE -- '--[a-z][a-z-]+' | grep -vx -- --version | sort -u)
        got=$(complete_line "docker-relocate $c --")
        ok '[ -n "$want" ] && [ "$got" = "$want" ]' "$c: the completion offers the options of '$c --help'" ||
                diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'
done

# ---- the protocol, from a stand-in program --------------------------------------

# It records its arguments and prints $WORK/reply.
rm "$WORK/bin/docker-relocate"
cat >"$WORK/bin/docker-relocate" <<FAKE
#!/bin/sh
printf '%s\n' "\$@" >"$WORK/args"
cat "$WORK/reply"
FAKE
chmod +x "$WORK/bin/docker-relocate"
reply() { printf '%b' "$1" >"$WORK/reply"; }

reply 'vol-0123456789abcdef0\t/dev/nvme1n1\n/dev/nvme1n1\tAmazon Elastic Block Store\nsdf\t/dev/nvme1n1\n:4\n'
out=$(complete_line "docker-relocate prepare ")
is "$(words "$out")" "/dev/nvme1n1 sdf vol-0123456789abcdef0 " "devices, volume ids and EC2 names, without their descriptions"
is "$(tr '\n' ' ' <"$WORK/args")" "__complete prepare  " "the program is asked: __complete, the words, the empty current word"
is "$(complete_line "docker-relocate move --device vol")" "vol-0123456789abcdef0" "--device completes a volume id by its prefix"
if [ "$SH" = fish ]; then
        out=$(PATH=$WORK/bin:$PATH fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$FILE" "docker-relocate prepare /dev/nv")
        is "$out" $'/dev/nvme1n1\tAmazon Elastic Block Store' "the description comes with the candidate"
fi

reply 'ext4\nxfs\n:4\n'
complete_line "docker-relocate move --fs=" >/dev/null
is "$(tr '\n' ' ' <"$WORK/args")" "__complete move --fs  " "--fs=: the program is asked for the value of --fs"

# 1: an error, nothing is offered (not even what came before it).
reply 'move\n:1\n'
is "$(complete_line "docker-relocate m")" "" "directive 1 (error): nothing"
# 0 without candidates: the shell's own file completion.
reply ':0\n'
out=$(complete_line "docker-relocate status $WORK/dirs/a")
ok 'has "$out" "$(entry "$WORK/dirs/" alpha)" && grep -q afile <<<"$out"' "directive 0 and no candidate: files"
# 4 without candidates: nothing at all.
reply ':4\n'
is "$(complete_line "docker-relocate status $WORK/dirs/a")" "" "directive 4 (no files) and no candidate: nothing"
# 16: directories; with one candidate, those inside it.
reply ':16\n'
is "$(complete_line "docker-relocate set-data-root $WORK/dirs/")" \
        "$(printf '%s\n' "$(entry "$WORK/dirs/" alpha)" "$(entry "$WORK/dirs/" beta)")" "directive 16: directories"
mkdir -p "$WORK/dirs/alpha/inner" "$WORK/dirs/alpha/other"
touch "$WORK/dirs/alpha/file"
reply "$WORK/dirs/alpha\n:16\n"
out=$(cd "$WORK" && complete_line "docker-relocate set-data-root i")
is "$out" "$(entry "" inner)" "directive 16 with a directory: the directories inside it"
# 8: files with the extensions given, and directories.
touch "$WORK/dirs/a.json" "$WORK/dirs/a.yaml"
reply 'json\n:8\n'
out=$(complete_line "docker-relocate status $WORK/dirs/a")
ok 'has "$out" "$(entry "$WORK/dirs/" a.json | sed "s,/\$,,")" && has "$out" "$(entry "$WORK/dirs/" alpha)" &&
        ! grep -q "a.yaml" <<<"$out" && ! grep -q afile <<<"$out"' "directive 8: files with the extension, and directories"

# A program that fails: nothing offered, nothing printed.
printf '#!/bin/sh\necho "error: permission denied" >&2\nexit 1\n' >"$WORK/bin/docker-relocate"
is "$(complete_line "docker-relocate move --device ")" "" "a failing program: nothing offered"
ok '[ ! -s "$WORK/stderr" ]' "a failing program leaves the terminal quiet"

done_testing
