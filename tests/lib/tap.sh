# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The TAP vocabulary and the sandbox of every shell test: the unit scripts
# (tests/unit/*.sh), the root tests (tests/root/*.sh, through lib-dockerd.sh
# where they need a dockerd), the VM scenarios (the payload carries this file;
# tests/vm/scenario-lib.sh sources it in the guest) and tools/demo.sh.
#
#     . "$(dirname "$0")/../lib/tap.sh"
#
# Sourcing it makes $WORK, a new temporary directory, and the exit stack
# below; it changes nothing else.
#
# ---- TAP ----------------------------------------------------------------------
#
# Test::More's words and argument order. Every check prints one numbered line
# and returns 0 when it passed, 1 when it failed (so "is ... || diag ..." adds
# what explains a failure).
#
#   ok CONDITION DESCRIPTION
#       CONDITION is shell code, run here with eval, in the caller's variables.
#       Write it in single quotes, so that it runs as the failure shows it:
#           ok '[ "$rc" = 3 ] && grep -q "not blank" "$WORK/err"' "refused"
#       What it prints (stdout and stderr) is shown under a failure; after a
#       success only its "#" lines are (a comment such as "# took 2 s").
#   is GOT EXPECTED DESCRIPTION        equal strings; both shown when not
#   isnt GOT UNEXPECTED DESCRIPTION
#   like TEXT REGEX DESCRIPTION        a line of TEXT matches REGEX (grep -E)
#   unlike TEXT REGEX DESCRIPTION
#   skip DESCRIPTION REASON            a check that cannot run here, and why
#   diag MESSAGE...                    "# " lines, one per line of each MESSAGE
#   diag_files FILE...                 the same, for the lines of each FILE
#   bail_out REASON                    "Bail out!": the test cannot go on; exit 1
#   done_testing                       the plan ("1..N"); exits 0 if all passed,
#                                      else 1
#   skip_all REASON                    before any check: "1..0 # SKIP REASON",
#                                      exit $TAP_SKIP_STATUS (default 77; meson
#                                      sets 0, as its TAP reader takes the plan
#                                      for a skip only with status 0)
#
# A skip for a missing dependency (a program, a Python module, root) is a
# failure under CI (CI set, and not "false" or "0"): tools/install-deps.sh
# installs everything the tests need, so there such a skip would hide a test
# that never ran. Skips for what the machine is (no systemd as PID 1, no
# device-mapper in its kernel) stay skips everywhere.
#
#   require CONDITION WHAT             the whole test needs WHAT; CONDITION
#                                      (shell code) says it is there
#   skip_missing DESCRIPTION WHAT      one check needs WHAT, which is missing
#   skip_all_missing WHAT              the whole test needs WHAT
#
# ---- the sandbox ---------------------------------------------------------------
#
#   sandbox_enter "$@"    first thing in a root test (before any cd: it runs
#                         "$0" again): skips without root, and runs the
#                         script again in a private mount namespace
#                         (unshare --mount --propagation private), so that
#                         every mount it makes vanishes with it, with a
#                         private /var/lib (sandbox_private_var_lib). The
#                         helpers below that mount refuse to run outside it.
#   on_exit COMMAND       COMMAND (shell code) runs at exit; the last
#                         registered runs first
#   sandbox_spawn VAR COMMAND...
#                         COMMAND in the background, its PID in VAR, ended at
#                         exit (by that PID)
#   sandbox_mount [MOUNT OPTIONS...] SOURCE DIR
#   sandbox_bind SOURCE TARGET
#   sandbox_tmpfs DIR     mounts undone at exit (a missing DIR is made)
#   sandbox_private_copy DIR
#                         a private, writable copy of DIR bound over it
#   sandbox_private_empty DIR
#                         an empty directory bound over DIR
#   sandbox_private_run   a private tmpfs on /run
#   sandbox_private_var_lib
#                         a tmpfs on /var/lib with the machine's entries bound
#                         back in, but for docker, docker-relocate and
#                         containerd: those start absent, private to the test
#   sandbox_private_system
#                         private copies of /etc and /var/lib (the product may
#                         rename files into place there)
#   sandbox_loop VAR SIZE [LOSETUP OPTIONS...]
#                         a loop device (its node in VAR) over a new sparse
#                         file $WORK/<device name>.img; -P scans partitions
#   sandbox_loop_file VAR FILE [LOSETUP OPTIONS...]
#   sandbox_ext4_volume VAR SIZE DIR [MKFS.EXT4 OPTIONS...]
#                         a loop device with a new ext4, mounted on DIR
#   sandbox_umount_below DIR
#
# At exit, whatever the exit (done_testing, bail_out, a failed command under
# "set -e", SIGINT or SIGTERM): the on_exit commands, last first (processes
# end here, containers before their daemon); the mounts, last first; whatever
# is still mounted below $WORK (deepest first); the loop devices, after what
# is mounted from them; then the immutable flags below $WORK are cleared and
# $WORK is removed, never while anything is mounted below it. TAP_KEEP_WORK=1
# keeps $WORK (unmounted) to look at.
#
# ---- helpers -------------------------------------------------------------------
#
#   wait_for SECONDS COMMAND...  poll (every $WAIT_FOR_INTERVAL s, default
#                                0.2) until COMMAND succeeds; its output is
#                                dropped
#   capture VAR COMMAND...       COMMAND's stdout in VAR_out, stderr in
#                                VAR_err, exit status in VAR_rc
#   checksum_of PATH...          one sha256 over files or devices, in order
#   json_get EXPR [FILE]         a Python expression over the JSON document
#                                in FILE (default stdin), bound to "j"; a
#                                string prints bare, anything else as JSON
#                                (true, null, ["a"]); fails when the
#                                document does not parse or EXPR raises

