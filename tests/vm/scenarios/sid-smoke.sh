#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The sid image is what the containerd image store scenarios assume: Docker
# 28 on the containerd image store with the system containerd (2.x), images
# imported and containers run without a registry. On the way it records, in
# state/facts/ on the payload, where that layout keeps what: the unit files,
# GET /info and /version, containerd's dumped config, the trees and their
# sizes, containerd's namespaces; what Docker sees while containerd is
# stopped; dockerd's own ("managed") containerd; and the same Engine on its
# graph driver (overlay2), which does not see the containerd store's images.
#
# vm-options: --image sid --containerd-store --boot-timeout 1200

. "$VM_LIB"

facts=$VM_STATE/facts
mkdir -p "$facts"

# fact NAME COMMAND...: the command's output (and status) into facts/NAME.
fact() {
        local name=$1
        shift
        { "$@"; echo "# exit status $?"; } >"$facts/$name" 2>&1
}

# engine_get PATH [SOCKET]: the Engine API's raw answer.
engine_get() {
        python3 - "$1" "${2:-/run/docker.sock}" <<'PY'
import http.client, socket, sys

class Conn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.sock_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(60)
        self.sock.connect(self.sock_path)

c = Conn(sys.argv[2])
c.request("GET", sys.argv[1])
r = c.getresponse()
body = r.read().decode()
print(body)
sys.exit(0 if r.status == 200 else 1)
PY
}

# The size in KiB of a tree (0 when absent).
kib() {
        if [ -e "$1" ]; then du -sxk "$1" | cut -f1; else echo 0; fi
}

# Every directory below DIR, to DEPTH, with its size.
tree_sizes() {
        local dir=$1 depth=${2:-2}
        [ -d "$dir" ] || { echo "$dir: absent"; return 0; }
        du -xk --max-depth="$depth" "$dir" | sort -k2
}

# ---- the system as booted ----------------------------------------------------

is "systemd is PID 1" "$(cat /proc/1/comm)" systemd
check "containerd.service is active" systemctl is-active containerd.service
check "docker.service is active" systemctl is-active docker.service
is "daemon.json switches the containerd store on" \
        "$(json_get 'j["features"]["containerd-snapshotter"]' </etc/docker/daemon.json)" true

server=$(docker version --format '{{.Server.Version}}' 2>&1)
diag "docker server $server, $(containerd --version 2>&1), kernel $(uname -r)"
case $server in 28.*) ok "Docker Engine 28" ;; *) not_ok "Docker Engine 28 (got $server)" ;; esac
case $(containerd --version 2>&1) in
*" v2."* | *" 2."*) ok "containerd 2.x" ;;
*) not_ok "containerd 2.x (got $(containerd --version 2>&1))" ;;
esac
check "docker-relocate and its libraries run" docker-relocate --version
is "no library missing" "$(ldd /usr/local/sbin/docker-relocate | grep -c 'not found')" 0

fact units systemctl cat docker.service docker.socket containerd.service
fact unit-exec-start systemctl show -p ExecStart -p Requires -p Wants -p After -p BindsTo docker.service
fact containerd-unit-exec-start systemctl show -p ExecStart -p KillMode -p Delegate containerd.service
exec_start=$(systemctl show -P ExecStart docker.service)
case $exec_start in
*"--containerd=/run/containerd/containerd.sock"*) ok "docker.service names the system containerd's socket" ;;
*) not_ok "docker.service names the system containerd's socket" && diag "$exec_start" ;;
esac
fact etc-containerd sh -c 'ls -la /etc/containerd/ && cat /etc/containerd/config.toml'
fact containerd-config-dump containerd config dump
fact containerd-config-default containerd config default
is "containerd config dump: root" "$(sed -n "s/^root = //p" "$facts/containerd-config-dump")" "'/var/lib/containerd'"
is "containerd config dump: state" "$(sed -n "s/^state = //p" "$facts/containerd-config-dump")" "'/run/containerd'"
diag "dump: $(grep -E '^(version|root|state|temp|imports) ' "$facts/containerd-config-dump" | tr '\n' ';')"

