#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A move killed at each point of the configuration step, on a real dockerd
# (SysV init script) in a private mount namespace. The test hook
# DOCKER_RELOCATE_TEST_CRASH makes the binary SIGKILL itself right after the
# journal recorded how to undo the files ("config-recorded"), after the first
# file was written ("config-file-1"), after the last file, before the phase
# was marked ("config-written"). Each time the next run, which fails to start
# Docker on the new root, must roll back on its own (exit 4): every config
# file byte-identical to before, a file the move created gone, Docker on the
# old root with every image, container and volume. A plain re-run after such
# a crash completes the move. A rollback killed halfway refuses a new move
# and is finished by running it again. A move that can no longer resume
# (its target gone) says Docker is stopped, and "rollback --yes" abandons it,
# whether it had stopped Docker or not, and starts ext4's zeroing of the
# inode tables on a volume the move mounted without it. A move killed after
# Docker was verified on the new root is verified again by the next run
# (Docker stopped since: started; put back on the old root by hand: rolled
# back, and --delete-old deletes nothing). A SIGINT or SIGTERM ends a move
# at a step's end: rolled back once Docker was stopped, Docker untouched
# before. A run that takes up a killed one and fails before its own stop
# starts the containers the killed run stopped.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
dockerd_require_fault_injection

dockerd_running_populated

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"

# The files the journal's write-ahead record lists under KEY.
recorded() {
        json_get '" ".join(f["path"] for f in j.get("'"$1"'", []))' "$RELOCATE_STATE" 2>/dev/null
}
running() {
        dockerd_running
}

# The packaged init script, with one line more at "start": it refuses when
# the configuration names a target of the crash runs, as a dockerd that
# cannot use the new root would. The run after a crash then has to roll back.
cp /etc/init.d/docker "$WORK/init-orig"
sed "/^[[:space:]]*start)\$/a\\\t\\tif grep -qs -- '$VOL/crash-' /etc/default/docker /etc/docker/daemon.json; then echo 'injected: dockerd refuses the new root' >\\&2; exit 1; fi" \
        "$WORK/init-orig" >"$WORK/init-refusing"
grep -q "injected: dockerd refuses" "$WORK/init-refusing" || bail_out "could not inject the failure"
cp "$WORK/init-refusing" /etc/init.d/docker

# crash_then_roll_back POINT TARGET WHAT: the move to TARGET killed at POINT,
# then run again: it must roll back to exactly the configuration before.
crash_then_roll_back() {
        local point=$1 target=$2 what=$3 config0 sets0 rc
        config0=$(dockerd_config_sum)
        sets0=$(dockerd_sets)
        mkdir "$target"

        DOCKER_RELOCATE_TEST_CRASH=$point "$BIN" move --to "$target" --no-pre-copy --yes \
                >"$WORK/crash.out" 2>"$WORK/crash.err"
        rc=$?
        ok '[ $rc = 137 ] && grep -q "DOCKER_RELOCATE_TEST_CRASH=$point: killing" "$WORK/crash.err"' \
                "$what: the move was killed at $point (exit $rc)"
        [ $rc = 137 ] || diag_files "$WORK/crash.err"
        ok '[ "$(relocate_phase)" = copied ] && [ -n "$(recorded config_undo)" ]' \
                "$what: the journal is at 'copied' and lists the files ($(recorded config_undo))"
        case $point in
        config-recorded)
                is "$(dockerd_config_sum)" "$config0" "$what: no file was written yet" ;;
        *)
                ok '[ "$(dockerd_config_sum)" != "$config0" ] && grep -qs -- "$target" /etc/docker/daemon.json' \
                        "$what: the new configuration was written" ;;
        esac
        ok '[ -z "$(dockerd_pid)" ]' "$what: dockerd is down after the kill"

        "$BIN" move --to "$target" --no-pre-copy --yes --json >"$WORK/resume.json" 2>"$WORK/resume.err"
        rc=$?
        is "$rc" 4 "$what: the next run fails to start Docker and rolls back (exit $rc)"
        [ $rc = 4 ] || diag_files "$WORK/resume.err"
        is "$(dockerd_config_sum)" "$config0" \
                "$what: every config file is byte-identical to before (a created one gone)"
        ok '[ "$(dockerd_root_dir)" = "$DOCKERD_ROOT_NOW" ] && [ "$(dockerd_sets)" = "$sets0" ]' \
                "$what: Docker runs on the old root with every image, container and volume"
        is "$(running)" true "$what: the running container runs again"
        is "$(relocate_phase)" rolled-back "$what: the journal says rolled-back"
}

