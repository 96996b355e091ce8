#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs, from Debian's archive, what building docker-relocate and running
# its tests needs, and only what is missing: each package is named with a
# command (or a pkg-config module, "pc:NAME") that shows it is there. Safe to
# run again; on a machine that has everything it does not touch apt at all.
set -euo pipefail

deps=(
        # build
        "meson meson" "ninja-build ninja" "pkg-config pkg-config" "gcc cc" "libc6-dev hdr:stdio.h"
        "scdoc scdoc"
        "libmount-dev pc:mount" "libblkid-dev pc:blkid" "libfdisk-dev pc:fdisk" "libcjson-dev pc:libcjson"
        "libsystemd-dev pc:libsystemd" "libcurl4-openssl-dev pc:libcurl"
        # tests: the real programs the tool drives, a real dockerd, python3
        # for the golden runs. Every test that needs one of these says so
        # ("require", "skip_missing" in tests/lib/tap.sh) and fails under CI
        # without it: this list is what keeps CI free of such skips.
        "python3 python3" "rsync rsync" "diffutils diff" "util-linux unshare" "mount losetup"
        "fdisk sfdisk" "gdisk sgdisk" "e2fsprogs mkfs.ext4" "xfsprogs mkfs.xfs" "acl setfacl" "attr getfattr"
        "dmsetup dmsetup" "docker.io dockerd" "busybox-static busybox" "kmod modprobe" "procps ps"
        # test-service-dbus: a private bus with python-dbusmock as systemd
        "dbus dbus-daemon" "python3-dbusmock py:dbusmock" "python3-gi py:gi"
        # the integrations: where the completion goes, the zsh and fish
        # completions run in their shells, the contrib YAML test
        "bash-completion pc:bash-completion" "zsh zsh" "fish fish" "python3-yaml py:yaml" "python3-jsonschema py:jsonschema"
        # the Ansible collection judged by Ansible's tools, offline
        "ansible-core ansible-test" "ansible-lint ansible-lint" "python3-voluptuous py:voluptuous"
        "python3-pycodestyle py:pycodestyle" "pylint pylint" "python3-venv py:ensurepip"
        # the packages: dpkg-buildpackage with lintian, rpmbuild
        "debhelper dh" "lintian lintian" "fakeroot fakeroot" "rpm rpmbuild"
        # the fuzz suite: clang and its libFuzzer and sanitizer runtimes
        "clang clang" "libclang-rt-14-dev glob:/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a"
)
# The VM suite boots a debootstrapped image under QEMU.
if [ -n "${WITH_VM:-}" ] && [ -f "$(dirname "$0")/../tests/vm/packages.txt" ]; then
        while read -r pkg cmd; do
                deps+=("$pkg $cmd")
        done < <(awk '!/^#/ && NF >= 2 { print $1, $2 }' "$(dirname "$0")/../tests/vm/packages.txt")
fi

missing=()
for d in "${deps[@]}"; do
        pkg=${d%% *}
        check=${d#* }
        case $check in
        hdr:*) [ -e "/usr/include/${check#hdr:}" ] || missing+=("$pkg") ;;
        pc:*) pkg-config --exists "${check#pc:}" 2>/dev/null || missing+=("$pkg") ;;
        # Debian's modules are there for Debian's python3, whatever else
        # PATH holds.
        py:*) /usr/bin/python3 -c "import ${check#py:}" 2>/dev/null || missing+=("$pkg") ;;
        glob:*) compgen -G "${check#glob:}" >/dev/null || missing+=("$pkg") ;;
        *) command -v "$check" >/dev/null 2>&1 || [ -x "/usr/sbin/$check" ] || [ -x "/sbin/$check" ] ||
                missing+=("$pkg") ;;
        esac
done
if [ ${#missing[@]} -eq 0 ]; then
        exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing ${missing[*]}; run as root to install them." >&2
        exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2

export DEBIAN_FRONTEND=noninteractive
# docker.io's maintainer scripts would start dockerd on the host; the tests
# start their own, privately. policy-rc.d tells invoke-rc.d to leave
# services alone while we install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi

log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "install-deps: apt-get failed." >&2
        exit 1
fi
rm -f "$log"
