#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every command under --json, in as many ways to succeed and to fail as
can be had without root or a daemon (fixture trees; the host-only commands
as an unprivileged user): each run prints exactly one object that validates
against docs/docker-relocate.schema.json, its exit status equals error.code,
and its status is the word the contract gives that outcome. The same checks
run on every --json output of the root suite, whose tests run the binary
through tests/helpers/json_contract.py (moves, rollbacks and cleanups that
succeed, which need root and a daemon). TAP on stdout."""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "helpers"))
import json_contract  # noqa: E402

BIN = os.environ.get("DOCKER_RELOCATE_BINARY") or os.environ.get("DOCKER_RELOCATE", "build/docker-relocate")
FIXTURES = os.environ.get("FIXTURES", os.path.join(HERE, "..", "fixtures"))
NOBODY = 65534

n = 0
failed = 0


def ok(cond, what, detail=None):
    global n, failed
    n += 1
    failed += not cond
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)


_public_bin = None


def public_bin():
    """The binary where the unprivileged user can run it: a build tree may
    sit below a directory only root may enter (a package build's)."""
    global _public_bin
    if _public_bin is None:
        d = tempfile.mkdtemp(prefix="json-contract.")
        os.chmod(d, 0o755)
        atexit.register(shutil.rmtree, d, True)
        _public_bin = os.path.join(d, "docker-relocate")
        shutil.copy2(BIN, _public_bin)
        os.chmod(_public_bin, 0o755)
    return _public_bin


def run(args, unprivileged=False):
    cmd = [BIN] + args
    kw = {}
    if unprivileged and os.getuid() == 0:
        # The commands that act on the running host, as a user who may not:
        # they fail before they look at anything.
        cmd = [public_bin()] + args
        kw = dict(user=NOBODY, group=NOBODY, extra_groups=[])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, **kw)
    return p.returncode, p.stdout, p.stderr


def expect(cond, detail=""):
    if not cond:
        raise AssertionError(detail)


def check(what, args, rc, status, unprivileged=False, command="", extra=None):
    """Runs args; the exit status must be rc, the object valid with status
    and error.code == rc; extra(obj) may check more."""
    got_rc, out, err = run(args, unprivileged)
    found = json_contract.problems(out, got_rc)
    ok(not found, "%s: the object keeps the contract (exit %d)" % (what, got_rc), "\n".join(found) + "\n" + err)
    try:
        obj = json.loads(out)
    except ValueError:
        obj = {}
    ok(got_rc == rc and obj.get("status") == status,
       "%s: exit %d and status %s" % (what, rc, status),
       "exit %d, status %r\n%s" % (got_rc, obj.get("status"), err))
    if command != "":
        ok(obj.get("command") == command, "%s: command is %s" % (what, command), obj.get("command"))
    if extra:
        try:
            extra(obj)
            ok(True, "%s: what it reports" % what)
        except (AssertionError, KeyError, TypeError) as e:
            ok(False, "%s: what it reports" % what, "%r\n%s" % (e, json.dumps(obj, indent=1)[:1500]))
    return obj


def tree(name):
    """A private copy of the fixture tree NAME."""
    dst = os.path.join(WORK, name + "-%d" % n)
    shutil.copytree(os.path.join(FIXTURES, "config", name, "tree"), dst, symlinks=True)
    os.makedirs(os.path.join(dst, "etc"), exist_ok=True)
    return dst


