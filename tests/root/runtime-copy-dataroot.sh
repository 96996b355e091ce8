#!/bin/bash
# A real data root through the copy module: a live pass while dockerd runs,
# the final pass with it stopped, then dockerd started on the copy. What the
# daemon reports must be unchanged, and the layers must still work as
# layers: a whiteout hides its file, an opaque directory hides the lower
# one, a hard link is still one inode. The copy's container configs are
# rebased onto the new root, so that containers with named volumes start
# with the old tree gone.
set -u

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
DOCKERD_TMP=$WORK/dockerd
now_ms() {
        date +%s%3N
}

sandbox_ext4_volume dev 1G "$DOCKERD_TMP/old" || bail_out "no loop device"
sandbox_ext4_volume dev 1G "$DOCKERD_TMP/new" || bail_out "no loop device"
DOCKERD_DATA_ROOT=$DOCKERD_TMP/old/docker
OLD=$DOCKERD_DATA_ROOT
NEW=$DOCKERD_TMP/new/docker

dockerd_setup
ok 'dockerd_start' "dockerd starts"
ok 'dockerd_populate' "dockerd populated"
# Created, never started, with a named volume: the case only the rebase
# saves once the old tree is gone.
dockerd_docker create --name relocate-created --network none -v "$DOCKERD_VOLUME:/v" "$DOCKERD_IMAGE" \
        cat /v/file >/dev/null
before=$(dockerd_inventory)
ok '[ -n "$before" ]' "inventory taken"

below=$("$PROBE" mounts-below "$OLD" | json_get 'len(j)')
ok '[ "$below" -gt 0 ]' "a running container has mounts below the data root ($below)"

t0=$(now_ms)
out=$("$PROBE" copy live "$OLD" "$NEW")
is "$(json_get 'j["errno"]' <<<"$out")" 0 "live pass while dockerd runs"
echo "# live pass: $(($(now_ms) - t0)) ms"
ok '[ -d "$NEW/overlay2" ] && [ -z "$(find "$NEW/overlay2" -path "*/merged/*" -print -quit)" ]' \
        "live pass did not descend into the container's overlay mount"

ok 'dockerd_stop' "dockerd stops"
is "$("$PROBE" mounts-below "$OLD" | json_get 'len(j)')" 0 "no mounts below the data root once stopped"

t0=$(now_ms)
out=$("$PROBE" copy final "$OLD" "$NEW")
is "$(json_get 'j["errno"]' <<<"$out")" 0 "final pass with dockerd stopped"
echo "# final pass: $(($(now_ms) - t0)) ms"
ok '"$PROBE" unmark "$NEW"' "marker removed after the final pass"
measured() {
        "$PROBE" measure "$1" | json_get '[j["inodes"], j["apparent_bytes"]]'
}
is "$(measured "$NEW")" "$(measured "$OLD")" "the copy measures like the original"

ok 'dockerd_set_data_root "$NEW"' "configured for the new data root"
# The old tree must not be what the daemon uses: hide it.
umount "$DOCKERD_TMP/old"

# Without the rebase, Docker resolves the volume paths it recorded under the
# old root. Shown, not checked: it is Docker's behaviour, not ours.
if dockerd_start >/dev/null; then
        echo "# without rebase: $(dockerd_docker start relocate-created 2>&1 | head -n 1)"
        dockerd_stop
fi

# The path fields, not free text: the start without rebase above left
# Docker's error message, which quotes the old path, in State.Error.
old_paths() {
        python3 - "$OLD" "$NEW"/containers/*/config.v2.json <<'EOT'
import json, sys
old = sys.argv[1] + '/'
for f in sys.argv[2:]:
    c = json.load(open(f))
    paths = [c.get(k) or '' for k in ('LogPath', 'HostnamePath', 'HostsPath', 'ResolvConfPath')]
    paths += [m.get('Source') or '' for m in (c.get('MountPoints') or {}).values()]
    for p in paths:
        if p.startswith(old):
            print(f, p)
EOT
}
ok '[ -n "$(old_paths)" ]' "before the rebase, path fields point into the old root"
out=$("$PROBE" rebase "$NEW" "$OLD")
is "$(json_get 'j["files"] >= 3 and j["paths"] >= 2' <<<"$out")" true "container configs rebased onto the copy"
is "$(old_paths || echo "old_paths: exit status $?")" "" "no path field of the copy points into the old root"
is "$("$PROBE" rebase "$NEW" "$OLD" | json_get 'j["files"]')" 0 "rebase again: nothing to do"
ok 'dockerd_start' "dockerd starts on the copy"
is "$("$PROBE" engine-info "$DOCKERD_SOCK" | json_get 'j["docker_root_dir"]')" "$NEW" "DockerRootDir is the copy"

running=false
for _ in $(seq 1 100); do
        running=$(dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING" 2>/dev/null)
        [ "$running" = true ] && break
        sleep 0.1
done
is "$running" true "the restart-policy container runs from the copy"
is "$(dockerd_inventory)" "$before" "images, containers, volumes and the volume's data unchanged"

is "$(dockerd_docker start -a relocate-created 2>&1)" volume-data \
        "the never-started container with a volume starts and reads it"

layered() {
        dockerd_docker run --rm --network none "$DOCKERD_IMAGE_LAYERED" sh -c "$1" 2>&1
}
is "$(layered 'test -e /bin/ls && echo present || echo hidden')" hidden "whiteout still hides the deleted file"
is "$(layered 'cd /etc/conf && echo *')" c "opaque directory still hides the lower one"
is "$(layered 'stat -c %h /data/one')" 2 "hard link still one inode in the layer"
is "$(layered 'cat /etc/passwd')" "root:x:0:0:root:/:/bin/sh" "files of the lower layer still there"

done_testing

