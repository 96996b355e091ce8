#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The move under faults, on a real dockerd (SysV init script) in a private
# mount namespace, with a binary built with -Dfault_injection=true
# (src/util/test-hook.h): killed (SIGKILL) or exiting at every step boundary
# and inside the copy, the copy failing (EIO, ENOSPC injected as rsync
# reports them, and a real ENOSPC: a small target the data outgrows), dockerd
# refusing the new root or killed right after its start, rsync missing or
# vanishing mid-move, the rollback killed at each of its points, a rollback
# that fails (the "failed" phase and its ways out), a "rollback" of a finished
# move killed after it stopped the containers; then SIGKILL from outside at
# random moments of the whole move and of its copy (seeded: the seed is
# printed; MOVE_FAULTS_SEED=N reproduces a run, MOVE_FAULTS_TRIALS=N sets
# the number of trials).
#
# After each fault, a rerun of the move (or "rollback --yes") must converge:
# the journal's phase says where Docker runs ("done": on the new root;
# "rolled-back" or "undone": on the old one), Docker runs there with the
# same images, containers and volumes and the running container running,
# and every configuration file the journal lists equals, byte for byte,
# either its old content (its backup) or its new one, whichever the phase
# says.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
dockerd_require_fault_injection
SEED=${MOVE_FAULTS_SEED:-$(date +%s)}
TRIALS=${MOVE_FAULTS_TRIALS:-20}
RANDOM=$SEED
# MOVE_FAULTS_ONLY="6 7": only those numbered parts (the others need not pass).
want() {
        [ -z "${MOVE_FAULTS_ONLY:-}" ] || [[ " $MOVE_FAULTS_ONLY " = *" $1 "* ]] || return 1
        echo "# part $1 begins at $((SECONDS - T0)) s"
}
echo "# seed $SEED ($TRIALS random kills; MOVE_FAULTS_SEED=$SEED reproduces this run)"
T0=$SECONDS

DOCKERD_DATA_ROOT=$WORK/old-root
DOCKERD_CONFIG=json
dockerd_setup || bail_out "dockerd_setup failed"
dockerd_start || bail_out "dockerd did not start"
dockerd_populate || bail_out "populating failed"
# Two volumes: each move goes to the one Docker is not on.
sandbox_ext4_volume LOOPA 8G "$WORK/va" || bail_out "volume a"
sandbox_ext4_volume LOOPB 8G "$WORK/vb" || bail_out "volume b"

# The packaged init script, and one that refuses to start dockerd on a
# data root whose path holds "/refuse-" (as a dockerd that cannot use the new
# root would), and that kills the move at the next start (the rollback's)
# when /run/kill-next-start exists. "dead" refuses every start.
cp /etc/init.d/docker "$WORK/init-orig"
inject() {
        sed "/^[[:space:]]*start)\$/a\\\t\\t$1" "$WORK/init-orig" >"$2"
        grep -q "injected" "$2" || bail_out "could not inject into the init script"
}
inject "if grep -qs -- '/refuse-' /etc/docker/daemon.json; then echo 'injected: refused' >\\&2; exit 1; fi; if [ -e /run/kill-next-start ]; then rm -f /run/kill-next-start; echo 'injected: killing the caller' >\\&2; kill -KILL \$PPID; exit 1; fi" \
        "$WORK/init-refusing"
inject "echo 'injected: dockerd cannot start' >\\&2; exit 1" "$WORK/init-dead"
init_use() { cp "$WORK/init-$1" /etc/init.d/docker; }
init_use refusing

show() {
        diag_files "$@" | tail -n 15
}
# Every file of the journal's record equals its old content (the backup, or
# absent) or its new one; with "old" or "new" as $1, that one.
files_are() {
        python3 - "$RELOCATE_STATE" "$1" <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1]))
want = sys.argv[2]
bad = []
for f in j.get("config_undo", []):
    try:
        cur = open(f["path"], "rb").read()
    except FileNotFoundError:
        cur = None
    old = open(f["backup"], "rb").read() if f.get("backup") else None
    new = f["new"].encode() if f.get("new") is not None else None
    if cur == old and want in ("old", "either"):
        continue
    if cur == new and want in ("new", "either"):
        continue
    bad.append(f["path"])
if bad:
    print("# not " + want + ": " + " ".join(bad))
