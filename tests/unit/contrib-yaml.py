#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# What contrib/ gives cloud-init and Ansible: the unit
# docker-relocate-move.service has what systemd needs (systemd-analyze
# verify too) and runs the move unattended; the cloud-init user-data
# examples parse, write the unit's options (by volume id, waiting for the
# device) and enable it once per instance; the Ansible playbook parses and
# calls the collection's module. Without python3-yaml only what can be
# checked in plain text is. cloud-init and Ansible themselves read these
# files in the VM suite.
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tap  # noqa: E402
from tap import ok  # noqa: E402

SRCDIR = os.environ.get("SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
CONTRIB = os.path.join(SRCDIR, "contrib")

try:
    import yaml
except ImportError:
    yaml = None

def read(path):
    with open(os.path.join(CONTRIB, path)) as f:
        return f.read()


def check_move(argv, where):
    ok(argv[:2] == ["docker-relocate", "move"], where + ": runs docker-relocate move")
    ok("--device" in argv and argv[argv.index("--device") + 1].startswith("vol-"), where + ": by volume id")
    ok("--wait-device" in argv and argv[argv.index("--wait-device") + 1].isdigit(), where + ": waits for the device")
    ok("--yes" in argv and "--json" in argv, where + ": --yes --json (no terminal)")
    ok("--dry-run" not in argv, where + ": not a dry run")


UNIT_IN = os.path.join(CONTRIB, "systemd", "docker-relocate-move.service.in")
ENV_FILE = "/etc/default/docker-relocate"
ENABLE = ["systemctl", "enable", "--now", "--no-block", "docker-relocate-move.service"]


def unit_values(text, key):
    return [m.group(1) for m in re.finditer(r"^%s=(.*)$" % re.escape(key), text, re.M)]


def unit_words(text, key):
    return " ".join(unit_values(text, key)).split()


# The unit both examples enable: it runs the move with the options of the
# environment file the user-data writes.
with open(UNIT_IN) as f:
    unit = f.read()
exec_start = unit_values(unit, "ExecStart")
ok(exec_start == ["@SBINDIR@/docker-relocate move $DOCKER_RELOCATE_MOVE_OPTIONS --yes --json"],
   "unit: runs the installed docker-relocate move with the options, --yes --json")
ok(unit_values(unit, "EnvironmentFile") == [ENV_FILE] and unit_values(unit, "ConditionPathExists") == [ENV_FILE],
   "unit: reads " + ENV_FILE + " and does not start without it")
ok("docker.service" in unit_words(unit, "After") and "docker.service" in unit_words(unit, "Wants"),
   "unit: wants docker.service and runs after it")
# Ordering after a target that nothing pulls in orders after nothing: every
# unit it runs after, it also wants (sysinit and basic are always there).
after = set(unit_words(unit, "After")) - {"sysinit.target", "basic.target"}
ok(after <= set(unit_words(unit, "Wants")), "unit: wants every unit it orders itself after")
ok("network-online.target" not in unit, "unit: does not wait for the network (the move needs none)")
ok(unit_values(unit, "Type") == ["oneshot"], "unit: a oneshot")
# A target waits for every unit it wants that has default dependencies:
# with them, a volume attached late would hold multi-user.target.
ok(unit_values(unit, "DefaultDependencies") == ["no"] and "shutdown.target" in unit_words(unit, "Conflicts"),
   "unit: the boot does not wait for it, shutdown stops it")
ok(any("disable docker-relocate-move.service" in v for v in unit_values(unit, "ExecStartPost")),
   "unit: disables itself after a successful move")
# systemd opens a truncate: output again for every command of the unit, so
# the ExecStartPost= would empty the file after the move: the file is
# emptied before the move and appended to, and nothing else writes to it.
ok(unit_values(unit, "StandardOutput") == ["append:/var/log/docker-relocate.json"] and
   unit_values(unit, "ExecStartPre") == ["truncate --size=0 /var/log/docker-relocate.json"],
   "unit: the JSON log holds the last run's one object (emptied before each run)")
ok(all(v.split()[:2] == ["systemctl", "--quiet"] for v in unit_values(unit, "ExecStartPost")),
   "unit: what runs after the move writes nothing to the JSON log")
ok(unit_values(unit, "WantedBy") == ["multi-user.target"], "unit: enabling it starts it on every boot until it succeeds")

analyze = shutil.which("systemd-analyze")
if analyze:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "docker-relocate-move.service")
        with open(path, "w") as f:
            f.write(unit.replace("@SBINDIR@", os.path.dirname(os.environ.get("DOCKER_RELOCATE", "/usr/sbin/x"))))
        p = subprocess.run([analyze, "verify", "--man=no", path], capture_output=True, text=True)
        complaints = [line for line in (p.stdout + p.stderr).splitlines() if "docker-relocate-move.service" in line]
        ok(not complaints, "unit: systemd-analyze verify has nothing to say about it")
        for line in complaints:
            print("#   " + line)