_tap_n=0
_tap_failed=0
_tap_on_exit=()
_tap_mounts=()
_tap_loops=()

# ---- TAP -----------------------------------------------------------------------

# The result line; a description is one line.
_tap_result() {
        local status=$1 desc=${2-}
        desc=${desc//$'\n'/ }
        _tap_n=$((_tap_n + 1))
        if [ "$status" = 0 ]; then
                printf 'ok %d - %s\n' "$_tap_n" "$desc"
                return 0
        fi
        _tap_failed=$((_tap_failed + 1))
        printf 'not ok %d - %s\n' "$_tap_n" "$desc"
        return 1
}

diag() {
        local msg line
        for msg in "$@"; do
                while IFS= read -r line; do
                        printf '# %s\n' "$line"
                done <<<"$msg"
        done
}

diag_files() {
        local f
        for f in "$@"; do
                [ -r "$f" ] || continue
                diag "$(cat "$f")"
        done
}

# _tap_show LABEL VALUE: one value of a failed comparison.
_tap_show() {
        local line
        case $2 in
        *$'\n'*)
                printf '#   %s\n' "${1%"${1##*[! ]}"}"
                while IFS= read -r line; do
                        printf '#     %s\n' "$line"
                done <<<"$2"
                ;;
        *) printf "#   %s '%s'\n" "$1" "$2" ;;
        esac
}

ok() {
        local _tap_cond=$1 _tap_desc=${2-} _tap_rc=0 _tap_line
        if [[ $_tap_cond =~ ^[0-9]+$ ]]; then
                _tap_result 1 "$_tap_desc"
                diag "  ok takes a condition to run, not an exit status ('$_tap_cond')"
                return 1
        fi
        eval "$_tap_cond" >"$_tap_out" 2>&1 || _tap_rc=$?
        if _tap_result "$_tap_rc" "$_tap_desc"; then
                while IFS= read -r _tap_line; do
                        case $_tap_line in "#"*) printf '%s\n' "$_tap_line" ;; esac
                done <"$_tap_out"
                return 0
        fi
        _tap_show "failed (status $_tap_rc):" "$_tap_cond"
        if [ -s "$_tap_out" ]; then
                printf '#   its output:\n'
                tail -n 60 "$_tap_out" | while IFS= read -r _tap_line; do
                        printf '#     %s\n' "$_tap_line"
                done
        fi
        return 1
}

is() {
        if [ "$1" = "$2" ]; then
                _tap_result 0 "${3-}"
                return 0
        fi
        _tap_result 1 "${3-}"
        _tap_show "got:     " "$1"
        _tap_show "expected:" "$2"
        return 1
}