DOCKERD_ROOT_NOW=$DOCKERD_DATA_ROOT
is "$(dockerd_root_dir)" "$DOCKERD_ROOT_NOW" "dockerd runs on the old root"
JSON0=$(cat /etc/docker/daemon.json)

# 1. data-root in daemon.json: the move changes that file.
n=0
for point in config-recorded config-file-1 config-written; do
        n=$((n + 1))
        crash_then_roll_back "$point" "$VOL/crash-$n" "daemon.json, $point"
done

# 2. Killed after the write, a plain re-run completes the move.
cp "$WORK/init-orig" /etc/init.d/docker
mkdir "$VOL/done-1"
DOCKER_RELOCATE_TEST_CRASH=config-file-1 "$BIN" move --to "$VOL/done-1" --no-pre-copy --yes >/dev/null 2>&1
is "$?" 137 "a move killed after the write"
# Until it is finished or abandoned, another target may not start: it says
# to run the interrupted move again or abandon it, and that Docker is
# stopped. A rollback without --yes changes nothing and says both ways out.
mkdir "$VOL/other"
"$BIN" move --to "$VOL/other" --no-pre-copy --yes >"$WORK/other.out" 2>&1
rc=$?
ok '[ $rc = 3 ] && grep -q "run it again with that target first" "$WORK/other.out" && grep -q "rollback --yes" "$WORK/other.out" && grep -q "Docker is stopped" "$WORK/other.out"' \
        "a move to another target is refused, says Docker is stopped, to finish or abandon the interrupted one (exit $rc)"
[ $rc = 3 ] || diag_files "$WORK/other.out"
"$BIN" rollback >"$WORK/rb.out" 2>&1
rc=$?
ok '[ $rc = 3 ] && grep -q "needs --yes" "$WORK/rb.out" && grep -q "move'"'"' again with the same target" "$WORK/rb.out" &&
        [ "$(relocate_phase)" = copied ] && [ -z "$(dockerd_pid)" ]' \
        "rollback without --yes refuses, changes nothing, and says how to finish instead (exit $rc)"
[ $rc = 3 ] || diag_files "$WORK/rb.out"
"$BIN" cleanup --yes >"$WORK/rb.out" 2>&1
rc=$?
ok '[ $rc = 3 ] && grep -q "rollback --yes" "$WORK/rb.out"' \
        "cleanup refuses the interrupted move and names the rollback that abandons it (exit $rc)"
[ $rc = 3 ] || diag_files "$WORK/rb.out"
"$BIN" move --to "$VOL/done-1" --no-pre-copy --yes --json >"$WORK/resume.json" 2>"$WORK/resume.err"
rc=$?
is "$rc" 0 "running it again completes it (exit $rc)"
[ $rc = 0 ] || diag_files "$WORK/resume.err"
ok '[ "$(dockerd_root_dir)" = "$VOL/done-1" ] && [ "$(relocate_phase)" = done ]' \
        "Docker runs on the new root, the move is done"

# 3. A rollback killed after it wrote daemon.json: a move is refused, the
# rollback run again finishes.
DOCKER_RELOCATE_TEST_CRASH=config-file-1 "$BIN" rollback --yes >"$WORK/undo.out" 2>"$WORK/undo.err"
rc=$?
ok '[ $rc = 137 ] && [ "$(relocate_phase)" = undoing ] && [ "$(recorded rollback_undo)" = /etc/docker/daemon.json ]' \
        "a rollback killed after the write leaves 'undoing' and its record (exit $rc)"
[ $rc = 137 ] || diag_files "$WORK/undo.err"
mkdir "$VOL/done-2"
"$BIN" move --to "$VOL/done-2" --no-pre-copy --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 3 ] && grep -q "rollback --yes'"'"' again" "$WORK/out"' \
        "a new move is refused and says to run the rollback again (exit $rc)"
"$BIN" cleanup --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 3 ] && [ -d "$DOCKERD_DATA_ROOT/image" ]' "cleanup is refused and removes nothing"
"$BIN" rollback --yes >"$WORK/undo.out" 2>"$WORK/undo.err"
rc=$?
is "$rc" 0 "rollback run again succeeds (exit $rc)"
[ $rc = 0 ] || diag_files "$WORK/undo.err"
ok '[ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(cat /etc/docker/daemon.json)" = "$JSON0" ] &&
        [ "$(relocate_phase)" = undone ]' "Docker runs on the old root, daemon.json is as it was"

