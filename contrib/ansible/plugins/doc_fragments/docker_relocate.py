# -*- coding: utf-8 -*-

# Copyright: (c) 2026, docker-relocate maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """What every module of the collection documents alike: the program it
    runs, and where."""

    DOCUMENTATION = r"""
options:
  executable:
    description:
      - The docker-relocate program on the target host, as a path or a name
        looked up on the C(PATH) and in the C(sbin) directories.
    type: path
    default: docker-relocate
attributes:
  platform:
    support: full
    platforms: posix
    description: Linux hosts with Docker (systemd, SysV init, OpenRC or upstart).
requirements:
  - docker-relocate on the target host
"""
