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

is "$(cat /proc/1/comm)" systemd "systemd is PID 1"
ok 'systemctl is-active containerd.service' "containerd.service is active"
ok 'systemctl is-active docker.service' "docker.service is active"
is "$(json_get 'j["features"]["containerd-snapshotter"]' </etc/docker/daemon.json)" true \
        "daemon.json switches the containerd store on"

server=$(docker version --format '{{.Server.Version}}' 2>&1)
diag "docker server $server, $(containerd --version 2>&1), kernel $(uname -r)"
like "$server" '^28\.' "Docker Engine 28"
like "$(containerd --version 2>&1)" ' v?2\.' "containerd 2.x"
ok 'docker-relocate --version' "docker-relocate and its libraries run"
is "$(ldd /usr/local/sbin/docker-relocate | grep -c 'not found')" 0 "no library missing"

fact units systemctl cat docker.service docker.socket containerd.service
fact unit-exec-start systemctl show -p ExecStart -p Requires -p Wants -p After -p BindsTo docker.service
fact containerd-unit-exec-start systemctl show -p ExecStart -p KillMode -p Delegate containerd.service
exec_start=$(systemctl show -P ExecStart docker.service)
like "$exec_start" '--containerd=/run/containerd/containerd\.sock( |$)' "docker.service names the system containerd's socket"
fact etc-containerd sh -c 'ls -la /etc/containerd/ && cat /etc/containerd/config.toml'
fact containerd-config-dump containerd config dump
fact containerd-config-default containerd config default
is "$(sed -n "s/^root = //p" "$facts/containerd-config-dump")" "'/var/lib/containerd'" "containerd config dump: root"
is "$(sed -n "s/^state = //p" "$facts/containerd-config-dump")" "'/run/containerd'" "containerd config dump: state"
diag "dump: $(grep -E '^(version|root|state|temp|imports) ' "$facts/containerd-config-dump" | tr '\n' ';')"

# ---- Docker on the containerd store --------------------------------------------

is "$(docker_info '{{.Driver}}')" overlayfs "docker info: Storage Driver"
is "$(docker_info '{{range .DriverStatus}}{{if eq (index . 0) "driver-type"}}{{index . 1}}{{end}}{{end}}')" \
        io.containerd.snapshotter.v1 "docker info: driver-type"
engine_get /info >"$facts/info-empty.json"

docker_populate
is "$(docker run --rm --network none "$BUSYBOX_IMAGE" echo hello)" hello "docker run prints"
docker_check_populated

ok 'engine_get /info' "GET /info"
engine_get /info >"$facts/info.json"
engine_get /version >"$facts/version.json"
engine_get /images/json >"$facts/images.json"
engine_get /system/df >"$facts/system-df.json"
diag "GET /info: $(json_get '{k: j.get(k) for k in ("Driver", "DriverStatus", "DockerRootDir", "Containerd", "ServerVersion")}' <"$facts/info.json")"
diag "GET /version: $(json_get '[(c["Name"], c["Version"]) for c in j["Components"]]' <"$facts/version.json")"
is "$(json_get 'j["Containerd"]["Address"]' <"$facts/info.json")" /run/containerd/containerd.sock "GET /info: Containerd.Address"
is "$(json_get 'j["Containerd"]["Namespaces"]["Containers"]' <"$facts/info.json")" moby \
        "GET /info: Containerd.Namespaces.Containers"

fact ctr-namespaces ctr namespaces ls
like "$(ctr namespaces ls -q 2>&1)" '^moby$' "Docker's containerd namespace is moby"
diag "containerd namespaces: $(ctr namespaces ls -q | tr '\n' ' ')"
fact ctr-moby sh -c 'ctr -n moby images ls; ctr -n moby content ls; ctr -n moby snapshots ls; ctr -n moby containers ls; ctr -n moby leases ls'
ok 'ctr -n moby images ls -q | grep -Fx "docker.io/$BUSYBOX_IMAGE"' "ctr sees the image in namespace moby"
ok 'test -n "$(ls -A /var/lib/containerd/io.containerd.content.v1.content/blobs/sha256 2>/dev/null)"' "the content store holds blobs"
ok 'test -n "$(ls -A /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots 2>/dev/null)"' "the overlayfs snapshotter holds snapshots"
is "$(ls -A /var/lib/docker/overlay2 2>/dev/null | wc -l)" 0 "no graph-driver layers under the data root"
ok 'test -d "/var/lib/docker/containers/$(docker inspect -f "{{.Id}}" vm-web)"' "containers stay under the data root"
ok 'test -d /var/lib/docker/volumes/vm-data/_data' "volumes stay under the data root"

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
is "$(json_get 'j["store"]' <<<"$st")" containerd "status: the containerd store"
is "$(json_get 'j["source"]' <<<"$st")" "the running Engine (GET /info)" "status: as the Engine says"
is "$(json_get '" ".join([j["containerd"]["kind"], j["containerd"]["root"], j["containerd"]["dump_root"], j["containerd"]["socket"]])' <<<"$st")" \
        "system /var/lib/containerd /var/lib/containerd /run/containerd/containerd.sock" \
        "status: the system containerd, its root and the dump's"
is "$(json_get '[(t["move"], t["bytes"] > 1000000) for t in j["trees"] if t["what"] == "containerd root"]' <<<"$st")" \
        "[[true, true]]" \
        "status: the containerd root moves, measured"
