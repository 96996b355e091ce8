#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The target volume fails during the final copy, on a real dockerd (SysV init
# script) in a private mount namespace: its filesystem turns read-only, as
# ext4 does when the volume is detached under it (errors=remount-ro). rsync
# would go on failing file after file until the end of the tree; the move must stop the copy at once, end rsync and its
# children, and roll back: exit 4, a message that names the target and the
# cause, Docker on the old root with every image, container and volume, the
# configuration byte-identical. The copy is rsync's (--copier rsync: the
# engine ends at the first failed write by itself), slowed down (rsync
# --bwlimit, through a wrapper first in PATH) so that it is still running
# when the error comes, and would run on for a minute.
#
# With the hooks of a test build (-Dfault_injection=true), before that: the
# copy stalls (every rsync process stopped with SIGSTOP; the watch's limit of
# ten minutes cut to 5 s by DOCKER_RELOCATE_TEST_COPY_STALL), and the
# target's block device goes away (a mounted loop device cannot be removed,
# so the watch is pointed at a file standing for its sysfs node,
# DOCKER_RELOCATE_TEST_COPY_DEVICE, removed mid-copy). Each must end the
# copy and roll back the same way, the journal "rolled-back".
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
RSYNC=$(command -v rsync) || skip_all "rsync is not installed"

dockerd_running_populated

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"
mkdir "$VOL/docker"

# 120 MiB in the volume, copied at 2 MiB/s: a minute of copy. In small
# files, so that the remount below finds a moment with none open for writing:
# a file it cannot create rsync reports and goes on with the next one.
BULK=$DOCKERD_DATA_ROOT/volumes/$DOCKERD_VOLUME/_data/bulk
mkdir "$BULK"
head -c $((120 * 1024 * 1024)) /dev/urandom | split -b 4096 -a 5 - "$BULK/f"
COPIED=$VOL/docker/volumes/$DOCKERD_VOLUME/_data/bulk
copied_some() {
        [ "$(ls "$COPIED" 2>/dev/null | wc -l)" -ge 500 ]
}
mkdir "$WORK/bin"
printf '#!/bin/sh\nexec %s --bwlimit=2048 "$@"\n' "$RSYNC" >"$WORK/bin/rsync"
chmod +x "$WORK/bin/rsync"

config_sum() {
        sha256sum /etc/docker/daemon.json /etc/default/docker
        ls -A /etc/systemd/system/docker.service.d 2>/dev/null
}
config0=$(config_sum)
sets0=$(dockerd_sets)
inventory0=$(dockerd_inventory)

MOVE=
on_exit '[ -z "$MOVE" ] || kill $MOVE 2>/dev/null'
# Whether the move has ended (a zombie until waited for counts as ended).
gone() {
        local s
        s=$(ps -o stat= -p "$MOVE") || return 0
        [ "${s#Z}" != "$s" ]
}
# rsync's processes for a target (the sender, its receiver and generator),
# not the move's, whose command line names the target too.
rsyncs() {
        pgrep -f -- "^$RSYNC .*$1"
}

# What a move that gave up must leave: $1 the case, $2 the target, $3 a
# part of the cause, $4 the most seconds since the fault.
check_rolled_back() {
        local name=$1 target=$2 cause=$3 limit=$4 t0=$SECONDS elapsed rc
        wait_for "$limit" gone
        elapsed=$((SECONDS - t0))
        ok 'gone' "$name: the move ended ${elapsed}s after the fault (at most $limit s)"
        # Otherwise let it end on its own, so the rest is checked on what
        # it leaves.
        if ! gone; then
                kill -CONT $(rsyncs "$target") 2>/dev/null
                wait_for 300 gone
        fi
        wait $MOVE
        rc=$?
        MOVE=
        is "$rc" 4 "$name: the move failed and rolled back (exit 4)"
        [ $rc = 4 ] || sed 's/^/#   /' "$WORK/out"
        like "$(cat "$WORK/out")" "$target" "$name: the message names the target"
        like "$(cat "$WORK/out")" "$cause" "$name: the message names the cause"
        is "$(rsyncs "$target" | wc -l)" 0 "$name: no rsync left running"
        is "$(relocate_phase)" rolled-back "$name: the journal says rolled-back"
        is "$(dockerd_root_dir)" "$DOCKERD_DATA_ROOT" "$name: Docker runs on the old root"
        is "$(config_sum)" "$config0" "$name: the configuration is byte-identical"
        is "$(dockerd_sets)" "$sets0" "$name: the same images, containers and volumes"
        is "$(dockerd_inventory)" "$inventory0" "$name: … in the same states, the volume's data with them"
}

# A move to $1 (with the environment words after it) in the background,
# until its final copy is under way.
start_move() {
        local target=$1
        shift
        mkdir -p "$target"
        COPIED=$target/volumes/$DOCKERD_VOLUME/_data/bulk
        env PATH="$WORK/bin:$PATH" "$@" "$BIN" move --to "$target" --no-pre-copy --copier rsync --yes >"$WORK/out" 2>&1 &
        MOVE=$!
        WAIT_FOR_INTERVAL=1 wait_for 180 copied_some
        ok 'copied_some && ! gone' "$(basename "$target"): the final copy runs"
}

if [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ]; then
        # A stall: every rsync process stopped, nothing moves any more.
        start_move "$VOL/stall" DOCKER_RELOCATE_TEST_COPY_STALL=5
        pids=$(rsyncs "$VOL/stall")
        ok '[ -n "$pids" ] && kill -STOP $pids' "stall: rsync stopped ($(echo $pids))"
        check_rolled_back stall "$VOL/stall" "no progress" 60

        # The target's device gone.
        touch "$WORK/device-node"
        start_move "$VOL/gone" "DOCKER_RELOCATE_TEST_COPY_DEVICE=$WORK/device-node"
        rm "$WORK/device-node"
        check_rolled_back gone "$VOL/gone" "block device is gone" 30
fi

start_move "$VOL/docker"

# Read-only, between two files rsync writes.
for i in $(seq 1 5000); do
        mount -o remount,ro "$VOL" 2>/dev/null && break
done
ok '! touch "$VOL/probe" 2>/dev/null' "the target filesystem turned read-only"
# Without a stop at the first failure the copy runs on for most of a minute.
check_rolled_back read-only "$VOL/docker" "read-only" 30

done_testing
