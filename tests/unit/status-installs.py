#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""status and set-data-root of the binary on the fixture trees of Docker from
the snap and rootless Docker: status says which kind of Docker the host has,
where each keeps its data and configuration, and (human and --json) why a
move is refused; set-data-root refuses with exit 3 and the steps by hand,
human and --json, and writes nothing. The system's Docker beside a user's
rootless Docker is still configured, with a warning. TAP on stdout."""

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
NEW = "/mnt/docker-data/docker"

SNAP_CONFIG = "/var/snap/docker/current/config/daemon.json"
SNAP_UNIT = "/etc/systemd/system/snap.docker.dockerd.service"

# name: the kind, what status finds, and what the refusal must say.
CASES = {
    "snap": dict(kind="snap", found=[dict(kind="snap", service=SNAP_UNIT, config_file=SNAP_CONFIG,
                                          config_file_exists=True, data_root="/mnt/data/docker",
                                          data_root_source="snap option data-root", socket="/var/run/docker.sock")],
                 human=["Docker:        snap", "Snap:          " + SNAP_UNIT,
                        "  data root:   /mnt/data/docker (set by snap option data-root)"],
                 refusal=["1) snap stop docker;", f"rsync -aHAXS --numeric-ids /mnt/data/docker/ {NEW}/",
                          f"snap set docker data-root={NEW}", "snap start docker"]),
    "snap-old": dict(kind="snap", found=[dict(kind="snap", data_root="/var/snap/docker/common/var-lib-docker",
                                              data_root_source="default")],
                     warn=[SNAP_CONFIG + " sets data-root (/mnt/docker)"],
                     refusal=["1) snap refresh docker", f"snap set docker data-root={NEW}"]),
    "snap-and-system": dict(kind="snap", found=[dict(kind="snap")],
                            refusal=["installed twice", "/lib/systemd/system/docker.service", "snap remove docker"]),
    "rootless": dict(kind="rootless",
                     found=[dict(kind="rootless", user="alice", home="/home/alice",
                                 service="/home/alice/.config/systemd/user/docker.service",
                                 config_file="/home/alice/.config/docker/daemon.json", config_file_exists=True,
                                 data_root="/srv/alice-docker",
                                 data_root_source="/home/alice/.config/docker/daemon.json",
                                 socket="/run/user/1000/docker.sock"),
                            dict(kind="rootless", user="carol", data_root="/srv/carol-docker",
                                 data_root_source="/home/carol/.config/systemd/user/docker.service",
                                 config_file_exists=False, socket="/run/user/1002/docker.sock")],
                     human=["Docker:        rootless", "Rootless:      user alice, "
                            "/home/alice/.config/systemd/user/docker.service",
                            "  socket:      /run/user/1002/docker.sock"],
                     refusal=["as alice: systemctl --user stop docker",
                              f"as root: rsync -aHAXS --numeric-ids /srv/alice-docker/ {NEW}/alice/",
                              f'set "data-root": "{NEW}/alice" in /home/alice/.config/docker/daemon.json',
                              f"change --data-root to {NEW}/carol in /home/carol/.config/systemd/user/docker.service",
                              "as carol: systemctl --user start docker"]),
    "rootless-system": dict(kind="system",
                            found=[dict(kind="rootless", user="alice",
                                        data_root="/home/alice/.local/share/docker", data_root_source="default")],
                            warn=["User alice also runs rootless Docker"],
                            human=["Docker:        system"]),
}

def run(root, *args):
    p = subprocess.run([BIN, "--root", root, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def tree_digest(root):
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                result[rel] = ("link", os.readlink(p))
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    result[rel] = ("file", os.lstat(p).st_mode, hashlib.sha256(f.read()).hexdigest())
            else:
                result[rel] = ("dir", os.lstat(p).st_mode)
    return result


def check_case(name, exp, tmp):
    root = os.path.join(tmp, name)
    shutil.copytree(os.path.join(FIXTURES, name, "tree"), root, symlinks=True)

    rc, out, err = run(root, "status", "--json")
    ok(rc == 0, f"{name}: status --json runs", err)
    st = json.loads(out) if rc == 0 else {}
    inst = st.get("install", {})
    ok(inst.get("kind") == exp["kind"], f"{name}: install kind {exp['kind']}", inst)
    found = inst.get("found", [])
    ok(len(found) == len(exp["found"]), f"{name}: {len(exp['found'])} install(s) found", found)
    for i, want in enumerate(exp["found"]):
        got = found[i] if i < len(found) else {}
        for key, val in want.items():
            ok(got.get(key) == val, f"{name}: found[{i}].{key} is {val}", got.get(key))
    for w in exp.get("warn", []):
        ok(any(w in x for x in st.get("warnings", [])), f"{name}: warns '{w}'", st.get("warnings"))
    if "refusal" in exp:
        for s in exp["refusal"]:
            ok(s.replace(NEW, "NEW_DATA_ROOT") in (inst.get("refusal") or ""),
               f"{name}: status --json gives the refusal: '{s}'", inst.get("refusal"))
    else:
        ok(inst.get("refusal") is None, f"{name}: status --json: not refused", inst.get("refusal"))

    rc, out, err = run(root, "status")
    ok(rc == 0, f"{name}: status runs", err)
    for line in exp.get("human", []):
        ok(line in out.splitlines(), f"{name}: status says '{line}'", out)
    ok(("Not moved:" in out) == ("refusal" in exp), f"{name}: status says whether a move is refused", out)

    before = tree_digest(root)
    if "refusal" not in exp:
        rc, out, err = run(root, "set-data-root", "--dry-run", NEW)
        ok(rc == 0 and "+++ b/etc/docker/daemon.json" in out, f"{name}: set-data-root plans the system's file",
           f"rc={rc}\n{out}\n{err}")
        ok(any(w in err for w in exp.get("warn", [])), f"{name}: set-data-root warns", err)
        ok(tree_digest(root) == before, f"{name}: --dry-run writes nothing")
        return

    for dry in ([], ["--dry-run"]):
        rc, out, err = run(root, "set-data-root", *dry, NEW)
        ok(rc == 3, f"{name}: set-data-root {' '.join(dry)} refuses with exit 3", f"rc={rc}\n{out}\n{err}")
        for s in exp["refusal"]:
            ok(s in err, f"{name}: set-data-root {' '.join(dry)} says '{s}'", err)
        ok("Nothing was changed." in err, f"{name}: says nothing was changed", err)
    rc, out, err = run(root, "set-data-root", "--json", NEW)
    res = json.loads(out) if out.strip() else {}
    ok(rc == 3 and res.get("status") == "refused" and res.get("changed") is False,
       f"{name}: set-data-root --json: refused, unchanged, exit 3", f"rc={rc}\n{out}")
    ok(res.get("error", {}).get("code") == 3, f"{name}: JSON error.code 3", out)
    for s in exp["refusal"]:
        ok(s in res.get("error", {}).get("message", ""), f"{name}: JSON error message says '{s}'", out)
    ok(tree_digest(root) == before, f"{name}: the refusals wrote nothing")


def main():
    if not os.access(BIN, os.X_OK):
        return skip_all_missing("the binary, built (%s)" % BIN)
    with tempfile.TemporaryDirectory(prefix="status-installs-") as tmp:
        for name, exp in CASES.items():
            check_case(name, exp, tmp)
    return done_testing()


if __name__ == "__main__":
    sys.exit(main())
