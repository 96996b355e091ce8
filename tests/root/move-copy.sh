#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The move's copy and the containers' stop, on a real dockerd (SysV init
# script) in a private mount namespace:
# - the copy engine (the default) makes the copy rsync -aHAXS --numeric-ids
#   makes: after its final pass, which follows a pre-copy and changes of the
#   data root in between (a file deleted, one added, one rewritten, a new
#   hard link, a new directory), rsync -n --checksum --delete from the old
#   root finds nothing to do but the tool's marker and the container
#   configurations the move rebases; --copier rsync passes the same check;
# - the running containers are stopped all at once: two that ignore SIGTERM,
#   each with a 3 s stop timeout, end together, not 3 s apart.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
dockerd_require_fault_injection
require 'command -v rsync' "rsync"

dockerd_running_populated

# Two containers that ignore SIGTERM (PID 1 with the signal ignored), each
# with its own grace period of 3 s: only SIGKILL ends them.
STUBBORN="stubborn-1 stubborn-2"
for c in $STUBBORN; do
        dockerd_docker run -d --name $c --network none --stop-timeout 3 "$DOCKERD_IMAGE" \
                sh -c 'trap "" TERM; while :; do sleep 1; done' >/dev/null || bail_out "container $c"
done

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"
mkdir "$VOL/engine" "$VOL/rsync"
DATA=volumes/$DOCKERD_VOLUME/_data
D=$DOCKERD_DATA_ROOT/$DATA
echo "to be deleted" >"$D/gone"
echo "before" >"$D/changed"
echo "kept" >"$D/kept"


# How each of the stubborn containers ended, from the configuration Docker
# wrote as it stopped them: "EXIT-CODE FINISHED-AT-IN-SECONDS".
ended() {
        local c id
        for c in $STUBBORN; do
                id=$(cat "$WORK/id-$c")
                json_get 'str(j["State"]["ExitCode"]) + " " + str(__import__("datetime").datetime.fromisoformat(
                        j["State"]["FinishedAt"][:26].rstrip("Z")).timestamp())' \
                        "$DOCKERD_DATA_ROOT/containers/$id/config.v2.json"
        done
}
for c in $STUBBORN; do
        dockerd_docker inspect -f '{{.Id}}' $c >"$WORK/id-$c"
done

# Whether the move PID stopped itself at its crash point (T), or ended (Z).
halted() {
        grep -Eq '^[TZ]$' <<<"$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)"
}

# ---- the plan names the copier ---------------------------------------------------
"$BIN" move --to "$VOL/engine" --dry-run --json >"$WORK/plan.json" 2>/dev/null
is "$(json_get '[j["plan"]["copier"], any("the copy engine" in s for s in j["plan"]["steps"])]' "$WORK/plan.json")" \
        '["engine", true]' "the plan: the copy engine by default, in its steps too"
"$BIN" move --to "$VOL/engine" --copier rsync --dry-run --json >"$WORK/plan.json" 2>/dev/null
is "$(json_get '[j["plan"]["copier"], any("rsync --delete" in s for s in j["plan"]["steps"])]' "$WORK/plan.json")" \
        '["rsync", true]' "the plan with --copier rsync"

# ---- the engine: a pre-copy, changes, the final pass -----------------------------
# Killed right after the pre-copy, while Docker still runs: the next run
# resumes at the final pass.
DOCKER_RELOCATE_TEST_CRASH=pre-copied "$BIN" move --to "$VOL/engine" --yes >"$WORK/pre.out" 2>&1
is "$(relocate_phase)" "precopied" "the move, killed after its pre-copy, recorded it"
ok '[ -f "$VOL/engine/$DATA/gone" ] && [ -f "$VOL/engine/$DATA/kept" ]' "the pre-copy holds the volume's files"

rm "$D/gone"
echo "rewritten after the pre-copy" >"$D/changed"
echo "new" >"$D/added"
ln "$D/kept" "$D/kept-link"
mkdir -p "$D/newdir/sub"
echo "deep" >"$D/newdir/sub/file"

