#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "meson install" into a temporary DESTDIR puts every installed piece where
# its user looks for it: the binary, the man page, the bash completion, the
# systemd unit, and the Docker CLI plugin link to the binary, relative so
# that the tree works wherever it is unpacked. Nothing lands outside the
# prefix unless the prefix is /usr (the completion and the unit then go
# where bash-completion and systemd say). Then the same rules for other
# prefixes and options, on builds that are only configured (no compile):
# the directories meson would install into, and the man page as a choice
# that fails loudly when it cannot be honoured.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
BUILDDIR=${BUILDDIR:?}
SRCDIR=${SRCDIR:?}
DEST=$WORK/dest

ok 'meson install -C "$BUILDDIR" --destdir "$DEST" --no-rebuild' "meson install --destdir"

# The directories this build installs into, and its options, as configured.
options() {
        meson introspect --buildoptions "$1" | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
for k in ("prefix", "sbindir", "mandir", "libexecdir", "datadir", "man", "bashcompletiondir", "systemdsystemunitdir"):
    print("%s=%s" % (k, o.get(k, "")))
'
}
eval "$(options "$BUILDDIR")"
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }

bin=$(abs "$sbindir")/docker-relocate
ok '[ -x "$DEST$bin" ] && "$DEST$bin" --version' "the binary: $bin"

man_page=$(abs "$mandir")/man8/docker-relocate.8
case $man in
enabled) want_man=1 ;;
disabled) want_man=0 ;;
*) command -v scdoc >/dev/null 2>&1 && want_man=1 || want_man=0 ;;
esac
if [ $want_man = 1 ]; then
        ok '[ -s "$DEST$man_page" ] && grep -q "^\.TH \"docker-relocate\" \"8\"" "$DEST$man_page"' \
                "the man page: $man_page"
else
        ok '[ ! -e "$DEST$man_page" ]' "no man page with -Dman=$man and no scdoc"
fi

# Where bash-completion and systemd look, for a build into /usr.
pc_dir() {
        pkg-config --variable="$2" "$1" 2>/dev/null
}
if [ -n "$bashcompletiondir" ]; then
        want_completion=$(abs "$bashcompletiondir")
elif [ "$prefix" = /usr ] && [ -n "$(pc_dir bash-completion completionsdir)" ]; then
        want_completion=$(pc_dir bash-completion completionsdir)
else
        want_completion=$(abs "$datadir")/bash-completion/completions
fi
completion=$want_completion/docker-relocate
ok '[ -f "$DEST$completion" ] && bash -n "$DEST$completion" &&
        grep -q "complete -F _docker_relocate docker-relocate" "$DEST$completion"' "the bash completion: $completion"

if [ -n "$systemdsystemunitdir" ]; then
        want_unitdir=$(abs "$systemdsystemunitdir")
elif [ "$prefix" = /usr ] && [ -n "$(pc_dir systemd systemdsystemunitdir)" ]; then
        want_unitdir=$(pc_dir systemd systemdsystemunitdir)
else
        want_unitdir=$prefix/lib/systemd/system
fi
unit=$want_unitdir/docker-relocate-move.service
ok '[ -f "$DEST$unit" ] && grep -qx "ExecStart=$bin move \$DOCKER_RELOCATE_MOVE_OPTIONS --yes --json" "$DEST$unit"' \
        "the move unit, running the installed binary: $unit"

plugin_dir=$(abs "$libexecdir")/docker/cli-plugins
plugin=$plugin_dir/docker-relocate
target=$(readlink "$DEST$plugin")
ok '[ -L "$DEST$plugin" ] && [ -n "$target" ] && [ "${target#/}" = "$target" ]' \
        "the Docker CLI plugin link is relative: $plugin -> $target"
is "$(cd "$DEST$plugin_dir" 2>/dev/null && realpath -m "$target")" "$DEST$bin" \
        "and leads to the binary inside the install tree"

if [ "$prefix" != /usr ]; then
        outside=$(cd "$DEST" && find . ! -type d | sed 's/^\.//' | grep -v "^$prefix/")
        is "$outside" "" "nothing installed outside the prefix $prefix"