isnt() {
        if [ "$1" != "$2" ]; then
                _tap_result 0 "${3-}"
                return 0
        fi
        _tap_result 1 "${3-}"
        _tap_show "got:     " "$1"
        printf '#   expected: anything else\n'
        return 1
}

# A here-string, not a pipe: "grep -q" leaving early must not turn into a
# SIGPIPE failure under "set -o pipefail".
like() {
        if grep -Eq -- "$2" <<<"$1"; then
                _tap_result 0 "${3-}"
                return 0
        fi
        _tap_result 1 "${3-}"
        _tap_show "text:          " "$(head -n 30 <<<"$1")"
        _tap_show "does not match:" "$2"
        return 1
}

unlike() {
        if ! grep -Eq -- "$2" <<<"$1"; then
                _tap_result 0 "${3-}"
                return 0
        fi
        _tap_result 1 "${3-}"
        _tap_show "text:   " "$(head -n 30 <<<"$1")"
        _tap_show "matches:" "$2"
        return 1
}

skip() {
        _tap_result 0 "${1-} # SKIP ${2-}"
}

bail_out() {
        echo "Bail out! $*"
        exit 1
}

done_testing() {
        echo "1..$_tap_n"
        [ "$_tap_failed" = 0 ] && exit 0
        exit 1
}

# The number of failed checks so far (for a script that ends without a
# plan, as a VM scenario's phase does).
tap_failures() {
        echo "$_tap_failed"
}

skip_all() {
        [ "$_tap_n" = 0 ] || bail_out "skip_all after $_tap_n checks: $*"
        echo "1..0 # SKIP $*"
        exit "${TAP_SKIP_STATUS:-77}"
}

# Under CI a missing dependency is a failure, not a skip.
tap_under_ci() {
        [ -n "${CI:-}" ] && [ "$CI" != false ] && [ "$CI" != 0 ]
}

skip_missing() {
        if tap_under_ci; then
                _tap_result 1 "${1-}"
                diag "  needs $2, which is missing: under CI that is a failure (tools/install-deps.sh installs it)"
                return 1
        fi
        skip "${1-}" "needs $2"
}

skip_all_missing() {
        if tap_under_ci; then
                _tap_result 1 "needs $*"
                diag "  $* is missing: under CI that is a failure (tools/install-deps.sh installs it)"
                done_testing
        fi
        skip_all "needs $*"
}

require() {
        eval "$1" >/dev/null 2>&1 || skip_all_missing "$2"
}

# ---- the exit stack ------------------------------------------------------------

on_exit() {
        _tap_on_exit+=("$*")
}

# Runs one cleanup command; its "#" lines are shown, the rest dropped.
_tap_run_quietly() {
        local line
        eval "$1" >"$_tap_out" 2>&1
        while IFS= read -r line; do
                case $line in "#"*) printf '%s\n' "$line" ;; esac
        done <"$_tap_out"
}