# 4. A move killed after it stopped Docker and wrote a file, whose target is
# then gone: it cannot be resumed. The move says Docker is stopped and how to
# get it back; "rollback --yes" abandons it: the configuration as before,
# Docker on the old root with the same content, the containers running.
result() {
        json_get '"%s %s" % (j["status"], j["changed"])' "$1" 2>/dev/null
}
dockerd_docker start "$DOCKERD_RUNNING" >/dev/null
config0=$(dockerd_config_sum)
sets0=$(dockerd_sets)
mkdir "$VOL/gone"
DOCKER_RELOCATE_TEST_CRASH=config-file-1 "$BIN" move --to "$VOL/gone" --no-pre-copy --yes >"$WORK/out" 2>&1
rc=$?
config1=$(dockerd_config_sum)
ok '[ $rc = 137 ] && [ "$(relocate_phase)" = copied ] && [ -z "$(dockerd_pid)" ] && [ "$config1" != "$config0" ]' \
        "abandon: a move killed after the stop and the first file, Docker down (exit $rc)"
rm -rf "$VOL/gone"
"$BIN" move --to "$VOL/gone" --no-pre-copy --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 3 ] && grep -q "not an existing directory" "$WORK/out" && grep -q "Docker is stopped" "$WORK/out" && grep -q "rollback --yes" "$WORK/out"' \
        "abandon: the move cannot resume, is refused, says Docker is stopped and names rollback --yes (exit $rc)"
[ $rc = 3 ] || diag_files "$WORK/out"
cp "$RELOCATE_STATE" "$WORK/state-before"
"$BIN" rollback --dry-run >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 0 ] && grep -q "Abandon the interrupted move to $VOL/gone" "$WORK/out" && grep -q "/etc/docker/daemon.json" "$WORK/out" && cmp -s "$RELOCATE_STATE" "$WORK/state-before" && [ "$(dockerd_config_sum)" = "$config1" ] && [ -z "$(dockerd_pid)" ]' \
        "abandon: rollback --dry-run says what it would do and changes nothing (exit $rc)"
[ $rc = 0 ] || diag_files "$WORK/out"
"$BIN" rollback --yes --json >"$WORK/abandon.json" 2>"$WORK/abandon.err"
rc=$?
ok '[ $rc = 0 ] && [ "$(result "$WORK/abandon.json")" = "changed True" ]' \
        "abandon: rollback --yes succeeds, status changed (exit $rc, $(result "$WORK/abandon.json"))"
[ $rc = 0 ] || diag_files "$WORK/abandon.err" "$WORK/abandon.json"
is "$(dockerd_config_sum)" "$config0" "abandon: every config file is byte-identical to before the move"
ok '[ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(dockerd_sets)" = "$sets0" ]' \
        "abandon: Docker runs on the old root with every image, container and volume"
is "$(running)" true "abandon: the running container runs again"
is "$(relocate_phase)" rolled-back "abandon: the journal says rolled-back"
is "$(json_get '[s["name"] for s in j["steps"]]' "$WORK/abandon.json")" '["roll-back"]' \
        "abandon: the report's steps name the rollback"
# Again: nothing to do, which is no error (Ansible's rolled_back reruns it).
"$BIN" rollback --yes --json >"$WORK/again.json" 2>"$WORK/again.err"
rc=$?
ok '[ $rc = 0 ] && [ "$(result "$WORK/again.json")" = "unchanged False" ] && [ "$(relocate_phase)" = rolled-back ] &&
        [ "$(dockerd_config_sum)" = "$config0" ]' \
        "abandon: a second rollback has nothing to do: exit 0, unchanged (exit $rc, $(result "$WORK/again.json"))"
[ $rc = 0 ] || diag_files "$WORK/again.err" "$WORK/again.json"
mkdir "$VOL/after"
"$BIN" move --to "$VOL/after" --no-pre-copy --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 0 ] && [ "$(dockerd_root_dir)" = "$VOL/after" ] && [ "$(relocate_phase)" = done ]' \
        "abandon: a new move afterwards works (exit $rc)"
[ $rc = 0 ] || diag_files "$WORK/out"
"$BIN" rollback --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 0 ] && [ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(dockerd_config_sum)" = "$config0" ]' \
        "abandon: which rolls back as usual"

# 5. A move onto a device, killed after its live pre-copy, Docker still
# running: abandoning it only marks the journal; no file, no daemon, no
# container is touched. The volume it mounted for the copy without ext4's
# zeroing of the inode tables (noinit_itable) gets that zeroing back.
dockerd_docker start "$DOCKERD_RUNNING" >/dev/null
pid0=$(dockerd_pid)
sandbox_loop LIVE 2G || bail_out "losetup"
LIVEMNT=$WORK/live
itable() {
        findmnt -n -o FS-OPTIONS --mountpoint "$LIVEMNT" | awk '{ print ($1 ~ /(^|,)noinit_itable(,|$)/) ? "deferred" : "zeroing" }'
}
DOCKER_RELOCATE_TEST_CRASH=pre-copied "$BIN" move --device "$LIVE" --mount "$LIVEMNT" --pre-copy --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 137 ] && [ "$(relocate_phase)" = precopied ] && [ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ]' \
        "live: a move killed after the pre-copy, Docker still runs (exit $rc)"
