#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Prints the Debian mirror apt uses on this machine (the only archive that
# may be reachable), for debootstrap: $DOCKER_RELOCATE_MIRROR when set, else
# the first non-security URI of apt's sources, deb822 or one-line.
set -euo pipefail

if [ -n "${DOCKER_RELOCATE_MIRROR:-}" ]; then
        echo "$DOCKER_RELOCATE_MIRROR"
        exit 0
fi
uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }')
if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit } }')
fi
echo "${uri:-http://deb.debian.org/debian}"
