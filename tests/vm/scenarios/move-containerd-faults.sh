#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# On the newer Engine (Docker 28, containerd 2), in one boot:
#
# 1. The containerd image store with the system containerd, and a kubelet's
#    namespace (k8s.io) holding an image on the same containerd: the move is
#    refused (exit 3) and changes nothing.
# 2. A failure after the stop: docker.service refuses to start once
#    containerd's config names the volume (an ExecStartPre= of the test
#    stands in for a start that fails). The move rolls back (exit 4): Docker's
#    and containerd's configuration byte-identical, both drop-ins gone, both
#    services back on the old trees (docker info, containerd config dump, the
#    database the running containerd holds open), content and the running
#    container as before.
# 3. A run killed (the test hook) right after it wrote both configurations,
#    Docker and containerd stopped: "rollback --yes" abandons the move and
#    puts back the same.
# 4. The same Engine on its graph driver (overlay2): the move carries the
#    data root alone, the store does not change (driver overlay2, no
#    driver-type), config.toml stays byte-identical.
#
# vm-options: --image sid --containerd-store --boot-timeout 1500

. "$VM_LIB"

NEW=/mnt/docker-data/docker
NEWC=/mnt/docker-data/containerd
SNAPSHOTTER=io.containerd.snapshotter.v1
STATE=/var/lib/docker-relocate/state.json
REFUSE=/etc/systemd/system/docker.service.d/90-test-refuse-containerd-root.conf

