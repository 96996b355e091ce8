#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The move on a host with SELinux enabled, on a real dockerd (SysV init
# script) in a private mount namespace, with a directory playing selinuxfs
# (DOCKER_RELOCATE_TEST_SELINUXFS) and fakes of semanage and restorecon
# (tests/fixtures/selinux/bin) that keep the equivalence rules in a file
# and record every command line. Checks: enforcing without the tools is
# refused before anything is touched, naming the packages; permissive
# without them is warned; the plan lists the labelling; a relabel that
# fails rolls back and removes the rule it added; a move killed in the
# middle of the relabel adds the rule once when run again; status reports
# the mode and the labels; rollback removes the rule, an administrator's
# rule is left in place.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"
dockerd_require_fault_injection

BIN=${DOCKER_RELOCATE:?}
FAKES=${FIXTURES:?}/selinux/bin

dockerd_running_populated
OLD=$(dockerd_root_dir)

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"
mkdir "$VOL/fail" "$VOL/docker" "$VOL/admin"

mkdir "$WORK/selinuxfs"
echo 1 >"$WORK/selinuxfs/enforce"
export DOCKER_RELOCATE_TEST_SELINUXFS=$WORK/selinuxfs
export SELINUX_FAKE_RULES=$WORK/rules SELINUX_FAKE_LOG=$WORK/log
: >"$SELINUX_FAKE_RULES"
: >"$SELINUX_FAKE_LOG"

state() {
        sha256sum /etc/docker/daemon.json /etc/default/docker 2>/dev/null
        ls -A /var/lib/docker-relocate 2>/dev/null
        dockerd_docker info --format '{{.DockerRootDir}}'
}

# 1. Enforcing, the tools missing (the fakes not in PATH): refused, named.
if command -v semanage >/dev/null || command -v restorecon >/dev/null; then
        skip "semanage or restorecon is installed on this machine" 2
else
        before=$(state)
        "$BIN" move --to "$VOL/docker" --no-pre-copy --yes </dev/null >"$WORK/out" 2>"$WORK/err"
        rc=$?
        ok '[ $rc = 3 ] && [ "$(state)" = "$before" ]' "enforcing without semanage and restorecon: refused (exit $rc), nothing changed"
        like "$(cat "$WORK/err")" "SELinux is enforcing, and semanage and restorecon are not installed" \
                "the refusal names the missing tools"
        like "$(cat "$WORK/err")" "Install policycoreutils-python-utils" "and the package to install"
        echo 0 >"$WORK/selinuxfs/enforce"
        "$BIN" move --to "$VOL/docker" --no-pre-copy --dry-run --json </dev/null >"$WORK/plan.json" 2>/dev/null
        is "$?$(json_get 'any("SELinux is permissive and semanage and restorecon are not installed" in w for w in j["warnings"])' "$WORK/plan.json")" \
                "0true" "permissive without the tools: planned, with a warning"
        echo 1 >"$WORK/selinuxfs/enforce"
fi

export PATH=$FAKES:$PATH

# 2. The plan lists the labelling, between the copy and the configuration.
"$BIN" move --to "$VOL/docker" --no-pre-copy --dry-run --json </dev/null >"$WORK/plan.json" 2>"$WORK/err"
is "$?" 0 "move --dry-run with the tools: planned"
is "$(json_get '[s for s in j["plan"]["steps"] if "SELinux" in s]' "$WORK/plan.json")" \
        "[\"Label $VOL/docker for SELinux as $OLD: 'semanage fcontext -a -e $OLD $VOL/docker' (unless that rule exists), then 'restorecon -R $VOL/docker'\"]" \
        "the plan says which rule it adds and what it relabels"
is "$(cat "$SELINUX_FAKE_RULES")" "" "the dry run added no rule"

# 3. The relabel fails with Docker stopped: rolled back, the rule removed.
: >"$SELINUX_FAKE_LOG"
SELINUX_FAKE_FAIL=restorecon "$BIN" move --to "$VOL/fail" --no-pre-copy --yes --json </dev/null \
        >"$WORK/fail.json" 2>"$WORK/fail.err"
rc=$?
is "$rc" 4 "a failing relabel rolls the move back (exit 4)"
[ $rc = 4 ] || sed 's/^/#   /' "$WORK/fail.err"
like "$(json_get 'j["error"]["message"]' "$WORK/fail.json")" "Relabelling $VOL/fail for SELinux failed" \
        "the error says what failed"
is "$(dockerd_root_dir)" "$OLD" "Docker runs on the old root again"
is "$(cat "$SELINUX_FAKE_RULES")" "" "the rule the move added is gone"
is "$(cat "$SELINUX_FAKE_LOG")" "semanage fcontext -l -C -n
semanage fcontext -l -C -n
semanage fcontext -a -e $OLD $VOL/fail
restorecon -R $VOL/fail
semanage fcontext -l -C -n
semanage fcontext -d $VOL/fail" "the commands: the plan's check, the rule, the relabel, the rule removed"

