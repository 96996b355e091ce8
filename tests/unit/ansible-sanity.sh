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
. "$(dirname "$0")/../lib/tap.sh"
SRCDIR=${SRCDIR:?}

# Debian's ansible-test and ansible run under the system Python, whatever
# else is first on the PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
require 'command -v ansible-test && command -v ansible-galaxy && command -v ansible-doc' \
        "ansible-test, ansible-galaxy and ansible-doc (package ansible-core)"
require 'python3 -c "import voluptuous"' "python3-voluptuous (validate-modules needs it)"

export HOME=$WORK/home
export ANSIBLE_LOCAL_TEMP=$WORK/tmp
mkdir -p "$HOME"
COLL=$WORK/ansible_collections/docker_relocate/relocate
mkdir -p "$(dirname "$COLL")"
cp -r "$SRCDIR/contrib/ansible" "$COLL"
# ansible-test lists the collection's files with git.
git -C "$COLL" init -q && git -C "$COLL" add -A . || bail_out "git"

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
isnt "$tests" "" "ansible-test lists its sanity tests"
for t in $tests; do
        sanity "$t"
        rc=$?
        # ansible-test's own skip (a test that does not apply to this
        # Python or this collection).
        if grep -q "Skipping sanity test \"$t\"" "$WORK/$t.log"; then
                skip "ansible-test sanity: $t" "$(grep -m1 'Skipping sanity test' "$WORK/$t.log" | sed 's/.*due to //')"
                continue
        fi
        ok '[ $rc = 0 ]' "ansible-test sanity: $t" ||
                diag "$(grep -E 'ERROR|FATAL' "$WORK/$t.log" | head -n 20)"
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
ok '[ $rc != 0 ] && grep -q missing-gplv3-license "$WORK/validate-modules.log" &&
        grep -q "invalid-documentation.*author" "$WORK/validate-modules.log"' \
        "validate-modules rejects a module without the GPLv3 header and with a bare author"
cp "$WORK/good.py" "$COLL/plugins/modules/docker_relocate.py"
git -C "$COLL" add -A .

# Built and installed as users get it; ansible-doc from the installed copy.
ok '(cd "$COLL" && ansible-galaxy collection build --output-path "$WORK/dist")' "ansible-galaxy collection build"
tarball=$(ls "$WORK"/dist/docker_relocate-relocate-*.tar.gz 2>/dev/null)
# Into the private HOME's collection path, where ansible-doc, ansible-lint
# and ansible-playbook look.
ok '[ -n "$tarball" ] && ansible-galaxy collection install --offline "$tarball"' "ansible-galaxy collection install --offline"
contents=$(tar -tzf "$tarball" 2>&1)
ok '[ -n "$contents" ] && ! grep -E "^(tests/output|.*\.tar\.gz)" <<<"$contents"' "the tarball holds no build leftovers"
for m in docker_relocate docker_relocate_info; do
        out=$(ansible-doc "docker_relocate.relocate.$m" 2>&1)
        rc=$?
        ok '[ $rc = 0 ] && ! grep "^\[WARNING\]\|^ERROR" <<<"$out" && grep -q "^> DOCKER_RELOCATE.RELOCATE.${m^^}" <<<"$out"' \
                "ansible-doc docker_relocate.relocate.$m"
done

if command -v ansible-lint >/dev/null 2>&1; then
        ok '(cd "$COLL" && timeout 600 ansible-lint --offline --nocolor) >"$WORK/lint.log" 2>&1' "ansible-lint on the collection"
        grep -E '^[a-z-]+\[|Passed|Failed' "$WORK/lint.log" | sed 's/^/#   /'
        mkdir -p "$WORK/playbook"
        cp "$SRCDIR/contrib/ansible/playbook.yml" "$WORK/playbook/"
        ok '(cd "$WORK/playbook" && timeout 600 ansible-lint --offline --nocolor playbook.yml) >"$WORK/lint-playbook.log" 2>&1' \
                "ansible-lint on the example playbook"
        grep -E '^[a-z-]+\[|Passed|Failed' "$WORK/lint-playbook.log" | sed 's/^/#   /'
else
        skip_missing "ansible-lint" "ansible-lint (package ansible-lint)"
fi

done_testing
