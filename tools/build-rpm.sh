#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the RPM of this source tree as a release is made:
#
#   tools/build-rpm.sh BUILDDIR [OUTDIR]
#
# "meson dist" of BUILDDIR (a configured build of this tree) makes
# docker-relocate-VERSION.tar.xz from the committed tree, then "rpmbuild
# -bb docker-relocate.spec" builds the package from it in a scratch
# _topdir, %check (the unit suite) included. The .rpm lands in OUTDIR
# (default BUILDDIR/rpm); its path is the last line on stdout, the log is
# OUTDIR/build.log. Where rpm's database does not know the BuildRequires
# (the rpm of a Debian host, whose packages are dpkg's), they are not
# checked (--nodeps): the build itself shows whether they are there.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:?usage: build-rpm.sh BUILDDIR [OUTDIR]}
builddir=$(cd "$builddir" && pwd)
outdir=${2:-$builddir/rpm}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
log=$outdir/build.log

work=$(mktemp -d "${TMPDIR:-/var/tmp}/docker-relocate-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT

start=$SECONDS
meson dist -C "$builddir" --no-tests --allow-dirty --formats xztar >"$log" 2>&1 ||
        { tail -n 20 "$log" >&2; echo "build-rpm: meson dist failed (log: $log)" >&2; exit 1; }
nodeps=()
if [ -f /etc/debian_version ] || ! rpm -q --whatprovides 'pkgconfig(libcjson)' >/dev/null 2>&1; then
        nodeps=(--nodeps)
fi
rpmbuild -bb "${nodeps[@]}" --define "_topdir $work" --define "_sourcedir $builddir/meson-dist" \
        "$srcdir/docker-relocate.spec" >>"$log" 2>&1 ||
        { tail -n 40 "$log" >&2; echo "build-rpm: rpmbuild failed (log: $log)" >&2; exit 1; }
echo "build-rpm: built in $((SECONDS - start)) s" >&2
rm -f "$outdir"/docker-relocate-*.rpm
cp "$work"/RPMS/*/docker-relocate-*.rpm "$outdir/"
ls "$outdir"/docker-relocate-[0-9]*.rpm | head -n 1
