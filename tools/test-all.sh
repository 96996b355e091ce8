#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sets up everything and runs the whole test suite:
#   1. installs the build and test dependencies (apt-get, as root);
#   2. builds with warnings as errors and runs the unit suite;
#   3. builds with AddressSanitizer + UBSan and runs the unit suite again;
#   4. builds the packages: the .deb with dpkg-buildpackage (its unit suite
#      included) checked by lintian, and the RPM with rpmbuild;
#   5. runs the root suite (loop devices, mounts, a real dockerd, each test in
#      a private mount namespace) and the VM suite (real systemd under QEMU),
#      whose scenarios install that same .deb: one scenario per capability;
#      the others are the vm-more suite, run on demand (SUITES=vm-more);
#   6. builds the libFuzzer targets with clang and runs each for 30 s
#      (FUZZ_SECONDS) from its seed corpus (suite "fuzz").
# The root suite runs with the AddressSanitizer build's binary (ROOT_BUILD,
# below). Without root, step 1 and step 5 are skipped and say so.
#
# Every build here but the fuzz targets' is a test build:
# -Dfault_injection=true compiles in the hooks the crash and fault tests
# drive (never in an installed build; the packages are built without it).
set -euo pipefail

cd "$(dirname "$0")/.."
suites=${SUITES:-unit asan packages root vm fuzz}
# The root suite runs once, with the AddressSanitizer + UBSan build's
# binary (ROOT_BUILD=asan, the default): a second run with the plain
# binary would take the same paths without the checks, and the plain
# binary is what the VM scenarios run (some of them from the packages).
# ROOT_BUILD=plain runs it with the plain build instead.
root_build=${ROOT_BUILD:-asan}
asan_opts=detect_leaks=1:abort_on_error=1
ubsan_opts=halt_on_error=1:print_stacktrace=1

if [ "$(id -u)" -eq 0 ]; then
        WITH_VM=1 tools/install-deps.sh
else
        echo "test-all: not root: not installing dependencies; root and vm suites will skip." >&2
fi