sys.exit(1 if bad else 0)
PY
}
running_ok() {
        [ "$(dockerd_running)" = true ]
}
# No rsync of ours left (one in this mount namespace: other work on the
# machine may run its own): a killed move's child dies with it.
no_rsync_left() {
        local p ns
        ns=$(readlink /proc/self/ns/mnt)
        for p in $(pgrep -x rsync); do
                [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ] && return 1
        done
        return 0
}

# Where Docker runs now, what it holds, how its files read: the baseline each
# fault is checked against.
baseline() {
        ROOT0=$(dockerd_root_dir)
        SETS0=$(dockerd_sets)
        CONF0=$(dockerd_config_sum)
}

# converged WHAT TARGET: the host is where the journal says, as it must be.
converged() {
        local what=$1 target=$2 p root
        p=$(relocate_phase)
        root=$(dockerd_root_dir 2>/dev/null)
        case $p in
        done)
                ok '[ "$root" = "$target" ] && files_are new && [ "$(dockerd_sets)" = "$SETS0" ] && running_ok' \
                        "$what: converged to the new root: journal 'done', Docker on $target with the same content, every file its new content"
                ;;
        rolled-back | undone)
                ok '[ "$root" = "$ROOT0" ] && [ "$(dockerd_config_sum)" = "$CONF0" ] && files_are old &&
                        [ "$(dockerd_sets)" = "$SETS0" ] && running_ok' \
                        "$what: converged to the old root: journal '$p', Docker on $ROOT0 with the same content, every file as before"
                ;;
        *)
                ok false "$what: converged (journal at '$p', Docker on '$root')"
                ;;
        esac
        ok 'no_rsync_left' "$what: no rsync left running"
        if [ "$p" = done ]; then
                baseline
        fi
}