DOCKER_RELOCATE_TEST_CRASH=copied:stop "$BIN" move --to "$VOL/engine" --yes >"$WORK/engine.out" 2>&1 &
pid=$!
if wait_for 300 halted $pid && [ "$(awk '{print $3}' /proc/$pid/stat)" = T ]; then
        is "$(move_left_to_do "$DOCKERD_DATA_ROOT" "$VOL/engine")" "" \
                "after the engine's final pass, rsync -n --checksum --delete finds nothing to do"
        ok '[ ! -e "$VOL/engine/$DATA/gone" ]' "… the file deleted after the pre-copy is gone from the copy"
        ok '[ "$(stat -c %i "$VOL/engine/$DATA/kept")" = "$(stat -c %i "$VOL/engine/$DATA/kept-link")" ] &&
                [ "$(cat "$VOL/engine/$DATA/newdir/sub/file")" = deep ] &&
                [ "$(cat "$VOL/engine/$DATA/changed")" = "rewritten after the pre-copy" ]' \
                "… the new hard link is one, the new directory and the rewritten file are there"
        read -r code_a a code_b b < <(ended | tr '\n' ' ')
        span=$(python3 -c "print(round(abs($a - $b), 2))")
        echo "# the two stubborn containers ended $span s apart, exit codes $code_a and $code_b"
        is "$code_a $code_b" "137 137" "the containers that ignore SIGTERM were killed after their grace period"
        # Each was killed 3 s after its own stop began: ending $span s apart,
        # both stops took at most 3 + $span s together, against the 6 s of
        # one after the other.
        ok 'python3 -c "import sys; sys.exit(not 3 + abs($a - $b) < 0.75 * 6)"' \
                "they were stopped together: $span s apart, so 3 + $span s against 6 s one after the other"
        kill -CONT $pid
else
        ok false "the move reached its final pass and stopped there"
        cat "$WORK/engine.out" | sed 's/^/#   /'
fi
wait $pid
rc=$?
is "$rc" 0 "the move with the engine succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/engine.out"
ok 'grep -q "copier: engine" "$WORK/engine.out" && ! grep -q "rsync copied" "$WORK/engine.out"' \
        "… with the engine, no fallback to rsync"
stop=$(sed -n 's/.*done: stop (\([0-9.]*\) s).*/\1/p' "$WORK/engine.out")
# The containers' own 3 s, not the 10 s the move once gave every container.
ok 'python3 -c "import sys; sys.exit(not 0 < ${stop:-0} < 10)"' \
        "the stop step (the containers, then Docker) took ${stop:-?} s, each container its own 3 s grace period"
is "$(dockerd_root_dir)" "$VOL/engine" "Docker runs on the engine's copy"
is "$(dockerd_docker inspect -f '{{.State.Running}}' stubborn-1 stubborn-2 "$DOCKERD_RUNNING" | tr '\n' ' ')" \
        "true true true " "the containers that ran run again"

# ---- --copier rsync: the same check --------------------------------------------------
"$BIN" rollback --yes >"$WORK/out" 2>&1 || { sed 's/^/#   /' "$WORK/out"; bail_out "rollback"; }
DOCKER_RELOCATE_TEST_CRASH=copied:stop "$BIN" move --to "$VOL/rsync" --copier rsync --no-pre-copy --yes \
        >"$WORK/rsync.out" 2>&1 &
pid=$!
if wait_for 300 halted $pid && [ "$(awk '{print $3}' /proc/$pid/stat)" = T ]; then
        is "$(move_left_to_do "$DOCKERD_DATA_ROOT" "$VOL/rsync")" "" \
                "after rsync's final pass (--copier rsync), rsync -n finds nothing to do either"
        kill -CONT $pid
else
        ok false "the move with rsync reached its final pass and stopped there"
fi
wait $pid
rc=$?
is "$rc" 0 "the move with --copier rsync succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/rsync.out"
ok 'grep -q "copier: rsync" "$WORK/rsync.out"' "… and says it copies with rsync"

done_testing
