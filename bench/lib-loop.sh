# shellcheck shell=bash
# Loop devices for the benchmark scripts: every device attached is recorded
# and detached at exit, also when the script is interrupted or terminated
# (bash runs no EXIT trap on a signal it does not catch, and a device left
# attached outlives the run).
#
# The sourcing script defines its cleanup and calls loop_detach_all in it,
# then sets: trap cleanup EXIT; loop_traps.

LOOPS=()

# loop_attach VAR IMAGE [losetup options]: a loop device over IMAGE, with
# direct I/O so that the page cache holds the filesystem's pages only (as on
# a real disk).
loop_attach() {
        # Prefixed locals: printf -v must reach the caller's variable.
        local _la_var=$1 _la_img=$2 _la_dev
        shift 2
        _la_dev=$(losetup -f --show --direct-io=on "$@" "$_la_img") || return 1
        LOOPS+=("$_la_dev")
        printf -v "$_la_var" '%s' "$_la_dev"
}

# Detaches one device and forgets it, so that the exit does not detach a
# number another user may have attached since.
loop_detach() {
        local dev=$1 i
        losetup -d "$dev" 2>/dev/null
        for i in "${!LOOPS[@]}"; do
                [ "${LOOPS[$i]}" = "$dev" ] && unset 'LOOPS[i]'
        done
}

loop_detach_all() {
        local l
        for l in "${LOOPS[@]}"; do
                losetup -d "$l" 2>/dev/null
        done
        LOOPS=()
}

# A signal becomes an exit, which runs the EXIT trap.
loop_traps() {
        trap 'exit 130' INT
        trap 'exit 143' TERM
        trap 'exit 129' HUP
}
