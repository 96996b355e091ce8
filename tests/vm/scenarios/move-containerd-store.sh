#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The move of a host on the containerd image store with the system
# containerd (Docker 28 with the feature, the layout Engine 29 gives a fresh
# install), by EBS volume id, through real systemd: Docker's images live in
# containerd's root, so both trees go onto the volume, <mount>/docker and
# <mount>/containerd; docker.socket, docker.service and containerd.service
# stop together; containerd's root is set in config.toml; both units require
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
        is "Docker on the containerd image store" "$(docker_driver_type)" "$SNAPSHOTTER"
        is "containerd's root is /var/lib/containerd" "$(containerd_dump_root)" /var/lib/containerd
        docker_populate
        save fingerprint "$(docker_fingerprint)"
        save ctr "$(ctr_fingerprint)"
        diag "ctr sees $(load ctr | cut -d' ' -f1 | sort | uniq -c | xargs)"
        # Not vacuous: an error of ctr would compare equal to itself.
        if load ctr | grep -q '^image .* sha256:' && load ctr | grep -q '^blob sha256:' &&
                load ctr | grep -q '^task .* RUNNING$'; then
                ok "ctr lists Docker's images, blobs and running task in namespace moby"
        else
                not_ok "ctr lists Docker's images, blobs and running task in namespace moby"
                diag "$(load ctr)"
        fi
        config0=$(sha256sum </etc/containerd/config.toml)

        docker-relocate move --device vol-0123456789abcdef0 --dry-run --json >/root/plan.json 2>/root/plan.err
        is "the dry run plans both trees" \
                "$(json_file /root/plan.json '[(t["what"], t["from"], t["to"]) for t in d["plan"]["trees"]]')" \
                "[('data root', '/var/lib/docker', '$NEW'), ('containerd root', '/var/lib/containerd', '$NEWC')]"
        is "the dry run shows containerd's change beside Docker's" \
                "$(json_file /root/plan.json '"root = \"'$NEWC'\"" in d["plan"]["diff"] and "data-root" in d["plan"]["diff"]')" True
        is "the dry run changed nothing" "$(sha256sum </etc/containerd/config.toml)" "$config0"

        start=$SECONDS
        docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/move.json 2>/root/move.err
        rc=$?
        is "move --device vol-0123456789abcdef0 exits 0" "$rc" 0 || diag "$(tail -n 30 /root/move.err)"
        diag "the move took $((SECONDS - start)) s, Docker down $(json_file /root/move.json 'd["downtime_seconds"]') s"
        diag "steps: $(json_file /root/move.json '" ".join("%s=%s" % (s["name"], s["seconds"]) for s in d["steps"])')"
        is "the report: done, both roots" \
                "$(json_file /root/move.json 'd["status"], d["new_data_root"], d["new_containerd_root"]')" \
                "('done', '$NEW', '$NEWC')"
        is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "docker info: still the containerd store" "$(docker_driver_type)" "$SNAPSHOTTER"
        is "containerd config dump: the new root" "$(containerd_dump_root)" "$NEWC"
        is "the running containerd holds its database on the volume" "$(containerd_running_root)" "$NEWC"
        is "containerd.service requires the mount" "$(systemctl show -P RequiresMountsFor containerd.service)" "$NEWC"
        is "docker.service requires the mount" "$(systemctl show -P RequiresMountsFor docker.service)" "$NEW"
        is "the journal records both roots and the store" \
                "$(json_file /var/lib/docker-relocate/state.json 'd["image_store"]["containerd"]["new_root"], d["image_store"]["driver_type"]')" \
                "('$NEWC', '$SNAPSHOTTER')"
        is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$(load fingerprint)"
        is "ctr: the same images, blobs, containers and running tasks" "$(ctr_fingerprint)" "$(load ctr)"
        save footprint "$(relocate_footprint; config_footprint)"
        reboot_to_next_phase
fi

if phase 2; then
        check "containerd.service started by itself" systemctl is-active containerd.service
        check "docker.service started by itself" systemctl is-active docker.service
        after=$(systemctl show -P After containerd.service)
        if grep -q 'mnt-docker\\*x2ddata\.mount' <<<"$after"; then
                ok "containerd.service is ordered after the volume's mount"
        else
                not_ok "containerd.service is ordered after the volume's mount"
                diag "After=$after"
        fi
        is "docker info: the new root dir" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
        is "docker info: still the containerd store" "$(docker_driver_type)" "$SNAPSHOTTER"
        is "containerd config dump: the new root" "$(containerd_dump_root)" "$NEWC"
        is "the running containerd holds its database on the volume" "$(containerd_running_root)" "$NEWC"
        is "containerd's root is on the NVMe disk" "$(findmnt -n -o SOURCE --target "$NEWC" | sed 's/\[.*//')" /dev/nvme0n1
        check "the image's blobs are on the volume" \
                test -n "$(ls -A "$NEWC/io.containerd.content.v1.content/blobs/sha256" 2>/dev/null)"
        is "images, containers, volumes unchanged" "$(docker_fingerprint)" "$(load fingerprint)"
        docker_check_populated
        is "ctr: the same images, blobs, containers and running tasks" "$(ctr_fingerprint)" "$(load ctr)"

        docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/again.json 2>/root/again.err
        rc=$?
        is "a re-run exits 0 and says changed: false" "$rc $(json_file /root/again.json 'd["changed"]')" "0 False"
        is "and writes nothing" "$(relocate_footprint; config_footprint)" "$(load footprint)"

        docker-relocate status --json >/root/status.json 2>/dev/null
        is "status: the containerd store, its root on the volume, measured" \
                "$(json_file /root/status.json '[d["image_store"]["store"], d["image_store"]["containerd"]["root"]] + [t["bytes"] > 1000000 for t in d["image_store"]["trees"] if t["what"] == "containerd root"]')" \
                "['containerd', '$NEWC', True]"

        docker-relocate cleanup --yes >/root/cleanup.out 2>&1
        rc=$?
        is "cleanup exits 0" "$rc" 0 || diag "$(cat /root/cleanup.out)"
        check "the old data root is gone" test ! -e /var/lib/docker/image
        check "containerd's old root is gone" test ! -e /var/lib/containerd/io.containerd.content.v1.content
        is "images, containers, volumes still there" "$(docker_fingerprint)" "$(load fingerprint)"
        is "a container runs without the old trees" "$(docker run --rm --network none "$BUSYBOX_IMAGE" echo hello 2>&1)" hello
fi
