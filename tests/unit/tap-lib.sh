#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/tap.sh and tests/lib/tap.py themselves: each check can fail, and
# says why; the plan and the exit status follow the failures; a skip for a
# missing dependency fails under CI; the exit stack runs however a test
# ends, and $WORK goes. Each case is a small script run in its own bash.
set -uo pipefail
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
. "$LIB/tap.sh"

# script NAME CODE: a test script that sources the library, then CODE.
script() {
        printf '. "%s/tap.sh"\n%s\n' "$LIB" "$2" >"$WORK/$1.sh"
}
# run NAME [ENV...]: runs it; its stdout in $out, exit status in $rc.
run() {
        local name=$1
        shift
        out=$(env -u CI -u TAP_SKIP_STATUS -u TAP_KEEP_WORK TMPDIR="$WORK" "$@" bash "$WORK/$name.sh" 2>"$WORK/$name.err")
        rc=$?
}
lines() {
        grep -c "$1" <<<"$out"
}

script checks '
x=1
ok "[ \$x = 1 ]" "true condition"
ok "[ \$x = 2 ]" "false condition"
ok "echo said this
false" "failing command"
ok 0 "an exit status instead of a condition"
is a a "equal"
is "a
b" "a
c" "not equal"
isnt a b "different"
isnt a a "not different"
like "one
two" "^tw" "matches a line"
like one "^tw" "does not match"
unlike one "^tw" "unlike passes"
unlike two "^tw" "unlike fails"
skip "not here" "because"
set_it() { y=set; }
ok set_it "a condition that assigns"
is "$y" set "its assignment stays"
ok "true" "a description
on two lines"
done_testing'
run checks
is "$rc" 1 "failed checks: exit status 1"
is "$(tail -n 1 <<<"$out")" "1..16" "the plan counts every check"
is "$(grep '^ok\|^not ok' <<<"$out" | sed 's/ - .*//' | tr '\n' ' ')" \
        "ok 1 not ok 2 not ok 3 not ok 4 ok 5 not ok 6 ok 7 not ok 8 ok 9 not ok 10 ok 11 not ok 12 ok 13 ok 14 ok 15 ok 16 " \
        "each check passes or fails as it should"
like "$out" "^#   failed \\(status 1\\): '\\[ \\\$x = 2 \\]'$" "a failed condition is shown as written"
like "$out" '^#     false$' "… line by line"
like "$out" '^#     said this$' "and what it printed"
like "$out" "^#   ok takes a condition to run, not an exit status \\('0'\\)$" "ok refuses an exit status"
like "$out" '^#   got:$' "is shows what it got ..."
like "$out" '^#     c$' "… line by line"
like "$out" "^#   got:      'a'$" "isnt shows what it got"
is "$(grep -v '^ok\|^not ok\|^1\.\.' <<<"$out" | grep -vc '^#')" 0 "every diagnostic line is a comment"
like "$out" '^ok 13 - not here # SKIP because$' "skip"
like "$out" '^ok 16 - a description on two lines$' "a description stays on one line"

script passing 'ok true one; is 1 1 two; done_testing'
run passing
is "$rc $out" "0 ok 1 - one
ok 2 - two
1..2" "all passed: exit status 0"

script missing 'skip_missing "a check" "a program (package p)"; ok true other; done_testing'
run missing
is "$rc $(head -n 1 <<<"$out")" "0 ok 1 - a check # SKIP needs a program (package p)" \
        "a missing dependency is a skip ..."
run missing CI=true
is "$rc $(head -n 1 <<<"$out")" "1 not ok 1 - a check" "... and under CI a failure"
run missing CI=false
is "$rc" 0 "CI=false is no CI"

script require 'require "command -v no-such-program-here" "no-such-program-here"; ok true never'
run require
is "$rc $out" "77 1..0 # SKIP needs no-such-program-here" "require: the whole test skips (77)"
run require TAP_SKIP_STATUS=0
is "$rc" 0 "… with the status meson wants"
run require CI=true
is "$rc $out" "1 not ok 1 - needs no-such-program-here
#   no-such-program-here is missing: under CI that is a failure (tools/install-deps.sh installs it)
1..1" "… and under CI fails"

