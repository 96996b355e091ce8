# -*- coding: utf-8 -*-

# Copyright: (c) 2026, docker-relocate maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the docker_relocate modules share: finding and running the
docker-relocate program, reading its one JSON result object, the record of
its last move, and turning its exit status into an Ansible failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json

# The tool's record of its last move (docker-relocate(8), FILES).
STATE_FILE = "/var/lib/docker-relocate/state.json"

# Where the tool is installed by its packages (sbin is often not on the
# PATH of a non-interactive login).
EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"]

# The status of a dry run that would change something: one vocabulary for
# every command (docker-relocate(8), JSON OUTPUT).
PLANNED = ("planned",)

# What each failing exit status of the tool means (docker-relocate(8)).
FAILURES = {
    2: "docker-relocate rejected the command line",
    3: "docker-relocate refused as unsafe; nothing was changed",
    4: "The move failed and was rolled back; Docker runs as before",
    5: "The move failed and was NOT rolled back; the host needs a human",
}

# The report's fields that the modules return at the top level.
REPORT_KEYS = ("old_data_root", "new_data_root", "device", "volume_id", "downtime_seconds", "steps")


def executable(module):
    """The docker-relocate program: the executable option as a path, or
    looked up on the PATH and in the sbin directories."""
    name = module.params["executable"]
    if "/" in name:
        return name
    return module.get_bin_path(name, required=True, opt_dirs=EXTRA_DIRS)


class RecordUnreadable(Exception):
    """The record exists but cannot be read (not root: it is 0600)."""


def last_move(path=None):
    """The record of the last move (phase, old and new data root), or None
    when the tool never moved anything on this host. Raises
    RecordUnreadable when the record is there but cannot be read: a
    task without become must not take that for no move at all."""
    try:
        with open(path or STATE_FILE) as f:
            state = json.load(f)
    except (IOError, OSError) as e:
        if e.errno == errno.ENOENT:
            return None
        raise RecordUnreadable("%s: %s" % (path or STATE_FILE, e.strerror))
    except ValueError:
        return None
    if not isinstance(state, dict):
        return None
    return dict((k, state.get(k)) for k in ("phase", "old_data_root", "new_data_root", "started"))


def run(module, cmd):
    """Runs cmd (which asks for --json) and returns (rc, report, stderr).
    Fails the task when the tool printed no JSON object."""
    rc, out, err = module.run_command(cmd)
    try:
        report = json.loads(out) if out.strip() else None
    except ValueError:
        report = None
    if not isinstance(report, dict):
        detail = err.strip().splitlines()[-1] if err.strip() else "no output"
        module.fail_json(msg="docker-relocate printed no JSON result (%s)" % detail,
                         cmd=cmd, rc=rc, stdout=out, stderr=err)
    return rc, report, err


def diff_of(report):
    """The unified diff of the configuration in a report: plan.diff, for
    every command that has a plan."""
    plan = report.get("plan")
    return plan.get("diff") if isinstance(plan, dict) else None


def fail(module, report, err, **result):
    """Fails the task with the tool's own message and the meaning of its exit
    status (result["rc"]). Only exit 5 (not rolled back) may have changed the
    host."""
    rc = result["rc"]
    error = report.get("error") or {}
    msg = FAILURES.get(rc, "docker-relocate failed")
    detail = error.get("message")
    if not detail and err.strip():
        detail = err.strip().splitlines()[-1]
    if detail:
        msg += ": " + detail
    if error.get("advice"):
        msg += " " + error["advice"]
    # The tool's own answer, when it gave one: a move that failed before
    # the stop may have written (the journal, a volume it took back).
    module.fail_json(msg=msg, changed=bool(report.get("changed", rc == 5)), **result)
