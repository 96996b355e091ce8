#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# /var/lib/docker a symlink to the data on another disk: see lib-link.sh.
LINK_KIND=symlink
. "$(dirname "$0")/lib-link.sh"
