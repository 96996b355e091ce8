# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shared helpers for the root tests (suite 'root'). Source it first thing:
#
#     . "$(dirname "$0")/lib.sh"
#     lib_init "$@"          # skip (77) unless root; re-exec in a private mount
#                            # namespace; make $T; cleanup trap on EXIT
#     lib_private_copy /etc  # a private, writable copy of /etc for this test
#     lib_private_run        # a private tmpfs on /run
#     lib_loop dev 1G        # $dev: a loop device on a sparse file (-P: partitions)
#     ok "[ -b $dev ]" "loop device exists"
#     ...
#     lib_done               # prints the plan; exit status says whether all passed
#
# Everything a test creates is registered for cleanup, which runs on every
# exit, also on failure: mounts are undone, immutable flags cleared, loop
# devices detached, processes started with lib_spawn ended (by PID), $T
# removed. Nothing here touches the host's own /etc, /var/lib/docker or disks:
# tests work on private copies bound over them inside the namespace.
#
# Environment from meson: DOCKER_RELOCATE (the binary, or the stand-in that checks its --json output), FIXTURES, SRCDIR.

set -u

DR=${DOCKER_RELOCATE:-docker-relocate}
T=
_lib_n=0
_lib_failed=0
_lib_cleanup=()

# --- TAP -----------------------------------------------------------------

# ok CONDITION DESCRIPTION: CONDITION is evaluated as shell code.
ok() {
        local cond=$1 desc=$2
        _lib_n=$((_lib_n + 1))
        if eval "$cond"; then
                echo "ok $_lib_n - $desc"
        else
                echo "not ok $_lib_n - $desc"
                echo "#   failed: $cond"
                _lib_failed=$((_lib_failed + 1))
        fi
}

# is GOT EXPECTED DESCRIPTION
is() {
        local got=$1 exp=$2 desc=$3
        _lib_n=$((_lib_n + 1))
        if [ "$got" = "$exp" ]; then
                echo "ok $_lib_n - $desc"
        else
                echo "not ok $_lib_n - $desc"
                echo "#   got:      '$got'"
                echo "#   expected: '$exp'"
                _lib_failed=$((_lib_failed + 1))
        fi
}

# like TEXT REGEX DESCRIPTION (extended regex, grep -E)
like() {
        local text=$1 re=$2 desc=$3
        _lib_n=$((_lib_n + 1))
        if printf '%s' "$text" | grep -Eq -- "$re"; then
                echo "ok $_lib_n - $desc"
        else
                echo "not ok $_lib_n - $desc"
                printf '#   text: %s\n' "$text" | head -20
                echo "#   does not match: $re"
                _lib_failed=$((_lib_failed + 1))
        fi
}

# skip DESCRIPTION REASON: one test reported as skipped, with why.
skip() {
        _lib_n=$((_lib_n + 1))
        echo "ok $_lib_n - $1 # SKIP $2"
}

diag() {
        printf '# %s\n' "$@"
}

lib_done() {
        echo "1..$_lib_n"
        [ "$_lib_failed" -eq 0 ]
}

# --- setup and cleanup ---------------------------------------------------

# lib_on_exit COMMAND...: run COMMAND at exit (last registered runs first).
lib_on_exit() {
        _lib_cleanup+=("$*")
}

