#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden runs of `status --json` and `set-data-root` on fixture trees, one
per way distributions configure dockerd. For each tree: what status reports
must be what dockerd would use; set-data-root must make the effective data
root the new one with no conflict and no removed option left, change only
the files it should (compared byte for byte with tests/fixtures/config/NAME/
expected/), keep vendor files, modes and backups right, and a second run must
change nothing at all. TAP on stdout."""

import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import done_testing, ok, skip_all_missing  # noqa: E402

BIN = os.environ.get("DOCKER_RELOCATE", "build/docker-relocate")
FIXTURES = os.path.join(os.environ.get("FIXTURES", "tests/fixtures"), "config")
NEW = "/data/docker"

# name: what status must report before, and where set-data-root writes.
CASES = {
    "debian-sysv": dict(init="sysv", path="/srv/docker", source="/etc/default/docker", via="flag",
                        warn=["graph option"], changes=["/etc/default/docker"]),
    "fedora-options": dict(init="systemd", path="/srv/docker", source="/etc/sysconfig/docker", via="flag",
                           warn=["/etc/sysconfig/docker:5: not an assignment"], changes=["/etc/sysconfig/docker"],
                           args_contain=["--storage-driver", "overlay2", "--selinux-enabled"]),
    "centos6-other-args": dict(init="sysv", path="/mnt/docker", source="/etc/sysconfig/docker", via="flag",
                               warn=["graph option"], changes=["/etc/sysconfig/docker"]),
    "opensuse-sysconfig": dict(init="systemd", path="/var/lib/docker-alt", source="/etc/sysconfig/docker",
                               via="flag", warn=["graph option"], changes=["/etc/sysconfig/docker"]),
    "dropin-data-root": dict(init="systemd", path="/srv/docker",
                             source="/etc/systemd/system/docker.service.d/override.conf", via="flag",
                             changes=["/etc/systemd/system/docker.service.d/override.conf"]),
    "dropin-graph": dict(init="systemd", path="/srv/docker",
                         source="/etc/systemd/system/docker.service.d/docker.conf", via="flag",
                         warn=["graph option"], changes=["/etc/systemd/system/docker.service.d/docker.conf"]),
    "dropin-envfile": dict(init="systemd", path="/srv/docker", source="/etc/default/docker", via="flag",
                           warn=["graph option"], changes=["/etc/default/docker"]),
    "config-file": dict(init="systemd", path="/srv/docker", source="/etc/docker/custom.json",
                        via="daemon.json", changes=["/etc/docker/custom.json"]),
    "daemon-json-graph": dict(init="systemd", path="/srv/docker", source="/etc/docker/daemon.json",
                              via="daemon.json", warn=["graph option"], changes=["/etc/docker/daemon.json"]),
    "daemon-json": dict(init="systemd", path="/srv/docker", source="/etc/docker/daemon.json", via="daemon.json",
                        changes=["/etc/docker/daemon.json"]),
    "conflict": dict(init="systemd", path="/srv/docker",
                     source="/etc/systemd/system/docker.service.d/override.conf", via="flag", conflicts=1,
                     changes=["/etc/systemd/system/docker.service.d/override.conf", "/etc/docker/daemon.json"]),
    "invalid-json": dict(init="systemd", path="/var/lib/docker", source="default", via="default",
                         warn=["daemon.json:4:2: invalid JSON"], refused="daemon.json:4:2"),
    "vendor-flag": dict(init="systemd", path="/srv/docker", source="/lib/systemd/system/docker.service", via="flag",
                        changes=["/etc/systemd/system/docker.service.d/90-docker-relocate.conf"]),
    # '@': the word after the program is argv[0], no argument; the drop-in
    # keeps both.
    "vendor-argv0": dict(init="systemd", path="/srv/docker", source="/lib/systemd/system/docker.service",
                         via="flag", changes=["/etc/systemd/system/docker.service.d/90-docker-relocate.conf"],
                         args=["/usr/bin/dockerd", "-H", "fd://", "--data-root", "/srv/docker",
                               "--containerd=/run/containerd/containerd.sock"]),
    "default": dict(init="systemd", path="/var/lib/docker", source="default", via="default",
                    changes=["/etc/docker/daemon.json"]),
    "unread-envfile": dict(init="systemd", path="/var/lib/docker", source="default", via="default",
                           warn=["/etc/default/docker sets DOCKER_OPTS, but nothing"],
                           changes=["/etc/docker/daemon.json"]),
    "symlink": dict(init="systemd", path="/var/lib/docker", source="default", via="default", resolved="/data/docker",
                    warn=["reached through a symlink"], changes=["/etc/docker/daemon.json"]),
    "openrc": dict(init="openrc", path="/srv/docker", source="/etc/conf.d/docker", via="flag",
                   changes=["/etc/conf.d/docker"]),
    # OpenRC evaluates command_args once more: quotes inside DOCKER_OPTS
    # are sh's, and what eval would run is refused.
    "openrc-quoted": dict(init="openrc", path="/srv/docker", source="/etc/conf.d/docker", via="flag",
                          changes=["/etc/conf.d/docker"]),
    "openrc-eval": dict(init="openrc", path="/srv/docker", source="/etc/conf.d/docker", via="flag",
                        warn=["$DOCKER_OPTS: command substitution"], refused="/etc/conf.d/docker:4:51"),
    "upstart": dict(init="upstart", path="/srv/docker", source="/etc/default/docker", via="flag",
                    changes=["/etc/default/docker"]),
    "shell-code": dict(init="sysv", source="/etc/default/docker", via="flag",
                       warn=["not a plain assignment"], refused="/etc/default/docker:2:1"),
    # Quoted values are values: rewritten inside their quotes.
    "dropin-quoted": dict(init="systemd", path="/srv/docker",
                          source="/etc/systemd/system/docker.service.d/override.conf", via="flag",
                          changes=["/etc/systemd/system/docker.service.d/override.conf"]),
    "envfile-quoted": dict(init="systemd", path="/srv/docker", source="/etc/sysconfig/docker", via="flag",
                           changes=["/etc/sysconfig/docker"]),
    "sysv-quoted": dict(init="sysv", path="/srv/docker", source="/etc/default/docker", via="flag",
                        changes=["/etc/default/docker"]),
    # A specifier of the running system (%H) is fine in a label; in the
    # data root it is refused.
    "dropin-specifier": dict(init="systemd", path="/srv/docker",
                             source="/etc/systemd/system/docker.service.d/override.conf", via="flag",
                             warn=["Environment= ZONE=%l has %l"],
                             changes=["/etc/systemd/system/docker.service.d/override.conf"]),
    "dropin-specifier-data-root": dict(init="systemd", path="/srv/docker/%H",
                                       source="/etc/systemd/system/docker.service.d/override.conf", via="flag",
                                       warn=["ExecStart= word '/srv/docker/%H', the value of --data-root"],
                                       refused="override.conf:3: ExecStart= word '/srv/docker/%H', the value of "
                                               "--data-root"),
    # What dockerd, systemd or sh read otherwise: refused at the position.
    "sysv-crlf": dict(init="sysv", path="/srv/docker\r", source="/etc/default/docker", via="flag",
                      refused="/etc/default/docker:1:20: a CR (carriage return"),
    "json-tab": dict(init="systemd", path="/srv/docker", source="/etc/docker/daemon.json", via="daemon.json",
                     refused="/etc/docker/daemon.json:3:21: a raw TAB inside a string"),
    "json-bom": dict(init="systemd", path="/srv/docker", source="/etc/docker/daemon.json", via="daemon.json",
                     refused="/etc/docker/daemon.json:1:1: a UTF-8 byte-order mark"),
    # Docker from the snap and rootless Docker: refused with the steps by
    # hand (tests/unit/status-installs.py checks them in detail).
    "snap": dict(init="unknown", path="/var/lib/docker", source="default", via="default",
                 warn=["No init system configuration"], refused="snap set docker data-root=/data/docker"),
    "snap-old": dict(init="unknown", path="/var/lib/docker", source="default", via="default",
                     warn=["No init system configuration", "sets data-root (/mnt/docker)"],
                     refused="snap refresh docker"),
    "snap-and-system": dict(init="systemd", path="/var/lib/docker", source="default", via="default",
                            refused="installed twice"),
    "rootless": dict(init="unknown", path="/var/lib/docker", source="default", via="default",
                     warn=["No init system configuration"], refused="as alice: systemctl --user stop docker"),
    "rootless-system": dict(init="systemd", path="/var/lib/docker", source="default", via="default",
                            warn=["User alice also runs rootless Docker"], changes=["/etc/docker/daemon.json"]),
}

def run(root, *args):
    p = subprocess.run([BIN, "--root", root, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def status(root):
    rc, out, err = run(root, "status", "--json")
    if rc != 0:
        return None, err
    return json.loads(out), err


def tree_digest(root):
    """Every path under root with its content hash and mode: what 'nothing
    changed' means."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                result[rel] = ("link", os.readlink(p))
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    result[rel] = ("file", st.st_mode, hashlib.sha256(f.read()).hexdigest())
            else:
                result[rel] = ("dir", st.st_mode)
    return result


