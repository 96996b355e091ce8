#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: docker_relocate
short_description: Move Docker's data root onto a dedicated volume
description:
  - Runs C(docker-relocate) on the target host to move Docker's data root
    onto a volume (an AWS EBS volume by id, a device) or into a directory on
    an already mounted filesystem, and to roll such a move back or remove the
    old data root afterwards.
  - The tool prepares the volume (filesystem, mount, C(/etc/fstab)), copies
    the data root with Docker stopped as briefly as it can, rewrites the data
    root where this host configures it, starts Docker and verifies it. A
    failure after Docker was stopped is rolled back by the tool itself.
  - Idempotent. A move that is already done is reported unchanged; a volume
    the tool prepared before is reused, never reformatted.
  - Check mode runs the tool with C(--dry-run) and reports whether the move
    would change anything. With C(--diff) the configuration change is shown.
version_added: "0.1.0"
options:
  state:
    description:
      - C(moved) moves the data root (C(docker-relocate move)).
      - C(rolled_back) undoes the last finished move (C(docker-relocate rollback --yes)).
      - C(cleaned) removes the old data root after a verified move (C(docker-relocate cleanup --yes)).
    type: str
    choices: [moved, rolled_back, cleaned]
    default: moved
  device:
    description:
      - The volume to move to, as C(docker-relocate move --device) takes it
        (C(/dev/nvme1n1), C(sdf), C(vol-0123456789abcdef0), C(UUID=...), C(LABEL=...)).
      - Exactly one of I(device) and I(to) is required with I(state=moved).
    type: str
  mount:
    description: Where to mount the volume (the tool's default is C(/mnt/docker-data)).
    type: path
  to:
    description: Move into this empty directory on an already mounted filesystem instead of a device.
    type: path
  fs:
    description: The filesystem to make on the volume.
    type: str
    choices: [ext4, xfs]
  label:
    description: The filesystem label.
    type: str
  partition:
    description: Make one GPT partition over the disk instead of using the whole disk.
    type: bool
    default: false
  wipe:
    description: Allow overwriting a device that holds signatures (a filesystem, a partition table).
    type: bool
    default: false
  pre_copy:
    description:
      - Copy once while Docker runs, to shorten the downtime (C(true)), or only while it is stopped (C(false)).
      - Unset leaves the tool's default (a pre-copy).
    type: bool
  delete_old:
    description: Delete the old data root once the move was verified.
    type: bool
    default: false
  wait_device:
    description: Seconds to wait for the device to appear (a volume attached after boot).
    type: int
  binary:
    description: The docker-relocate program on the target host.
    type: path
    default: docker-relocate
notes:
  - "Needs root on the target (C(become: true))."
  - Supports check mode and diff mode.
  - "Move one host at a time (C(serial: 1)): Docker is stopped during the final copy."
author:
  - docker-relocate authors
"""

EXAMPLES = r"""
- name: Move Docker onto the EBS volume attached for it
  docker_relocate:
    device: vol-0123456789abcdef0
    wait_device: 300
  register: relocate

- name: Move into a directory on a filesystem that is already mounted
  docker_relocate:
    to: /srv/docker

- name: Roll the last move back
  docker_relocate:
    state: rolled_back

- name: Remove the old data root once everything is fine
  docker_relocate:
    state: cleaned
"""

RETURN = r"""
status:
  description: >-
    The tool's status: C(done), C(unchanged), C(planned) (check mode),
    C(rolled-back), C(cleaned), C(refused) or C(failed).
  returned: always
  type: str
  sample: done
old_data_root:
  description: The data root before the move.
  returned: when known
  type: str
  sample: /var/lib/docker
new_data_root:
  description: The data root after the move.
  returned: when known
  type: str
  sample: /mnt/docker-data/docker
device:
  description: The device the data root was moved to.
  returned: when known
  type: str
  sample: /dev/nvme1n1
downtime_seconds:
  description: How long Docker was stopped.
  returned: after a move
  type: float
  sample: 12.4
steps:
  description: The steps run, each with its name and seconds.
  returned: when the tool reports them
  type: list
  elements: dict
relocate:
  description: The whole JSON object the tool printed (C(--json)).
  returned: always
  type: dict
cmd:
  description: The command run.
  returned: always
  type: list
  elements: str
rc:
  description: The tool's exit status (0 success, 3 refused, 4 rolled back, 5 needs a human).
  returned: always
  type: int
stderr:
  description: The tool's log lines.
  returned: when the tool ran
  type: str
"""

import json

from ansible.module_utils.basic import AnsibleModule

STATE_FILE = "/var/lib/docker-relocate/state.json"

# What each failing exit status of the tool means (see docker-relocate(8)).
FAILURES = {
    2: "docker-relocate rejected the command line",
    3: "docker-relocate refused as unsafe; nothing was changed",
    4: "The move failed and was rolled back; Docker runs as before",
    5: "The move failed and was NOT rolled back; the host needs a human",
}


def last_phase():
    """The phase of the last move the tool recorded, or None."""
    try:
        with open(STATE_FILE) as f:
            return json.load(f).get("phase")
    except (OSError, ValueError, AttributeError):
        return None


def build_command(module, binary):
    p = module.params
    state = p["state"]
    if state == "rolled_back":
        cmd = [binary, "rollback"]
    elif state == "cleaned":
        cmd = [binary, "cleanup"]
    else:
        cmd = [binary, "move"]
        if p["device"]:
            cmd += ["--device", p["device"]]
            for opt, name in (("--mount", "mount"), ("--fs", "fs"), ("--label", "label")):
                if p[name]:
                    cmd += [opt, p[name]]
            if p["wait_device"] is not None:
                cmd += ["--wait-device", str(p["wait_device"])]
            if p["partition"]:
                cmd.append("--partition")
            if p["wipe"]:
                cmd.append("--wipe")
        else:
            cmd += ["--to", p["to"]]
        if p["pre_copy"] is not None:
            cmd.append("--pre-copy" if p["pre_copy"] else "--no-pre-copy")
        if p["delete_old"]:
            cmd.append("--delete-old")
    # Check mode asks for the plan; only a real run may confirm.
    cmd.append("--dry-run" if module.check_mode else "--yes")
    cmd.append("--json")
    return cmd


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="moved", choices=["moved", "rolled_back", "cleaned"]),
            device=dict(type="str"),
            mount=dict(type="path"),
            to=dict(type="path"),
            fs=dict(type="str", choices=["ext4", "xfs"]),
            label=dict(type="str"),
            partition=dict(type="bool", default=False),
            wipe=dict(type="bool", default=False),
            pre_copy=dict(type="bool"),
            delete_old=dict(type="bool", default=False),
            wait_device=dict(type="int"),
            binary=dict(type="path", default="docker-relocate"),
        ),
        mutually_exclusive=[["device", "to"]],
        required_if=[["state", "moved", ["device", "to"], True]],
        supports_check_mode=True,
    )
    p = module.params

    disk_options = ("mount", "fs", "label", "partition", "wipe")
    if p["to"] and (any(p[k] for k in disk_options) or p["wait_device"] is not None):
        module.fail_json(msg="mount, fs, label, partition, wipe and wait_device go with device, not with to.")

    # The tool refuses to undo what is already undone; for Ansible that is
    # the desired state reached, not an error.
    phase = last_phase()
    if (p["state"] == "rolled_back" and phase == "undone") or (p["state"] == "cleaned" and phase == "cleaned"):
        module.exit_json(changed=False, status="unchanged", relocate={}, cmd=[], rc=0)

    binary = p["binary"]
    if "/" not in binary:
        binary = module.get_bin_path(binary, required=True, opt_dirs=["/usr/local/sbin", "/usr/sbin", "/sbin"])
    cmd = build_command(module, binary)
    rc, out, err = module.run_command(cmd)

    try:
        report = json.loads(out) if out.strip() else {}
        if not isinstance(report, dict):
            raise ValueError("not an object")
    except ValueError:
        module.fail_json(msg="docker-relocate printed no JSON result", cmd=cmd, rc=rc, stdout=out, stderr=err)

    result = dict(
        cmd=cmd,
        rc=rc,
        relocate=report,
        status=report.get("status"),
        stderr=err,
    )
    for key in ("old_data_root", "new_data_root", "device", "downtime_seconds", "steps"):
        if report.get(key) is not None:
            result[key] = report[key]
    for w in report.get("warnings") or []:
        module.warn(w)

    plan = report.get("plan") or {}
    if module._diff and plan.get("diff"):
        result["diff"] = dict(prepared=plan["diff"])

    if rc != 0:
        error = report.get("error") or {}
        msg = FAILURES.get(rc, "docker-relocate failed")
        detail = error.get("message")
        if not detail and err.strip():
            detail = err.strip().splitlines()[-1]
        if detail:
            msg += ": " + detail
        if error.get("advice"):
            msg += " " + error["advice"]
        # A move that was rolled back, or refused, left the host as it was.
        module.fail_json(msg=msg, changed=rc == 5, **result)

    if module.check_mode:
        # A dry run changes nothing; "planned" says it would.
        result["changed"] = report.get("status") == "planned"
    else:
        result["changed"] = bool(report.get("changed"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
