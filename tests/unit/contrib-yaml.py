#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The YAML under contrib/: the cloud-init user-data examples and the Ansible
# playbook parse, have the keys their consumer reads, and run docker-relocate
# the way the examples promise (unattended, with JSON, by volume id); the
# shell they embed passes "sh -n", and the unit the bootcmd example writes
# has what systemd needs. Without python3-yaml only the structure that can
# be checked in plain text is. cloud-init and Ansible themselves read these
# files in the VM suite.
import os
import re
import shlex
import subprocess
import sys

SRCDIR = os.environ.get("SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
CONTRIB = os.path.join(SRCDIR, "contrib")

try:
    import yaml
except ImportError:
    yaml = None

n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))


def skip(what, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, what, why))


def read(path):
    with open(os.path.join(CONTRIB, path)) as f:
        return f.read()


def sh_syntax_ok(script):
    return subprocess.run(["sh", "-n"], input=script, text=True).returncode == 0


def script_of(command):
    """The script of a ["sh", "-c", SCRIPT] list, or the command as a shell line."""
    if isinstance(command, list) and command[:2] == ["sh", "-c"]:
        return command[2]
    if isinstance(command, list):
        return " ".join(shlex.quote(str(c)) for c in command)
    return command


def move_invocation(text):
    """The docker-relocate move command line in text, joined across backslash newlines."""
    text = text.replace("\\\n", " ")
    m = re.search(r"docker-relocate move [^\n>]*", text)
    return m.group(0).split() if m else []


def check_move(argv, where):
    ok(argv[:2] == ["docker-relocate", "move"], where + ": runs docker-relocate move")
    ok("--device" in argv and argv[argv.index("--device") + 1].startswith("vol-"), where + ": by volume id")
    ok("--wait-device" in argv and argv[argv.index("--wait-device") + 1].isdigit(), where + ": waits for the device")
    ok("--yes" in argv and "--json" in argv, where + ": --yes --json (no terminal)")
    ok("--dry-run" not in argv, where + ": not a dry run")


# cloud-init: runcmd.
text = read("cloud-init/user-data-runcmd.yaml")
ok(text.startswith("#cloud-config\n"), "runcmd: starts with #cloud-config")
if yaml:
    data = yaml.safe_load(text)
    ok(isinstance(data, dict) and isinstance(data.get("runcmd"), list), "runcmd: parses, with a runcmd list")
    scripts = [script_of(c) for c in data.get("runcmd", [])]
    ok(all(sh_syntax_ok(s) for s in scripts), "runcmd: its shell passes sh -n")
    script = "\n".join(scripts)
else:
    skip("runcmd: parses", "no python3-yaml")
    skip("runcmd: its shell passes sh -n", "no python3-yaml")
    ok(re.search(r"^runcmd:\s*$", text, re.M) is not None, "runcmd: has a runcmd key")
    script = text
check_move(move_invocation(script), "runcmd")
ok("/var/log/docker-relocate" in script, "runcmd: logs to a file")
ok("docker info" in script, "runcmd: waits for Docker before the move")

# cloud-init: bootcmd.
text = read("cloud-init/user-data-bootcmd.yaml")
ok(text.startswith("#cloud-config\n"), "bootcmd: starts with #cloud-config")
if yaml:
    data = yaml.safe_load(text)
    ok(isinstance(data, dict) and isinstance(data.get("bootcmd"), list), "bootcmd: parses, with a bootcmd list")
    cmds = data.get("bootcmd", [])
    ok(all(isinstance(c, list) and c[:2] == ["cloud-init-per", "once"] for c in cmds),
       "bootcmd: every command runs once per instance (cloud-init-per once)")
    scripts = [script_of(c[3:]) for c in cmds]
    ok(all(sh_syntax_ok(s) for s in scripts), "bootcmd: its shell passes sh -n")
    script = "\n".join(scripts)
    m = re.search(r"<<'UNIT'\n(.*?)\nUNIT\n", script, re.S)
    unit = m.group(1) if m else ""
else:
    skip("bootcmd: parses", "no python3-yaml")
    skip("bootcmd: cloud-init-per once", "no python3-yaml")
    skip("bootcmd: its shell passes sh -n", "no python3-yaml")
    ok(re.search(r"^bootcmd:\s*$", text, re.M) is not None, "bootcmd: has a bootcmd key")
    script = text
    unit = text
# Early in boot nothing may be moved: the move runs from the unit only.
outside = re.sub(r"<<'UNIT'\n.*?\nUNIT\n", "", script, flags=re.S)
ok(re.search(r"(?m)(^|[;&|]|\bthen|\bdo)\s*(exec\s+)?(\S*/)?docker-relocate\s", outside) is None,
   "bootcmd: does not run docker-relocate itself")
ok(re.search(r"^After=.*docker\.service", unit, re.M) is not None, "bootcmd: the unit runs after docker.service")
ok(re.search(r"^Type=oneshot$", unit, re.M) is not None, "bootcmd: the unit is a oneshot")
exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M)
check_move(exec_start.group(1).split() if exec_start else [], "bootcmd unit")
ok(re.search(r"^ExecStartPost=.*disable docker-relocate-move\.service", unit, re.M) is not None,
   "bootcmd: the unit disables itself after a successful move")
ok("--no-block" in outside, "bootcmd: starts the unit without waiting for it")
# A target waits for every unit it wants that has default dependencies:
# with them, a volume attached late would hold multi-user.target.
ok(re.search(r"^DefaultDependencies=no$", unit, re.M) is not None and
   re.search(r"^Conflicts=shutdown\.target$", unit, re.M) is not None,
   "bootcmd: the boot does not wait for the unit, shutdown stops it")

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
    skip("playbook: parses", "no python3-yaml")
    ok(re.search(r"^\s+serial: 1$", text, re.M) is not None, "playbook: serial: 1")
    ok(re.search(r"^\s+max_fail_percentage: 0$", text, re.M) is not None, "playbook: max_fail_percentage: 0")

print("1..%d" % n)
sys.exit(1 if failed else 0)
