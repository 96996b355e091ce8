#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The version lives in one place, meson.build's project(version:); every file
# that must repeat it says the same: the program's --version, debian/changelog
# (a native package: exactly the version), docker-relocate.spec (Version: and
# its newest %changelog entry), NEWS (its newest release) and the Ansible
# collection's galaxy.yml.
import os
import re
import subprocess
import sys

SRCDIR = os.environ["SRCDIR"]
VERSION = os.environ["PROJECT_VERSION"]
BIN = os.environ["DOCKER_RELOCATE"]

n = 0
failed = 0


def ok(cond, what, got=None):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond and got is not None:
        print("#   got %r, expected %r" % (got, VERSION))


def read(path):
    try:
        with open(os.path.join(SRCDIR, path)) as f:
            return f.read()
    except OSError as e:
        return "(%s)" % e


def first(pattern, text, flags=re.M):
    m = re.search(pattern, text, flags)
    return m.group(1) if m else None


ok(re.fullmatch(r"\d+\.\d+\.\d+", VERSION) is not None, "meson.build's version is MAJOR.MINOR.PATCH", VERSION)

out = subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.strip()
ok(out == "docker-relocate " + VERSION, "docker-relocate --version", out)

changelog = read("debian/changelog")
got = first(r"\Adocker-relocate \(([^)]+)\) ", changelog)
ok(got == VERSION, "debian/changelog: the newest entry", got)
ok(read("debian/source/format").strip() == "3.0 (native)", "debian/source/format: native, so no Debian revision")

spec = read("docker-relocate.spec")
got = first(r"^Version:\s*(\S+)$", spec)
ok(got == VERSION, "docker-relocate.spec: Version:", got)
entry = first(r"^%changelog\n\*[^\n]*? - (\S+)$", spec)
got = entry.rsplit("-", 1)[0] if entry else None
ok(got == VERSION, "docker-relocate.spec: the newest %changelog entry", entry)

got = first(r"^docker-relocate (\S+)\n=+$", read("NEWS"))
ok(got == VERSION, "NEWS: the newest release", got)

got = first(r"^version:\s*['\"]?([^'\"\s]+)['\"]?\s*$", read("contrib/ansible/galaxy.yml"))
ok(got == VERSION, "contrib/ansible/galaxy.yml: version", got)

print("1..%d" % n)
sys.exit(1 if failed else 0)