[ $rc = 137 ] || diag_files "$WORK/out"
is "$(itable)" deferred "live: the kill left the volume mounted with noinit_itable"
"$BIN" rollback --yes --json >"$WORK/abandon.json" 2>"$WORK/abandon.err"
rc=$?
ok '[ $rc = 0 ] && [ "$(result "$WORK/abandon.json")" = "changed True" ] && [ "$(relocate_phase)" = rolled-back ]' \
        "live: rollback --yes abandons it, the journal says rolled-back (exit $rc)"
[ $rc = 0 ] || diag_files "$WORK/abandon.err" "$WORK/abandon.json"
ok '[ "$(dockerd_config_sum)" = "$config0" ] && [ "$(dockerd_pid)" = "$pid0" ] && [ "$(dockerd_sets)" = "$sets0" ] &&
        [ "$(running)" = true ]' \
        "live: the configuration, the daemon and its containers were left as they were"
ok '[ -d "$LIVEMNT/docker/image" ] && [ -d "$DOCKERD_DATA_ROOT/image" ]' "live: neither data root was touched"
is "$(itable)" zeroing "live: the rollback remounted the volume without noinit_itable"

# 6. A move killed once Docker was verified on the new root, and Docker
# stopped, or put back on the old root by hand, before the next run: that
# run starts and verifies Docker again before it calls the move done, and
# before --delete-old may touch the old root.
verified_crash() {
        local target=$1 what=$2 rc
        mkdir "$target"
        DOCKER_RELOCATE_TEST_CRASH=verified "$BIN" move --to "$target" --no-pre-copy --yes >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 137 ] && [ "$(relocate_phase)" = verified ] && [ "$(dockerd_root_dir)" = "$target" ]' \
                "$what: a move killed after Docker was verified on $target (exit $rc)"
        [ $rc = 137 ] || diag_files "$WORK/out"
}
cp /etc/docker/daemon.json "$WORK/daemon.json.before"
verified_crash "$VOL/verified-1" "verified, then stopped"
dockerd_stop || bail_out "dockerd did not stop"
"$BIN" move --to "$VOL/verified-1" --no-pre-copy --yes --json >"$WORK/resume.json" 2>"$WORK/resume.err"
rc=$?
ok '[ $rc = 0 ] && [ "$(dockerd_root_dir)" = "$VOL/verified-1" ] && [ "$(relocate_phase)" = done ]' \
        "verified, then stopped: the next run starts Docker on the new root again and verifies it (exit $rc)"
[ $rc = 0 ] || diag_files "$WORK/resume.err"
"$BIN" rollback --yes >"$WORK/out" 2>&1 || diag_files "$WORK/out"
is "$(dockerd_config_sum)" "$config0" "verified, then stopped: rolled back to the configuration as before"

verified_crash "$VOL/verified-2" "verified, then put back"
dockerd_stop || bail_out "dockerd did not stop"
cp "$WORK/daemon.json.before" /etc/docker/daemon.json
dockerd_start || bail_out "dockerd did not start on the old root"
"$BIN" move --to "$VOL/verified-2" --no-pre-copy --delete-old --yes --json >"$WORK/resume.json" 2>"$WORK/resume.err"
rc=$?
is "$rc" 4 "verified, then put back: the next run finds Docker on the old root, does not call the move done, rolls back (exit $rc)"
[ $rc = 4 ] || diag_files "$WORK/resume.err"
ok '[ -d "$DOCKERD_DATA_ROOT/image" ] && [ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(dockerd_sets)" = "$sets0" ]' \
        "verified, then put back: --delete-old left the old root, Docker runs on it with every image, container and volume"
is "$(dockerd_config_sum)" "$config0" "verified, then put back: the configuration is as before"

