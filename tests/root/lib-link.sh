#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The recipe copied from forum threads: /var/lib/docker reaches the data on
# another disk through a symlink (LINK_KIND=symlink) or a bind mount set in
# /etc/fstab (LINK_KIND=bind), with no data root configured. On a real
# dockerd (SysV init script) in a private mount namespace, the "other disk"
# and the target each an ext4 loop volume:
#   - refused, nothing changed: --to the very directory the link leads to
#     (with --delete-old); a symlink that leads nowhere;
#   - the plan (human and --json) says the link stays, and why;
#   - move --to: Docker runs on the target, data-root is in daemon.json
#     and nowhere else, images, containers and volumes are all there, the
#     link (and the fstab line) and the old data untouched;
#   - rollback: the configuration (no daemon.json, which the move created),
#     the link, fstab and the daemon's root exactly as before;
#   - moved again and the old data removed (--delete-old for the symlink,
#     cleanup for the bind): the old directory on the other disk goes, the
#     new root is intact, the link is never followed into it.
# Sourced by move-symlink.sh and move-bind.sh, which set LINK_KIND.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}

dockerd_private_system
# The other disk, holding the data the link leads to.
sandbox_ext4_volume OLDLOOP 1G "$WORK/disk2" || bail_out "the old data's volume"
OLD=$WORK/disk2/docker
mkdir "$OLD"
case "$LINK_KIND" in
symlink)
        ln -s "$OLD" /var/lib/docker || bail_out "the symlink"
        ROOT0=$OLD # dockerd resolves the symlink
        ;;
bind)
        mkdir /var/lib/docker
        echo "$OLD /var/lib/docker none bind 0 0" >>/etc/fstab
        sandbox_bind "$OLD" /var/lib/docker || bail_out "the bind mount"
        ROOT0=/var/lib/docker
        ;;
*)
        bail_out "LINK_KIND=$LINK_KIND"
        ;;
esac
DOCKERD_CONFIG=default
DOCKERD_DATA_ROOT=$OLD
dockerd_setup
dockerd_start || bail_out "dockerd did not start"
dockerd_populate || bail_out "populating failed"

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the target volume"
NEW=$VOL/docker
mkdir "$NEW"

# The link: what /var/lib/docker is, what is mounted on it, and fstab.
# (What is mounted where a symlink leads is the daemon's own: dockerd binds
# its root on itself while it runs.)
link_state() {
        stat -c '%N %F %a %U' /var/lib/docker
        [ -L /var/lib/docker ] || findmnt -n -o SOURCE,TARGET,FSROOT --mountpoint /var/lib/docker | sort -u
        sha256sum /etc/fstab
}
# Everything the move may change but a rollback must put back: Docker's
# configuration directory (each file and its mode; with "all", daemon.json
# too), DOCKER_OPTS, the link, and the daemon's root.
state() {
        (cd /etc/docker && find . ! -name daemon.json -printf '%p %m %s\n' | sort &&
                find . -type f ! -name daemon.json -exec sha256sum {} + | sort)
        [ "${1:-}" = all ] && sha256sum /etc/docker/daemon.json 2>&1
        sha256sum /etc/default/docker
        link_state
        dockerd_root_dir
}
# The old data's tree, by name on its own disk (never through the link); the
# parts a running daemon does not write to.
old_data() {
        (cd "$OLD" && find image overlay2 volumes -printf '%p %y\n' | sort | sha256sum)
}
refused() {
        local what=$1 before rc
        shift
        before=$(state all; old_data)
        "$BIN" move "$@" </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 3 ] && [ "$(state all; old_data)" = "$before" ]' "$what: refused (exit $rc), nothing changed"
        [ $rc = 3 ] || sed 's/^/#   /' "$WORK/out"
}

is "$(dockerd_root_dir)" "$ROOT0" "dockerd runs on $ROOT0, reached through the $LINK_KIND"
STATE0=$(state)
STATE0_ALL=$(state all)
LINK0=$(link_state)
INV0=$(dockerd_inventory)

# Refused: a symlink that leads nowhere (the running daemon resolved it
# when it started), named in the refusal.
if [ "$LINK_KIND" = symlink ]; then
        ln -sfn "$WORK/gone" /var/lib/docker
        before=$(sha256sum /etc/default/docker; ls -A /etc/docker /var/lib/docker-relocate 2>&1; readlink /var/lib/docker)
        "$BIN" move --to "$NEW" --yes </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 3 ] && grep -q "/var/lib/docker is a symlink to $WORK/gone, which does not exist" "$WORK/out"' \
                "a dangling symlink: refused (exit $rc), naming it and where it leads"
        [ $rc = 3 ] || sed 's/^/#   /' "$WORK/out"
        is "$(sha256sum /etc/default/docker; ls -A /etc/docker /var/lib/docker-relocate 2>&1; readlink /var/lib/docker)" \
                "$before" "the dangling symlink: nothing changed"
        ln -sfn "$OLD" /var/lib/docker
fi

# Refused: the target is the directory the link already leads to. With
# --delete-old a move there would delete the data the new root reads.
refused "--to the link's own target, --delete-old" --to "$OLD" --delete-old --yes
ok 'grep -q "which is the target $OLD itself" "$WORK/out" && grep -q "set-data-root $OLD" "$WORK/out"' \
        "the refusal says the data is there already, and what to run instead"
ok '[ -d "$OLD/image" ] && [ -d "$OLD/volumes" ]' "the data is still there"

