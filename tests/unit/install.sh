#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "meson install" into a temporary DESTDIR puts every installed piece where
# its user looks for it: the binary, the man page (when scdoc built it), the
# bash completion and the Docker CLI plugin link to the binary.
set -uo pipefail
BUILDDIR=${BUILDDIR:?}
n=0
failed=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi
}

DEST=$(mktemp -d)
trap 'rm -rf "$DEST"' EXIT

meson install -C "$BUILDDIR" --destdir "$DEST" --no-rebuild >"$DEST.log" 2>&1
rc=$?
[ $rc = 0 ] || sed 's/^/# /' "$DEST.log"
rm -f "$DEST.log"
ok $rc "meson install --destdir"

# The directories this build installs into, as configured.
eval "$(meson introspect --buildoptions "$BUILDDIR" | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
for k in ("prefix", "sbindir", "mandir", "libexecdir", "datadir"):
    print("%s=%s" % (k, o[k]))
')"
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }

bin=$(abs "$sbindir")/docker-relocate
[ -x "$DEST$bin" ] && "$DEST$bin" --version >/dev/null
ok $? "the binary: $bin"

if command -v scdoc >/dev/null 2>&1; then
        man=$(abs "$mandir")/man8/docker-relocate.8
        [ -s "$DEST$man" ]
        ok $? "the man page: $man"
else
        ok 0 "the man page # SKIP no scdoc"
fi

completion=$(find "$DEST" -path '*/bash-completion/completions/docker-relocate' -type f)
[ -n "$completion" ] && bash -n "$completion" && grep -q 'complete -F _docker_relocate docker-relocate' "$completion"
ok $? "the bash completion: ${completion#"$DEST"}"

plugin=$(abs "$libexecdir")/docker/cli-plugins/docker-relocate
[ -L "$DEST$plugin" ] && [ "$(readlink "$DEST$plugin")" = "$bin" ]
ok $? "the Docker CLI plugin link: $plugin -> $bin"

echo "1..$n"
[ $failed = 0 ]