# ---- Docker on the containerd store --------------------------------------------

is "docker info: Storage Driver" "$(docker_info '{{.Driver}}')" overlayfs
is "docker info: driver-type" "$(docker_info '{{range .DriverStatus}}{{if eq (index . 0) "driver-type"}}{{index . 1}}{{end}}{{end}}')" \
        io.containerd.snapshotter.v1
engine_get /info >"$facts/info-empty.json"

docker_populate
is "docker run prints" "$(docker run --rm --network none "$BUSYBOX_IMAGE" echo hello)" hello
docker_check_populated

check "GET /info" engine_get /info
engine_get /info >"$facts/info.json"
engine_get /version >"$facts/version.json"
engine_get /images/json >"$facts/images.json"
engine_get /system/df >"$facts/system-df.json"
diag "GET /info: $(json_get '{k: j.get(k) for k in ("Driver", "DriverStatus", "DockerRootDir", "Containerd", "ServerVersion")}' <"$facts/info.json")"
diag "GET /version: $(json_get '[(c["Name"], c["Version"]) for c in j["Components"]]' <"$facts/version.json")"
is "GET /info: Containerd.Address" "$(json_get 'j["Containerd"]["Address"]' <"$facts/info.json")" /run/containerd/containerd.sock
is "GET /info: Containerd.Namespaces.Containers" \
        "$(json_get 'j["Containerd"]["Namespaces"]["Containers"]' <"$facts/info.json")" moby

fact ctr-namespaces ctr namespaces ls
check "Docker's containerd namespace is moby" sh -c 'ctr namespaces ls -q | grep -qx moby'
diag "containerd namespaces: $(ctr namespaces ls -q | tr '\n' ' ')"
fact ctr-moby sh -c 'ctr -n moby images ls; ctr -n moby content ls; ctr -n moby snapshots ls; ctr -n moby containers ls; ctr -n moby leases ls'
check "ctr sees the image in namespace moby" sh -c "ctr -n moby images ls -q | grep -qx docker.io/$BUSYBOX_IMAGE"
check "the content store holds blobs" \
        test -n "$(ls -A /var/lib/containerd/io.containerd.content.v1.content/blobs/sha256 2>/dev/null)"
check "the overlayfs snapshotter holds snapshots" \
        test -n "$(ls -A /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots 2>/dev/null)"
is "no graph-driver layers under the data root" "$(ls -A /var/lib/docker/overlay2 2>/dev/null | wc -l)" 0
check "containers stay under the data root" test -d "/var/lib/docker/containers/$(docker inspect -f '{{.Id}}' vm-web)"
check "volumes stay under the data root" test -d /var/lib/docker/volumes/vm-data/_data

{
        echo "== /var/lib/docker"
        tree_sizes /var/lib/docker 1
        echo "== /var/lib/containerd"
        tree_sizes /var/lib/containerd 2
        echo "== /run/containerd"
        tree_sizes /run/containerd 2
        echo "== /run/docker"
        tree_sizes /run/docker 1
        echo "== mounts"
        findmnt -rn -o TARGET,FSTYPE | grep -E 'containerd|docker'
} >"$facts/trees" 2>&1
diag "data root $(kib /var/lib/docker) KiB, containerd root $(kib /var/lib/containerd) KiB" \
        "content $(kib /var/lib/containerd/io.containerd.content.v1.content) KiB, snapshots $(kib /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs) KiB, metadata $(kib /var/lib/containerd/io.containerd.metadata.v1.bolt) KiB"

# ---- what status reports -------------------------------------------------------