WORK = tempfile.mkdtemp()
try:
    # The schema itself is a valid draft 2020-12 schema.
    try:
        json_contract.validator()
        ok(True, "the schema is a valid JSON Schema (draft 2020-12)")
    except Exception as e:  # noqa: BLE001
        ok(False, "the schema is a valid JSON Schema (draft 2020-12)", e)

    # Usage errors: exit 2, status failed, error.code 2.
    sysroot = tree("daemon-json")
    usage = [
        ("no command", ["--json"], None),
        ("an unknown command", ["--json", "bogus"], None),
        ("an unknown option", ["--json", "status", "--bogus"], "status"),
        ("a bad --fs before the command", ["--json", "--fs", "zfs", "move"], "move"),
        ("an option the command does not take", ["--json", "disks", "--wipe"], "disks"),
        ("a value given twice", ["--json", "move", "--device", "a", "--device", "b", "--dry-run"], "move"),
        ("an empty value", ["--json", "move", "--device", "", "--dry-run"], "move"),
        ("a missing argument", ["--json", "prepare"], "prepare"),
        ("one argument too many", ["--json", "grow", "/a", "/b"], "grow"),
        ("contradicting options", ["--json", "move", "--to", "/a", "--pre-copy", "--no-pre-copy"], "move"),
        ("a relative --to", ["--json", "move", "--to", "rel"], "move"),
        ("move without a target", ["--json", "move", "--dry-run"], "move"),
        ("move with --device and --to", ["--json", "move", "--device", "/dev/x", "--to", "/x"], "move"),
        ("a relative data root", ["--json", "--root", sysroot, "set-data-root", "rel"], "set-data-root"),
        ("a relative --root", ["--json", "--root", "rel", "status"], "status"),
        ("--root that does not exist", ["--json", "--root", "/nonexistent", "status"], "status"),
        ("--root without /etc", ["--json", "--root", "/proc/self/fdinfo", "status"], "status"),
        ("--root on move", ["--json", "--root", sysroot, "move", "--to", "/x", "--dry-run"], "move"),
        ("--root on rollback", ["--json", "--root", sysroot, "rollback", "--dry-run"], "rollback"),
        ("--root on cleanup", ["--json", "--root", sysroot, "cleanup", "--dry-run"], "cleanup"),
        ("--root on disks", ["--json", "--root", sysroot, "disks"], "disks"),
        ("rollback --resolved with --yes", ["--json", "rollback", "--resolved", "--yes"], "rollback"),
        ("--resolved on cleanup", ["--json", "cleanup", "--resolved"], "cleanup"),
        ("a label too long", ["--json", "move", "--device", "/dev/x", "--label", "x" * 17, "--dry-run"], "move"),
        ("prepare without --mount", ["--json", "--root", sysroot, "prepare", "/dev/null", "--dry-run"], "prepare"),
    ]
    # Every object has the members of every command, null and [] where
    # they do not apply.
    def none_apply(o):
        assert [o[k] for k in ("old_data_root", "new_data_root", "device", "steps")] == [None, None, None, []], o
    for what, args, command in usage:
        check("usage: " + what, args, 2, "failed", command=command, extra=none_apply)
    # Abbreviated long options, which getopt_long() takes: the object of a
    # usage error reads them as the parser does.
    check("usage: --jso abbreviates --json", ["status", "--jso", "--bogus"], 2, "failed", command="status")
    check("usage: --dry abbreviates --dry-run", ["--json", "move", "--to", "/x", "--dry", "--bogus"], 2, "failed",
          command="move", extra=lambda o: expect(o["dry_run"] is True))

    # --help and --version with --json: one object too, the text (or the
    # version) in it, nothing done; without --json, the text as it was.
    _, help_text, _ = run(["--help"])
    _, move_help, _ = run(["move", "--help"])
    _, version_text, _ = run(["--version"])
    ok(help_text.startswith("Usage: ") and move_help.startswith("Usage: ") and
       version_text.startswith("docker-relocate "), "--help and --version without --json: the text",
       help_text[:200] + move_help[:200] + version_text)

    def informs(key, text):
        def check_it(o):
            none_apply(o)
            assert o[key] == text, (o[key], text)
            assert ("help" if key == "version" else "version") not in o, o
        return check_it
    for what, args, command, key, text in (
            ("--json --help", ["--json", "--help"], None, "help", help_text),
            ("-h --json", ["-h", "--json"], None, "help", help_text),
            ("--jso --help", ["--jso", "--help"], None, "help", help_text),
            ("move --help --json", ["move", "--help", "--json"], "move", "help", move_help),
            ("move --dry-run --json --help", ["move", "--dry-run", "--json", "--help"], "move", "help", move_help),
            ("--json --version", ["--json", "--version"], None, "version", version_text.split()[-1]),
            ("status --version --json", ["status", "--version", "--json"], "status", "version",
             version_text.split()[-1]),
            ("--help and --version: the help", ["--json", "--version", "--help"], None, "help", help_text)):
        check(what, args, 0, "unchanged", command=command, extra=informs(key, text))
    # Not the object of a command that ran: status --help has no data root.
    obj = json.loads(run(["--json", "--help"])[1])
    obj["command"] = "status"
    ok(json_contract.validator().is_valid(obj), "schema: the object of status --help needs none of status's members")
    obj["status"] = "failed"
    ok(not json_contract.validator().is_valid(obj), "schema: the object of --help is no failure")
    obj = json.loads(run(["--json", "--help"])[1])
    obj["version"] = "0.1.0"
    ok(not json_contract.validator().is_valid(obj), "schema: an object has help or version, not both")

    # status: reads only. The data root in effect is its old and new one;
    # the device its filesystem is on is not known in a --root tree.
    for name in sorted(os.listdir(os.path.join(FIXTURES, "config"))):
        check("status --root (%s)" % name, ["--root", tree(name), "status", "--json"], 0, "unchanged",
              command="status", extra=lambda o: expect(o["changed"] is False and o["last_move"] is None and
                                                       o["selinux"]["mode"] == "disabled" and
                                                       o["old_data_root"] == o["data_root"]["path"] and
                                                       o["new_data_root"] == o["data_root"]["path"] and
                                                       o["device"] is None and o["steps"] == [], o))

    # status on a tree with SELinux enforcing: the mode, the tools of the
    # tree; its labels are not checked (restorecon reads the host's policy).
    root = tree("daemon-json")
    for path, content, mode in (("proc/self/mountinfo",
                                 "36 25 0:31 / /sys/fs/selinux rw,relatime shared:11 - selinuxfs selinuxfs rw\n",
                                 0o644),
                                ("sys/fs/selinux/enforce", "1", 0o644), ("usr/sbin/semanage", "#!/bin/sh\n", 0o755)):
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(content)
        os.chmod(os.path.join(root, path), mode)

    def selinux(o):
        assert o["selinux"] == {"mode": "enforcing", "selinuxfs": "/sys/fs/selinux",
                                "tools": {"semanage": True, "restorecon": False, "matchpathcon": False},
                                "labels": None}, o["selinux"]
    check("status --root: SELinux enforcing", ["--root", root, "status", "--json"], 0, "unchanged",
          command="status", extra=selinux)

    # status reports the last move from its journal.
    for phase, finished in (("done", True), ("configured", False), ("undone", True)):
        root = tree("daemon-json")
        os.makedirs(os.path.join(root, "var/lib/docker-relocate"))
        with open(os.path.join(root, "var/lib/docker-relocate/state.json"), "w") as f:
            json.dump({"version": 1, "started": "2026-01-02T03:04:05Z", "phase": phase,
                       "old_data_root": "/var/lib/docker", "new_data_root": "/mnt/docker-data/docker",
                       "device": "/dev/nvme1n1", "mount": "/mnt/docker-data"}, f)

        def last(o, phase=phase, finished=finished):
            m = o["last_move"]
            assert (m["phase"], m["old_data_root"], m["new_data_root"], m["device"], m["started"]) == (
                phase, "/var/lib/docker", "/mnt/docker-data/docker", "/dev/nvme1n1", "2026-01-02T03:04:05Z"), m
            assert (m["finished"] is not None) == finished, m
        check("status: the last move at %s" % phase, ["--root", root, "status", "--json"], 0, "unchanged",
              extra=last)

    # set-data-root: a dry run, the change, the same again, a refusal.
    root = tree("daemon-json")

    def planned(o):
        assert o["changed"] is False and o["dry_run"] is True, o
        assert "data-root" in o["plan"]["diff"] and o["plan"]["files"], o["plan"]
        assert o["new_data_root"] == "/data/docker" and o["old_data_root"] == "/srv/docker", o
        assert "diff" not in o, "the diff is in plan.diff only"
    dry = check("set-data-root --dry-run", ["--root", root, "set-data-root", "/data/docker", "--dry-run", "--json"],
                0, "planned", command="set-data-root", extra=planned)

    def changed(o):
        assert o["changed"] is True and o["dry_run"] is False, o
        assert "data-root" in o["plan"]["diff"], o["plan"]
        assert [s["name"] for s in o["steps"]] == ["configure"], o["steps"]
    done = check("set-data-root", ["--root", root, "set-data-root", "/data/docker", "--json"], 0, "changed",
                 extra=changed)
    # The dry run names the steps the run then takes, 0 s each.
    ok([s["name"] for s in dry.get("steps", [])] == [s["name"] for s in done.get("steps", [])] and
       dry.get("steps") and all(s["seconds"] == 0 for s in dry["steps"]),
       "set-data-root --dry-run: the steps the run takes, 0 s each", "%r\n%r" % (dry.get("steps"), done.get("steps")))

    def unchanged(o):
        assert o["changed"] is False and o["plan"]["diff"] is None and o["steps"] == [], o
    check("set-data-root again", ["--root", root, "set-data-root", "/data/docker", "--json"], 0, "unchanged",
          extra=unchanged)
    check("set-data-root --dry-run again", ["--root", root, "set-data-root", "/data/docker", "--dry-run",
                                            "--json"], 0, "unchanged", extra=unchanged)
    # On the containerd image store containerd's root is set too, and said.
    sid = os.path.join(WORK, "sid")
    shutil.copytree(os.path.join(FIXTURES, "containerd", "status-sid", "tree"), sid, symlinks=True)

    def both(o):
        assert o["containerd"]["old_root"] == "/var/lib/containerd", o["containerd"]
        assert o["containerd"]["new_root"] == "/data/containerd", o["containerd"]
        assert "/etc/containerd/config.toml" in [f["path"] for f in o["plan"]["files"]], o["plan"]
    check("set-data-root on the containerd store", ["--root", sid, "set-data-root", "/data/docker", "--dry-run",
                                                    "--json"], 0, "planned", command="set-data-root", extra=both)
    check("set-data-root, containerd left alone", ["--root", root, "set-data-root", "/data/docker", "--json"], 0,
          "unchanged", extra=lambda o: expect(o["containerd"] is None, o))
    # A signal while a command waits (here for a device that never comes):
    # with --json the one object all the same, a failure saying why, with
    # its code as the exit status; without, the signal ends the run as it
    # would any program.
    def interrupted(args, sig):
        p = subprocess.Popen([BIN] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        line = p.stderr.readline()  # "Waiting up to 30 s for ..."
        p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        return p.returncode, out, line + err
    # Under --root: the host's own disk lock in /run is not taken.
    wait_args = ["--root", tree("default"), "prepare", "/dev/docker-relocate-test-absent", "--mount", "/mnt/x",
                 "--wait-device", "30", "--dry-run"]
    import signal
    rc, out, err = interrupted(wait_args + ["--json"], signal.SIGTERM)
    found = json_contract.problems(out, rc)
    ok(not found and rc == 1 and json.loads(out)["error"]["message"] == "Interrupted by SIGTERM." and
       json.loads(out)["command"] == "prepare",
       "SIGTERM while waiting, --json: one object, a failure saying why, exit 1 (exit %d)" % rc,
       "\n".join(found) + "\n" + out + err)
    rc, out, err = interrupted(wait_args, signal.SIGINT)
    ok(rc == -signal.SIGINT and out == "", "SIGINT while waiting, no --json: ended by the signal (%d)" % rc, err)

    # The data root it already is: nothing to write, wherever it is set
    # (a flag of the packaged unit, or nowhere: the default).
    for name, current in (("vendor-flag", "/srv/docker"), ("default", "/var/lib/docker")):
        t = tree(name)
        check("set-data-root to the data root in effect (%s)" % name,
              ["--root", t, "set-data-root", current, "--json"], 0, "unchanged", extra=unchanged)
        ok(not os.path.exists(os.path.join(t, "etc/docker/daemon.json")) and
           not os.path.exists(os.path.join(t, "etc/systemd/system/docker.service.d")),
           "set-data-root to the data root in effect (%s): no file written" % name)
    check("set-data-root on invalid JSON: refused", ["--root", tree("invalid-json"), "set-data-root", "/data/docker",
                                                     "--json"], 3, "refused", command="set-data-root")
    # --root that is no system root writes nothing there.
    typo = os.path.join(WORK, "typo")
    check("set-data-root --root to a typo", ["--root", typo, "set-data-root", "/srv/x", "--json"], 2, "failed")
    ok(not os.path.exists(typo), "set-data-root --root to a typo creates nothing")

    # The commands of the running host, as a user who may not run them:
    # failures, each one object with its code.
    for what, args in (("move --dry-run", ["move", "--to", "/nonexistent", "--dry-run", "--json"]),
                       ("move --device --dry-run", ["move", "--device", "/dev/nonexistent", "--dry-run", "--json"]),
                       ("rollback --dry-run", ["rollback", "--dry-run", "--json"]),
                       ("rollback --yes", ["rollback", "--yes", "--json"]),
                       ("rollback --resolved", ["rollback", "--resolved", "--json"]),
                       ("rollback --resolved --dry-run", ["rollback", "--resolved", "--dry-run", "--json"]),
                       ("cleanup --dry-run", ["cleanup", "--dry-run", "--json"]),
                       ("cleanup --yes", ["cleanup", "--yes", "--json"]),
                       ("grow --dry-run", ["grow", "/nonexistent", "--dry-run", "--json"])):
        check("unprivileged " + what, args, 1, "failed", unprivileged=True, command=args[0])

    # disks reads /sys only.
    def disks(o):
        assert isinstance(o["disks"], list), o
        none_apply(o)
    check("disks", ["disks", "--json"], 0, "unchanged", command="disks", extra=disks)

    # prepare on what is no block device, as a dry run: the device as
    # given, no data root.
    root = tree("daemon-json")
    daemon_json = os.path.join(root, "etc/docker/daemon.json")
    check("prepare of a file", ["--root", root, "prepare", daemon_json, "--mount", "/mnt/x", "--dry-run", "--json"],
          1, "failed", command="prepare",
          extra=lambda o: expect((o["old_data_root"], o["new_data_root"], o["device"], o["steps"]) ==
                                 (None, None, daemon_json, []), o))

    # grow of what no block device backs: refused (3), with every reason
    # in refusals and, a line each, in error.message; as any user, it reads
    # the mount table only.
    def grow_refused(o):
        assert o["changed"] is False and o["dry_run"] is True and o["steps"] == [], o
        assert o["mount"] == "/proc" and o["device"] is None, o
        assert len(o["refusals"]) == 1 and "not mounted from a block device" in o["refusals"][0], o
        assert o["error"]["message"] == "\n".join(o["refusals"]), o
    for user in (False, True):
        check("grow of /proc%s" % (" (unprivileged)" if user else ""), ["grow", "/proc", "--dry-run", "--json"], 3,
              "refused", unprivileged=user, command="grow", extra=grow_refused)

    # The final pass of each tree, as the moves of the root suite print it
    # (checked there on every --json run): the schema takes each kind with
    # its own fields only.
    import jsonschema
    whole = json_contract.validator().schema
    fp = jsonschema.Draft202012Validator(dict(whole["$defs"]["move"]["properties"]["final_pass"],
                                              **{"$defs": whole["$defs"]}))
    for what, entries, valid in (
            ("a tracked final pass", [{"what": "data root", "kind": "changes", "directories": 14, "reason": None}],
             True),
            ("a full walk and why", [{"what": "data root", "kind": "full", "directories": None,
                                      "reason": "there was no pre-copy (--no-pre-copy)"},
                                     {"what": "containerd root", "kind": "full", "directories": None,
                                      "reason": "the copier is rsync, which compares the whole tree"}], True),
            ("no final pass in this run", [], True),
            ("a tracked pass with a reason", [{"what": "data root", "kind": "changes", "directories": 3,
                                               "reason": "why"}], False),
            ("a full walk without its reason", [{"what": "data root", "kind": "full", "directories": None,
                                                 "reason": None}], False),
            ("a full walk with a count", [{"what": "data root", "kind": "full", "directories": 3,
                                           "reason": "why"}], False),
            ("another kind", [{"what": "data root", "kind": "partial", "directories": 3, "reason": None}], False)):
        errors = list(fp.iter_errors(entries))
        ok(not errors if valid else bool(errors), "schema: final_pass, %s: %s" % (what, "valid" if valid else
                                                                                   "invalid"), errors)

    # The members of every command are required of every object: a usage
    # error's object without one of them breaks the contract.
    rc, out, _ = run(["--json", "bogus"])
    for key in ("old_data_root", "new_data_root", "device", "steps"):
        obj = json.loads(out)
        del obj[key]
        ok(not json_contract.validator().is_valid(obj), "schema: an object without %s is invalid" % key)

    # Exit 5 is a failure that left the host changed: its object says
    # what to do, always.
    rc, out, _ = run(["--json", "bogus"])
    for what, advice, valid in (("with advice", "Unmount /mnt/x.", True), ("without advice", None, False),
                                ("with an empty advice", "", False)):
        obj = json.loads(out)
        obj.update(command="prepare", status="needs-human", changed=True, error={"code": 5, "message": "Failed.", "advice": advice})
        ok(json_contract.validator().is_valid(obj) == valid, "schema: needs-human %s is %s" %
           (what, "valid" if valid else "invalid"))
    del obj["error"]["advice"]
    ok(not json_contract.validator().is_valid(obj), "schema: needs-human with no advice member is invalid")

    # Every phase a journal can be at is one "status" may report: the
    # schema's list against the names the journal writes (journal.c).
    import re
    with open(os.path.join(HERE, "..", "..", "src", "move", "journal.c")) as f:
        written = set(re.findall(r'\[PHASE_[A-Z_]+\] = "([a-z-]+)"', f.read()))
    lm = whole["$defs"]["status"]["properties"]["last_move"]["oneOf"][1]["properties"]["phase"]["enum"]
    ok(len(written) > 10 and written == set(lm), "schema: last_move.phase lists every phase the journal writes",
       "the journal writes %s; the schema lists %s" % (sorted(written), sorted(lm)))
finally:
    shutil.rmtree(WORK, ignore_errors=True)

print("1..%d" % n)
sys.exit(1 if failed else 0)
