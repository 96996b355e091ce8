#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`status --root` on the files of a Debian sid host (docker.io 28,
containerd 2.1, the containerd image store switched on in daemon.json, as
the sid VM image has them), and variants of it: the image store, the
containerd that serves dockerd, its root and who sets it, the trees a move
carries and their sizes. TAP on stdout."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tap  # noqa: E402
from tap import ok  # noqa: E402

BIN = os.environ.get("DOCKER_RELOCATE", "build/docker-relocate")
TREE = os.path.join(os.environ.get("FIXTURES", "tests/fixtures"), "containerd", "status-sid", "tree")

def write(root, path, content):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(content)


def status(root, *extra):
    p = subprocess.run([BIN, "--root", root, "status", *extra], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def store(root):
    rc, out, err = status(root, "--json")
    if rc != 0:
        return None
    return json.loads(out).get("image_store")


def run(root, *args):
    p = subprocess.run([BIN, "--root", root, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def read(root, path):
    p = os.path.join(root, path.lstrip("/"))
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return f.read()


def backups(root):
    d = os.path.join(root, "var/lib/docker-relocate/backups")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def tree(s, what):
    return next((t for t in s["trees"] if t["what"] == what), None)


def fresh(tmp, name):
    root = os.path.join(tmp, name)
    shutil.copytree(TREE, root, symlinks=True)
    return root


with tempfile.TemporaryDirectory() as tmp:
    # As installed on sid, with some images in containerd's root.
    root = fresh(tmp, "sid")
    write(root, "/var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/aa", "x" * (1 << 20))
    write(root, "/var/lib/docker/containers/c1/config.v2.json", "{}")
    s = store(root)
    ok(s is not None, "sid: status --json has an image_store object")
    if s:
        ok(s["store"] == "containerd", "sid: the containerd store", s)
        ok("daemon.json" in s["source"], "sid: as daemon.json says", s["source"])
        c = s["containerd"]
        ok(c["kind"] == "system" and c["socket"] == "/run/containerd/containerd.sock",
           "sid: the system containerd, named by --containerd", c)
        ok(c["root"] == "/var/lib/containerd" and c["root_set_by"] == "default", "sid: its default root", c)
        ok(c["config_file"] == "/etc/containerd/config.toml" and c["config_file_exists"], "sid: its config file", c)
        ok(c["plugin_dirs"] == ["io.containerd.internal.v1.opt=/var/lib/containerd/opt"],
           "sid: Debian's opt plugin directory", c["plugin_dirs"])
        t = tree(s, "containerd root")
        ok(t and t["move"] and t["exists"] and t["bytes"] >= (1 << 20), "sid: the containerd root moves, measured", t)
        d = tree(s, "data root")
        ok(d and d["move"] and d["path"] == "/var/lib/docker" and d["inodes"] >= 3, "sid: the data root too", d)
        ok(s["other_namespaces"] is None, "sid: offline, no namespace is asked", s["other_namespaces"])
        ok(s["warnings"] == [], "sid: no warning", s["warnings"])
    rc, out, err = status(root)
    ok(rc == 0 and "Image store:   containerd" in out and "containerd root /var/lib/containerd: 1.0 MiB, a move carries it"
       in out, "sid: the human status says it", out + err)

    # The same Engine on its graph driver: containerd's root is no tree to move.
    root = fresh(tmp, "overlay2")
    write(root, "/etc/docker/daemon.json", '{ "features": { "containerd-snapshotter": false } }\n')
    s = store(root)
    ok(s and s["store"] == "graph-driver" and not tree(s, "containerd root")["move"],
       "overlay2: the graph driver; containerd's root stays", s)

    # The root set in a drop-in of conf.d.
    root = fresh(tmp, "imports")
    write(root, "/etc/containerd/config.toml", 'version = 3\nimports = ["/etc/containerd/conf.d/*.toml"]\n')
    write(root, "/etc/containerd/conf.d/50-root.toml", "root = '/srv/containerd'\n")
    s = store(root)
    ok(s and s["containerd"]["root"] == "/srv/containerd"
       and s["containerd"]["root_set_by"] == "/etc/containerd/conf.d/50-root.toml"
       and s["containerd"]["imports"] == ["/etc/containerd/conf.d/*.toml"], "imports: the drop-in's root", s)
    ok(s and tree(s, "containerd root")["path"] == "/srv/containerd", "imports: the tree is that root", s)

    # --root on containerd's command line.
    root = fresh(tmp, "flag")
    write(root, "/etc/systemd/system/containerd.service.d/root.conf",
          "[Service]\nExecStart=\nExecStart=/usr/bin/containerd --root /data/containerd\n")
    s = store(root)
    ok(s and s["containerd"]["root"] == "/data/containerd"
       and s["containerd"]["root_set_by"].startswith("--root in "), "flag: containerd's --root wins", s)

    # A config containerd cannot read.
    root = fresh(tmp, "broken")
    write(root, "/etc/containerd/config.toml", "version = 2\nroot = /srv\n")
    s = store(root)
    ok(s and s["containerd"]["error"] and "config.toml:2:8" in s["containerd"]["error"]
       and any("config.toml:2:8" in w for w in s["warnings"]), "broken: the error, with its position", s)

    # dockerd without --containerd and no containerd.service: its own.
    root = fresh(tmp, "managed")
    os.unlink(os.path.join(root, "usr/lib/systemd/system/containerd.service"))
    write(root, "/etc/systemd/system/docker.service.d/ctd.conf",
          "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// --data-root /srv/docker\n")
    s = store(root)
    ok(s and s["containerd"]["kind"] == "managed" and s["containerd"]["root"] == "/srv/docker/containerd/daemon"
       and not tree(s, "containerd root")["move"], "managed: under the data root, carried with it", s)

    # set-data-root on the sid files: containerd's root beside the data root.
    root = fresh(tmp, "set-sid")
    toml0 = read(root, "/etc/containerd/config.toml")
    json0 = read(root, "/etc/docker/daemon.json")
    rc, out, err = run(root, "set-data-root", "--dry-run", "/mnt/docker-data/docker")
    ok(rc == 0 and "Would set containerd's root, which holds Docker's images, to /mnt/docker-data/containerd" in out
       and '+root = "/mnt/docker-data/containerd"' in out and '+  "data-root": "/mnt/docker-data/docker",' in out,
       "set-data-root sid: the dry run shows both changes", out + err)
    ok(read(root, "/etc/containerd/config.toml") == toml0 and read(root, "/etc/docker/daemon.json") == json0
       and backups(root) == [], "set-data-root sid: the dry run writes nothing")
    rc, out, err = run(root, "set-data-root", "--json", "/mnt/docker-data/docker")
    j = json.loads(out) if rc == 0 else {}
    ok(rc == 0 and j.get("containerd", {}).get("old_root") == "/var/lib/containerd"
       and j["containerd"]["new_root"] == "/mnt/docker-data/containerd"
       and sorted(f["path"] for f in j["plan"]["files"]) == ["/etc/containerd/config.toml", "/etc/docker/daemon.json"]
       and all(f["backup"] for f in j["plan"]["files"]), "set-data-root sid: both files written, both backed up", out + err)
    toml1 = read(root, "/etc/containerd/config.toml")
    ok(toml1 == toml0.replace("version = 2\n", 'version = 2\nroot = "/mnt/docker-data/containerd"\n', 1),
       "set-data-root sid: config.toml gains the root and keeps every other byte", toml1)
    s = store(root)
    ok(s and s["containerd"]["root"] == "/mnt/docker-data/containerd"
       and s["containerd"]["root_set_by"] == "/etc/containerd/config.toml", "set-data-root sid: status reads it back", s)
    rc, out, err = run(root, "set-data-root", "/mnt/docker-data/docker")
    ok(rc == 0 and "nothing to change" in out and "containerd's root /mnt/docker-data/containerd already" in out
       and len(backups(root)) == 2, "set-data-root sid: a second run changes nothing", out + err)
    json1 = read(root, "/etc/docker/daemon.json")
    rc, out, err = run(root, "set-data-root", "--containerd-root", "/data/containerd", "/mnt/docker-data/docker")
    ok(rc == 0 and "Set the data root" not in out
       and "Set containerd's root, which holds Docker's images, to /data/containerd" in out
       and "root = \"/data/containerd\"" in read(root, "/etc/containerd/config.toml")
       and read(root, "/etc/docker/daemon.json") == json1 and len(backups(root)) == 3,
       "set-data-root sid: --containerd-root names another root; only that is said and written", out + err)
    rc, out, err = run(root, "set-data-root", "--containerd-root", "/mnt/docker-data/docker", "/mnt/docker-data/docker")
    ok(rc == 2 and "cannot be the data root itself" in err, "set-data-root sid: containerd's root is not the data root",
       f"rc={rc} {err}")

    # A place that can never hold containerd's root: refused, nothing written.
    toml2 = read(root, "/etc/containerd/config.toml")
    nb = len(backups(root))
    for bad, code in (("/proc/ctd", 3), ("/", 3), ("relative/ctd", 2)):
        rc, out, err = run(root, "set-data-root", "--containerd-root", bad, "/mnt/docker-data/docker")
        ok(rc == code and read(root, "/etc/containerd/config.toml") == toml2 and len(backups(root)) == nb,
           f"set-data-root sid: --containerd-root {bad} refused (exit {code}), nothing written", f"rc={rc} {err}")

    # Its root in a drop-in of the imports glob: written there, config.toml kept.
    root = fresh(tmp, "set-imports")
    write(root, "/etc/containerd/config.toml", 'version = 3\nimports = ["/etc/containerd/conf.d/*.toml"]\n')
    rc, out, err = run(root, "set-data-root", "--json", "/srv/docker")
    j = json.loads(out) if rc == 0 else {}
    drop = read(root, "/etc/containerd/conf.d/docker-relocate.toml")
    ok(rc == 0 and read(root, "/etc/containerd/config.toml") == 'version = 3\nimports = ["/etc/containerd/conf.d/*.toml"]\n'
       and drop is not None and 'root = "/srv/containerd"' in drop, "set-data-root imports: a file of the glob", out + err)
    s = store(root)
    ok(s and s["containerd"]["root"] == "/srv/containerd", "set-data-root imports: status reads it back", s)

    # The graph driver: containerd's root is none of Docker's business.
    root = fresh(tmp, "set-overlay2")
    write(root, "/etc/docker/daemon.json", '{ "features": { "containerd-snapshotter": false } }\n')
    toml0 = read(root, "/etc/containerd/config.toml")
    rc, out, err = run(root, "set-data-root", "--json", "/srv/docker")
    j = json.loads(out) if rc == 0 else {}
    ok(rc == 0 and j.get("containerd", 0) is None and read(root, "/etc/containerd/config.toml") == toml0
       and [f["path"] for f in j["plan"]["files"]] == ["/etc/docker/daemon.json"], "set-data-root overlay2: containerd left alone",
       out + err)

    # The store unknown offline (no feature, no Engine to ask): a warning.
    root = fresh(tmp, "set-unknown")
    write(root, "/etc/docker/daemon.json", "{}\n")
    toml0 = read(root, "/etc/containerd/config.toml")
    rc, out, err = run(root, "set-data-root", "/srv/docker")
    ok(rc == 0 and read(root, "/etc/containerd/config.toml") == toml0 and "--containerd-root" in err,
       "set-data-root unknown store: containerd left alone, with a warning", out + err)
    rc, out, err = run(root, "set-data-root", "--containerd-root", "/srv/ctd", "/srv/docker")
    ok(rc == 0 and 'root = "/srv/ctd"' in read(root, "/etc/containerd/config.toml"),
       "set-data-root unknown store: --containerd-root sets it", out + err)

    # dockerd's own containerd: --containerd-root does not apply.
    root = fresh(tmp, "set-managed")
    os.unlink(os.path.join(root, "usr/lib/systemd/system/containerd.service"))
    write(root, "/etc/systemd/system/docker.service.d/ctd.conf",
          "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd://\n")
    json0 = read(root, "/etc/docker/daemon.json")
    rc, out, err = run(root, "set-data-root", "--containerd-root", "/srv/ctd", "/srv/docker")
    ok(rc == 3 and "does not apply" in err and read(root, "/etc/docker/daemon.json") == json0 and backups(root) == [],
       "set-data-root managed: --containerd-root refused (exit 3), nothing written", f"rc={rc} {err}")

sys.exit(tap.done_testing())
