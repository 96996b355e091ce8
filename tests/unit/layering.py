#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The layers of src/, from the includes: a module includes headers of its
own layer or of lower ones only, and no two compilation units include each
other's header, and a module's "-internal.h" headers are included by its
own source files only. TAP on stdout.

    util                          (helpers; includes nothing of the program)
    config  disk  engine  copy    (read and change one kind of thing)
    service                       (the init system; hands config what it says)
    move                          (the move, and its rollback and cleanup)
    output  cmd                   (what the user sees; exit statuses)
    main.c                        (parses and dispatches)
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import done_testing, ok  # noqa: E402

SRC = os.path.join(os.environ.get("SRCDIR", "."), "src")
LAYER = {"util": 0, "config": 1, "disk": 1, "engine": 1, "copy": 1, "service": 2, "move": 3, "output": 4, "cmd": 5}

includes = {}
for d, _, files in os.walk(SRC):
    for f in files:
        if f.endswith((".c", ".h")):
            path = os.path.relpath(os.path.join(d, f), SRC)
            with open(os.path.join(d, f)) as fh:
                includes[path] = re.findall(r'^#include "([a-z]+/[^"]+)"', fh.read(), re.M)

ok(len(includes) > 50, f"{len(includes)} files read under {SRC}")
for module in sorted(LAYER):
    ok(os.path.isdir(os.path.join(SRC, module)), f"{module} is a module of src/")

for path in sorted(includes):
    module = path.split("/")[0] if "/" in path else None
    if module not in LAYER:
        continue
    upward = [h for h in includes[path] if LAYER.get(h.split("/")[0], -1) > LAYER[module]]
    ok(not upward, f"{path} includes no layer above {module}" + (f": {', '.join(upward)}" if upward else ""))


def stem(p):
    return os.path.splitext(p)[0]


cycles = []
for path in sorted(includes):
    if not path.endswith(".c"):
        continue
    for h in includes[path]:
        other = stem(h)
        if other <= stem(path) or other + ".c" not in includes:
            continue
        if stem(path) + ".h" in includes[other + ".c"]:
            cycles.append(f"{path} <-> {other}.c")
ok(not cycles, "no two compilation units include each other's header" + (f": {', '.join(cycles)}" if cycles else ""))

# A module's "-internal.h" headers are its files' alone: included by none
# outside the module, and by none of its public headers (which would hand
# the insides to every includer).
leaks = []
for path in sorted(includes):
    module = path.split("/")[0] if "/" in path else None
    for h in includes[path]:
        if not h.endswith("-internal.h"):
            continue
        if h.split("/")[0] != module or (path.endswith(".h") and not path.endswith("-internal.h")):
            leaks.append(f"{path} includes {h}")
internals = sorted({h for hs in includes.values() for h in hs if h.endswith("-internal.h")})
ok(len(internals) > 3, f"{len(internals)} internal headers found")
ok(not leaks, "internal headers stay inside their module's files" + (f": {', '.join(leaks)}" if leaks else ""))

sys.exit(done_testing())
