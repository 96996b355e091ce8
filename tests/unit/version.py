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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tap  # noqa: E402

SRCDIR = os.environ["SRCDIR"]
VERSION = os.environ["PROJECT_VERSION"]
BIN = os.environ["DOCKER_RELOCATE"]


def version_ok(cond, what, got=None):
    """tap.ok, showing GOT against the project's version when COND fails."""
    return tap.ok(cond, what, "" if got is None else "got %r, expected %r" % (got, VERSION))


def read(path):
    try:
        with open(os.path.join(SRCDIR, path)) as f:
            return f.read()
    except OSError as e:
        return "(%s)" % e


def first(pattern, text, flags=re.M):
    m = re.search(pattern, text, flags)
    return m.group(1) if m else None


version_ok(re.fullmatch(r"\d+\.\d+\.\d+", VERSION) is not None, "meson.build's version is MAJOR.MINOR.PATCH", VERSION)

out = subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.strip()
version_ok(out == "docker-relocate " + VERSION, "docker-relocate --version", out)

changelog = read("debian/changelog")
got = first(r"\Adocker-relocate \(([^)]+)\) ", changelog)
version_ok(got == VERSION, "debian/changelog: the newest entry", got)
version_ok(read("debian/source/format").strip() == "3.0 (native)", "debian/source/format: native, so no Debian revision")

spec = read("docker-relocate.spec")
got = first(r"^Version:\s*(\S+)$", spec)
version_ok(got == VERSION, "docker-relocate.spec: Version:", got)
entry = first(r"^%changelog\n\*[^\n]*? - (\S+)$", spec)
got = entry.rsplit("-", 1)[0] if entry else None
version_ok(got == VERSION, "docker-relocate.spec: the newest %changelog entry", entry)

got = first(r"^docker-relocate (\S+)\n=+$", read("NEWS"))
version_ok(got == VERSION, "NEWS: the newest release", got)

got = first(r"^version:\s*['\"]?([^'\"\s]+)['\"]?\s*$", read("contrib/ansible/galaxy.yml"))
version_ok(got == VERSION, "contrib/ansible/galaxy.yml: version", got)

sys.exit(tap.done_testing())