status_json() {
        docker-relocate status --json 2>/dev/null | json_get 'j["image_store"]'
}
st=$(status_json)
diag "status: $st"
is "status: the containerd store" "$(json_get 'j["store"]' <<<"$st")" containerd
is "status: as the Engine says" "$(json_get 'j["source"]' <<<"$st")" "the running Engine (GET /info)"
is "status: the system containerd, its root and the dump's" \
        "$(json_get '" ".join([j["containerd"]["kind"], j["containerd"]["root"], j["containerd"]["dump_root"], j["containerd"]["socket"]])' <<<"$st")" \
        "system /var/lib/containerd /var/lib/containerd /run/containerd/containerd.sock"
is "status: the containerd root moves, measured" \
        "$(json_get '[(t["move"], t["bytes"] > 1000000) for t in j["trees"] if t["what"] == "containerd root"]' <<<"$st")" \
        "[[true, true]]"
is "status: no other namespace" "$(json_get 'j["other_namespaces"]' <<<"$st")" "[]"

# A kubelet's namespace on the same containerd: images of its own.
docker save -o /root/busybox.tar "$BUSYBOX_IMAGE"
check "an image imported into namespace k8s.io" ctr -n k8s.io images import /root/busybox.tar
ctr -n k8s.io images ls >"$facts/ctr-k8s-images" 2>&1
k8s_images=$(ctr -n k8s.io images ls -q | wc -l)
st=$(status_json)
is "status: namespace k8s.io is another client's, with ctr's count of images" \
        "$(json_get '[(n["name"], n["images"], n["content"] > 0) for n in j["other_namespaces"]]' <<<"$st")" \
        "[[\"k8s.io\", $k8s_images, true]]"
check "status says so to a human" sh -c "docker-relocate status | grep -q 'Also in containerd: namespace k8s.io ($k8s_images images'"
docker-relocate status >"$facts/status-human" 2>&1
ctr -n k8s.io images ls -q | xargs -r ctr -n k8s.io images rm >/dev/null 2>&1

# ---- containerd stopped under a running dockerd ------------------------------

check "containerd.service stops" systemctl stop containerd.service
{
        echo "== systemctl is-active docker containerd"
        systemctl is-active docker.service containerd.service
        echo "== docker ps (30 s)"
        timeout 30 docker ps -a; echo "status $?"
        echo "== docker image ls (30 s)"
        timeout 30 docker image ls; echo "status $?"
        echo "== docker info (30 s)"
        timeout 30 docker info --format '{{json .Containerd}} {{.Driver}} {{json .DriverStatus}}'; echo "status $?"
        echo "== GET /info"
        engine_get /info | head -c 600; echo "status $?"
        echo "== vm-web"
        timeout 30 docker inspect -f '{{.State.Status}}' vm-web; echo "status $?"
        echo "== ps"
        ps -eo pid,args | grep -E 'containerd|dockerd' | grep -v grep
} >"$facts/containerd-stopped" 2>&1
diag "with containerd stopped:" "$(grep -A2 -E '^== docker (image ls|ps|info)' "$facts/containerd-stopped" | cut -c1-200)"
check "docker.service stays active without containerd" systemctl is-active docker.service
start=$SECONDS
if timeout 120 docker-relocate status --json >"$facts/status-containerd-stopped.json" 2>&1; then
        ok "status answers with containerd stopped ($((SECONDS - start)) s)"
else
        not_ok "status answers with containerd stopped"
fi
check "containerd.service starts again" systemctl start containerd.service
if wait_for 120 docker image inspect "$BUSYBOX_IMAGE"; then
        ok "dockerd sees its images again once containerd is back"
else
        not_ok "dockerd sees its images again once containerd is back"
fi
is "vm-web still running" "$(docker inspect -f '{{.State.Running}}' vm-web 2>&1)" true

# ---- dockerd's own containerd ("managed") ------------------------------------

