#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The move of a host on the containerd image store with the system
# containerd (Docker 28 with the feature, the layout Engine 29 gives a fresh
# install), by EBS volume id, through real systemd: Docker's images live in
# containerd's root, so both trees go onto the volume, <mount>/docker and
# <mount>/containerd; docker.socket, docker.service and containerd.service
# stop together; each tree's final pass synchronises only what changed since
# its pre-copy; containerd's root is set in config.toml; both units require
# the volume's mount. Then a real reboot: both roots on the volume (docker
# info, "containerd config dump", and the metadata database the running
# containerd holds open), the same images, containers and volumes (through
# the Engine API and through ctr in namespace moby), the
# running container back, layers and whiteouts intact, the store still
# containerd's; a re-run changes nothing; status reports the store and the
# containerd root with its size; cleanup removes both old trees.
#
# vm-options: --image sid --containerd-store --boot-timeout 1200

. "$VM_LIB"

NEW=/mnt/docker-data/docker
NEWC=/mnt/docker-data/containerd
SNAPSHOTTER=io.containerd.snapshotter.v1

json_file() {
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

if phase 1; then
        is "$(docker_driver_type)" "$SNAPSHOTTER" "Docker on the containerd image store"
        is "$(containerd_dump_root)" /var/lib/containerd "containerd's root is /var/lib/containerd"
        docker_populate
        save fingerprint "$(docker_fingerprint)"
        save ctr "$(ctr_fingerprint)"
        diag "ctr sees $(load ctr | cut -d' ' -f1 | sort | uniq -c | xargs)"
        # Not vacuous: an error of ctr would compare equal to itself.
        ok 'load ctr | grep -q "^image .* sha256:" && load ctr | grep -q "^blob sha256:" &&
                load ctr | grep -q "^task .* RUNNING\$"' "ctr lists Docker's images, blobs and running task in namespace moby" ||
                diag "$(load ctr)"
        config0=$(sha256sum </etc/containerd/config.toml)

        docker-relocate move --device vol-0123456789abcdef0 --dry-run --json --verbose >/root/plan.json 2>/root/plan.err
        # The proof hands dockerd the planned daemon.json in this process's
        # memory (/proc/PID/fd/N), which the real Engine must read; a file
        # below /tmp is only the fallback.
        ok 'grep -q "\"dockerd --validate\" accepts /etc/docker/daemon.json, given as /proc/[0-9]*/fd/[0-9]*\$" /root/plan.err' \
                "dockerd --validate reads the planned daemon.json from memory" ||
                diag "$(grep -- --validate /root/plan.err)"
        is "$(json_file /root/plan.json '[(t["what"], t["from"], t["to"]) for t in d["plan"]["trees"]]')" \
                "[('data root', '/var/lib/docker', '$NEW'), ('containerd root', '/var/lib/containerd', '$NEWC')]" "the dry run plans both trees"
        is "$(json_file /root/plan.json '"root = \"'$NEWC'\"" in d["plan"]["diff"] and "data-root" in d["plan"]["diff"]')" \
                True "the dry run shows containerd's change beside Docker's"
        is "$(sha256sum </etc/containerd/config.toml)" "$config0" "the dry run changed nothing"

        start=$SECONDS
        docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/move.json 2>/root/move.err
        rc=$?
        is "$rc" 0 "move --device vol-0123456789abcdef0 exits 0" || diag "$(tail -n 30 /root/move.err)"
        diag "the move took $((SECONDS - start)) s, Docker down $(json_file /root/move.json 'd["downtime_seconds"]') s"
        diag "steps: $(json_file /root/move.json '" ".join("%s=%s" % (s["name"], s["seconds"]) for s in d["steps"])')"
        is "$(json_file /root/move.json 'd["status"], d["new_data_root"], d["new_containerd_root"]')" \
                "('changed', '$NEW', '$NEWC')" "the report: changed, both roots"
        # Both trees sit on the root filesystem; each final pass still
        # synchronises only what its own record names, not a walk.
        is "$(json_file /root/move.json '[(p["what"], p["kind"], p["reason"]) for p in d["final_pass"]]')" \
                "[('data root', 'changes', None), ('containerd root', 'changes', None)]" \
                "both final passes from the change tracker's record, on one filesystem"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
        is "$(docker_driver_type)" "$SNAPSHOTTER" "docker info: still the containerd store"
        is "$(containerd_dump_root)" "$NEWC" "containerd config dump: the new root"
        is "$(containerd_running_root)" "$NEWC" "the running containerd holds its database on the volume"
        is "$(systemctl show -P RequiresMountsFor containerd.service)" \
                "$NEWC" "containerd.service requires the mount"
        is "$(systemctl show -P RequiresMountsFor docker.service)" "$NEW" "docker.service requires the mount"
        is "$(json_file /var/lib/docker-relocate/state.json 'd["image_store"]["containerd"]["new_root"], d["image_store"]["driver_type"]')" \
                "('$NEWC', '$SNAPSHOTTER')" "the journal records both roots and the store"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes unchanged"
        is "$(ctr_fingerprint)" "$(load ctr)" "ctr: the same images, blobs, containers and running tasks"
        save footprint "$(relocate_footprint; config_footprint)"
        reboot_to_next_phase
fi

if phase 2; then
        ok 'systemctl is-active containerd.service' "containerd.service started by itself"
        ok 'systemctl is-active docker.service' "docker.service started by itself"
        after=$(systemctl show -P After containerd.service)
        like "$after" 'mnt-docker\\*x2ddata\.mount' "containerd.service is ordered after the volume's mount"
        is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
        is "$(docker_driver_type)" "$SNAPSHOTTER" "docker info: still the containerd store"
        is "$(containerd_dump_root)" "$NEWC" "containerd config dump: the new root"
        is "$(containerd_running_root)" "$NEWC" "the running containerd holds its database on the volume"
        is "$(findmnt -n -o SOURCE --target "$NEWC" | sed 's/\[.*//')" \
                /dev/nvme0n1 "containerd's root is on the NVMe disk"
        ok 'test -n "$(ls -A "$NEWC/io.containerd.content.v1.content/blobs/sha256" 2>/dev/null)"' "the image's blobs are on the volume"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes unchanged"
        docker_check_populated
        is "$(ctr_fingerprint)" "$(load ctr)" "ctr: the same images, blobs, containers and running tasks"

        docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/again.json 2>/root/again.err
        rc=$?
        is "$rc $(json_file /root/again.json 'd["changed"]')" \
                "0 False" "a re-run exits 0 and says changed: false"
        is "$(relocate_footprint; config_footprint)" "$(load footprint)" "and writes nothing"

        docker-relocate status --json >/root/status.json 2>/dev/null
        is "$(json_file /root/status.json '[d["image_store"]["store"], d["image_store"]["containerd"]["root"]] + [t["bytes"] > 1000000 for t in d["image_store"]["trees"] if t["what"] == "containerd root"]')" \
                "['containerd', '$NEWC', True]" "status: the containerd store, its root on the volume, measured"

        docker-relocate cleanup --yes >/root/cleanup.out 2>&1
        rc=$?
        is "$rc" 0 "cleanup exits 0" || diag "$(cat /root/cleanup.out)"
        ok 'test ! -e /var/lib/docker/image' "the old data root is gone"
        ok 'test ! -e /var/lib/containerd/io.containerd.content.v1.content' "containerd's old root is gone"
        is "$(docker_fingerprint)" "$(load fingerprint)" "images, containers, volumes still there"
        is "$(docker run --rm --network none "$BUSYBOX_IMAGE" echo hello 2>&1)" \
                hello "a container runs without the old trees"
fi
