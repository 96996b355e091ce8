#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fault-injection hooks are in the binary exactly when the build asked
# for them (-Dfault_injection=true): a crash point named in
# DOCKER_RELOCATE_TEST_CRASH kills a test build there, and is ignored by any
# other build, whose binary does not even hold the variable's name. Runs
# set-data-root on a copy of a fixture tree (--root): no root needed.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"

BIN=${DOCKER_RELOCATE:?}
FIXTURES=${FIXTURES:?}
WANT=${DOCKER_RELOCATE_FAULT_INJECTION:?}

cp -a "$FIXTURES/config/debian-sysv/tree" "$WORK/root"
before=$(sha256sum <"$WORK/root/etc/default/docker")

if grep -aq DOCKER_RELOCATE_TEST_CRASH "$BIN"; then has=1; else has=0; fi
is "$has" "$WANT" "the binary holds the hooks exactly when built with them (built with: $WANT)"

DOCKER_RELOCATE_TEST_CRASH=config-file-1 "$BIN" --root "$WORK/root" set-data-root /srv/new >"$WORK/out" 2>&1
rc=$?
after=$(sha256sum <"$WORK/root/etc/default/docker")
if [ "$WANT" = 1 ]; then
        ok '[ $rc = 137 ] && grep -q "DOCKER_RELOCATE_TEST_CRASH=config-file-1: killing" "$WORK/out"' \
                "a test build dies at the crash point (exit $rc)"
        isnt "$after" "$before" "after it wrote the first file"
else
        ok '[ $rc = 0 ] && ! grep -q "test hook" "$WORK/out"' \
                "any other build ignores the variable and runs through (exit $rc)"
        ok '[ "$after" != "$before" ] && grep -q -- "/srv/new" "$WORK/root/etc/default/docker"' "and writes the change"
fi
done_testing
