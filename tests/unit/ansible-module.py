#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible collection under contrib/ansible (docker_relocate.relocate):
# its modules docker_relocate and docker_relocate_info, without Ansible. A
# small stand-in for ansible.module_utils.basic.AnsibleModule is put into
# sys.modules (parameters with defaults, choices, types, lists,
# mutually_exclusive, required_if; exit_json/fail_json raise), the
# collection's module_utils is loaded under its collection name, and the
# modules run a stand-in docker-relocate that records its argv and prints a
# canned JSON object with a given exit status. What is checked is the
# modules' side of the contract: the command line they build in every
# state, check mode, changed, diff, idempotence decided from the tool's
# record, and the failure mapping. The VM suite runs the collection under
# real Ansible against the real program.
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tap  # noqa: E402

SRCDIR = os.environ.get("SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
COLLECTION = os.path.join(SRCDIR, "contrib", "ansible")
UTILS_NAME = "ansible_collections.docker_relocate.relocate.plugins.module_utils.docker_relocate"


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


class StubAnsibleModule:
    """Just enough of AnsibleModule for this module, strict where it counts."""

    args = {}
    last = None

    def __init__(self, argument_spec, supports_check_mode=False, mutually_exclusive=(), required_if=(), **kw):
        assert not kw, "unexpected AnsibleModule arguments %r" % kw
        StubAnsibleModule.last = self
        self.argument_spec = argument_spec
        self.supports_check_mode = supports_check_mode
        args = dict(StubAnsibleModule.args)
        self.check_mode = args.pop("_ansible_check_mode", False)
        self._diff = args.pop("_ansible_diff", False)
        self.warnings = []
        unknown = set(args) - set(argument_spec)
        if unknown:
            self.fail_json(msg="Unsupported parameters: %s" % ", ".join(sorted(unknown)))
        self.params = {}
        for name, spec in argument_spec.items():
            value = args.get(name, spec.get("default"))
            if value is not None:
                kind = spec.get("type", "str")
                if kind == "bool":
                    value = value if isinstance(value, bool) else str(value).lower() in ("yes", "true", "1")
                elif kind == "int":
                    value = int(value)
                elif kind == "list":
                    value = [str(v) for v in (value if isinstance(value, list) else str(value).split(","))]
                else:
                    value = str(value)
                values = value if kind == "list" else [value]
                if "choices" in spec and any(v not in spec["choices"] for v in values):
                    self.fail_json(msg="value of %s must be one of: %s" % (name, spec["choices"]))
            self.params[name] = value
        for group in mutually_exclusive:
            if sum(1 for n in group if self.params.get(n) not in (None, False)) > 1:
                self.fail_json(msg="parameters are mutually exclusive: %s" % "|".join(group))
        for rule in required_if:
            key, val, needed = rule[0], rule[1], rule[2]
            any_of = len(rule) > 3 and rule[3]
            if self.params.get(key) == val:
                have = [n for n in needed if self.params.get(n) is not None]
                if (any_of and not have) or (not any_of and len(have) != len(needed)):
                    self.fail_json(msg="%s is %s but %s of the following are missing: %s"
                                   % (key, val, "any" if any_of else "all", ", ".join(needed)))

    def run_command(self, cmd):
        assert isinstance(cmd, list)
        p = subprocess.run(cmd, capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def get_bin_path(self, name, required=False, opt_dirs=()):
        path = shutil.which(name)
        if not path and required:
            self.fail_json(msg="Failed to find required executable %s" % name)
        return path

    def warn(self, warning):
        self.warnings.append(warning)

    def exit_json(self, **kw):
        assert "failed" not in kw
        raise ExitJson(kw)

    def fail_json(self, **kw):
        assert "msg" in kw
        kw["failed"] = True
        raise FailJson(kw)


basic = types.ModuleType("ansible.module_utils.basic")
basic.AnsibleModule = StubAnsibleModule
for name in ("ansible", "ansible.module_utils"):
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules["ansible.module_utils.basic"] = basic


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(COLLECTION, path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# The collection's module_utils under the name the modules import it by.
parts = UTILS_NAME.split(".")
for i in range(1, len(parts)):
    sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
utils = load(UTILS_NAME, "plugins/module_utils/docker_relocate.py")
doc_fragment = load("docker_relocate_doc_fragment", "plugins/doc_fragments/docker_relocate.py")
docker_relocate = load("docker_relocate", "plugins/modules/docker_relocate.py")
docker_relocate_info = load("docker_relocate_info", "plugins/modules/docker_relocate_info.py")

FAKE = r"""#!/usr/bin/env python3
import json, os, sys
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
sys.stdout.write(open(os.environ["FAKE_STDOUT"]).read())
sys.stderr.write(os.environ.get("FAKE_STDERR", ""))
sys.exit(int(os.environ.get("FAKE_RC", "0")))
"""

DIFF = "--- a/etc/docker/daemon.json\n+++ b/etc/docker/daemon.json\n@@ -1 +1 @@\n-{}\n+{\"data-root\": \"/mnt/docker-data/docker\"}\n"

# The canned reports are objects the tool may print: each keeps the JSON
# contract (test_canned_reports_keep_the_contract), so that the modules are
# tested against the shape the tool has.
PLANNED = {
    "schema_version": 1, "command": "move", "changed": False, "status": "planned", "dry_run": True,
    "old_data_root": "/var/lib/docker", "new_data_root": "/mnt/docker-data/docker", "device": "/dev/nvme1n1",
    "mount": "/mnt/docker-data", "volume_id": None, "downtime_seconds": None, "steps": [], "final_pass": [],
    "plan": {"steps": ["prepare", "copy"], "diff": DIFF, "refusals": [], "downtime_estimate_seconds": 2.0,
             "size": {"bytes": 4096, "apparent_bytes": 4096, "inodes": 1}},
    "warnings": [], "error": None,
}
UNCHANGED = dict(PLANNED, status="unchanged", dry_run=False, plan=dict(PLANNED["plan"], diff=None))
DONE = dict(PLANNED, changed=True, status="changed", dry_run=False, downtime_seconds=12.3,
            final_pass=[{"what": "data root", "kind": "changes", "directories": 9, "reason": None}],
            steps=[{"name": "copy", "seconds": 10.0}], warnings=["a container did not start"])
ROLLED_BACK = dict(DONE, command="rollback")
CLEANED = dict(DONE, command="cleanup")
# A rollback with nothing to do (no move, or rolled back already).
NOTHING_TO_ROLL_BACK = dict(UNCHANGED, command="rollback", plan=dict(UNCHANGED["plan"], steps=[
    "The last move, to /mnt/docker-data/docker, was rolled back already ('rolled-back')."]))
SET = {"schema_version": 1, "command": "set-data-root", "changed": True, "status": "changed", "dry_run": False,
       "old_data_root": "/var/lib/docker", "new_data_root": "/mnt/docker-data/docker", "device": None,
       "steps": [{"name": "configure", "seconds": 0.001}],
       "plan": {"steps": ["Set the data root to /mnt/docker-data/docker in /etc/docker/daemon.json"],
                "diff": DIFF, "config_place": "/etc/docker/daemon.json",
                "files": [{"path": "/etc/docker/daemon.json", "created": True, "backup": None}]},
       "warnings": [], "error": None}
SET_DRY = dict(SET, changed=False, status="planned", dry_run=True, steps=[])
SET_SAME = dict(SET, changed=False, status="unchanged", steps=[], plan=dict(SET["plan"], steps=[], diff=None,
                                                                         files=[]))


STATUS = {"init_system": "systemd", "data_root": {"path": "/var/lib/docker", "via": "default"},
          "conflicts": [], "warnings": []}
DISKS = [{"node": "/dev/nvme1n1", "volume_id": "vol-0123456789abcdef0", "eligible": True, "reasons": []}]

# A stand-in that prints, for its command (the word after any --root DIR),
# the object FAKE_OUTPUTS has for it, and exits FAKE_RC_<COMMAND> or 0.
FAKE_BY_COMMAND = r"""#!/usr/bin/env python3
import json, os, sys
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
if args[:1] == ["--root"]:
    args = args[2:]
print(json.dumps(json.loads(os.environ["FAKE_OUTPUTS"]).get(args[0], {})))
sys.exit(int(os.environ.get("FAKE_RC_" + args[0].upper(), "0")))
"""


# The status of each failing exit status (docker-relocate(8), JSON OUTPUT).
FAILED_STATUS = {1: "failed", 2: "failed", 3: "refused", 4: "rolled-back", 5: "needs-human"}


def failed_report(code, message, advice=None, command="move"):
    return dict(PLANNED, command=command, status=FAILED_STATUS[code], dry_run=False, changed=code == 5,
                error={"code": code, "message": message, "advice": advice})


class ModuleTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.bin = os.path.join(self.dir, "docker-relocate")
        with open(self.bin, "w") as f:
            f.write(FAKE)
        os.chmod(self.bin, 0o755)
        self.log = os.path.join(self.dir, "argv.log")
        os.environ["FAKE_LOG"] = self.log
        os.environ["FAKE_STDOUT"] = os.path.join(self.dir, "stdout")
        os.environ.pop("FAKE_STDERR", None)
        utils.STATE_FILE = os.path.join(self.dir, "state.json")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_module(self, report, rc=0, module=None, **args):
        with open(os.environ["FAKE_STDOUT"], "w") as f:
            f.write(report if isinstance(report, str) else json.dumps(report, indent=1))
        os.environ["FAKE_RC"] = str(rc)
        args.setdefault("executable", self.bin)
        StubAnsibleModule.args = args
        try:
            (module or docker_relocate).main()
        except ExitJson as e:
            return e.args[0]
        except FailJson as e:
            return e.args[0]
        self.fail("the module neither exited nor failed")

    def journal(self, phase):
        with open(utils.STATE_FILE, "w") as f:
            json.dump({"phase": phase, "old_data_root": "/var/lib/docker",
                       "new_data_root": "/mnt/docker-data/docker"}, f)

    def argv(self):
        if not os.path.exists(self.log):
            return []
        return [json.loads(line) for line in open(self.log)]

    def test_supports_check_mode(self):
        self.run_module(DONE, device="/dev/nvme1n1")
        self.assertTrue(StubAnsibleModule.last.supports_check_mode)

    def test_check_mode_dry_run_never_yes(self):
        r = self.run_module(PLANNED, device="vol-0123456789abcdef0", _ansible_check_mode=True)
        self.assertNotIn("failed", r)
        (argv,) = self.argv()
        self.assertIn("--dry-run", argv)
        self.assertIn("--json", argv)
        self.assertNotIn("--yes", argv)
        self.assertEqual(argv[:3], ["move", "--device", "vol-0123456789abcdef0"])

    def test_check_mode_changed_when_planned(self):
        r = self.run_module(PLANNED, device="/dev/nvme1n1", _ansible_check_mode=True)
        self.assertIs(r["changed"], True)
        self.assertEqual(r["status"], "planned")

    def test_check_mode_unchanged_when_done(self):
        r = self.run_module(UNCHANGED, device="/dev/nvme1n1", _ansible_check_mode=True)
        self.assertIs(r["changed"], False)

    def test_real_run_yes_json(self):
        r = self.run_module(DONE, device="/dev/nvme1n1")
        (argv,) = self.argv()
        self.assertEqual(argv, ["move", "--device", "/dev/nvme1n1", "--yes", "--json"])
        self.assertIs(r["changed"], True)
        self.assertEqual(r["status"], "changed")
        self.assertEqual(r["new_data_root"], "/mnt/docker-data/docker")
        self.assertEqual(r["downtime_seconds"], 12.3)
        self.assertEqual(r["rc"], 0)
        self.assertEqual(r["relocate"]["steps"], DONE["steps"])

    def test_changed_only_when_the_tool_says_so(self):
        r = self.run_module(UNCHANGED, device="/dev/nvme1n1")
        self.assertIs(r["changed"], False)
        self.assertEqual(r["status"], "unchanged")

    def test_tool_warnings_become_ansible_warnings(self):
        self.run_module(DONE, device="/dev/nvme1n1")
        self.assertEqual(StubAnsibleModule.last.warnings, ["a container did not start"])

    def test_all_move_options(self):
        self.run_module(DONE, device="sdf", mount="/srv/docker-data", fs="xfs", label="dock", partition=True,
                        wipe=True, wait_device=300, pre_copy=False, copier="rsync", delete_old=True)
        (argv,) = self.argv()
        self.assertEqual(argv, ["move", "--device", "sdf", "--mount", "/srv/docker-data", "--fs", "xfs",
                                "--label", "dock", "--wait-device", "300", "--partition", "--wipe",
                                "--no-pre-copy", "--copier", "rsync", "--delete-old", "--yes", "--json"])

    def test_to_and_pre_copy(self):
        self.run_module(DONE, to="/srv/docker", pre_copy=True)
        (argv,) = self.argv()
        self.assertEqual(argv, ["move", "--to", "/srv/docker", "--pre-copy", "--yes", "--json"])

    def test_diff_mode(self):
        r = self.run_module(PLANNED, device="/dev/nvme1n1", _ansible_check_mode=True, _ansible_diff=True)
        self.assertEqual(r["diff"], {"prepared": DIFF})
        r = self.run_module(PLANNED, device="/dev/nvme1n1", _ansible_check_mode=True)
        self.assertNotIn("diff", r)
        r = self.run_module(UNCHANGED, device="/dev/nvme1n1", _ansible_diff=True)
        self.assertNotIn("diff", r)

    def test_refused_rc3(self):
        r = self.run_module(failed_report(3, "/dev/nvme1n1 holds an ext4 filesystem"), rc=3,
                            device="/dev/nvme1n1")
        self.assertTrue(r["failed"])
        self.assertEqual(r["rc"], 3)
        self.assertIs(r["changed"], False)
        self.assertIn("refused", r["msg"])
        self.assertIn("/dev/nvme1n1 holds an ext4 filesystem", r["msg"])

    def test_rolled_back_rc4(self):
        r = self.run_module(failed_report(4, "Verification failed: images differ"), rc=4, device="/dev/nvme1n1")
        self.assertTrue(r["failed"])
        self.assertEqual(r["rc"], 4)
        self.assertIs(r["changed"], False)
        self.assertIn("rolled back", r["msg"])
        self.assertNotIn("NOT", r["msg"])
        self.assertIn("Verification failed: images differ", r["msg"])

    def test_needs_human_rc5(self):
        r = self.run_module(failed_report(5, "Docker did not start", advice="Copy the backups back."), rc=5,
                            device="/dev/nvme1n1")
        self.assertTrue(r["failed"])
        self.assertEqual(r["rc"], 5)
        self.assertIs(r["changed"], True)
        self.assertIn("NOT rolled back", r["msg"])
        self.assertIn("Docker did not start", r["msg"])
        self.assertIn("Copy the backups back.", r["msg"])

    def test_failed_keeps_the_tools_changed(self):
        # A move that failed before the stop may have written (the journal,
        # a volume taken back): the tool says so, and the task too.
        r = self.run_module(dict(failed_report(1, "The live copy failed"), changed=True), rc=1, device="d")
        self.assertTrue(r["failed"])
        self.assertIs(r["changed"], True)
        r = self.run_module(dict(failed_report(1, "x"), changed=False), rc=1, device="d")
        self.assertIs(r["changed"], False)

    def test_unreadable_record_fails(self):
        # Not root: the record (0600) cannot be read. That is no "nothing
        # was ever moved", which would report a rollback as reached.
        self.journal("done")
        os.chmod(utils.STATE_FILE, 0)
        if os.access(utils.STATE_FILE, os.R_OK):
            # root reads it anyway: a directory stands in for the file.
            os.unlink(utils.STATE_FILE)
            os.mkdir(utils.STATE_FILE)
        r = self.run_module(ROLLED_BACK, state="rolled_back")
        self.assertTrue(r["failed"])
        self.assertIn("Cannot read the record", r["msg"])
        self.assertEqual(self.argv(), [])

    def test_messages_differ_for_4_and_5(self):
        a = self.run_module(failed_report(4, "x"), rc=4, device="d")["msg"]
        b = self.run_module(failed_report(5, "x"), rc=5, device="d")["msg"]
        self.assertNotEqual(a, b)

    def test_no_json(self):
        os.environ["FAKE_STDERR"] = "Segmentation fault\n"
        r = self.run_module("", rc=139, device="/dev/nvme1n1")
        self.assertTrue(r["failed"])
        self.assertIn("Segmentation fault", r["msg"])
        r = self.run_module("not json", rc=0, device="/dev/nvme1n1")
        self.assertTrue(r["failed"])
        self.assertIn("no JSON", r["msg"])

    def test_rolled_back_state(self):
        self.journal("done")
        r = self.run_module(ROLLED_BACK, state="rolled_back")
        (argv,) = self.argv()
        self.assertEqual(argv, ["rollback", "--yes", "--json"])
        self.assertIs(r["changed"], True)

    def test_rolled_back_check_mode(self):
        self.journal("done")
        r = self.run_module(PLANNED, state="rolled_back", _ansible_check_mode=True)
        (argv,) = self.argv()
        self.assertEqual(argv, ["rollback", "--dry-run", "--json"])
        self.assertIs(r["changed"], True)

    def test_cleaned_state(self):
        self.run_module(CLEANED, state="cleaned")
        (argv,) = self.argv()
        self.assertEqual(argv, ["cleanup", "--yes", "--json"])

    def test_already_rolled_back_is_unchanged(self):
        self.journal("undone")
        r = self.run_module(DONE, state="rolled_back")
        self.assertEqual(self.argv(), [])
        self.assertIs(r["changed"], False)
        self.assertEqual(r["last_move"]["phase"], "undone")
        r = self.run_module(DONE, state="cleaned")
        self.assertEqual(len(self.argv()), 1)

    def test_rolled_back_after_an_abandoned_move_is_unchanged(self):
        # "rollback --yes" of an interrupted move leaves the phase
        # rolled-back; a second rollback has nothing to do (the tool says
        # unchanged, exit 0), which for Ansible is the state reached, in
        # check mode too.
        self.journal("rolled-back")
        r = self.run_module(NOTHING_TO_ROLL_BACK, state="rolled_back")
        self.assertNotIn("failed", r)
        self.assertIs(r["changed"], False)
        r = self.run_module(NOTHING_TO_ROLL_BACK, state="rolled_back", _ansible_check_mode=True)
        self.assertNotIn("failed", r)
        self.assertIs(r["changed"], False)
        self.assertEqual(self.argv(), [])

    def test_rolled_back_without_any_move_is_unchanged(self):
        r = self.run_module(NOTHING_TO_ROLL_BACK, state="rolled_back")
        self.assertNotIn("failed", r)
        self.assertIs(r["changed"], False)
        self.assertEqual(self.argv(), [])

    def test_the_tools_unchanged_is_not_changed(self):
        # Where the record does not decide, the tool's own answer does.
        self.journal("done")
        r = self.run_module(NOTHING_TO_ROLL_BACK, state="rolled_back")
        self.assertIs(r["changed"], False)
        self.assertEqual(r["status"], "unchanged")
        self.assertEqual(self.argv(), [["rollback", "--yes", "--json"]])

    def test_canned_reports_keep_the_contract(self):
        sys.path.insert(0, os.path.join(SRCDIR, "tests", "helpers"))
        import json_contract
        reports = dict(PLANNED=(PLANNED, 0), UNCHANGED=(UNCHANGED, 0), DONE=(DONE, 0), ROLLED_BACK=(ROLLED_BACK, 0),
                       CLEANED=(CLEANED, 0), NOTHING_TO_ROLL_BACK=(NOTHING_TO_ROLL_BACK, 0), SET=(SET, 0),
                       SET_DRY=(SET_DRY, 0), SET_SAME=(SET_SAME, 0))
        for code in (1, 3, 4, 5):
            reports["failed %d" % code] = (failed_report(code, "x", advice="y"), code)
        for name, (report, code) in reports.items():
            self.assertEqual(json_contract.problems(json.dumps(report), code), [], name)

    def test_rolled_back_of_an_interrupted_move_runs_the_tool(self):
        for phase in ("planned", "stopped", "configured", "done"):
            self.journal(phase)
            r = self.run_module(ROLLED_BACK, state="rolled_back")
            self.assertIs(r["changed"], True, phase)
        self.assertEqual(self.argv(), [["rollback", "--yes", "--json"]] * 4)

    def test_cleaned_twice_is_unchanged(self):
        self.journal("cleaned")
        r = self.run_module(DONE, state="cleaned", _ansible_check_mode=True)
        self.assertIs(r["changed"], False)
        r = self.run_module(DONE, state="cleaned")
        self.assertIs(r["changed"], False)
        self.assertEqual(self.argv(), [])

    def test_failed_move_needs_the_tool(self):
        # A move the rollback could not finish: rolled_back must run the
        # tool and fail with its advice, never report success.
        self.journal("failed")
        r = self.run_module(failed_report(3, "The last move is 'failed'"), rc=3,
                            state="rolled_back")
        self.assertTrue(r["failed"])
        self.assertEqual(len(self.argv()), 1)

    def test_configured(self):
        r = self.run_module(SET, state="configured", data_root="/mnt/docker-data/docker", root="/mnt/image",
                            _ansible_diff=True)
        (argv,) = self.argv()
        self.assertEqual(argv, ["--root", "/mnt/image", "set-data-root", "/mnt/docker-data/docker", "--json"])
        self.assertIs(r["changed"], True)
        self.assertEqual(r["diff"], {"prepared": DIFF})
        self.assertEqual(r["new_data_root"], "/mnt/docker-data/docker")

    def test_configured_check_mode(self):
        r = self.run_module(SET_DRY, state="configured", data_root="/srv/docker", _ansible_check_mode=True,
                            _ansible_diff=True)
        (argv,) = self.argv()
        self.assertEqual(argv, ["set-data-root", "/srv/docker", "--dry-run", "--json"])
        self.assertIs(r["changed"], True)
        self.assertEqual(r["diff"], {"prepared": DIFF})
        r = self.run_module(SET_SAME, state="configured", data_root="/srv/docker", _ansible_check_mode=True,
                            _ansible_diff=True)
        self.assertIs(r["changed"], False)
        self.assertNotIn("diff", r)
        r = self.run_module(SET_SAME, state="configured", data_root="/srv/docker")
        self.assertIs(r["changed"], False)

    def test_configured_needs_data_root(self):
        r = self.run_module(DONE, state="configured")
        self.assertTrue(r["failed"])
        self.assertEqual(self.argv(), [])

    def test_options_of_another_state_are_refused(self):
        for state, extra in (("configured", dict(device="sdf")), ("rolled_back", dict(wipe=True)),
                             ("cleaned", dict(data_root="/srv/docker")), ("moved", dict(root="/mnt/image")),
                             ("rolled_back", dict(root="/mnt/image")), ("cleaned", dict(copier="rsync"))):
            args = dict(extra, state=state)
            if state == "configured":
                args["data_root"] = "/srv/docker"
            if state == "moved":
                args["device"] = "sdf"
            r = self.run_module(DONE, **args)
            self.assertTrue(r.get("failed"), (state, extra))
            self.assertIn("does not take", r["msg"])
        self.assertEqual(self.argv(), [])

    def test_safety_options(self):
        self.run_module(DONE, device="/dev/nvme2n1", allow_instance_store=True, force=True)
        (argv,) = self.argv()
        self.assertEqual(argv, ["move", "--device", "/dev/nvme2n1", "--allow-instance-store", "--force", "--yes",
                                "--json"])

    def test_to_with_force(self):
        self.run_module(DONE, to="/srv/docker", force=True)
        (argv,) = self.argv()
        self.assertEqual(argv, ["move", "--to", "/srv/docker", "--force", "--yes", "--json"])

    def test_to_takes_no_instance_store(self):
        r = self.run_module(DONE, to="/srv/docker", allow_instance_store=True)
        self.assertTrue(r["failed"])
        self.assertEqual(self.argv(), [])

    def test_diff_of_a_real_run(self):
        r = self.run_module(dict(DONE, plan=dict(PLANNED["plan"])), device="/dev/nvme1n1", _ansible_diff=True)
        self.assertEqual(r["diff"], {"prepared": DIFF})

    def test_executable_by_name(self):
        os.environ["PATH"] = self.dir + os.pathsep + os.environ["PATH"]
        r = self.run_module(DONE, device="/dev/nvme1n1", executable="docker-relocate")
        self.assertEqual(r["cmd"][0], self.bin)

    def test_no_binary_option(self):
        r = self.run_module(DONE, device="/dev/nvme1n1", binary=self.bin)
        self.assertTrue(r["failed"])
        self.assertIn("Unsupported parameters", r["msg"])

    # ---- docker_relocate_info -------------------------------------------------

    def run_info(self, outputs, **args):
        """outputs: the JSON object per command (status, disks)."""
        with open(self.bin, "w") as f:
            f.write(FAKE_BY_COMMAND)
        os.environ["FAKE_OUTPUTS"] = json.dumps(outputs)
        return self.run_module({}, module=docker_relocate_info, **args)

    def test_info_status_and_disks(self):
        self.journal("done")
        r = self.run_info({"status": STATUS, "disks": {"disks": DISKS}})
        self.assertNotIn("failed", r)
        self.assertIs(r["changed"], False)
        self.assertEqual(r["status"], STATUS)
        self.assertEqual(r["disks"], DISKS)
        self.assertEqual(r["last_move"]["phase"], "done")
        self.assertEqual(sorted(self.argv()), [["disks", "--json"], ["status", "--json"]])
        self.assertTrue(StubAnsibleModule.last.supports_check_mode)

    def test_info_never_moved(self):
        r = self.run_info({"status": STATUS}, gather=["status"])
        self.assertIsNone(r["last_move"])
        self.assertNotIn("disks", r)
        self.assertEqual(self.argv(), [["status", "--json"]])

    def test_info_root(self):
        r = self.run_info({"status": STATUS}, gather=["status"], root="/mnt/image")
        self.assertEqual(self.argv(), [["--root", "/mnt/image", "status", "--json"]])
        self.assertEqual(r["status"], STATUS)
        r = self.run_info({"status": STATUS}, root="/mnt/image")
        self.assertTrue(r["failed"])
        self.assertEqual(len(self.argv()), 1)

    def test_info_failure(self):
        os.environ["FAKE_RC_DISKS"] = "1"
        r = self.run_info({"status": STATUS, "disks": {"changed": False, "status": "failed",
                                                       "error": {"code": 1, "message": "no /sys"}}})
        del os.environ["FAKE_RC_DISKS"]
        self.assertTrue(r["failed"])
        self.assertIn("no /sys", r["msg"])

    def test_device_and_to_exclusive(self):
        r = self.run_module(DONE, device="/dev/nvme1n1", to="/srv/docker")
        self.assertTrue(r["failed"])
        self.assertEqual(self.argv(), [])

    def test_moved_needs_a_target(self):
        r = self.run_module(DONE)
        self.assertTrue(r["failed"])
        self.assertEqual(self.argv(), [])

    def test_to_takes_no_disk_options(self):
        r = self.run_module(DONE, to="/srv/docker", fs="xfs")
        self.assertTrue(r["failed"])
        self.assertEqual(self.argv(), [])

    def test_documentation(self):
        try:
            import yaml
        except ImportError:
            self.skipTest(MISSING + "python3-yaml")
        for module, name, run, returns in (
                (docker_relocate, "docker_relocate", lambda: self.run_module(DONE, device="d"),
                 ("status", "rc", "relocate", "new_data_root", "cmd", "last_move")),
                (docker_relocate_info, "docker_relocate_info", lambda: self.run_info({"status": STATUS}),
                 ("status", "disks", "last_move"))):
            doc = yaml.safe_load(module.DOCUMENTATION)
            # The collection's doc fragment, as ansible-doc merges it.
            self.assertEqual(doc.get("extends_documentation_fragment"), ["docker_relocate.relocate.docker_relocate"])
            fragment = yaml.safe_load(doc_fragment.ModuleDocFragment.DOCUMENTATION)
            doc["options"] = dict(fragment["options"], **doc["options"])
            examples = yaml.safe_load(module.EXAMPLES)
            ret = yaml.safe_load(module.RETURN)
            self.assertEqual(doc["module"], name)
            self.assertRegex(" ".join(doc["author"]), r"^\w.*(\(@[\w-]+\)|!UNKNOWN)")
            run()
            spec = StubAnsibleModule.last.argument_spec
            self.assertEqual(set(doc["options"]), set(spec), name)
            for opt, o in doc["options"].items():
                self.assertEqual(o.get("type", "str"), spec[opt].get("type", "str"), opt)
                self.assertEqual(o.get("default"), spec[opt].get("default"), opt)
                self.assertEqual(o.get("choices"), spec[opt].get("choices"), opt)
                self.assertEqual(o.get("elements"), spec[opt].get("elements"), opt)
            for key in returns:
                self.assertIn(key, ret, name)
                self.assertIn("sample", ret[key], key)
            # Every example calls the module by its collection name.
            for task in examples:
                self.assertTrue(any(k == "docker_relocate.relocate." + name for k in task)
                                or not any(k.endswith(name) for k in task), task)
            self.assertIn("docker_relocate.relocate." + name, module.EXAMPLES)
            self.assertIn("GNU General Public License v3.0+", open(module.__file__).read(1000))


# A skip whose reason starts with this is for a missing dependency: under CI
# a failure (tests/lib/tap.py).
MISSING = "needs "


class TapResult(unittest.TestResult):
    def name(self, test):
        return test.id().split(".")[-1]

    def addSuccess(self, test):
        super().addSuccess(test)
        tap.ok(True, self.name(test))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        tap.ok(False, self.name(test), self._exc_info_to_string(err, test))

    addError = addFailure

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if reason.startswith(MISSING):
            tap.skip_missing(self.name(test), reason[len(MISSING):])
        else:
            tap.skip(self.name(test), reason)


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(ModuleTest)
    result = TapResult()
    suite.run(result)
    sys.exit(tap.done_testing())
