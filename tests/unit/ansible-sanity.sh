#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible collection as Ansible's own tools judge it: every test of
# "ansible-test sanity" (validate-modules, pylint, pep8, yamllint,
# ansible-doc, import, ...), "ansible-galaxy collection build", ansible-doc
# of both modules from the installed tarball, and ansible-lint on the
# collection and on the example playbook.
#
# ansible-test runs each sanity test in a virtual environment it fills from
# PyPI; offline, the environments are made here beforehand from the
# system's Python with its site packages (Debian's python3-voluptuous,
# python3-pycodestyle, pylint, yamllint), under a private HOME. A module
# with the old author line and licence header must fail validate-modules:
# the check is live.
set -uo pipefail
SRCDIR=${SRCDIR:?}
n=0
failed=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi
}

# Debian's ansible-test and ansible run under the system Python, whatever
# else is first on the PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
for tool in ansible-test ansible-galaxy ansible-doc; do
        if ! command -v $tool >/dev/null 2>&1; then
                echo "1..0 # SKIP no $tool (ansible-core)"
                exit 0
        fi
done
if ! python3 -c 'import voluptuous' 2>/dev/null; then
        echo "1..0 # SKIP no python3-voluptuous (validate-modules needs it)"
        exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME=$WORK/home
export ANSIBLE_LOCAL_TEMP=$WORK/tmp
mkdir -p "$HOME"
COLL=$WORK/ansible_collections/docker_relocate/relocate
mkdir -p "$(dirname "$COLL")"
cp -r "$SRCDIR/contrib/ansible" "$COLL"
# ansible-test lists the collection's files with git.
git -C "$COLL" init -q && git -C "$COLL" add -A . || { echo "Bail out! git"; exit 1; }

# sanity TEST: runs ansible-test sanity --test TEST, making the virtual
# environments it asks for when it cannot install them (one per kind of
# plugin, so a test may ask more than once). Output in $WORK/TEST.log.
sanity() {
        local t=$1 venv rc try
        for try in 1 2 3 4; do
                (cd "$COLL" && timeout 600 ansible-test sanity --test "$t" --python "$py") >"$WORK/$t.log" 2>&1
                rc=$?
                venv=$(sed -n 's/.*Python [0-9.]* at "\(.*\)\/bin\/python" does not have pip available.*/\1/p' \
                        "$WORK/$t.log")
                [ -n "$venv" ] || break
                rm -rf "$venv"
                python3 -m venv --system-site-packages --without-pip "$venv" &&
                        echo '[]' >"$venv/meta.install.json" &&
                        echo '{"yaml": true, "cloader": true}' >"$venv/meta.yaml.json" &&
                        touch "$venv/marker.txt"
        done
        return $rc
}

py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
tests=$(cd "$COLL" && ansible-test sanity --list-tests --python "$py" 2>/dev/null)
[ -n "$tests" ]
ok $? "ansible-test lists its sanity tests"
for t in $tests; do
        sanity "$t"
        rc=$?
        if grep -q "Skipping sanity test \"$t\"" "$WORK/$t.log"; then
                echo "ok $((n + 1)) - ansible-test sanity: $t # SKIP $(grep -m1 'Skipping sanity test' "$WORK/$t.log" | sed 's/.*due to //')"
                n=$((n + 1))
                continue
        fi
        ok $rc "ansible-test sanity: $t"
        [ $rc = 0 ] || grep -E 'ERROR|FATAL' "$WORK/$t.log" | head -n 20 | sed 's/^/#   /'
done

# The check is live: the author and licence lines the module had as a loose
# file fail validate-modules.
cp "$COLL/plugins/modules/docker_relocate.py" "$WORK/good.py"
sed -i -e 's/^# GNU General Public License v3.0+.*$/# SPDX-License-Identifier: GPL-2.0-or-later/' \
        -e 's/^  - docker-relocate maintainers (!UNKNOWN)$/  - docker-relocate authors/' \
        "$COLL/plugins/modules/docker_relocate.py"
git -C "$COLL" add -A .
sanity validate-modules
rc=$?
[ $rc != 0 ] && grep -q missing-gplv3-license "$WORK/validate-modules.log" &&
        grep -q "invalid-documentation.*author" "$WORK/validate-modules.log"
ok $? "validate-modules rejects a module without the GPLv3 header and with a bare author"
cp "$WORK/good.py" "$COLL/plugins/modules/docker_relocate.py"
git -C "$COLL" add -A .

# Built and installed as users get it; ansible-doc from the installed copy.
(cd "$COLL" && ansible-galaxy collection build --output-path "$WORK/dist") >"$WORK/build.log" 2>&1
ok $? "ansible-galaxy collection build"
tarball=$(ls "$WORK"/dist/docker_relocate-relocate-*.tar.gz 2>/dev/null)
# Into the private HOME's collection path, where ansible-doc, ansible-lint
# and ansible-playbook look.
ansible-galaxy collection install --offline "$tarball" >"$WORK/install.log" 2>&1
ok $? "ansible-galaxy collection install --offline"
tar -tzf "$tarball" | grep -qE '^(tests/output|.*\.tar\.gz)' && r=1 || r=0
ok $r "the tarball holds no build leftovers"
for m in docker_relocate docker_relocate_info; do
        out=$(ansible-doc "docker_relocate.relocate.$m" 2>&1)
        rc=$?
        [ $rc = 0 ] && ! grep -q '^\[WARNING\]\|^ERROR' <<<"$out" && grep -q "^> DOCKER_RELOCATE.RELOCATE.${m^^}" <<<"$out"
        ok $? "ansible-doc docker_relocate.relocate.$m"
done

if command -v ansible-lint >/dev/null 2>&1; then
        (cd "$COLL" && timeout 600 ansible-lint --offline --nocolor) >"$WORK/lint.log" 2>&1
        ok $? "ansible-lint on the collection"
        grep -E '^[a-z-]+\[|Passed|Failed' "$WORK/lint.log" | sed 's/^/#   /'
        mkdir -p "$WORK/playbook"
        cp "$SRCDIR/contrib/ansible/playbook.yml" "$WORK/playbook/"
        (cd "$WORK/playbook" && timeout 600 ansible-lint --offline --nocolor \
                playbook.yml) >"$WORK/lint-playbook.log" 2>&1
        ok $? "ansible-lint on the example playbook"
        grep -E '^[a-z-]+\[|Passed|Failed' "$WORK/lint-playbook.log" | sed 's/^/#   /'
else
        echo "ok $((n + 1)) - ansible-lint # SKIP no ansible-lint"
        n=$((n + 1))
fi

echo "1..$n"
[ $failed = 0 ]
