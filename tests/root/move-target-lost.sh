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
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
RSYNC=$(command -v rsync) || skip_all "rsync is not installed"

dockerd_private_system
DOCKERD_DATA_ROOT=$WORK/old-root
DOCKERD_CONFIG=json
dockerd_setup
dockerd_start || bail_out "dockerd did not start"
dockerd_populate || bail_out "populating failed"

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

PATH=$WORK/bin:$PATH "$BIN" move --to "$VOL/docker" --no-pre-copy --copier rsync --yes >"$WORK/out" 2>&1 &
MOVE=$!
on_exit "kill $MOVE 2>/dev/null"
# Whether the move has ended (a zombie until waited for counts as ended).
gone() {
        local s
        s=$(ps -o stat= -p "$MOVE") || return 0
        [ "${s#Z}" != "$s" ]
}

# The copy has begun and is well under way.
WAIT_FOR_INTERVAL=1 wait_for 180 copied_some
ok 'copied_some && ! gone' "the final copy runs"
# Read-only, between two files rsync writes.
for i in $(seq 1 5000); do
        mount -o remount,ro "$VOL" 2>/dev/null && break
done
t0=$SECONDS
ok '! touch "$VOL/probe" 2>/dev/null' "the target filesystem turned read-only"

# Without a stop at the first failure the copy runs on for most of a minute.
wait_for 30 gone
elapsed=$((SECONDS - t0))
ok 'gone' "the move ended ${elapsed}s after the error (at most 30 s)"
# Otherwise let it end on its own, so the rest is checked on what it leaves.
gone || wait_for 300 gone
wait $MOVE
rc=$?
is "$rc" 4 "the move failed and rolled back (exit 4)"
[ $rc = 4 ] || sed 's/^/#   /' "$WORK/out"
like "$(cat "$WORK/out")" "$VOL/docker" "the message names the target"
like "$(cat "$WORK/out")" "read-only" "the message names the cause"
is "$(pgrep -f -- "$VOL/docker" | wc -l)" 0 "no rsync left running"

is "$(dockerd_root_dir)" "$DOCKERD_DATA_ROOT" "Docker runs on the old root"
is "$(config_sum)" "$config0" "the configuration is byte-identical"
is "$(dockerd_sets)" "$sets0" "the same images, containers and volumes"
is "$(dockerd_inventory)" "$inventory0" "… in the same states, the volume's data with them"

done_testing