# 7. Interrupted: a SIGINT once Docker is stopped ends the move before its
# next step and rolls back (exit 4); a SIGTERM after the live pre-copy ends
# it with Docker untouched (exit 1). The run is held at the point by the
# test hook, the signal sent, and the hold released.
interrupted() {
        local point=$1 sig=$2 target=$3 pause=$WORK/paused-$1 pid
        mkdir "$target"
        DOCKER_RELOCATE_TEST_PAUSE=$point:$pause "$BIN" move --to "$target" --pre-copy --yes --json \
                >"$WORK/int.json" 2>"$WORK/int.err" &
        pid=$!
        if ! wait_for 120 test -e "$pause"; then
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                return 1
        fi
        kill -"$sig" "$pid"
        wait_for 10 grep -q "^$sig received: the move stops after its current step" "$WORK/int.err"
        rm -f "$pause"
        if ! wait_for 300 sh -c "! kill -0 $pid 2>/dev/null"; then
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                return 1
        fi
        wait "$pid"
}
int_error() {
        json_get '"%s %s: %s" % (j["status"], j["error"]["code"], j["error"]["message"])' "$WORK/int.json" 2>/dev/null
}
interrupted stopped INT "$VOL/interrupted-1"
rc=$?
like "$(int_error)" "^rolled-back 4: .*Interrupted by SIGINT before the step \"copy\"" \
        "SIGINT with Docker stopped: the move rolls back, exit 4, and says why (exit $rc)"
[ $rc = 4 ] || diag_files "$WORK/int.err"
ok 'grep -q "^SIGINT received: the move stops after its current step" "$WORK/int.err"' "… it said so when the signal came"
ok '[ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(dockerd_sets)" = "$sets0" ] && [ "$(dockerd_config_sum)" = "$config0" ] &&
        [ "$(relocate_phase)" = rolled-back ]' \
        "… Docker runs on the old root with every image, container and volume, the configuration as before"
is "$(running)" true "… the running container runs again"
pid0=$(dockerd_pid)
interrupted pre-copied TERM "$VOL/interrupted-2"
rc=$?
like "$(int_error)" "^failed 1: .*Interrupted by SIGTERM before the step" \
        "SIGTERM after the live pre-copy: the move ends, exit 1, and says why (exit $rc)"
[ $rc = 1 ] || diag_files "$WORK/int.err"
ok '[ "$(dockerd_pid)" = "$pid0" ] && [ "$(dockerd_config_sum)" = "$config0" ] && [ "$(running)" = true ]' \
        "… Docker was not stopped, its configuration not touched"

# 8. A run killed once it had stopped the containers and Docker; Docker
# started again by hand (its containers stay stopped); the next run fails
# before its own stop: the containers the first run stopped run again.
dockerd_docker start "$DOCKERD_RUNNING" >/dev/null 2>&1
mkdir "$VOL/restarted"
DOCKER_RELOCATE_TEST_CRASH=stopped "$BIN" move --to "$VOL/restarted" --no-pre-copy --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 137 ] && [ "$(relocate_phase)" = stopped ] && [ -z "$(dockerd_pid)" ]' \
        "restarted: a move killed once it had stopped Docker (exit $rc)"
dockerd_start || bail_out "dockerd did not start again"
is "$(running)" false "restarted: Docker started by hand, the container stays stopped"
DOCKER_RELOCATE_TEST_FAIL=copy-live:EIO "$BIN" move --to "$VOL/restarted" --pre-copy --yes >"$WORK/out" 2>&1
rc=$?
ok '[ $rc = 1 ] && [ "$(relocate_phase)" = rolled-back ] && [ "$(dockerd_config_sum)" = "$config0" ]' \
        "restarted: the next run fails in its live copy (exit $rc)"
[ $rc = 1 ] || diag_files "$WORK/out"
is "$(running)" true "restarted: the container the killed run stopped runs again"

# 9. Nothing configures the data root: the move creates daemon.json, and
# undoing it deletes the file.
dockerd_stop || bail_out "dockerd did not stop"
rm /etc/docker/daemon.json
mkdir -p /var/lib/docker
sandbox_bind "$DOCKERD_DATA_ROOT" /var/lib/docker
dockerd_start || bail_out "dockerd did not start on /var/lib/docker"
# The killed rollback had stopped it, and a rollback run again does not know
# which containers ran before the first one.
dockerd_docker start "$DOCKERD_RUNNING" >/dev/null
DOCKERD_ROOT_NOW=/var/lib/docker
ok '[ "$(dockerd_root_dir)" = /var/lib/docker ] && [ ! -e /etc/docker/daemon.json ]' \
        "dockerd runs on /var/lib/docker with no daemon.json"
cp "$WORK/init-refusing" /etc/init.d/docker
crash_then_roll_back config-written "$VOL/crash-4" "daemon.json created"
ok '[ ! -e /etc/docker/daemon.json ]' "the daemon.json the move created is gone"

cp "$WORK/init-orig" /etc/init.d/docker
done_testing
