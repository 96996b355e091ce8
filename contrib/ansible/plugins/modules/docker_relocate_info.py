#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, docker-relocate maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: docker_relocate_info
short_description: Where Docker's data root is, and which disks could take it
description:
  - Runs C(docker-relocate status) and C(docker-relocate disks) on the target
    host and returns what they report, changing nothing.
  - C(status) is Docker's effective configuration, the data root and where it
    comes from, and every conflict; C(disks) lists the block devices with
    their EBS volume id and whether each may take the data root, and if not,
    why; I(last_move) is the tool's record of its last move.
version_added: "0.1.0"
options:
  gather:
    description:
      - What to report. C(disks) reads the running host only, so it cannot
        be combined with I(root).
    type: list
    elements: str
    choices: [status, disks]
    default: [status, disks]
  root:
    description:
      - Report the configuration of the system tree mounted here instead of
        this host's (C(docker-relocate --root)), such as an image being baked.
    type: path
extends_documentation_fragment:
  - docker_relocate.relocate.docker_relocate
attributes:
  check_mode:
    support: full
    description: Changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
notes:
  - "C(disks) needs root on the target (C(become: true)) to probe devices."
seealso:
  - module: docker_relocate.relocate.docker_relocate
author:
  - docker-relocate maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Read where Docker's data root is
  docker_relocate.relocate.docker_relocate_info:
    gather: [status]
  register: docker_storage

- name: Say where it comes from
  ansible.builtin.debug:
    msg: "{{ docker_storage.status.data_root.path }} (from {{ docker_storage.status.data_root.via }})"

- name: List the disks that could take the data root
  docker_relocate.relocate.docker_relocate_info:
    gather: [disks]
  register: candidates

- name: Fail on a configuration conflict before moving
  ansible.builtin.assert:
    that: docker_storage.status.conflicts | length == 0
"""

RETURN = r"""
status:
  description:
    - What C(docker-relocate status --json) reports (see docker-relocate(8)).
      The init system, unit and drop-ins, dockerd's arguments, the data root
      with its source, conflicts and warnings.
  returned: when I(gather) has C(status)
  type: dict
  sample: {"init_system": "systemd", "data_root": {"path": "/var/lib/docker", "via": "default"}, "conflicts": []}
disks:
  description:
    - The block devices C(docker-relocate disks --json) lists, each with its
      size, EBS volume id, signatures, mounts, and whether it is eligible.
  returned: when I(gather) has C(disks)
  type: list
  elements: dict
  sample: [{"node": "/dev/nvme1n1", "volume_id": "vol-0123456789abcdef0", "eligible": true, "reasons": []}]
last_move:
  description:
    - The tool's record of its last move on this host (phase, old and new
      data root, when it started), or null when it never moved anything.
  returned: always
  type: dict
  sample: {"phase": "done", "old_data_root": "/var/lib/docker", "new_data_root": "/mnt/docker-data/docker"}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.docker_relocate.relocate.plugins.module_utils.docker_relocate import (
    RecordUnreadable,
    executable,
    fail,
    last_move,
    run,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather=dict(type="list", elements="str", choices=["status", "disks"], default=["status", "disks"]),
            root=dict(type="path"),
            executable=dict(type="path", default="docker-relocate"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["root"] and "disks" in p["gather"]:
        module.fail_json(msg="gather=disks reads the running host; it does not take root.")

    program = executable(module)
    try:
        record = None if p["root"] else last_move()
    except RecordUnreadable as e:
        module.fail_json(msg="Cannot read the record of the last move (%s): run the task as root "
                             "(become: true)." % e)
    result = dict(changed=False, last_move=record)
    for what in ("status", "disks"):
        if what not in p["gather"]:
            continue
        cmd = [program]
        if p["root"]:
            cmd += ["--root", p["root"]]
        cmd += [what, "--json"]
        rc, report, err = run(module, cmd)
        if rc != 0:
            fail(module, report, err, cmd=cmd, rc=rc)
        result[what] = report.get("disks") if what == "disks" else report
    module.exit_json(**result)


if __name__ == "__main__":
    main()