# 4. Killed in the middle of the relabel (the rule added, the step not
# recorded): run again, it adds no second rule and finishes.
: >"$SELINUX_FAKE_LOG"
SELINUX_FAKE_KILL=1 "$BIN" move --to "$VOL/docker" --no-pre-copy --yes </dev/null >"$WORK/kill.out" 2>&1
rc=$?
is "$rc" 137 "the move was killed during the relabel"
is "$(cat "$SELINUX_FAKE_RULES")" "$VOL/docker = $OLD" "the rule is there"
is "$(json_get '[[r["path"], r["equal"], r["added"]] for r in j["selinux_rules"]]' /var/lib/docker-relocate/state.json)" \
        "[[\"$VOL/docker\", \"$OLD\", true]]" "the journal recorded it as the move's before adding it"
"$BIN" move --to "$VOL/docker" --no-pre-copy --yes </dev/null >"$WORK/resume.out" 2>&1
rc=$?
is "$rc" 0 "run again, the move finishes"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/resume.out"
is "$(dockerd_root_dir)" "$VOL/docker" "Docker runs on the new root"
is "$(grep -c -- "-a -e" "$SELINUX_FAKE_LOG")" 1 "the rule was added once"
is "$(grep -c "^restorecon -R $VOL/docker\$" "$SELINUX_FAKE_LOG")" 2 "the relabel ran again"
is "$(cat "$SELINUX_FAKE_RULES")" "$VOL/docker = $OLD" "one rule, labelling the new root as the old"

# 5. status: the mode and whether the labels match.
"$BIN" status --json </dev/null >"$WORK/status.json" 2>/dev/null
is "$(json_get '[j["selinux"]["mode"], j["selinux"]["labels"]["path"], j["selinux"]["labels"]["match"]]' "$WORK/status.json")" \
        "[\"enforcing\", \"$VOL/docker\", true]" "status: enforcing, the labels match"
printf 'Would relabel %s/image from a to b\n' "$VOL/docker" >"$WORK/wrong"
SELINUX_FAKE_WRONG=$WORK/wrong "$BIN" status --json </dev/null >"$WORK/status.json" 2>/dev/null
is "$(json_get '[j["selinux"]["labels"]["match"], j["selinux"]["labels"]["wrong"]]' "$WORK/status.json")" \
        "[false, 1]" "status: a file labelled otherwise is reported"
SELINUX_FAKE_WRONG=$WORK/wrong "$BIN" status </dev/null >"$WORK/status.txt" 2>&1
like "$(cat "$WORK/status.txt")" "1 of $VOL/docker and its entries differ from the policy" "and said in the human output"

# 6. rollback removes the rule.
"$BIN" rollback --dry-run --json </dev/null >"$WORK/rb.json" 2>/dev/null
is "$(json_get '[s for s in j["plan"]["steps"] if "SELinux" in s]' "$WORK/rb.json")" \
        "[\"Remove the SELinux equivalence rule the move added ('semanage fcontext -d $VOL/docker').\"]" \
        "rollback's plan says it removes the rule"
"$BIN" rollback --yes </dev/null >"$WORK/rb.out" 2>&1
rc=$?
is "$rc" 0 "rollback succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/rb.out"
is "$(dockerd_root_dir)" "$OLD" "Docker runs on the old root"
is "$(cat "$SELINUX_FAKE_RULES")" "" "the rule is gone"
is "$(tail -n 1 "$SELINUX_FAKE_LOG")" "semanage fcontext -d $VOL/docker" "removed with semanage fcontext -d"

# 7. A rule the administrator made before the move is not the move's: it
# stays after a rollback.
echo "$VOL/admin = $OLD" >"$SELINUX_FAKE_RULES"
: >"$SELINUX_FAKE_LOG"
"$BIN" move --to "$VOL/admin" --no-pre-copy --yes </dev/null >"$WORK/admin.out" 2>&1
rc=$?
is "$rc" 0 "a move onto a root that has its rule already succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/admin.out"
is "$(grep -c -- "-a -e" "$SELINUX_FAKE_LOG")" 0 "no rule added"
"$BIN" rollback --yes </dev/null >"$WORK/rb.out" 2>&1
is "$?" 0 "rollback succeeds"
is "$(cat "$SELINUX_FAKE_RULES")" "$VOL/admin = $OLD" "the administrator's rule stays"
is "$(grep -c -- "fcontext -d" "$SELINUX_FAKE_LOG")" 0 "nothing removed"

done_testing