script skipall 'skip_all "not this machine"'
run skipall CI=true
is "$rc $out" "77 1..0 # SKIP not this machine" "skip_all is a skip, under CI too"

# The exit stack: last registered first, however the script ends.
for end in "done_testing" "bail_out stop" "false" "kill -TERM \$\$" "exit 3"; do
        script stack "set -e
echo \"\$WORK\" >$WORK/stack.work
on_exit 'echo first >>$WORK/stack.order'
on_exit 'echo second >>$WORK/stack.order; false'
sandbox_spawn PID sleep 1000
echo \"\$PID\" >$WORK/stack.pid
ok true one
$end"
        rm -f "$WORK/stack.order"
        run stack
        [ "$end" = "kill -TERM \$\$" ] && killed_rc=$rc
        is "$(tr '\n' ' ' <"$WORK/stack.order")" "second first " "$end: the exit stack ran, last first"
        ok '! kill -0 "$(cat "$WORK/stack.pid")" 2>/dev/null' "$end: the spawned process was ended"
        ok '[ ! -e "$(cat "$WORK/stack.work")" ]' "$end: \$WORK is gone"
done
is "$killed_rc" 143 "killed: the status says so"

script keep 'touch "$WORK/kept"'
run keep TAP_KEEP_WORK=1
kept=${out#\# kept }
ok '[ -e "$kept/kept" ]' "TAP_KEEP_WORK=1 keeps \$WORK" && rm -rf "$kept"

# The mount helpers refuse to run outside the namespace sandbox_enter made.
script mount 'sandbox_tmpfs "$WORK/m"; echo mounted'
run mount
is "$rc" 1 "sandbox_tmpfs outside a private mount namespace: refused"
like "$out" '^Bail out! sandbox_mount: not in a private mount namespace' "… saying why"

# What sandbox_mount mounted goes when the script ends: through the exit
# trap, or through sandbox_umount_all in a trap of the script's own (the
# benchmarks'), else its binds outlive it in the namespace it shares with
# whatever runs next. In a private namespace of this test's (root).
for trap_code in "" 'trap sandbox_umount_all EXIT' 'trap true EXIT'; do
        script binds "echo data >\"\$WORK/src\"
sandbox_bind \"\$WORK/src\" \"\$TARGET\" || exit 1
$trap_code
echo bound"
        case $trap_code in
        "") what="the exit trap" want=0 ;;
        *all*) what="a trap of its own calling sandbox_umount_all" want=0 ;;
        *) what="a trap of its own without it" want=1 ;;
        esac
        if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
                skip "binds unmounted at the end, $what" "needs root and unshare"
                continue
        fi
        : >"$WORK/target"
        out=$(env -u CI TMPDIR="$WORK" TARGET="$WORK/target" unshare --mount --propagation private bash -c '
                SANDBOX_NS=$(readlink /proc/self/ns/mnt)
                export SANDBOX_NS
                bash "$1" 2>/dev/null
                awk -v t="$TARGET" "\$5 == t" /proc/self/mountinfo | wc -l' _ "$WORK/binds.sh")
        is "$out" "bound
$want" "binds at the end, $what: $want left"
done

# A long text and an early match: no SIGPIPE under pipefail.
big=$(seq 1 200000)
like "$big" '^1$' "like on a long text that matches at once"

# The Python twin.
py() {
        out=$(env -u CI -u TAP_SKIP_STATUS "$@" python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import tap
tap.ok(True, "one")
tap.ok(False, "two", "why\nnot")
tap.skip_missing("three", "python3-x")
sys.exit(tap.done_testing())' "$LIB")
        rc=$?
}
py
is "$rc $out" "1 ok 1 - one
not ok 2 - two
#   why
#   not
ok 3 - three # SKIP needs python3-x
1..3" "tap.py: ok, its detail, skip_missing, the plan and the status"
py CI=true
like "$out" '^not ok 3 - three$' "tap.py: under CI a missing dependency fails"

done_testing