# The images the chosen VM suites boot, built in the background while the
# builds, the unit suites and the packages run, so that the image builds
# (minutes each, downloads and dpkg for the most part) are off the VM
# suites' clock; the root suite waits for them to end. A scenario finds its
# image in the cache, or waits on the cache's lock for a build still under
# way. A build that fails here is not counted: the scenario that needs the
# image builds it again and fails there, with its log.
images_pid=
build_images_ahead() {
        local scenarios
        [ "$(id -u)" -eq 0 ] || return 0
        # shellcheck disable=SC2086
        scenarios=$(meson introspect --tests build | python3 -c '
import json, sys
want = set(sys.argv[1:]) & {"vm", "vm-more"}
print(" ".join(t["name"] for t in json.load(sys.stdin) if {s.split(":")[-1] for s in t["suite"]} & want))
' $suites)
        [ -n "$scenarios" ] || return 0
        echo "test-all: building the VM images of $scenarios in the background (build/vm-images.log)"
        # shellcheck disable=SC2086
        timeout 3600 bash -c 'for s; do tests/vm/run-scenario.sh --image-only "$s" || exit 1; done' \
                build-images $scenarios >build/vm-images.log 2>&1 &
        images_pid=$!
}
# Before the root suite or the first VM suite, and at any exit: never left
# running.
wait_images() {
        [ -n "$images_pid" ] || return 0
        if wait "$images_pid"; then
                echo "test-all: VM images ready"
        else
                echo "test-all: building the VM images ahead failed; the scenarios build them again:" >&2
                tail -n 20 build/vm-images.log >&2
        fi
        images_pid=
}
stop_images() {
        [ -n "$images_pid" ] || return 0
        kill -TERM "$images_pid" 2>/dev/null
        wait_images
}
trap stop_images EXIT

logs=()
setup() {
        local dir=$1
        shift
        if [ ! -d "$dir" ]; then
                meson setup "$dir" "$@"
        else
                meson setup --reconfigure "$dir" "$@" >/dev/null
        fi
        meson compile -C "$dir"
}

run_suite() {
        local dir=$1 suite=$2
        shift 2
        local rc=0
        meson test -C "$dir" --suite "$suite" --print-errorlogs "$@" || rc=$?
        logs+=("$dir/meson-logs/testlog.json")
        cp "$dir/meson-logs/testlog.json" "$dir/meson-logs/testlog-$suite.json" 2>/dev/null || true
        logs[-1]="$dir/meson-logs/testlog-$suite.json"
        return $rc
}

# What the tests must never touch on this machine: its Docker, containerd
# and fstab, and this tool's own state. Compared before and after the suites
# that run as root; a difference is a failed check ("machine untouched").
machine_state() {
        local p
        sha256sum /etc/fstab 2>&1
        for p in /etc/docker /etc/containerd /var/lib/docker /var/lib/containerd /var/lib/docker-relocate; do
                if [ -e "$p" ]; then
                        echo "$p: $(find "$p" -maxdepth 1 -printf '%p %y %s %T@\n' 2>&1 | sort | sha256sum)"
                else
                        echo "$p: absent"
                fi
        done
}

status=0
pkg_passed=0
pkg_failed=0
setup build -Dwerror=true -Dfault_injection=true
build_images_ahead

# A plain "meson test" runs the unit suite only (the default test setup);
# each suite here is named with --suite, which overrides that. Every suite
# meson knows must be one this script runs by default or one of the two run
# on demand: vm-more (SUITES=vm-more: the VM scenarios besides one per
# capability, whose boots would take a run past an hour and a half on a
# machine that emulates slowly) and vm-harness (the VM harness's own
# checks). And every scenario in tests/vm/scenarios/ must be a test of one
# of those suites, but the benchmarks (bench-*, which print figures, not
# verdicts, and run on demand: bench/vm-gp3.sh, bench/README.md): a
# scenario taken out of one suite and put in none would no longer run
# anywhere. A new suite or scenario is not left out silently.
unknown=$(meson introspect --tests build | python3 -c '
import json, os, sys
known = {"unit", "root", "vm", "vm-more", "vm-harness"}
tests = json.load(sys.stdin)
suites = {s.split(":")[-1] for t in tests for s in t["suite"]}
vm = {t["name"] for t in tests if any(s.split(":")[-1].startswith("vm") for s in t["suite"])}
scenarios = {f[:-3] for f in os.listdir("tests/vm/scenarios") if f.endswith(".sh") and not f.startswith("bench-")}
out = ["suites this script does not run: " + " ".join(sorted(suites - known))] if suites - known else []
out += ["VM scenarios in no suite: " + " ".join(sorted(scenarios - vm))] if scenarios - vm else []
print("; ".join(out))
')
if [ -n "$unknown" ]; then
        echo "test-all: $unknown" >&2
        status=1
fi
machine_before=$(machine_state)
for s in $suites; do
        case $s in
        unit) run_suite build unit || status=1 ;;
        asan)
                setup build-asan -Dwerror=true -Dfault_injection=true -Db_sanitize=address,undefined -Db_lundef=false
                ASAN_OPTIONS=$asan_opts UBSAN_OPTIONS=$ubsan_opts run_suite build-asan unit || status=1
                ;;
        packages)
                # Once per run: the VM scenarios install this .deb
                # (run-scenario.sh --deb auto takes DOCKER_RELOCATE_DEB).
                start=$SECONDS
                if deb=$(tools/build-deb.sh --lintian build/packages | tail -n 1); then
                        echo "test-all: $(basename "$deb") built and lintian-clean in $((SECONDS - start)) s"
                        export DOCKER_RELOCATE_DEB=$deb
                        pkg_passed=$((pkg_passed + 1))
                else
                        echo "test-all: the Debian package failed (build/packages/build.log)" >&2
                        status=1
                        pkg_failed=$((pkg_failed + 1))
                fi
                start=$SECONDS
                if rpm=$(tools/build-rpm.sh build build/packages/rpm | tail -n 1); then
                        echo "test-all: $(basename "$rpm") built in $((SECONDS - start)) s"
                        pkg_passed=$((pkg_passed + 1))
                else
                        echo "test-all: the RPM failed (build/packages/rpm/build.log)" >&2
                        status=1
                        pkg_failed=$((pkg_failed + 1))
                fi
                ;;
        root)
                # Its loop devices and mounts are not shared with the image
                # builds (a loop device it takes to be free, say).
                wait_images
                if [ "$root_build" = plain ]; then
                        run_suite build root --num-processes 1 || status=1
                else
                        setup build-asan -Dwerror=true -Dfault_injection=true -Db_sanitize=address,undefined -Db_lundef=false
                        ASAN_OPTIONS=$asan_opts UBSAN_OPTIONS=$ubsan_opts \
                                run_suite build-asan root --num-processes 1 || status=1
                fi
                ;;
        # Under CI (CI=true) a test that cannot run for want of a dependency
        # fails instead of skipping (tests/lib/tap.sh, run-scenario.sh).
        vm | vm-more)
                wait_images
                run_suite build "$s" --num-processes 1 || status=1
                ;;
        fuzz)
                if ! command -v clang >/dev/null; then
                        echo "test-all: no clang: the fuzz suite cannot run." >&2
                        status=1
                        continue
                fi
                CC=clang setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
                # Its TAP in a log of the same shape as meson's, for the count
                # below (named as meson names its tests); the targets run
                # side by side, so each run is given its share of the
                # suite's time.
                start=$SECONDS
                tests/fuzz/run.sh "${FUZZ_SECONDS:-30}" build-fuzz | tee build-fuzz/fuzz.tap || status=1
                python3 - build-fuzz/fuzz.tap build-fuzz/testlog-fuzz.json $((SECONDS - start)) <<'PY'