managed_root=/var/lib/docker-managed
managed_exec=/run/docker-managed
managed_sock=/run/docker-managed.sock
check "docker and containerd stop" systemctl stop docker.socket docker.service containerd.service
is "the system containerd's socket is gone" "$(test -e /run/containerd/containerd.sock && echo present || echo gone)" gone
dockerd --data-root "$managed_root" --exec-root "$managed_exec" -H "unix://$managed_sock" \
        --pidfile /run/docker-managed.pid --iptables=false --bridge=none >"$facts/dockerd-managed.log" 2>&1 &
managed_pid=$!
if wait_for 180 env DOCKER_HOST="unix://$managed_sock" docker info; then
        ok "dockerd without --containerd answers"
        export DOCKER_HOST="unix://$managed_sock"
        check "an image imported into its store" docker_import_busybox
        check "a container runs on it" docker run -d --network none --name managed-web "$BUSYBOX_IMAGE" sleep 3600
        engine_get /info "$managed_sock" >"$facts/info-managed.json"
        is "managed: Driver" "$(json_get 'j["Driver"]' <"$facts/info-managed.json")" overlayfs
        diag "managed: Containerd $(json_get 'j.get("Containerd")' <"$facts/info-managed.json")"
        {
                echo "== processes"
                ps -eo pid,ppid,args | grep -E 'containerd|dockerd' | grep -v grep
                echo "== $managed_root"
                tree_sizes "$managed_root" 4
                echo "== $managed_exec"
                find "$managed_exec" -maxdepth 3 | sort
                echo "== config"
                cat "$managed_exec/containerd/containerd.toml" 2>&1
                echo "== ctr namespaces"
                ctr -a "$managed_exec/containerd/containerd.sock" namespaces ls 2>&1
        } >"$facts/managed" 2>&1
        check "managed containerd's root is <data-root>/containerd/daemon" \
                test -d "$managed_root/containerd/daemon/io.containerd.content.v1.content"
        check "its socket is under the exec root" test -S "$managed_exec/containerd/containerd.sock"
        docker rm -f managed-web >/dev/null 2>&1
        unset DOCKER_HOST
else
        not_ok "dockerd without --containerd answers"
        diag "$(tail -n 20 "$facts/dockerd-managed.log")"
fi
kill "$managed_pid" 2>/dev/null
if wait_for 60 sh -c "! kill -0 $managed_pid"; then
        ok "the managed dockerd stopped"
else
        not_ok "the managed dockerd stopped"
        kill -9 "$managed_pid" 2>/dev/null
fi
wait "$managed_pid" 2>/dev/null
check "containerd and docker start again" systemctl start containerd.service docker.service

# ---- the same Engine on its graph driver --------------------------------------

printf '{\n  "features": {\n    "containerd-snapshotter": false\n  }\n}\n' >/etc/docker/daemon.json
check "docker restarts on its graph driver" systemctl restart docker.service
is "docker info: Storage Driver" "$(docker_info '{{.Driver}}')" overlay2
is "the containerd store's images are not seen" "$(docker image ls -q | wc -l)" 0
check "an image imported on overlay2" docker_import_busybox
is "docker run on overlay2 prints" "$(docker run --rm --network none "$BUSYBOX_IMAGE" echo hello)" hello
check "graph-driver layers under the data root" test -n "$(ls -A /var/lib/docker/overlay2 2>/dev/null)"
engine_get /info >"$facts/info-overlay2.json"
st=$(status_json)
is "status: the graph driver now, containerd's root no tree to move" \
        "$(json_get '[j["store"]] + [t["move"] for t in j["trees"] if t["what"] == "containerd root"]' <<<"$st")" \
        '["graph-driver", false]'
{
        echo "== /var/lib/docker"
        tree_sizes /var/lib/docker 1
        echo "== /var/lib/containerd"
        tree_sizes /var/lib/containerd 1
        echo "== ctr namespaces"
        ctr namespaces ls
} >"$facts/trees-overlay2" 2>&1
