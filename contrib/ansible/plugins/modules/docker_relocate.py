#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, docker-relocate maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: docker_relocate
short_description: Move Docker's data root onto a dedicated volume
description:
  - Runs C(docker-relocate) on the target host to move Docker's data root
    onto a volume (an AWS EBS volume by id, a device) or into a directory on
    an already mounted filesystem, to roll such a move back, to remove the
    old data root afterwards, or only to point Docker's configuration at
    another data root (for an offline image being baked, too).
  - The tool prepares the volume (filesystem, mount, C(/etc/fstab)), copies
    the data root with Docker stopped as briefly as it can, rewrites the data
    root where this host configures it, starts Docker and verifies it. A
    failure after Docker was stopped is rolled back by the tool itself.
  - Idempotent in every state. A move that is done, a rollback or a cleanup
    that already happened, a data root that is already configured, are
    reported unchanged; a volume the tool prepared before is reused, never
    reformatted.
  - Use M(docker_relocate.relocate.docker_relocate_info) to read where
    Docker's data root is and which disks could take it, without changing
    anything.
version_added: "0.1.0"
options:
  state:
    description:
      - C(moved) moves the data root (C(docker-relocate move)); needs I(device) or I(to).
      - C(rolled_back) undoes the last finished move, or abandons an
        interrupted one (C(docker-relocate rollback --yes)). A host with
        nothing to undo (never moved, already rolled back, or a failed move
        that rolled itself back) is unchanged.
      - C(cleaned) removes the old data root after a verified move
        (C(docker-relocate cleanup --yes)).
      - C(configured) only points Docker's configuration at I(data_root),
        moving no data (C(docker-relocate set-data-root)); with I(root), in
        the system tree mounted there, such as an image being baked.
    type: str
    choices: [moved, rolled_back, cleaned, configured]
    default: moved
  device:
    description:
      - The volume to move to, as C(docker-relocate move --device) takes it
        (C(/dev/nvme1n1), C(sdf), C(vol-0123456789abcdef0), C(UUID=...), C(LABEL=...)).
      - With I(state=moved), exactly one of I(device) and I(to) is required.
    type: str
  to:
    description:
      - Move into this empty directory on an already mounted filesystem,
        instead of onto a device (C(docker-relocate move --to)).
    type: path
  mount:
    description:
      - Where to mount the volume. The tool's default is C(/mnt/docker-data).
      - Only with I(device).
    type: path
  fs:
    description:
      - The filesystem to make on the volume. The tool's default is C(ext4).
      - Only with I(device).
    type: str
    choices: [ext4, xfs]
  label:
    description:
      - The filesystem label. The tool's default is C(docker-data).
      - Only with I(device).
    type: str
  partition:
    description:
      - Make one GPT partition over the disk instead of using the whole disk.
      - Only with I(device).
    type: bool
    default: false
  wipe:
    description:
      - Allow overwriting a device that holds signatures (a filesystem, a
        partition table). Whatever is on it is lost.
      - Only with I(device).
    type: bool
    default: false
  allow_instance_store:
    description:
      - Allow an EC2 instance-store disk, whose data is lost when the
        instance stops.
      - Only with I(device).
    type: bool
    default: false
  wait_device:
    description:
      - Seconds to wait for the device to appear (a volume attached after boot).
      - Only with I(device).
    type: int
  pre_copy:
    description:
      - Copy once while Docker runs, to shorten the downtime (C(true)), or
        only while it is stopped (C(false)).
      - Unset leaves the tool's default, a pre-copy.
    type: bool
  copier:
    description:
      - What copies the data root. C(engine), the tool's own parallel copy,
        or C(rsync).
      - Unset leaves the tool's default, the engine (which falls back to
        rsync by itself where the kernel lacks what it needs).
    type: str
    choices: [engine, rsync]
  delete_old:
    description: Delete the old data root once the move was verified.
    type: bool
    default: false
  force:
    description: Move even though this host is a swarm manager.
    type: bool
    default: false
  data_root:
    description:
      - The data root to configure with I(state=configured).
    type: path
  root:
    description:
      - With I(state=configured), change the configuration of the system
        tree mounted here instead of this host's (C(docker-relocate --root)),
        such as an image being baked. It must be the root of that tree.
    type: path
extends_documentation_fragment:
  - docker_relocate.relocate.docker_relocate