# The plan explains what becomes of the link, in the human plan and --json.
"$BIN" move --to "$NEW" --dry-run </dev/null >"$WORK/plan.txt" 2>&1
rc=$?
is "$rc" 0 "move --dry-run succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/plan.txt"
if [ "$LINK_KIND" = symlink ]; then
        like "$(cat "$WORK/plan.txt")" "Leave the symlink /var/lib/docker -> $OLD as it is: .*'rollback' finds it unchanged" \
                "the plan says the symlink stays, and why"
else
        like "$(cat "$WORK/plan.txt")" "Leave the bind mount of $OLD on /var/lib/docker and its line in /etc/fstab as it is" \
                "the plan says the bind mount and its fstab line stay"
fi
"$BIN" move --to "$NEW" --dry-run --json </dev/null >"$WORK/plan.json" 2>/dev/null
is "$(json_get '[j["plan"]["data_root_link"][k] for k in ("kind", "path", "target", "fstab", "is_target")] + [j["plan"]["data_root_link"]["choice"] in j["plan"]["steps"]]' \
        "$WORK/plan.json")" \
        "[\"$LINK_KIND\", \"/var/lib/docker\", \"$OLD\", $([ "$LINK_KIND" = bind ] && echo true || echo false), false, true]" \
        "--json: plan.data_root_link names the $LINK_KIND and the choice, which is a step"
is "$(state all)" "$STATE0_ALL" "the dry runs changed nothing"

"$BIN" move --to "$NEW" --no-pre-copy --yes --json </dev/null >"$WORK/move.json" 2>"$WORK/move.err"
rc=$?
is "$rc" 0 "move --to succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/move.json" "$WORK/move.err"
is "$(dockerd_root_dir)" "$NEW" "Docker runs on $NEW"
is "$(json_get 'j.get("data-root")' /etc/docker/daemon.json)" "$NEW" "daemon.json holds the new data-root"
ok '! grep -q -- "data-root\|graph\|-g " /etc/default/docker' "and DOCKER_OPTS sets none: the one place is daemon.json"
is "$(dockerd_inventory)" "$INV0" "images, containers, volumes and the volume's file are all there"
is "$(dockerd_running)" true "the running container runs"
is "$(link_state)" "$LINK0" "the $LINK_KIND and fstab are as they were"
ok '[ -d "$OLD/image" ] && [ -d "$OLD/volumes" ]' "the old data is kept in $OLD"

# The rollback's plan: daemon.json, which the move created and nobody
# changed since, is deleted, shown as such in the diff.
"$BIN" rollback --dry-run >"$WORK/rollback-plan.txt" 2>&1
rc=$?
is "$rc" 0 "rollback --dry-run succeeds"
ok 'grep -q "exactly as they were before it:$" "$WORK/rollback-plan.txt" &&
        grep -qF "/etc/docker/daemon.json (created by the move: deleted)" "$WORK/rollback-plan.txt"' \
        "the plan puts the configuration back as it was: daemon.json deleted"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/rollback-plan.txt"
ok 'grep -q "^+++ /dev/null" "$WORK/rollback-plan.txt"' "its diff shows daemon.json removed"
"$BIN" rollback --yes >"$WORK/out" 2>&1
rc=$?
is "$rc" 0 "rollback --yes succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/out"
# daemon.json, which the move created, is gone: a data-root left there
# would clash with a --data-root flag given to dockerd later.
is "$(state all)" "$STATE0_ALL" "rollback: DOCKER_OPTS, /etc/docker, fstab, the $LINK_KIND and Docker's root exactly as before"
ok '[ ! -e /etc/docker/daemon.json ]' "rollback: no daemon.json, as before the move"
is "$(dockerd_inventory)" "$INV0" "rollback: everything is there"
is "$(dockerd_running)" true "rollback: the running container runs"

# Moved again, and the old data removed: by its own name on the other disk,
# never through the link into the new root.
rm -rf "$NEW" && mkdir "$NEW"
if [ "$LINK_KIND" = symlink ]; then
        "$BIN" move --to "$NEW" --no-pre-copy --delete-old --yes >"$WORK/out" 2>&1
        rc=$?
        is "$rc" 0 "move --delete-old succeeds"
else
        "$BIN" move --to "$NEW" --no-pre-copy --yes >"$WORK/out" 2>&1
        rc=$?
        is "$rc" 0 "move again succeeds"
        "$BIN" cleanup --dry-run >"$WORK/cleanup.txt" 2>&1
        like "$(cat "$WORK/cleanup.txt")" "Empty the old data root /var/lib/docker .*it is a mount point, which stays mounted" \
                "cleanup's plan: the mount point is emptied, the mount stays"
        "$BIN" cleanup --yes >>"$WORK/out" 2>&1
        rc=$?
        is "$rc" 0 "cleanup succeeds"
fi
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/out"
is "$(dockerd_root_dir)" "$NEW" "Docker runs on $NEW"
is "$(dockerd_inventory)" "$INV0" "the new root is intact: everything is there"
if [ "$LINK_KIND" = symlink ]; then
        ok '[ ! -e "$OLD" ] && [ "$(readlink /var/lib/docker)" = "$OLD" ]' \
                "the old data root $OLD is gone; the symlink is left, leading nowhere"
else
        ok '[ -z "$(ls -A "$OLD")" ] && mountpoint -q /var/lib/docker' \
                "the old data on the other disk is gone; the bind mount stays, empty"
        is "$(link_state)" "$LINK0" "the bind mount and its fstab line stay as they were"
        "$BIN" cleanup --yes --json </dev/null >"$WORK/again.json" 2>/dev/null
        is "$(json_get 'j["status"]' "$WORK/again.json")" unchanged "cleanup again has nothing to do"
fi

done_testing
