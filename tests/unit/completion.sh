#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion, sourced into bash and driven the way readline drives
# it (COMP_WORDS, COMP_CWORD): commands, each command's own options (the
# program offers them through "__complete"), option values, and devices from "docker-relocate disks --json" (a stand-in binary
# prints a known list; the real one must not make completion noisy).
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
BIN=${DOCKER_RELOCATE:?}
COMPLETION=${SRCDIR:?}/contrib/completion/docker-relocate.bash

# Prints COMPREPLY, one per line, for the words given; the last word is the
# one being completed. Its stderr goes to $WORK/stderr.
complete_words() {
        bash -c '
                set -u
                . "$1"
                shift
                COMP_WORDS=("$@")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                _docker_relocate
                printf "%s\n" "${COMPREPLY[@]}"
        ' complete "$COMPLETION" "$@" 2>"$WORK/stderr" | sort
}
has() { grep -qxF -- "$2" <<<"$1"; }

ok 'bash -n "$COMPLETION"' "the completion script parses"

out=$(complete_words "$BIN" "")
is "$(tr '\n' ' ' <<<"$out")" "cleanup disks grow move prepare rollback set-data-root status " "the commands"
is "$(complete_words "$BIN" se)" "set-data-root" "a command by its prefix"

out=$(complete_words "$BIN" move --)
ok 'has "$out" --device && has "$out" --to && has "$out" --label && has "$out" --wait-device && has "$out" --delete-old' \
        "move offers --device, --to, --label, --wait-device, --delete-old"
ok '! has "$out" --version' "move does not offer --version"

out=$(complete_words "$BIN" disks --)
ok 'has "$out" --json && ! has "$out" --wipe && ! has "$out" --root && ! has "$out" --device' \
        "disks offers --json, not --wipe, --root or --device"

out=$(complete_words "$BIN" --root /srv status --)
ok 'has "$out" --json && ! has "$out" --device' "the command is found behind an option with a value"

out=$(complete_words "$BIN" set-data-root --)
ok 'has "$out" --dry-run && ! has "$out" --yes && ! has "$out" --mount' \
        "set-data-root offers --dry-run, not --yes or --mount"
ok 'has "$out" --containerd-root' "set-data-root offers --containerd-root"

out=$(complete_words "$BIN" grow --)
ok 'has "$out" --dry-run && ! has "$out" --root' "grow offers --dry-run, not --root"

is "$(complete_words "$BIN" move --device /dev/x --fs "" | tr '\n' ' ')" "ext4 xfs " "--fs offers ext4 xfs"
is "$(complete_words "$BIN" move --fs = x)" "xfs" "--fs=x completes to xfs"
is "$(complete_words "$BIN" move --copier "" | tr '\n' ' ')" "engine rsync " "--copier offers engine rsync"

mkdir -p "$WORK/dirs/alpha" "$WORK/dirs/beta"
touch "$WORK/dirs/afile"
out=$(complete_words "$BIN" move --to "$WORK/dirs/a")
is "$out" "$WORK/dirs/alpha" "--to offers directories only"
out=$(complete_words "$BIN" move --device /dev/x --mount "$WORK/dirs/")
ok 'has "$out" "$WORK/dirs/alpha" && has "$out" "$WORK/dirs/beta" && ! has "$out" "$WORK/dirs/afile"' \
        "--mount offers directories only"
is "$(complete_words "$BIN" --root "$WORK/dirs/b")" "$WORK/dirs/beta" "--root offers directories"

# A stand-in for the binary: "disks --json" prints a known list, in the
# layout the real one prints (cJSON's).
cat >"$WORK/fake" <<'FAKE'
#!/bin/sh
[ "$1 $2" = "disks --json" ] || exit 2
cat <<'JSON'
{
	"disks":	[{
			"name":	"loop0",
			"node":	"/dev/loop0",
			"size":	0,
			"volume_id":	null,
			"ec2_name":	null,
			"partitions":	[]
		}, {
			"name":	"nvme1n1",
			"node":	"/dev/nvme1n1",
			"size":	107374182400,
			"volume_id":	"vol-0123456789abcdef0",
			"ec2_name":	"sdf",
			"partitions":	[{
					"name":	"nvme1n1p1",
					"node":	"/dev/nvme1n1p1",
					"size":	107373133824,
					"volume_id":	null,
					"ec2_name":	null
				}]
		}]
}
JSON
FAKE
chmod +x "$WORK/fake"
out=$(complete_words "$WORK/fake" move --device "")
is "$(tr '\n' ' ' <<<"$out")" "/dev/nvme1n1 /dev/nvme1n1p1 sdf vol-0123456789abcdef0 " \
        "--device offers device nodes, volume ids and EC2 names, not empty devices"
is "$(complete_words "$WORK/fake" move --device vol)" "vol-0123456789abcdef0" "--device completes a volume id"
out=$(complete_words "$WORK/fake" prepare "")
ok 'has "$out" /dev/nvme1n1 && has "$out" vol-0123456789abcdef0' "prepare's argument is a device"
ok '[ -z "$(complete_words "$WORK/fake" prepare /dev/nvme1n1 "")" ]' "prepare takes one device only"

printf '#!/bin/sh\necho "error: permission denied" >&2\nexit 1\n' >"$WORK/failing"
chmod +x "$WORK/failing"
complete_words "$WORK/failing" move --device "" >/dev/null
ok '[ ! -s "$WORK/stderr" ]' "a failing disks --json leaves the terminal quiet"

start=$(date +%s)
complete_words "$BIN" move --device "" >/dev/null
ok '[ ! -s "$WORK/stderr" ] && [ $(($(date +%s) - start)) -le 5 ]' \
        "the real binary's device list comes quietly and fast"

# Every option --help names is offered somewhere.
all=$(for c in "" status disks prepare move set-data-root rollback cleanup grow; do
        if [ -n "$c" ]; then complete_words "$BIN" "$c" --; else complete_words "$BIN" --; fi
done | sort -u)
for o in $("$BIN" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        ok 'has "$all" "$o"' "$o is offered"
done

# Each command is offered exactly the options its own --help lists (but
# --version, which is no option of a command).
for c in status disks prepare move set-data-root rollback cleanup grow; do
        want=$("$BIN" "$c" --help | grep -oE -- '--[a-z][a-z-]+' | grep -vx -- --version | sort -u)
        got=$(complete_words "$BIN" "$c" -- | sort -u)
        ok '[ -n "$want" ] && [ "$got" = "$want" ]' "$c: the completion offers the options of '$c --help'" ||
                diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'
done

done_testing
