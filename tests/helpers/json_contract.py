#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The JSON contract of docker-relocate, checked from the outside.

As a module: problems(stdout, exit_status) lists how one run's standard
output breaks the contract: it must be exactly one JSON object, valid
against docs/docker-relocate.schema.json, whose error.code (0 when error is
null) is the exit status.

As a program it stands in for the binary in the tests (DOCKER_RELOCATE):
it runs $DOCKER_RELOCATE_BINARY with its own arguments and, when they ask
for --json, checks the output on the way through. A breach is reported on
stderr ("json-contract: ...") and turns the exit status into 99, so that
whichever test ran the command fails, naming the breach. Without --json it
execs the binary, so nothing else about the run changes. With
$DOCKER_RELOCATE_CONTRACT_LOG set, each checked run appends one line there
("ok|breach EXIT COMMAND-LINE")."""

import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.environ.get("DOCKER_RELOCATE_SCHEMA") or os.path.join(HERE, "..", "..", "docs",
                                                                   "docker-relocate.schema.json")
BREACH = 99
# Not a command of the contract: the Docker CLI's plugin protocol, and the
# completion protocol.
PROTOCOLS = ("docker-cli-plugin-metadata", "__complete", "__completeNoDesc")

_validator = None


def validator():
    global _validator
    if _validator is None:
        import jsonschema

        with open(SCHEMA) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        _validator = jsonschema.Draft202012Validator(schema)
    return _validator


def problems(stdout, exit_status):
    """How stdout of a run that exited with exit_status breaks the contract
    (an empty list: it keeps it)."""
    try:
        obj = json.loads(stdout)
    except ValueError as e:
        return ["stdout is not one JSON object (%s): %r" % (e, stdout[:200])]
    if not isinstance(obj, dict):
        return ["stdout is JSON but not an object: %r" % stdout[:200]]
    found = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message)
             for e in sorted(validator().iter_errors(obj), key=lambda e: list(e.absolute_path))]
    error = obj.get("error")
    code = error.get("code") if isinstance(error, dict) else 0 if error is None else "?"
    if code != exit_status:
        found.append("the exit status is %d but error.code says %s" % (exit_status, code))
    return found


def wants_json(args):
    """Whether a command line asks for the JSON object (and is no protocol
    of the Docker CLI's: --help and --version with --json print the object
    too)."""
    if args[:1] == ["relocate"]:
        args = args[1:]
    if not args or args[0] in PROTOCOLS or (args[:1] == ["help"]):
        return False
    words = args[:args.index("--")] if "--" in args else args
    return "--json" in words


def wrap(args):
    binary = os.environ["DOCKER_RELOCATE_BINARY"]
    if not wants_json(args):
        os.execv(binary, [binary] + args)
    child = subprocess.Popen([binary] + args, stdout=subprocess.PIPE)
    # A test that ends "the binary" ends this process: pass it on.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    out = child.stdout.read()
    rc = child.wait()
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    if rc < 0:
        # Killed (a crash point of a test): there is no object to check;
        # die the same way, so the caller sees the same status.
        signal.signal(-rc, signal.SIG_DFL)
        os.kill(os.getpid(), -rc)
        return 128 - rc
    found = problems(out.decode("utf-8", "replace"), rc)
    log = os.environ.get("DOCKER_RELOCATE_CONTRACT_LOG")
    if log:
        with open(log, "a") as f:
            f.write("%s %d %s\n" % ("breach" if found else "ok", rc, " ".join(args)))
    if not found:
        return rc
    for p in found:
        sys.stderr.write("json-contract: docker-relocate %s: %s\n" % (" ".join(args), p))
    return BREACH


if __name__ == "__main__":
    sys.exit(wrap(sys.argv[1:]))