else:
    tap.skip_missing("unit: systemd-analyze verify", "systemd-analyze (package systemd)")


def check_user_data(name, key):
    text = read("cloud-init/user-data-%s.yaml" % name)
    ok(text.startswith("#cloud-config\n"), name + ": starts with #cloud-config")
    if not yaml:
        tap.skip_missing(name + ": parses", "python3-yaml")
        return None
    data = yaml.safe_load(text)
    ok(isinstance(data, dict) and isinstance(data.get(key), list), "%s: parses, with a %s list" % (name, key))
    files = [f for f in data.get("write_files", []) if f.get("path") == ENV_FILE]
    ok(len(files) == 1, "%s: write_files writes %s" % (name, ENV_FILE))
    env = files[0].get("content", "") if files else ""
    m = re.search(r"^DOCKER_RELOCATE_MOVE_OPTIONS=(.*)$", env, re.M)
    # systemd takes the quoted value as one string and splits $VAR on white
    # space when it runs the command.
    options = [w for part in shlex.split(m.group(1)) for w in part.split()] if m else []
    # What the unit runs with these options.
    check_move(["docker-relocate", "move"] + options + ["--yes", "--json"], name + " + unit")
    commands = data.get(key, [])
    ok(not any("docker-relocate" in str(c) and "docker-relocate-move.service" not in str(c) for c in commands),
       name + ": does not run docker-relocate itself")
    return commands


# cloud-init: runcmd (once per instance by itself).
commands = check_user_data("runcmd", "runcmd")
if commands is not None:
    ok(commands == [ENABLE], "runcmd: enables and starts the unit without waiting for it")

# cloud-init: bootcmd (every boot, so once per instance through
# cloud-init-per instance: "once" would not run again on an instance made
# from an image of this one).
commands = check_user_data("bootcmd", "bootcmd")
if commands is not None:
    ok(all(isinstance(c, list) and c[:2] == ["cloud-init-per", "instance"] for c in commands),
       "bootcmd: every command runs once per instance (cloud-init-per instance)")
    ok([c[3:] for c in commands] == [ENABLE], "bootcmd: enables and starts the unit without waiting for it")

# Ansible: the playbook.
text = read("ansible/playbook.yml")
if yaml:
    plays = yaml.safe_load(text)
    ok(isinstance(plays, list) and len(plays) >= 1, "playbook: parses, a list of plays")
    play = plays[0]
    ok(play.get("serial") == 1, "playbook: serial: 1 (one host at a time)")
    ok(play.get("max_fail_percentage") == 0, "playbook: max_fail_percentage: 0")
    tasks = play.get("tasks", [])
    relocate = [t for t in tasks if "docker_relocate.relocate.docker_relocate" in t]
    ok(len(relocate) == 1 and relocate[0].get("register"),
       "playbook: runs the module by its collection name and registers its result")
    ok(not any(k == "docker_relocate" or k.startswith("docker_relocate_") for t in tasks for k in t),
       "playbook: no short module names")
    asserts = [t for t in tasks if "ansible.builtin.assert" in t or "assert" in t]
    ok(any("relocate.status" in " ".join(a.get("ansible.builtin.assert", a.get("assert", {})).get("that", []))
           for a in asserts), "playbook: checks the result")
else:
    tap.skip_missing("playbook: parses", "python3-yaml")
    ok(re.search(r"^\s+serial: 1$", text, re.M) is not None, "playbook: serial: 1")
    ok(re.search(r"^\s+max_fail_percentage: 0$", text, re.M) is not None, "playbook: max_fail_percentage: 0")

sys.exit(tap.done_testing())