import json, re, sys
lines = [m for m in (re.match(r"(not )?ok \d+ - (.*)", l) for l in open(sys.argv[1])) if m]
runs = [m for m in lines if " inputs in " in m.group(2)]
with open(sys.argv[2], "w") as out:
    for m in lines:
        out.write(json.dumps({"name": "docker-relocate:fuzz / " + m.group(2), "result": "FAIL" if m.group(1) else "OK",
                              "duration": int(sys.argv[3]) / len(runs) if m in runs else 0}) + "\n")
PY
                logs+=("build-fuzz/testlog-fuzz.json")
                ;;
        esac
done

if [ "$(id -u)" -eq 0 ]; then
        machine_after=$(machine_state)
        python3 - "$machine_before" "$machine_after" build/testlog-machine.json <<'PY' || status=1
import difflib, json, sys
before, after, path = sys.argv[1:4]
diff = [l for l in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if l[:1] in "+-" and l[:3] not in ("---", "+++")]
out = "ok 1 - the machine's Docker, containerd, fstab and docker-relocate state untouched\n"
if diff:
    out = "not ok 1 - the tests changed the machine's Docker, containerd, fstab or docker-relocate state\n"
    out += "".join("# %s\n" % l for l in diff)
with open(path, "w") as f:
    f.write(json.dumps({"name": "machine untouched", "result": "FAIL" if diff else "OK", "stdout": out}) + "\n")
sys.exit(1 if diff else 0)
PY
        logs+=("build/testlog-machine.json")
fi

# The skips by name, then one closing line that counts every TAP subtest of
# every suite run (a test that printed no subtest counts as one), and the
# packages built.
python3 - "$pkg_passed" "$pkg_failed" "${logs[@]}" <<'PY'
import json, os, re, sys
passed, failed, skipped = int(sys.argv[1]), int(sys.argv[2]), 0
sys.argv[1:3] = []
skips, fails = [], []
# Seconds per suite, and the slowest tests: where the run's time went.
suite_time, slow = {}, []
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        t = json.loads(line)
        name, res = t["name"].split(":", 1)[-1].replace(" / ", "/"), t.get("result")
        out = (t.get("stdout") or "").splitlines()
        tap = [l for l in out if re.match(r"(not )?ok\b", l)]
        dur = t.get("duration") or 0
        suite = os.path.basename(path).replace("testlog-", "").replace(".json", "")
        where = path.split("/")[0]
        key = suite if where == "build" else "%s (%s)" % (suite, where)
        suite_time[key] = suite_time.get(key, 0) + dur
        slow.append((dur, name))
        bad = 0
        for i, l in enumerate(out):
            if not re.match(r"(not )?ok\b", l):
                continue
            skip = re.search(r"#\s*SKIP\b\s*(.*)$", l, re.I)
            if l.startswith("not ok") and not re.search(r"#\s*TODO\b", l, re.I):
                bad += 1
                # The diagnostics that follow it, a few lines: the tail of
                # a long log then says why, not only what.
                diag = []
                for d in out[i + 1:]:
                    if not d.startswith("#") or len(diag) == 12:
                        break
                    diag.append("    " + d[:200])
                fails.append("%s: %s" % (name, l) + "".join("\n" + d for d in diag))
            elif skip:
                skipped += 1
                skips.append("%s: %s" % (name, re.sub(r"^ok\s*\d*\s*-?\s*", "", l)))
            else:
                passed += 1
        failed += bad
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 0 if tap else 1
        elif res == "SKIP":
            skipped += 1
            plan = re.search(r"^1\.\.0\s*#\s*SKIP\s*(.*)$", t.get("stdout") or "", re.M)
            skips.append("%s: # SKIP %s" % (name, plan.group(1) if plan else "(no reason given)"))
        elif not bad:
            # Failed without a failed subtest: a crash, a missing plan, a timeout.
            failed += 1
            fails.append("%s: %s without a failed subtest (crash, missing plan or timeout; its log names the cause)" % (name, res))
for s in skips:
    print("skipped: " + s)
print("time: " + ", ".join("%s %d s" % (k, v) for k, v in suite_time.items()))
print("slowest: " + ", ".join("%s %d s" % (n, d) for d, n in sorted(slow, reverse=True)[:6]))
# Last, so that the tail of a long log names what failed.
for f in fails:
    print("FAILED: " + f)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
