#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The move's final pass from the change tracker's record, on a real dockerd
# (SysV init script) in a private mount namespace. Each move pauses right
# after its pre-copy, while Docker still runs, for the data root to change
# (a file deleted, one added, one rewritten, a new hard link, a new
# directory tree, a mode changed), and stops once its final pass is done:
# - the engine with the tracker: the report says the final pass synchronised
#   only the changed directories, and rsync -n --checksum --delete from the
#   old root finds nothing to do (the tool's marker and the container
#   configurations the move rebases aside);
# - the tracker's record overflowed (its queue left unread by a test hook
#   while 20,000 files are made): the report says the final pass walked the
#   whole tree, and why, and the copy is as exact;
# - --copier rsync: a full walk as well, said so in the human output, and
#   as exact.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
dockerd_require_fault_injection
require 'command -v rsync' "rsync"

dockerd_running_populated

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"
DATA=volumes/$DOCKERD_VOLUME/_data
D=$DOCKERD_DATA_ROOT/$DATA
echo "kept" >"$D/kept"
mkdir -p "$D/quiet"
echo "never changes" >"$D/quiet/file"


# The changes between the pre-copy and the stop, different each time (N).
change() {
        local n=$1
        rm -f "$D/gone"
        echo "rewritten after pre-copy $n" >"$D/changed"
        echo "new $n" >"$D/added-$n"
        ln "$D/kept" "$D/kept-link-$n"
        mkdir -p "$D/newdir-$n/sub"
        echo "deep $n" >"$D/newdir-$n/sub/file"
        chmod 0640 "$D/kept"
        chmod 0600 "$D/kept"
}

# The move process itself (the contract's stand-in runs it as a child with
# --json), once it stopped itself at its crash point (T), or ended.
move_pid() {
        pgrep -P "$1" -x docker-relocate || echo "$1"
}
halted() {
        grep -Eq '^[TZ]$' <<<"$(awk '{print $3}' "/proc/$(move_pid "$1")/stat" 2>/dev/null)"
}

# KiB written to the volume's device since it was mounted.
written() {
        cat "/sys/fs/ext4/$(basename "$LOOP")/session_write_kbytes"
}

# move_paused NAME CHANGE-ARG ARGS...: the move onto $VOL/NAME, paused after
# its pre-copy for change(), stopped after its final pass for the check.
move_paused() {
        local name=$1 n=$2 pid mp rc w0 w1 w2
        shift 2
        mkdir -p "$VOL/$name"
        echo "to be deleted" >"$D/gone"
        sync -f "$VOL"
        w0=$(written)
        DOCKER_RELOCATE_TEST_PAUSE=pre-copied:$WORK/pause-$name DOCKER_RELOCATE_TEST_CRASH=copied:stop \
                "$BIN" move --to "$VOL/$name" --yes "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
        pid=$!
        if wait_for 300 test -e "$WORK/pause-$name"; then
                # The pre-copy's data is on the disk when it ends, while
                # Docker still runs: left to the page cache, its writeback
                # would hold up dockerd's start on the new root.
                w1=$(written)
                sync -f "$VOL"
                w2=$(written)
                ok '[ $((w1 - w0)) -ge 1024 ] && [ $((w2 - w1)) -lt 256 ]' \
                        "$name: the pre-copy's data is on the disk when it ends ($((w1 - w0)) KiB written, $((w2 - w1)) KiB more at a sync)"
                change "$n"
                [ "$name" = overflow ] && python3 - "$D/many" <<'PY'
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
for i in range(20000):
    with open(os.path.join(sys.argv[1], "f%05d" % i), "w") as f:
        f.write("x")
PY
                rm -f "$WORK/pause-$name"
        else
                ok false "$name: the move paused after its pre-copy"
        fi
        mp=$(move_pid $pid)
        if wait_for 300 halted $pid && [ "$(awk '{print $3}' "/proc/$mp/stat")" = T ]; then
                is "$(move_left_to_do "$DOCKERD_DATA_ROOT" "$VOL/$name")" "" \
                        "$name: after the final pass, rsync -n --checksum --delete finds nothing to do"
                ok '[ "$(cat "$VOL/$name/$DATA/newdir-$n/sub/file")" = "deep $n" ] &&
                        [ "$(stat -c %i "$VOL/$name/$DATA/kept")" = "$(stat -c %i "$VOL/$name/$DATA/kept-link-$n")" ] &&
                        [ ! -e "$VOL/$name/$DATA/gone" ]' \
                        "$name: … the new tree, the new hard link are there, the deleted file is gone"
                kill -CONT "$mp"
        else
                ok false "$name: the move reached its final pass and stopped there"
                sed 's/^/#   /' "$WORK/$name.err"
        fi
        wait $pid
        rc=$?
        is "$rc" 0 "$name: the move succeeds"
        [ $rc = 0 ] || sed 's/^/#   /' "$WORK/$name.out" "$WORK/$name.err"
}

back() {
        "$BIN" rollback --yes >"$WORK/out" 2>&1 || { sed 's/^/#   /' "$WORK/out"; bail_out "rollback"; }
}

# ---- the engine, its final pass from the record -----------------------------------
move_paused tracked 1 --json
is "$(json_get '[[p["what"], p["kind"], p["reason"]] for p in j["final_pass"]]' "$WORK/tracked.out")" \
        '[["data root", "changes", null]]' "tracked: the report says the final pass went by the record of changes"
dirs=$(json_get 'j["final_pass"][0]["directories"]' "$WORK/tracked.out")
# The volume's directory at least (the new tree below it is copied whole);
# never the whole tree's thousands.
total=$(find "$DOCKERD_DATA_ROOT" -xdev -type d | wc -l)
ok '[ "${dirs:-0}" -ge 1 ] && [ "${dirs:-0}" -lt $((total / 2)) ]' \
        "tracked: it synchronised $dirs changed directories of the tree's $total"
back

# ---- the record overflowed: the whole tree ------------------------------------------
DOCKER_RELOCATE_TEST_TRACKER_UNREAD=1 move_paused overflow 2 --json
is "$(json_get '[[p["kind"], p["directories"]] for p in j["final_pass"]]' "$WORK/overflow.out")" \
        '[["full", null]]' "overflow: the report says the final pass walked the whole tree"
like "$(json_get 'j["final_pass"][0]["reason"]' "$WORK/overflow.out")" \
        "record of changes is incomplete: the kernel's queue of events overflowed" "overflow: … and why"
back

# ---- --copier rsync: the whole tree, in the human output -----------------------------
move_paused rsync 3 --copier rsync
like "$(cat "$WORK/rsync.out")" "final pass: full walk \\(the copier is rsync" \
        "rsync: the output says the final pass walked the whole tree, and why"

done_testing