json_file() {
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

# Both services back on the old trees, with everything as before.
back_on_old_trees() {
        local what=$1
        is "$what: both configurations as before" "$(config_footprint)" "$config0"
        is "$what: docker info, the old root dir" "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker
        is "$what: still the containerd store" "$(docker_driver_type)" "$SNAPSHOTTER"
        is "$what: containerd config dump, the old root" "$(containerd_dump_root)" /var/lib/containerd
        is "$what: the running containerd on the old root" "$(containerd_running_root)" /var/lib/containerd
        is "$what: images, containers, volumes unchanged" "$(docker_fingerprint)" "$fingerprint"
        if wait_for 60 sh -c '[ "$(docker inspect -f "{{.State.Running}}" vm-web)" = true ]'; then
                ok "$what: container vm-web is running again"
        else
                not_ok "$what: container vm-web is running again"
        fi
}

t0=$SECONDS
is "Docker on the containerd image store" "$(docker_driver_type)" "$SNAPSHOTTER"
docker_populate
fingerprint=$(docker_fingerprint)
config0=$(config_footprint)

# ---- 1. another client's namespace --------------------------------------------
t=$SECONDS
docker save -o /root/busybox.tar "$BUSYBOX_IMAGE"
check "an image in namespace k8s.io" ctr -n k8s.io images import /root/busybox.tar
docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/k8s.json 2>/root/k8s.err
rc=$?
is "a kubelet's namespace: the move is refused (exit 3)" "$rc" 3 || diag "$(tail -n 20 /root/k8s.err)"
is "the refusal names the namespace and what would be affected" \
        "$(json_file /root/k8s.json '"namespace k8s.io" in d["error"]["message"] and "--force" in d["error"]["message"]')" True
is "nothing changed: configuration" "$(config_footprint)" "$config0"
check "nothing changed: no journal, the volume untouched" \
        sh -c "[ ! -e $STATE ] && [ -z \"\$(blkid -p /dev/$(ebs_disk))\" ]"
ctr -n k8s.io images ls -q | xargs -r ctr -n k8s.io images rm --sync >/dev/null 2>&1
ctr namespaces rm k8s.io >/dev/null 2>&1
is "the namespace is gone again" "$(ctr namespaces ls -q | grep -c '^k8s.io$')" 0
diag "refusal: $((SECONDS - t)) s"

# ---- 2. a failure after the stop ------------------------------------------------
t=$SECONDS
mkdir -p "${REFUSE%/*}"
cat >"$REFUSE" <<'UNIT'
# Test only: Docker "cannot start" once containerd's root is on the volume.
[Service]
ExecStartPre=/bin/sh -c '! grep -q /mnt/docker-data /etc/containerd/config.toml'
UNIT
systemctl daemon-reload
config0=$(config_footprint)
docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/fail.json 2>/root/fail.err
rc=$?
is "a failed start rolls back: exit 4" "$rc" 4 || diag "$(tail -n 30 /root/fail.err)"
is "the report says rolled-back" "$(json_file /root/fail.json 'd["status"], d["error"]["code"]')" "('rolled-back', 4)"
diag "error: $(json_file /root/fail.json 'd["error"]["message"]')"
back_on_old_trees "rolled back"
is "the journal says rolled-back" "$(json_file "$STATE" 'd["phase"]')" rolled-back
rm -f "$REFUSE"
systemctl daemon-reload
# The failed starts count against docker.service's start limit (3 in 60 s).
systemctl reset-failed docker.service containerd.service
config0=$(config_footprint)
diag "failure and rollback: $((SECONDS - t)) s"

# ---- 3. killed after writing both configurations --------------------------------
t=$SECONDS
DOCKER_RELOCATE_TEST_CRASH=config-written docker-relocate move --device vol-0123456789abcdef0 --yes \
        >/root/crash.out 2>&1
rc=$?
is "the run was killed by the test hook" "$rc" 137 || diag "$(tail -n 20 /root/crash.out)"
is "the journal stopped at 'copied', both files recorded" \
        "$(json_file "$STATE" 'd["phase"], sorted(f["path"] for f in d["config_undo"]) == sorted(["/etc/docker/daemon.json", "/etc/containerd/config.toml", "/etc/systemd/system/docker.service.d/50-docker-relocate-mount.conf", "/etc/systemd/system/containerd.service.d/50-docker-relocate-mount.conf"])')" \
        "('copied', True)"
check "containerd's config names the volume" grep -q "$NEWC" /etc/containerd/config.toml
is "Docker and containerd are stopped" "$(systemctl is-active docker.service containerd.service | tr '\n' ' ')" \
        "inactive inactive "
docker-relocate rollback --yes >/root/abandon.out 2>&1
rc=$?
is "rollback --yes abandons it: exit 0" "$rc" 0 || diag "$(tail -n 20 /root/abandon.out)"
back_on_old_trees "abandoned"
diag "crash and abandon: $((SECONDS - t)) s"

# ---- 4. the graph driver on the newer Engine ----------------------------------
t=$SECONDS
printf '{\n  "features": {\n    "containerd-snapshotter": false\n  }\n}\n' >/etc/docker/daemon.json
check "docker restarts on its graph driver" systemctl restart docker.service
is "docker info: overlay2, no driver-type" "$(docker_info '{{.Driver}}') [$(docker_driver_type)]" "overlay2 []"
docker_populate
fingerprint=$(docker_fingerprint)
toml0=$(sha256sum </etc/containerd/config.toml)
docker-relocate move --device vol-0123456789abcdef0 --dry-run --json >/root/graph-plan.json 2>&1
is "the plan: the graph driver, containerd's root stays" \
        "$(json_file /root/graph-plan.json 'd["plan"]["image_store"]["store"], d["plan"]["image_store"]["containerd_root_moves"], len(d["plan"]["trees"])')" \
        "('graph-driver', False, 1)"
docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/graph.json 2>/root/graph.err
rc=$?
is "move on the graph driver exits 0" "$rc" 0 || diag "$(tail -n 30 /root/graph.err)"
is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
is "no store switch: overlay2, no driver-type" "$(docker_info '{{.Driver}}') [$(docker_driver_type)]" "overlay2 []"
check "the layers are on the volume" test -n "$(ls -A "$NEW/overlay2" 2>/dev/null)"
is "config.toml is byte-identical" "$(sha256sum </etc/containerd/config.toml)" "$toml0"
is "containerd stays on its root" "$(containerd_dump_root) $(containerd_running_root)" \
        "/var/lib/containerd /var/lib/containerd"
check "no containerd drop-in" test ! -e /etc/systemd/system/containerd.service.d/50-docker-relocate-mount.conf
is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$fingerprint"
docker_check_populated
diag "graph-driver move: $((SECONDS - t)) s; all: $((SECONDS - t0)) s"