fi

# ---- other prefixes and options: configured, not built ---------------------------

# installed_path BUILDDIR NAME: where meson would install the file NAME.
installed_path() {
        meson introspect --installed "$1" 2>/dev/null | python3 -c '
import json, os, sys
text = sys.stdin.read()
for dest in (json.loads(text) if text else {}).values():
    if os.path.basename(dest) == sys.argv[1]:
        print(dest)
' "$2"
}
configure() {
        local dir=$WORK/$1
        shift
        meson setup "$@" "$dir" "$SRCDIR" >"$dir.log" 2>&1
}

ok 'configure opt --prefix /opt/docker-relocate' "configure with --prefix /opt/docker-relocate"
is_path() {
        is "$2" "$3" "$1: $3"
}
is_path "--prefix /opt/docker-relocate: completion" "$(installed_path "$WORK/opt" docker-relocate | grep completion)" \
        /opt/docker-relocate/share/bash-completion/completions/docker-relocate
is_path "--prefix /opt/docker-relocate: unit" "$(installed_path "$WORK/opt" docker-relocate-move.service)" \
        /opt/docker-relocate/lib/systemd/system/docker-relocate-move.service

ok 'configure usr --prefix /usr' "configure with --prefix /usr"
want=$(pc_dir bash-completion completionsdir)
is_path "--prefix /usr: completion where bash-completion looks" \
        "$(installed_path "$WORK/usr" docker-relocate | grep completion)" \
        "${want:-/usr/share/bash-completion/completions}/docker-relocate"
want=$(pc_dir systemd systemdsystemunitdir)
is_path "--prefix /usr: unit where systemd looks" "$(installed_path "$WORK/usr" docker-relocate-move.service)" \
        "${want:-/usr/lib/systemd/system}/docker-relocate-move.service"

ok 'configure dirs --prefix /usr -Dbashcompletiondir=/srv/completions -Dsystemdsystemunitdir=/srv/units' \
        "configure with -Dbashcompletiondir and -Dsystemdsystemunitdir"
is_path "-Dbashcompletiondir" "$(installed_path "$WORK/dirs" docker-relocate | grep completion)" \
        /srv/completions/docker-relocate
is_path "-Dsystemdsystemunitdir" "$(installed_path "$WORK/dirs" docker-relocate-move.service)" \
        /srv/units/docker-relocate-move.service

# Without scdoc: a PATH that has every program of this one but scdoc.
mkdir -p "$WORK/bin"
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
        for f in "$d"/*; do
                b=${f##*/}
                [ "$b" != scdoc ] && [ -x "$f" ] && [ ! -e "$WORK/bin/$b" ] && ln -s "$f" "$WORK/bin/$b"
        done
done
ok '! PATH=$WORK/bin configure noscdoc-enabled -Dman=enabled && grep -q "Program .scdoc. not found" "$WORK/noscdoc-enabled.log"' \
        "-Dman=enabled without scdoc: configure fails, naming scdoc"
PATH=$WORK/bin configure noscdoc-auto
rc=$?
ok '[ $rc = 0 ] && grep -q "WARNING: scdoc not found: the man page docker-relocate(8) is not built" "$WORK/noscdoc-auto.log"' \
        "-Dman=auto without scdoc: configures, and warns that there is no man page"
ok '[ $rc = 0 ] && [ -z "$(installed_path "$WORK/noscdoc-auto" docker-relocate.8)" ]' \
        "-Dman=auto without scdoc: no man page to install"
ok 'PATH=$WORK/bin configure noscdoc-disabled -Dman=disabled && ! grep -q "WARNING: scdoc" "$WORK/noscdoc-disabled.log"' \
        "-Dman=disabled: no scdoc needed, no warning"
if command -v scdoc >/dev/null 2>&1; then
        ok 'configure scdoc-enabled -Dman=enabled && [ -n "$(installed_path "$WORK/scdoc-enabled" docker-relocate.8)" ]' \
                "-Dman=enabled with scdoc: the man page is installed"
else
        skip_missing "-Dman=enabled with scdoc" "scdoc (package scdoc)"
fi

done_testing
