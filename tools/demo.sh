#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds docker-relocate and shows what it sees, changing nothing on the host:
# status of this host, then set-data-root --dry-run on sample trees of
# several distributions.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
        tools/install-deps.sh
fi
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null

bin=build/docker-relocate
echo "== docker-relocate status (this host)"
"$bin" status || true

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for style in debian-sysv fedora-options dropin-graph daemon-json-graph vendor-flag; do
        cp -a "tests/fixtures/config/$style/tree" "$tmp/$style"
        echo
        echo "== $style: where the data root is set"
        "$bin" --root "$tmp/$style" status | sed -n '/^Data root/,/^  set by/p'
        echo "== $style: set-data-root --dry-run /data/docker"
        "$bin" --root "$tmp/$style" set-data-root --dry-run /data/docker || true
done
