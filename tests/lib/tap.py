# SPDX-License-Identifier: GPL-2.0-or-later
"""TAP for the Python tests, in the words of tests/lib/tap.sh.

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
    import tap

    tap.ok(cond, "description", detail)   # detail shown when cond is false
    tap.skip("description", "why")         # for what the machine is
    tap.skip_missing("description", "python3-yaml")
    tap.skip_all_missing("the binary")     # before any check; returns the exit status
    sys.exit(tap.done_testing())

As in tap.sh, under CI (CI set, and not "false" or "0") a check that would be
skipped for a missing dependency fails instead: tools/install-deps.sh
installs every dependency there.
"""
import os
import sys

n = 0
failed = 0


def _line(passed, what):
    global n, failed
    n += 1
    if not passed:
        failed += 1
    print("%s %d - %s" % ("ok" if passed else "not ok", n, " ".join(str(what).splitlines())))


def diag(*messages):
    for m in messages:
        for line in str(m).splitlines():
            print("# " + line)
    sys.stdout.flush()


def ok(cond, what, detail=""):
    _line(bool(cond), what)
    if not cond and detail:
        diag(*("  " + line for line in str(detail).splitlines()))
    sys.stdout.flush()
    return bool(cond)


def skip(what, why):
    _line(True, "%s # SKIP %s" % (what, why))


def under_ci():
    ci = os.environ.get("CI", "")
    return ci not in ("", "false", "0")


def skip_missing(what, dependency):
    if under_ci():
        return ok(False, what, "needs %s, which is missing: under CI that is a failure" % dependency)
    skip(what, "needs " + dependency)
    return True


def skip_all_missing(dependency):
    """Prints the plan of a test that cannot run; returns its exit status."""
    if under_ci():
        ok(False, "needs " + dependency, "it is missing: under CI that is a failure")
        return done_testing()
    print("1..0 # SKIP needs " + dependency)
    return int(os.environ.get("TAP_SKIP_STATUS", "77"))


def done_testing():
    """Prints the plan; returns the exit status."""
    print("1..%d" % n)
    sys.stdout.flush()
    return 1 if failed else 0