# A target for the next move: a new directory on the volume Docker is not on.
N=0
next_target() {
        N=$((N + 1))
        case $(dockerd_root_dir) in
        "$WORK/va"/*) TARGET=$WORK/vb/${1:-t}$N ;;
        *) TARGET=$WORK/va/${1:-t}$N ;;
        esac
        mkdir -p "$TARGET"
}

# move ARGS...: the move as each fault runs it, output in $WORK/out.
move() {
        "$BIN" move --to "$TARGET" --yes "$@" >"$WORK/out" 2>&1
}

# Waits until process $1 is stopped (the test hook's "stop").
wait_stopped() {
        local i
        for i in $(seq 1 600); do
                [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ] && return 0
                [ -d "/proc/$1" ] || return 1
                sleep 0.1
        done
        return 1
}

# rerun WHAT: the move run again with the same target converges (exit 0:
# finished, 4: rolled back). Killed while it stopped Docker, before the
# journal said so, the move cannot resume (Docker's content cannot be
# checked again): it refuses and names "rollback --yes", which must then
# bring Docker back.
rerun() {
        local what=$1 rc
        "$BIN" move --to "$TARGET" --no-pre-copy --yes >"$WORK/rerun.out" 2>&1
        rc=$?
        if [ $rc = 3 ] && grep -q "rollback --yes' abandons that move" "$WORK/rerun.out"; then
                "$BIN" rollback --yes >"$WORK/rerun.out" 2>&1
                rc=$?
                ok '[ $rc = 0 ]' "$what: refused to resume with Docker half stopped; rollback --yes (exit $rc)"
        else
                ok '[ $rc = 0 ] || [ $rc = 4 ]' "$what: the move run again ends (exit $rc)"
        fi
        [ $rc = 0 ] || [ $rc = 4 ] || show "$WORK/rerun.out"
        converged "$what" "$TARGET"
}

baseline
ok '[ "$ROOT0" = "$DOCKERD_DATA_ROOT" ]' "dockerd runs on the old root"

# 1. Killed (SIGKILL) at every step boundary and inside the copy, and
# exiting at a few: the next run finishes the move.
if want 1; then
for point in journal-opened copy-live-begin pre-copied containers-stopped stopped copy-final-begin copied configured \
        docker-started verified stopped:exit; do
        next_target
        DOCKER_RELOCATE_TEST_CRASH=$point move --pre-copy
        rc=$?
        case $point in
        *:exit) want=1 ;;
        *) want=137 ;;
        esac
        ok '[ $rc = $want ] && grep -q "DOCKER_RELOCATE_TEST_CRASH=${point%%:*}:" "$WORK/out"' \
                "$point: the move ended there (exit $rc)"
        [ $rc = $want ] || show "$WORK/out"
        rerun "$point"
done

fi

# 2. The copy fails as rsync reports it, or its data cannot reach the
# target's disk (the sync after a pass fails): before the stop nothing of
# Docker was touched (exit 1), after it the move rolls back (exit 4).
if want 2; then
for f in copy-live:EIO:1 copy-final:ENOSPC:4 copy-final:EIO:4 sync-live:EIO:1 sync-final:EIO:4; do
        case $f in
        sync-*) why="Cannot write the copy in .* to its disk: Input/output error" ;;
        *) why="No space left|Input/output error|I/O error" ;;
        esac
        next_target
        DOCKER_RELOCATE_TEST_FAIL=${f%:*} move --pre-copy
        rc=$?
        ok '[ $rc = "${f##*:}" ] && grep -Eq "$why" "$WORK/out"' "${f%:*}: the move fails (exit $rc) and says why"
        [ $rc = "${f##*:}" ] || show "$WORK/out"
        converged "${f%:*}" "$TARGET"
done
next_target
move --no-pre-copy
is "$?" 0 "after the copy failures, a correct move succeeds"
converged "a correct move" "$TARGET"

fi

# 3. A real ENOSPC: a target filesystem with just the room the plan asks for,
# and data that grows by more than that while the move runs, during the
# pre-copy (it fails before Docker is stopped: exit 1) or between the
# pre-copy and the final pass (exit 4). The target's image lives in RAM.
if want 3; then
mkdir -p "$WORK/ram" "$WORK/small"
sandbox_mount -t tmpfs -o size=3g tmpfs "$WORK/ram" || bail_out "the tmpfs"
truncate -s 1400M "$WORK/ram/small.img"
mkfs.ext4 -q -F "$WORK/ram/small.img" && sandbox_loop_file SMALL "$WORK/ram/small.img" &&
        sandbox_mount "$SMALL" "$WORK/small" || bail_out "the small volume"
vol_data() { echo "$(dockerd_root_dir)/volumes/$DOCKERD_VOLUME/_data"; }
for at in journal-opened:1 pre-copied:4; do
        point=${at%:*}
        rm -rf "$WORK/small/"*
        TARGET=$WORK/small/t$((N += 1))
        mkdir "$TARGET"
        DOCKER_RELOCATE_TEST_CRASH=$point:stop "$BIN" move --to "$TARGET" --pre-copy --yes >"$WORK/out" 2>&1 &
        pid=$!
        if wait_stopped $pid; then
                # More than the whole room: the plan's margin included.
                yes 0123456789abcdef | head -c 1500M >"$(vol_data)/grown"
                kill -CONT $pid
        fi
        wait $pid
        rc=$?
        ok '[ $rc = "${at#*:}" ] && grep -q "No space left on device" "$WORK/out"' \
                "ENOSPC ($point): the data outgrew the target, the move fails (exit $rc)"
        [ $rc = "${at#*:}" ] || show "$WORK/out"
        rm -f "$(vol_data)/grown"
        converged "ENOSPC ($point)" "$TARGET"
done
rm -rf "$WORK/small/"*

fi

# 4. dockerd refuses the new root (exit 4); dockerd killed right after it
# started on the new root (exit 4).
if want 4; then
next_target refuse-
move --no-pre-copy
rc=$?
ok '[ $rc = 4 ]' "dockerd refusing the new root: rolled back (exit $rc)"
[ $rc = 4 ] || show "$WORK/out"
converged "dockerd refusing the new root" "$TARGET"
next_target
DOCKER_RELOCATE_TEST_CRASH=docker-started:stop "$BIN" move --to "$TARGET" --no-pre-copy --yes >"$WORK/out" 2>&1 &
pid=$!
if wait_stopped $pid; then
        kill -KILL "$(dockerd_pid)"
        dockerd_kill_leftover_shims
        kill -CONT $pid
fi
wait $pid
rc=$?
ok '[ $rc = 4 ]' "dockerd killed right after its start on the new root: rolled back (exit $rc)"
show "$WORK/out"
converged "dockerd killed after its start" "$TARGET"

fi

# 5. rsync missing with --copier rsync: refused by the plan, nothing changed
# (exit 3). rsync gone after the plan, with Docker stopped: rolled back
# (exit 4). The engine (the default) needs no rsync: the move succeeds.
if want 5; then
mkdir -p "$WORK/path"
for p in /usr/bin/* /bin/*; do
        [ "${p##*/}" = rsync ] || ln -sf "$p" "$WORK/path/${p##*/}" 2>/dev/null
done
next_target
pid0=$(dockerd_pid)
cp "$RELOCATE_STATE" "$WORK/state0"
PATH=$WORK/path:/usr/sbin:/sbin move --no-pre-copy --copier rsync
rc=$?
ok '[ $rc = 3 ] && grep -q "rsync is not installed" "$WORK/out" && [ "$(dockerd_pid)" = "$pid0" ] &&
        [ "$(dockerd_config_sum)" = "$CONF0" ] && cmp -s "$RELOCATE_STATE" "$WORK/state0"' \
        "rsync missing: refused (exit $rc), Docker, its files and the journal untouched"
[ $rc = 3 ] || show "$WORK/out"
ln -s /usr/bin/rsync "$WORK/path/rsync"
DOCKER_RELOCATE_TEST_CRASH=stopped:stop PATH=$WORK/path:/usr/sbin:/sbin \
        "$BIN" move --to "$TARGET" --no-pre-copy --copier rsync --yes >"$WORK/out" 2>&1 &
pid=$!
if wait_stopped $pid; then
        rm "$WORK/path/rsync"
        kill -CONT $pid
fi
wait $pid
rc=$?
ok '[ $rc = 4 ] && grep -q "rsync is not installed" "$WORK/out"' \
        "rsync gone after Docker was stopped: rolled back (exit $rc)"
[ $rc = 4 ] || show "$WORK/out"
converged "rsync gone mid-move" "$TARGET"
rm -f "$WORK/path/rsync"
next_target
PATH=$WORK/path:/usr/sbin:/sbin move --pre-copy
rc=$?
is "$rc" 0 "rsync missing, the copy engine moves all the same"
[ $rc = 0 ] || show "$WORK/out"
converged "the engine without rsync" "$TARGET"

fi

# 6. The automatic rollback killed at each of its points (and once from
# outside, by the init script at the rollback's start of Docker): the next
# run finishes the rollback (exit 4), though what failed (dockerd refusing
# the new root) is gone by then. It does not take up the failed move.
if want 6; then
for point in rollback-begin rollback-stopped rollback-restored rollback-started outside; do
        next_target refuse-
        init_use refusing
        if [ $point = outside ]; then
                touch /run/kill-next-start
                move --no-pre-copy
        else
                DOCKER_RELOCATE_TEST_CRASH=$point move --no-pre-copy
        fi
        rc=$?
        ok '[ $rc = 137 ] && [ "$(relocate_phase)" = rolling-back ]' \
                "rollback killed ($point): exit $rc, the journal says '$(relocate_phase)'"
        [ $rc = 137 ] || show "$WORK/out"
        # The cause is gone: the new root would work now.
        init_use orig
        "$BIN" move --to "$TARGET" --no-pre-copy --yes >"$WORK/rerun.out" 2>&1
        rc=$?
        ok '[ $rc = 4 ] && grep -q "rollback was interrupted; this run finished the rollback" "$WORK/rerun.out"' \
                "rollback killed ($point): the next run finishes the rollback (exit $rc)"
        [ $rc = 4 ] || show "$WORK/rerun.out"
        converged "rollback killed ($point)" "$TARGET"
done
# Finished by "rollback --yes" instead, and by a move to another target.
for how in rollback other-move; do
        next_target refuse-
        init_use refusing
        DOCKER_RELOCATE_TEST_CRASH=rollback-stopped move --no-pre-copy
        init_use orig
        if [ $how = rollback ]; then
                want=0
                "$BIN" rollback --yes >"$WORK/rerun.out" 2>&1
        else
                want=4
                next_target
                "$BIN" move --to "$TARGET" --no-pre-copy --yes >"$WORK/rerun.out" 2>&1
        fi
        rc=$?
        ok '[ $rc = $want ] && [ "$(relocate_phase)" = rolled-back ]' \
                "rollback killed, finished by $how (exit $rc)"
        [ $rc = $want ] || show "$WORK/rerun.out"
        converged "rollback killed, finished by $how" "$TARGET"
done

fi

# 7. A rollback that fails: dockerd starts on no root at all. Exit 5, the
# journal says "failed"; a move, set-data-root and cleanup refuse and say
# how out; "rollback --yes" tries again (and fails while the cause stays);
# once the cause is gone it finishes. Again, put right by hand this time:
# "rollback --resolved" checks and closes the record.
if want 7; then
for how in retry by-hand; do
        next_target refuse-
        init_use dead
        move --no-pre-copy
        rc=$?
        ok '[ $rc = 5 ] && [ "$(relocate_phase)" = failed ] && grep -q "rollback --yes" "$WORK/out" &&
                grep -q "rollback --resolved" "$WORK/out"' \
                "$how: a rollback that fails: exit $rc, journal '$(relocate_phase)', the advice names both ways out"
        [ $rc = 5 ] || show "$WORK/out"
        if [ $how = retry ]; then
                mkdir -p "$WORK/va/other"
                "$BIN" move --to "$WORK/va/other" --yes >"$WORK/o" 2>&1
                rc=$?
                ok '[ $rc = 3 ] && grep -q "rollback --yes'"'"' to try the rollback again" "$WORK/o" &&
                        grep -q "rollback --resolved" "$WORK/o"' \
                        "failed: a new move is refused and names both ways out (exit $rc)"
                [ $rc = 3 ] || show "$WORK/o"
                conf=$(dockerd_config_sum)
                "$BIN" set-data-root "$WORK/va/other" >"$WORK/o" 2>&1
                rc=$?
                ok '[ $rc = 3 ] && grep -q "rollback --resolved" "$WORK/o" && [ "$(dockerd_config_sum)" = "$conf" ]' \
                        "failed: set-data-root is refused, nothing written (exit $rc)"
                "$BIN" cleanup --yes >"$WORK/o" 2>&1
                rc=$?
                ok '[ $rc = 3 ] && [ -d "$ROOT0/image" ]' "failed: cleanup is refused (exit $rc)"
                "$BIN" rollback --resolved >"$WORK/o" 2>&1
                rc=$?
                ok '[ $rc = 3 ] && grep -q "does not answer" "$WORK/o" && [ "$(relocate_phase)" = failed ]' \
                        "failed: --resolved with Docker down is refused, the record stays (exit $rc)"
                "$BIN" rollback --yes >"$WORK/o" 2>&1
                rc=$?
                ok '[ $rc = 5 ] && [ "$(relocate_phase)" = failed ]' \
                        "failed: rollback --yes while the cause stays fails again (exit $rc)"
                init_use orig
                "$BIN" rollback --yes >"$WORK/o" 2>&1
                rc=$?
                ok '[ $rc = 0 ] && [ "$(relocate_phase)" = rolled-back ]' \
                        "failed: the cause gone, rollback --yes finishes the rollback (exit $rc)"
                [ $rc = 0 ] || show "$WORK/o"
        else
                # By hand: the files are back (the failed rollback restored
                # them); Docker started on the old root.
                init_use orig
                dockerd_start >/dev/null
                dockerd_docker start "$DOCKERD_RUNNING" >/dev/null
                "$BIN" rollback --resolved --dry-run >"$WORK/o" 2>&1
                rc=$?
                ok '[ $rc = 0 ] && [ "$(relocate_phase)" = failed ] && grep -q "becomes '"'"'rolled-back'"'"'" "$WORK/o"' \
                        "by hand: --resolved --dry-run says what it would close, and closes nothing"
                "$BIN" rollback --resolved --json >"$WORK/o" 2>"$WORK/e"
                rc=$?
                ok '[ $rc = 0 ] && [ "$(relocate_phase)" = rolled-back ] && grep -Eq '"'"'"status":[[:space:]]*"changed"'"'"' "$WORK/o"' \
                        "by hand: rollback --resolved closes the record as rolled-back, status changed (exit $rc)"
                [ $rc = 0 ] || show "$WORK/o" "$WORK/e"
                # Again: the record is closed, nothing to do, no error.
                cp "$RELOCATE_STATE" "$WORK/state-resolved"
                "$BIN" rollback --resolved --json >"$WORK/o" 2>"$WORK/e"
                rc=$?
                ok '[ $rc = 0 ] && grep -Eq '"'"'"status":[[:space:]]*"unchanged"'"'"' "$WORK/o" &&
                        cmp -s "$RELOCATE_STATE" "$WORK/state-resolved"' \
                        "by hand: --resolved again has nothing to do: exit 0, unchanged, the journal as it was (exit $rc)"
                [ $rc = 0 ] || show "$WORK/o" "$WORK/e"
        fi
        converged "$how" "$TARGET"
done
next_target
move --no-pre-copy
is "$?" 0 "after the failed rollbacks, a correct move succeeds"
converged "a correct move" "$TARGET"

fi

# 8. set-data-root while a move is open: refused, nothing written.
if want 8; then
next_target
DOCKER_RELOCATE_TEST_CRASH=copied move --no-pre-copy
conf=$(dockerd_config_sum)
"$BIN" set-data-root /srv/elsewhere >"$WORK/o" 2>&1
rc=$?
ok '[ $rc = 3 ] && grep -q "was interrupted at '"'"'copied'"'"'" "$WORK/o" && [ "$(dockerd_config_sum)" = "$conf" ]' \
        "set-data-root during an interrupted move is refused, says how out, writes nothing (exit $rc)"
[ $rc = 3 ] || show "$WORK/o"
rerun "set-data-root refused"

fi

# 9. "rollback" of a finished move killed after it stopped the running
# containers (and again after its first file): run again, it starts them on
# the old root, from its record.
if want 9; then
for point in undo-containers-stopped config-file-1; do
        if [ "$(relocate_phase)" != done ]; then
                next_target
                move --no-pre-copy || show "$WORK/out"
                converged "$point: a move to roll back" "$TARGET"
        fi
        prev=$ROOT0
        ok 'running_ok' "$point: the container runs before the rollback"
        DOCKER_RELOCATE_TEST_CRASH=$point "$BIN" rollback --yes >"$WORK/o" 2>&1
        rc=$?
        ok '[ $rc = 137 ] && [ "$(relocate_phase)" = undoing ]' "$point: the rollback was killed (exit $rc)"
        "$BIN" rollback --yes >"$WORK/o" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && [ "$(relocate_phase)" = undone ] && [ "$(dockerd_root_dir)" != "$prev" ]' \
                "$point: rollback --yes again finishes it (exit $rc)"
        [ $rc = 0 ] || show "$WORK/o"
        ok 'running_ok' "$point: the container that ran runs again"
        baseline
        next_target
        move --no-pre-copy || show "$WORK/out"
        converged "$point: a move afterwards" "$TARGET"
done

fi

# 10. SIGKILL from outside at random moments: of the whole move (with and
# without the pre-copy), and of its copy (from the moment the copy claims
# its target: the copy engine, and every other time rsync).
# Each: the move killed (or finished first), then run again: it converges.
if want 10; then
T1=$SECONDS
next_target
t=$(date +%s%N)
move --pre-copy || show "$WORK/out"
full_ms=$((($(date +%s%N) - t) / 1000000))
converged "a timed move ($full_ms ms)" "$TARGET"
declare -A outcome
for i in $(seq 1 "$TRIALS"); do
        next_target
        case $((i % 3)) in
        0) kind=copy opts=--no-pre-copy
           [ $((i % 2)) = 0 ] && opts+=" --copier rsync" ;;
        1) kind=move opts=--pre-copy ;;
        2) kind=move opts=--no-pre-copy ;;
        esac
        delay=$((RANDOM % (full_ms + 1)))
        "$BIN" move --to "$TARGET" $opts --yes >"$WORK/out" 2>&1 &
        pid=$!
        if [ $kind = copy ]; then
                # From the moment the copy runs (its marker on the target,
                # whichever copier), within the time it takes (a small data
                # root: tens of milliseconds).
                for _ in $(seq 1 300); do
                        [ -e "$TARGET/.docker-relocate-copy" ] && break
                        [ -d /proc/$pid ] || break
                        sleep 0.02
                done
                delay=$((RANDOM % 100))
        fi
        sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
        kill -KILL $pid 2>/dev/null
        wait $pid
        rc=$?
        at=$(relocate_phase)
        what="trial $i ($kind $opts, killed after ${delay} ms at '$at', exit $rc)"
        rerun "$what"
        o="$at->$(relocate_phase)"
        outcome[$o]=$((${outcome[$o]:-0} + 1))
done
for o in "${!outcome[@]}"; do
        echo "# random kills: ${outcome[$o]} x $o"
done
echo "# random kills: $TRIALS trials in $((SECONDS - T1)) s (seed $SEED)"

fi

# 11. Backups: at most the newest 5 of each file are kept, and every backup
# the journal names is there.
if want 11; then
n=$(ls /var/lib/docker-relocate/backups | grep -c -- '-etc_docker_daemon.json$')
ok '[ "$n" -le 5 ] && [ "$n" -ge 1 ]' "after $N moves, $n backups of daemon.json are kept (at most 5)"
python3 - "$RELOCATE_STATE" <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1]))
missing = [f["backup"] for k in ("config_undo", "rollback_undo") for f in j.get(k, []) if f.get("backup") and not os.path.exists(f["backup"])]
print("# missing backups: " + " ".join(missing) if missing else "# every backup the journal names is there")
sys.exit(1 if missing else 0)
PY
is "$?" 0 "no backup the journal names was pruned"

fi

init_use orig
echo "# move-faults took $((SECONDS - T0)) s"
done_testing
