#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "meson install" into a temporary DESTDIR puts every installed piece where
# its user looks for it: the binary, the man page (when scdoc built it), the
# bash completion and the Docker CLI plugin link to the binary.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
BUILDDIR=${BUILDDIR:?}
DEST=$WORK/dest

ok 'meson install -C "$BUILDDIR" --destdir "$DEST" --no-rebuild' "meson install --destdir"

# The directories this build installs into, as configured.
eval "$(meson introspect --buildoptions "$BUILDDIR" | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
for k in ("prefix", "sbindir", "mandir", "libexecdir", "datadir"):
    print("%s=%s" % (k, o[k]))
')"
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }

bin=$(abs "$sbindir")/docker-relocate
ok '[ -x "$DEST$bin" ] && "$DEST$bin" --version' "the binary: $bin"

if command -v scdoc >/dev/null 2>&1; then
        man=$(abs "$mandir")/man8/docker-relocate.8
        ok '[ -s "$DEST$man" ]' "the man page: $man"
else
        skip_missing "the man page" "scdoc (package scdoc)"
fi

completion=$(find "$DEST" -path '*/bash-completion/completions/docker-relocate' -type f)
ok '[ -n "$completion" ] && bash -n "$completion" && grep -q "complete -F _docker_relocate docker-relocate" "$completion"' \
        "the bash completion: ${completion#"$DEST"}"

plugin=$(abs "$libexecdir")/docker/cli-plugins/docker-relocate
ok '[ -L "$DEST$plugin" ] && [ "$(readlink "$DEST$plugin")" = "$bin" ]' "the Docker CLI plugin link: $plugin -> $bin"

done_testing