def check_case(name, exp, tmp):
    root = os.path.join(tmp, name)
    shutil.copytree(os.path.join(FIXTURES, name, "tree"), root, symlinks=True)
    # A distinctive mode on every file, to prove edits keep it.
    for dirpath, _, filenames in os.walk(root):
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, 0o640)

    st, err = status(root)
    ok(st is not None, f"{name}: status --json runs", err)
    if st is None:
        return
    ok(st["init_system"] == exp["init"], f"{name}: init system {exp['init']}", st["init_system"])
    if "path" in exp:
        ok(st["data_root"]["path"] == exp["path"], f"{name}: data root {exp['path']}", st["data_root"])
    ok(st["data_root"]["source"] == exp["source"], f"{name}: source {exp['source']}", st["data_root"])
    ok(st["data_root"]["via"] == exp["via"], f"{name}: via {exp['via']}", st["data_root"])
    if "resolved" in exp:
        ok(st["data_root"]["resolved"] == exp["resolved"], f"{name}: resolved {exp['resolved']}", st["data_root"])
    ok(len(st["conflicts"]) == exp.get("conflicts", 0), f"{name}: {exp.get('conflicts', 0)} conflict(s)",
       st["conflicts"])
    for w in exp.get("warn", []):
        ok(any(w in x for x in st["warnings"]), f"{name}: warns about '{w}'", st["warnings"])
    if not exp.get("warn"):
        ok(not st["warnings"], f"{name}: no warnings", st["warnings"])
    if "args" in exp:
        ok(st["dockerd_args"] == exp["args"], f"{name}: dockerd's command line", st["dockerd_args"])
    for a in exp.get("args_contain", []):
        ok(a in st["dockerd_args"], f"{name}: dockerd gets {a}", st["dockerd_args"])

    before = tree_digest(root)

    # --dry-run: a diff, and nothing written.
    rc, out, err = run(root, "set-data-root", "--dry-run", NEW)
    if "refused" in exp:
        ok(rc == 3, f"{name}: set-data-root --dry-run refuses (exit 3)", f"rc={rc} {err}")
        ok(exp["refused"] in err, f"{name}: refusal names {exp['refused']}", err)
    else:
        ok(rc == 0 and "+++ b" in out, f"{name}: --dry-run prints a diff", f"rc={rc}\n{out}\n{err}")
    ok(tree_digest(root) == before, f"{name}: --dry-run writes nothing")

    rc, out, err = run(root, "set-data-root", "--json", NEW)
    if "refused" in exp:
        ok(rc == 3, f"{name}: set-data-root refuses (exit 3)", f"rc={rc} {err}")
        ok(tree_digest(root) == before, f"{name}: refusal writes nothing")
        res = json.loads(out) if out.strip() else {}
        ok(res.get("error", {}).get("code") == 3 and exp["refused"] in res["error"].get("message", ""),
           f"{name}: JSON error carries code 3 and the position", out)
        return
    ok(rc == 0, f"{name}: set-data-root succeeds", f"rc={rc}\n{err}")
    res = json.loads(out)
    ok(res["changed"] is True, f"{name}: reports changed", out)
    changed = sorted(f["path"] for f in res["plan"]["files"])
    ok(changed == sorted(exp["changes"]), f"{name}: changes exactly {exp['changes']}", changed)

    after = tree_digest(root)
    for rel, val in before.items():
        path = "/" + rel
        if path in exp["changes"]:
            continue
        ok(after.get(rel) == val, f"{name}: {path} untouched", f"{val} -> {after.get(rel)}")

    for path in exp["changes"]:
        got = os.path.join(root, path.lstrip("/"))
        want = os.path.join(FIXTURES, name, "expected", path.lstrip("/"))
        ok(os.path.exists(want) and filecmp.cmp(got, want, shallow=False),
           f"{name}: {path} is as expected", open(got).read() if os.path.exists(got) else "missing")
        existed = before.get(path.lstrip("/"))
        mode = os.stat(got).st_mode & 0o7777
        ok(mode == (0o640 if existed else 0o644), f"{name}: {path} mode {oct(mode)} kept", oct(mode))

    for f in res["plan"]["files"]:
        if f["created"]:
            ok(f.get("backup") is None, f"{name}: no backup for new {f['path']}")
            continue
        b = os.path.join(root, f["backup"].lstrip("/"))
        orig = os.path.join(FIXTURES, name, "tree", f["path"].lstrip("/"))
        ok(f["backup"].startswith("/var/lib/docker-relocate/backups/") and os.path.exists(b)
           and filecmp.cmp(b, orig, shallow=False), f"{name}: backup of {f['path']} holds the original", f)

    st2, err = status(root)
    ok(st2 is not None and st2["data_root"]["path"] == NEW, f"{name}: effective data root is now {NEW}",
       st2 and st2["data_root"])
    ok(st2 is not None and not st2["conflicts"], f"{name}: no conflict after", st2 and st2["conflicts"])
    ok(st2 is not None and not any("graph" in w for w in st2["warnings"]), f"{name}: no removed option left",
       st2 and st2["warnings"])
    ok(st2 is not None and st2["data_root"]["via"] in ("flag", "daemon.json"), f"{name}: set explicitly")
    if st is not None and st2 is not None:
        kept = [a for a in st["dockerd_args"] if a not in ("-g", "--graph", "--data-root", exp.get("path"))
                and not a.startswith(("--data-root=", "--graph=", "-g"))]
        ok(all(a in st2["dockerd_args"] for a in kept), f"{name}: every other dockerd option kept",
           f"{st['dockerd_args']} -> {st2['dockerd_args']}")

    # A second identical run changes nothing, not even a new backup.
    snap = tree_digest(root)
    rc, out, err = run(root, "set-data-root", "--json", NEW)
    res2 = json.loads(out) if rc == 0 else {}
    ok(rc == 0 and res2.get("changed") is False, f"{name}: second run reports unchanged", out + err)
    ok(tree_digest(root) == snap, f"{name}: second run writes nothing")


def main():
    if not os.access(BIN, os.X_OK):
        return skip_all_missing("the binary, built (%s)" % BIN)
    with tempfile.TemporaryDirectory(prefix="config-golden-") as tmp:
        for name, exp in CASES.items():
            check_case(name, exp, tmp)
    missing = sorted(set(os.listdir(FIXTURES)) - set(CASES))
    ok(not missing, "every fixture tree has a case", missing)
    return done_testing()


if __name__ == "__main__":
    sys.exit(main())