is "$(json_get 'j["other_namespaces"]' <<<"$st")" "[]" "status: no other namespace"

# A kubelet's namespace on the same containerd: images of its own.
docker save -o /root/busybox.tar "$BUSYBOX_IMAGE"
ok 'ctr -n k8s.io images import /root/busybox.tar' "an image imported into namespace k8s.io"
ctr -n k8s.io images ls >"$facts/ctr-k8s-images" 2>&1
k8s_images=$(ctr -n k8s.io images ls -q | wc -l)
st=$(status_json)
is "$(json_get '[(n["name"], n["images"], n["content"] > 0) for n in j["other_namespaces"]]' <<<"$st")" \
        "[[\"k8s.io\", $k8s_images, true]]" \
        "status: namespace k8s.io is another client's, with ctr's count of images"
like "$(docker-relocate status 2>&1)" "Also in containerd: namespace k8s\.io \\($k8s_images images" "status says so to a human"
docker-relocate status >"$facts/status-human" 2>&1
ctr -n k8s.io images ls -q | xargs -r ctr -n k8s.io images rm >/dev/null 2>&1

# ---- containerd stopped under a running dockerd ------------------------------

ok 'systemctl stop containerd.service' "containerd.service stops"
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
ok 'systemctl is-active docker.service' "docker.service stays active without containerd"
start=$SECONDS
ok 'timeout 120 docker-relocate status --json >"$facts/status-containerd-stopped.json" 2>&1' \
        "status answers with containerd stopped" && diag "status took $((SECONDS - start)) s"
ok 'systemctl start containerd.service' "containerd.service starts again"
ok 'wait_for 120 docker image inspect "$BUSYBOX_IMAGE"' "dockerd sees its images again once containerd is back"
is "$(docker inspect -f '{{.State.Running}}' vm-web 2>&1)" true "vm-web still running"

# ---- dockerd's own containerd ("managed") ------------------------------------

managed_root=/var/lib/docker-managed
managed_exec=/run/docker-managed
managed_sock=/run/docker-managed.sock
ok 'systemctl stop docker.socket docker.service containerd.service' "docker and containerd stop"
is "$(test -e /run/containerd/containerd.sock && echo present || echo gone)" gone "the system containerd's socket is gone"
dockerd --data-root "$managed_root" --exec-root "$managed_exec" -H "unix://$managed_sock" \
        --pidfile /run/docker-managed.pid --iptables=false --bridge=none >"$facts/dockerd-managed.log" 2>&1 &
managed_pid=$!
if ok 'wait_for 180 env DOCKER_HOST="unix://$managed_sock" docker info' "dockerd without --containerd answers"; then
        export DOCKER_HOST="unix://$managed_sock"
        ok 'docker_import_busybox' "an image imported into its store"
        ok 'docker run -d --network none --name managed-web "$BUSYBOX_IMAGE" sleep 3600' "a container runs on it"
        engine_get /info "$managed_sock" >"$facts/info-managed.json"
        is "$(json_get 'j["Driver"]' <"$facts/info-managed.json")" overlayfs "managed: Driver"
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
        ok 'test -d "$managed_root/containerd/daemon/io.containerd.content.v1.content"' "managed containerd's root is <data-root>/containerd/daemon"
        ok 'test -S "$managed_exec/containerd/containerd.sock"' "its socket is under the exec root"
        docker rm -f managed-web >/dev/null 2>&1
        unset DOCKER_HOST
else
        diag "$(tail -n 20 "$facts/dockerd-managed.log")"
fi
kill "$managed_pid" 2>/dev/null
ok 'wait_for 60 sh -c "! kill -0 $managed_pid"' "the managed dockerd stopped" ||
        kill -9 "$managed_pid" 2>/dev/null
wait "$managed_pid" 2>/dev/null
ok 'systemctl start containerd.service docker.service' "containerd and docker start again"

# ---- the same Engine on its graph driver --------------------------------------

printf '{\n  "features": {\n    "containerd-snapshotter": false\n  }\n}\n' >/etc/docker/daemon.json
ok 'systemctl restart docker.service' "docker restarts on its graph driver"
is "$(docker_info '{{.Driver}}')" overlay2 "docker info: Storage Driver"
is "$(docker image ls -q | wc -l)" 0 "the containerd store's images are not seen"
ok 'docker_import_busybox' "an image imported on overlay2"
is "$(docker run --rm --network none "$BUSYBOX_IMAGE" echo hello)" hello "docker run on overlay2 prints"
ok 'test -n "$(ls -A /var/lib/docker/overlay2 2>/dev/null)"' "graph-driver layers under the data root"
engine_get /info >"$facts/info-overlay2.json"
st=$(status_json)
is "$(json_get '[j["store"]] + [t["move"] for t in j["trees"] if t["what"] == "containerd root"]' <<<"$st")" \
        '["graph-driver", false]' \
        "status: the graph driver now, containerd's root no tree to move"
{
        echo "== /var/lib/docker"
        tree_sizes /var/lib/docker 1
        echo "== /var/lib/containerd"
        tree_sizes /var/lib/containerd 1
        echo "== ctr namespaces"
        ctr namespaces ls
} >"$facts/trees-overlay2" 2>&1