attributes:
  check_mode:
    support: full
    description: Runs the tool with C(--dry-run); C(changed) says whether it would change anything.
  diff_mode:
    support: full
    description: Returns the unified diff of Docker's configuration files.
notes:
  - "Needs root on the target (C(become: true))."
  - "Move one host at a time (C(serial: 1)): Docker is stopped during the final copy."
  - The exit status of the tool is in I(rc). 3 means it refused as unsafe and
    changed nothing, 4 that the move failed and was rolled back, 5 that it
    failed and was not rolled back (the message says what to do).
seealso:
  - module: docker_relocate.relocate.docker_relocate_info
author:
  - docker-relocate maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Move Docker onto the EBS volume attached for it
  docker_relocate.relocate.docker_relocate:
    device: vol-0123456789abcdef0
    wait_device: 300
  register: relocate

- name: Move into a directory on a filesystem that is already mounted
  docker_relocate.relocate.docker_relocate:
    to: /srv/docker

- name: Roll the last move back
  docker_relocate.relocate.docker_relocate:
    state: rolled_back

- name: Remove the old data root once everything is fine
  docker_relocate.relocate.docker_relocate:
    state: cleaned

- name: Point Docker at the volume in an image being baked (no data moved)
  docker_relocate.relocate.docker_relocate:
    state: configured
    data_root: /mnt/docker-data/docker
    root: /mnt/image
"""

RETURN = r"""
status:
  description:
    - The tool's status, one word for every state (docker-relocate(8), JSON
      OUTPUT) - C(changed) (it changed the host), C(unchanged) (nothing to
      do), C(planned) (check mode, a run would change the host), or on a
      failure C(failed), C(refused), C(rolled-back) or C(needs-human).
  returned: always
  type: str
  sample: changed
old_data_root:
  description: The data root before the change.
  returned: when known
  type: str
  sample: /var/lib/docker
new_data_root:
  description: The data root after the change.
  returned: when known
  type: str
  sample: /mnt/docker-data/docker
device:
  description: The device the data root was moved to.
  returned: when known
  type: str
  sample: /dev/nvme1n1
volume_id:
  description: The EBS volume id of that device.
  returned: when known
  type: str
  sample: vol-0123456789abcdef0
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
  sample: [{"name": "copy", "seconds": 10.2}]
relocate:
  description: The whole JSON object the tool printed (C(--json)).
  returned: when the tool ran
  type: dict
  sample: {"schema_version": 1, "command": "move", "changed": true, "status": "changed"}
last_move:
  description:
    - The tool's record of the last move when it decided the result without
      running the tool (I(state=rolled_back) or I(state=cleaned) with nothing
      left to do).
  returned: when the record decided
  type: dict
  sample: {"phase": "undone", "old_data_root": "/var/lib/docker", "new_data_root": "/mnt/docker-data/docker"}
cmd:
  description: The command run, empty when none was needed.
  returned: always
  type: list
  elements: str
  sample: [/usr/sbin/docker-relocate, move, --device, vol-0123456789abcdef0, --yes, --json]
rc:
  description: The tool's exit status (0 success, 2 usage, 3 refused, 4 rolled back, 5 needs a human).
  returned: always
  type: int
  sample: 0
stderr:
  description: The tool's log lines.
  returned: when the tool ran
  type: str
  sample: "Copying /var/lib/docker to /mnt/docker-data/docker"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.docker_relocate.relocate.plugins.module_utils.docker_relocate import (
    PLANNED,
    REPORT_KEYS,
    RecordUnreadable,
    diff_of,
    executable,
    fail,
    last_move,
    run,
)

# The options of each state besides state and executable; any other given
# is an error rather than silently ignored.
DISK_OPTIONS = ("mount", "fs", "label", "partition", "wipe", "allow_instance_store", "wait_device")
MOVE_OPTIONS = ("device", "to", "pre_copy", "copier", "delete_old", "force") + DISK_OPTIONS
STATE_OPTIONS = {
    "moved": MOVE_OPTIONS,
    "rolled_back": (),
    "cleaned": (),
    "configured": ("data_root", "root"),
}
# A journal phase in which a state is already reached: nothing to run.
# "rolled-back" is a move that failed and rolled itself back, or an
# interrupted move that "rollback" abandoned: Docker is on its old root.
REACHED = {
    "rolled_back": (None, "undone", "rolled-back"),
    "cleaned": ("cleaned",),
}