_lib_run_cleanup() {
        local rc=$? i
        set +e
        for ((i = ${#_lib_cleanup[@]} - 1; i >= 0; i--)); do
                eval "${_lib_cleanup[$i]}" >/dev/null 2>&1
        done
        if [ -n "$T" ] && [ -d "$T" ]; then
                # Mount points made immutable by the tool under test.
                find "$T" -xdev -type d -exec chattr -i {} + >/dev/null 2>&1
                rm -rf "$T"
        fi
        exit "$rc"
}

# lib_init "$@": call at the top of every root test.
lib_init() {
        if [ "$(id -u)" -ne 0 ]; then
                echo "1..0 # SKIP not root"
                exit 77
        fi
        if [ -z "${_LIB_IN_NAMESPACE:-}" ]; then
                command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare"; exit 77; }
                # Mounts made from here on stay private to this test.
                _LIB_IN_NAMESPACE=1 exec unshare --mount --propagation private -- bash "$0" "$@"
        fi
        T=$(mktemp -d /tmp/dr-root-test.XXXXXX)
        trap _lib_run_cleanup EXIT
        trap 'exit 130' INT TERM
}

# lib_private_copy PATH: bind a private copy of directory PATH over it, so the
# test may change files there (atomic renames included) without touching the
# host's.
lib_private_copy() {
        local path=$1 copy
        copy="$T/private$(echo "$path" | tr / _)"
        mkdir -p "$copy"
        cp -a "$path/." "$copy/"
        mount --bind "$copy" "$path"
        lib_on_exit "umount -l '$path'"
}

# lib_private_empty PATH: bind an empty directory over directory PATH.
lib_private_empty() {
        local path=$1 dir
        dir="$T/empty$(echo "$path" | tr / _)"
        mkdir -p "$dir"
        mount --bind "$dir" "$path"
        lib_on_exit "umount -l '$path'"
}

# lib_private_run: a private tmpfs on /run, so locks, sockets and pid files
# of this test meet nothing of the host's (nor of other tests running).
lib_private_run() {
        mount -t tmpfs -o mode=0755 tmpfs /run
        lib_on_exit "umount -l /run"
}

# lib_loop VAR SIZE [losetup options...]: attaches a new loop device over a
# sparse file of SIZE (truncate syntax) in $T and stores its path in $VAR
# (not "$(lib_loop …)": a subshell would lose the cleanup registration). The
# file is $T/<device name>.img. Pass -P for partition scanning.
lib_loop() {
        # Locals are prefixed: printf -v must reach the caller's variable.
        local _ll_var=$1 _ll_size=$2 _ll_img _ll_dev
        shift 2
        _ll_img=$(mktemp "$T/loop.XXXXXX")
        truncate -s "$_ll_size" "$_ll_img"
        _ll_dev=$(losetup -f --show "$@" "$_ll_img") || return 1
        lib_on_exit "_lib_detach '$_ll_dev'"
        ln -sf "$_ll_img" "$T/$(basename "$_ll_dev").img"
        printf -v "$_ll_var" '%s' "$_ll_dev"
}

# lib_loop_file VAR FILE [losetup options...]: like lib_loop, over an
# existing FILE.
lib_loop_file() {
        local _lf_var=$1 _lf_file=$2 _lf_dev
        shift 2
        _lf_dev=$(losetup -f --show "$@" "$_lf_file") || return 1
        lib_on_exit "_lib_detach '$_lf_dev'"
        printf -v "$_lf_var" '%s' "$_lf_dev"
}

_lib_detach() {
        local dev=$1 m
        # Anything still mounted from the device (or its partitions) in this
        # namespace goes first, or the detach is deferred.
        for m in $(awk -v d="$dev" '$1 == d || index($1, d "p") == 1 { print $2 }' /proc/self/mounts | sort -r); do
                umount -l "$m"
        done
        swapoff "$dev" 2>/dev/null
        losetup -d "$dev"
}

# lib_umount_all_under DIR: unmount everything below DIR (deepest first).
lib_umount_all_under() {
        local m
        for m in $(awk -v d="$1" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do
                umount -l "$m"
        done
}

# lib_spawn COMMAND...: start a background process, ended by PID at exit.
lib_spawn() {
        "$@" &
        local pid=$!
        lib_on_exit "kill $pid; wait $pid"
        echo "$pid"
}

# lib_wait_for TIMEOUT_SECONDS COMMAND...: poll until COMMAND succeeds.
lib_wait_for() {
        local timeout=$1 end
        shift
        end=$(($(date +%s) + timeout))
        until "$@"; do
                [ "$(date +%s)" -ge "$end" ] && return 1
                sleep 0.2
        done
}

# lib_sum PATH...: one checksum over files or block devices, in order.
lib_sum() {
        local p
        for p in "$@"; do
                if [ -e "$p" ]; then sha256sum < "$p"; else echo "missing $p"; fi
        done | sha256sum | cut -d' ' -f1
}

# lib_run VAR COMMAND...: runs COMMAND, stdout into $VAR_out, stderr into
# $VAR_err, exit status into $VAR_rc.
lib_run() {
        local _lr_var=$1 _lr_rc=0
        shift
        "$@" >"$T/.out" 2>"$T/.err" || _lr_rc=$?
        printf -v "${_lr_var}_out" '%s' "$(cat "$T/.out")"
        printf -v "${_lr_var}_err" '%s' "$(cat "$T/.err")"
        printf -v "${_lr_var}_rc" '%s' "$_lr_rc"
}
