#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# /var/lib/docker a bind mount (in /etc/fstab) of the data on another disk:
# see lib-link.sh.
LINK_KIND=bind
. "$(dirname "$0")/lib-link.sh"