# The mount points below DIR (DIR itself included), deepest first.
_tap_mounts_below() {
        awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

sandbox_umount_below() {
        local m
        for m in $(_tap_mounts_below "$1"); do
                umount -l "$m"
        done
}

# Unmounts what sandbox_mount mounted, newest first. The exit trap does it;
# a script that sets a trap of its own (the benchmarks) calls it there, or
# its binds (over /etc/docker, /run) outlive it in the namespace it shares
# with whatever runs next.
sandbox_umount_all() {
        local i
        for ((i = ${#_tap_mounts[@]} - 1; i >= 0; i--)); do
                umount -l "${_tap_mounts[$i]}" 2>/dev/null
        done
        _tap_mounts=()
}

_tap_detach() {
        local dev=$1 m
        # Anything still mounted from the device (or its partitions) goes
        # first, or the detach is deferred.
        for m in $(awk -v d="$dev" '$1 == d || index($1, d "p") == 1 { print $2 }' /proc/self/mounts | sort -r); do
                umount -l "$m"
        done
        swapoff "$dev" 2>/dev/null
        losetup -d "$dev"
}

_tap_exit() {
        local rc=$? i
        set +e
        trap - EXIT
        for ((i = ${#_tap_on_exit[@]} - 1; i >= 0; i--)); do
                _tap_run_quietly "${_tap_on_exit[$i]}"
        done
        sandbox_umount_all
        if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
                sandbox_umount_below "$WORK" 2>/dev/null
        fi
        for ((i = ${#_tap_loops[@]} - 1; i >= 0; i--)); do
                _tap_detach "${_tap_loops[$i]}" >/dev/null 2>&1
        done
        _tap_remove_work
        exit "$rc"
}

# Mount points the product made immutable (chattr +i) under $WORK must be
# mutable again to be removed; nothing outside $WORK is touched. A bind
# mount of the same filesystem left below $WORK would let even
# "rm --one-file-system" reach through it: then $WORK stays.
_tap_remove_work() {
        [ -n "${WORK:-}" ] && [ -d "$WORK" ] || return 0
        if [ -n "$(_tap_mounts_below "$WORK")" ]; then
                echo "# not removing $WORK: something is still mounted below it"
                return 1
        fi
        find "$WORK" -xdev -type d -exec chattr -i {} + >/dev/null 2>&1
        if [ "${TAP_KEEP_WORK:-}" = 1 ]; then
                echo "# kept $WORK"
                return 0
        fi
        rm -rf --one-file-system "$WORK"
}

# ---- the sandbox ---------------------------------------------------------------

# The mount namespace this script made for itself: set (and exported) only in
# the process that sandbox_enter started.
sandbox_in_private_ns() {
        local ns
        ns=$(readlink /proc/self/ns/mnt)
        [ -n "${SANDBOX_NS:-}" ] && [ "$SANDBOX_NS" = "$ns" ] && [ "$ns" != "$(readlink /proc/1/ns/mnt)" ]
}

_tap_need_private_ns() {
        sandbox_in_private_ns || bail_out "${FUNCNAME[1]}: not in a private mount namespace, refusing to mount"
}

sandbox_enter() {
        if [ "$(id -u)" != 0 ]; then
                skip_all_missing root
        fi
        if [ "${SANDBOX_REEXEC:-}" = 1 ]; then
                unset SANDBOX_REEXEC
                SANDBOX_NS=$(readlink /proc/self/ns/mnt)
                export SANDBOX_NS
        fi
        if sandbox_in_private_ns; then
                # Whatever the test runs, the tool's journal and Docker's
                # trees it may make land in a private /var/lib, never in the
                # machine's.
                sandbox_private_var_lib || bail_out "cannot make /var/lib private"
                return 0
        fi
        require 'command -v unshare' "unshare (util-linux)"
        # exec runs no EXIT trap: this $WORK goes now, the new process
        # makes its own.
        trap - EXIT
        _tap_remove_work
        SANDBOX_REEXEC=1 exec unshare --mount --propagation private -- bash "$0" "$@"
}

sandbox_spawn() {
        local _ss_var=$1 _ss_pid
        shift
        "$@" &
        _ss_pid=$!
        on_exit "_tap_end_child $_ss_pid"
        printf -v "$_ss_var" '%s' "$_ss_pid"
}

# Ends a child of this shell and reaps it, within 5 s. SIGTERM is sent
# again until the child is gone: one sent between the fork and the exec of
# the command can be lost (the forked shell still has this shell's
# handlers), and a plain "kill; wait" then waits as long as the command
# runs. SIGKILL after 5 s.
_tap_end_child() {
        local pid=$1 i state
        for ((i = 0; i < 50; i++)); do
                state=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)
                [ -z "$state" ] || [ "$state" = Z ] && break
                kill "$pid" 2>/dev/null
                sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
}

sandbox_mount() {
        _tap_need_private_ns
        local dir=${!#}
        [ -e "$dir" ] || mkdir -p "$dir" || return 1
        mount "$@" || return 1
        _tap_mounts+=("$dir")
}

sandbox_bind() {
        sandbox_mount --bind "$1" "$2"
}

sandbox_tmpfs() {
        sandbox_mount -t tmpfs -o mode=0755 tmpfs "$1"
}

sandbox_private_copy() {
        local path=$1 copy
        copy="$WORK/private$(tr / _ <<<"$path")"
        mkdir -p "$copy"
        cp -a "$path/." "$copy/" || return 1
        sandbox_bind "$copy" "$path"
}

sandbox_private_empty() {
        local dir
        dir="$WORK/empty$(tr / _ <<<"$1")"
        mkdir -p "$dir"
        sandbox_bind "$dir" "$1"
}

sandbox_private_run() {
        sandbox_tmpfs /run
}

# The originals are reached through a descriptor opened before the tmpfs
# hides them; they are never mounted below $WORK, where a recursive removal
# could reach into them. What the product and Docker write (docker,
# docker-relocate, containerd) is never bound back, even where the machine
# has it: a test starts without them and cannot reach the machine's (nor an
# earlier test's journal).
sandbox_private_var_lib() {
        local fd e
        [ "${_tap_private_var_lib:-}" = 1 ] && return 0
        exec {fd}</var/lib
        sandbox_tmpfs /var/lib || return 1
        for e in "/proc/$$/fd/$fd"/*; do
                [ -e "$e" ] || continue
                case ${e##*/} in docker | docker-relocate | containerd) continue ;; esac
                if [ -d "$e" ] && [ ! -L "$e" ]; then
                        mkdir "/var/lib/${e##*/}"
                        sandbox_bind "$e" "/var/lib/${e##*/}"
                else
                        cp -a "$e" /var/lib/
                fi
        done
        exec {fd}<&-
        _tap_private_var_lib=1
}

sandbox_private_system() {
        sandbox_private_copy /etc || return 1
        sandbox_private_var_lib
}

# Locals are prefixed: printf -v must reach the caller's variable.
sandbox_loop() {
        local _sl_var=$1 _sl_size=$2 _sl_img
        shift 2
        _sl_img=$(mktemp "$WORK/loop.XXXXXX")
        truncate -s "$_sl_size" "$_sl_img" || return 1
        sandbox_loop_file "$_sl_var" "$_sl_img" "$@" || return 1
        ln -sf "$_sl_img" "$WORK/$(basename "${!_sl_var}").img"
}

sandbox_loop_file() {
        local _sf_var=$1 _sf_file=$2 _sf_dev
        shift 2
        _tap_need_private_ns
        _sf_dev=$(losetup -f --show "$@" "$_sf_file") || return 1
        _tap_loops+=("$_sf_dev")
        printf -v "$_sf_var" '%s' "$_sf_dev"
}

sandbox_ext4_volume() {
        local _se_var=$1 _se_size=$2 _se_dir=$3
        shift 3
        sandbox_loop "$_se_var" "$_se_size" || return 1
        # Initialised now: no kernel thread writes to the device later,
        # while a test measures or checksums it.
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$@" "${!_se_var}" || return 1
        sandbox_mount "${!_se_var}" "$_se_dir"
}

# ---- helpers -------------------------------------------------------------------

wait_for() {
        local deadline=$((SECONDS + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                [ $SECONDS -ge $deadline ] && return 1
                sleep "${WAIT_FOR_INTERVAL:-0.2}"
        done
}

capture() {
        local _cp_var=$1 _cp_rc=0
        shift
        "$@" >"$WORK/.tap/capture.out" 2>"$WORK/.tap/capture.err" || _cp_rc=$?
        printf -v "${_cp_var}_out" '%s' "$(cat "$WORK/.tap/capture.out")"
        printf -v "${_cp_var}_err" '%s' "$(cat "$WORK/.tap/capture.err")"
        printf -v "${_cp_var}_rc" '%s' "$_cp_rc"
}

# A device is read with O_DIRECT: what it holds, not the kernel's cached
# view of it, which a mounted filesystem changes with nothing written (ext4
# fills in a new filesystem's unused block bitmaps in memory).
checksum_of() {
        local p
        for p in "$@"; do
                if [ -b "$p" ]; then
                        dd if="$p" iflag=direct bs=1M status=none | sha256sum
                elif [ -e "$p" ]; then
                        sha256sum <"$p"
                else
                        echo "missing $p"
                fi
        done | sha256sum | cut -d' ' -f1
}

json_get() {
        python3 -c '
import json, sys
j = json.load(open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$@"
}

# ---- setup ---------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX") || {
        echo "Bail out! tap.sh: cannot make a temporary directory"
        exit 1
}
mkdir "$WORK/.tap"
_tap_out=$WORK/.tap/out
trap _tap_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