def given(params, name):
    value = params[name]
    return value not in (None, False)


def build_command(module, program):
    p = module.params
    state = p["state"]
    if state == "configured":
        cmd = [program]
        if p["root"]:
            cmd += ["--root", p["root"]]
        cmd += ["set-data-root", p["data_root"]]
        # set-data-root asks no question: only a dry run needs a flag.
        if module.check_mode:
            cmd.append("--dry-run")
        return cmd + ["--json"]

    if state == "rolled_back":
        cmd = [program, "rollback"]
    elif state == "cleaned":
        cmd = [program, "cleanup"]
    else:
        cmd = [program, "move"]
        if p["device"]:
            cmd += ["--device", p["device"]]
            for opt, name in (("--mount", "mount"), ("--fs", "fs"), ("--label", "label")):
                if p[name]:
                    cmd += [opt, p[name]]
            if p["wait_device"] is not None:
                cmd += ["--wait-device", str(p["wait_device"])]
            for opt, name in (("--partition", "partition"), ("--wipe", "wipe"),
                              ("--allow-instance-store", "allow_instance_store")):
                if p[name]:
                    cmd.append(opt)
        else:
            cmd += ["--to", p["to"]]
        if p["pre_copy"] is not None:
            cmd.append("--pre-copy" if p["pre_copy"] else "--no-pre-copy")
        if p["copier"]:
            cmd += ["--copier", p["copier"]]
        if p["delete_old"]:
            cmd.append("--delete-old")
        if p["force"]:
            cmd.append("--force")
    # Check mode asks for the plan; only a real run may confirm.
    cmd.append("--dry-run" if module.check_mode else "--yes")
    cmd.append("--json")
    return cmd


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="moved", choices=["moved", "rolled_back", "cleaned", "configured"]),
            device=dict(type="str"),
            to=dict(type="path"),
            mount=dict(type="path"),
            fs=dict(type="str", choices=["ext4", "xfs"]),
            label=dict(type="str"),
            partition=dict(type="bool", default=False),
            wipe=dict(type="bool", default=False),
            allow_instance_store=dict(type="bool", default=False),
            wait_device=dict(type="int"),
            pre_copy=dict(type="bool"),
            copier=dict(type="str", choices=["engine", "rsync"]),
            delete_old=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            data_root=dict(type="path"),
            root=dict(type="path"),
            executable=dict(type="path", default="docker-relocate"),
        ),
        mutually_exclusive=[["device", "to"]],
        required_if=[
            ["state", "moved", ["device", "to"], True],
            ["state", "configured", ["data_root"]],
        ],
        supports_check_mode=True,
    )
    p = module.params
    state = p["state"]

    wrong = [n for n in MOVE_OPTIONS + ("data_root", "root")
             if n not in STATE_OPTIONS[state] and given(p, n)]
    if wrong:
        module.fail_json(msg="state=%s does not take %s." % (state, ", ".join(wrong)))
    if p["to"] and any(given(p, n) for n in DISK_OPTIONS):
        module.fail_json(msg="%s go with device, not with to." % ", ".join(DISK_OPTIONS))

    # What the record shows reached needs no run of the tool (which would
    # say unchanged too): the state is reached.
    if state in REACHED:
        try:
            record = last_move()
        except RecordUnreadable as e:
            module.fail_json(msg="Cannot read the record of the last move (%s): run the task as root "
                                 "(become: true)." % e)
        if (record or {}).get("phase") in REACHED[state]:
            module.exit_json(changed=False, status="unchanged", cmd=[], rc=0, last_move=record)

    cmd = build_command(module, executable(module))
    rc, report, err = run(module, cmd)

    result = dict(cmd=cmd, rc=rc, relocate=report, status=report.get("status"), stderr=err)
    for key in REPORT_KEYS:
        if report.get(key) is not None:
            result[key] = report[key]
    for warning in report.get("warnings") or []:
        module.warn(warning)
    diff = diff_of(report)
    if module._diff and diff:
        result["diff"] = dict(prepared=diff)

    if rc != 0:
        fail(module, report, err, **result)

    if module.check_mode:
        # A dry run changes nothing; its status says whether a run would.
        result["changed"] = report.get("status") in PLANNED
    else:
        result["changed"] = bool(report.get("changed"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
