#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The structured journal entries, sent with the real sd_journal_send() to a
# stand-in for journald's socket (tests/root/journal-listen.py) on a private
# /run: every log line with its PRIORITY, one entry per step of a real move
# (move --to, a real dockerd) and one for its result, each with its fixed
# MESSAGE_ID and the DOCKER_RELOCATE_* fields; the no-op re-run reports
# "unchanged"; nothing is sent when stderr is a terminal. The same check
# against a real journald ("journalctl -o json MESSAGE_ID=...") is the VM
# suite's.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}
SOCKET=/run/systemd/journal/socket
STEP_ID=47149657920f4865ad63b4d2f256ebf5
RESULT_ID=17b56e3d23b94663884cc89c537de8cc

LISTENER=""
on_exit '[ -n "$LISTENER" ] && kill "$LISTENER"'
dockerd_private_system
DOCKERD_DATA_ROOT=$WORK/old-root
DOCKERD_CONFIG=json
dockerd_setup # /run is a private tmpfs from here on
dockerd_start || bail_out "dockerd did not start"
dockerd_populate || bail_out "populating failed"

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"
mkdir "$VOL/docker"

# Starts the stand-in journald; entries land in $1, one JSON object a line.
listen() {
        rm -f "$SOCKET"
        mkdir -p "${SOCKET%/*}"
        python3 "$here/journal-listen.py" "$SOCKET" "$1" &
        LISTENER=$!
        wait_for 10 test -S "$SOCKET" || bail_out "the stand-in journal socket did not appear"
}
# Ends it after it has read everything sent before.
unlisten() {
        python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"TEST_STOP=1\n", sys.argv[1])' "$SOCKET"
        wait "$LISTENER"
        LISTENER=""
        rm -f "$SOCKET"
}
# entries_ok FILE EXPR DESCRIPTION: a check that EXPR, Python over the list
# "entries" of the entries (dicts) in FILE, holds.
entries_ok() {
        local file=$1 expr=$2
        ok 'python3 -c "
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if eval(sys.argv[2]) else \"false for the %d entries\" % len(entries))
" "$file" "$expr"' "$3"
}

# A log line, without a daemon involved.
listen "$WORK/usage.jsonl"
"$BIN" disks --wipe 2>/dev/null
unlisten
entries_ok "$WORK/usage.jsonl" '[(e["PRIORITY"], e["MESSAGE"], e["SYSLOG_IDENTIFIER"]) for e in entries] == [("3", "'"'disks' does not take --wipe."'", "docker-relocate")]' \
        "an error line is an entry with PRIORITY=3 and SYSLOG_IDENTIFIER"
entries_ok "$WORK/usage.jsonl" 'all(e["CODE_FILE"] == "src/main.c" and int(e["CODE_LINE"]) > 0 for e in entries)' \
        "log entries carry the CODE_FILE (in the source tree) and CODE_LINE of the log call"

# Someone at a terminal, piping stderr into another program: the lines are
# read there, no entry is sent.
listen "$WORK/tty.jsonl"
python3 -c '
import os, pty, subprocess, sys
master, slave = pty.openpty()
subprocess.run(sys.argv[1:], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
' "$BIN" disks --wipe
unlisten
entries_ok "$WORK/tty.jsonl" 'entries == []' "an interactive run whose stderr is a pipe sends no entry"

# The move.
listen "$WORK/move.jsonl"
"$BIN" move --to "$VOL/docker" --no-pre-copy --yes --json >"$WORK/move.json" 2>"$WORK/move.err"
rc=$?
unlisten
is "$rc" 0 "move --to succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$WORK/move.err"

entries_ok "$WORK/move.jsonl" '[e["DOCKER_RELOCATE_STEP"] for e in entries if e.get("MESSAGE_ID") == "'$STEP_ID'"] == [s["name"] for s in json.load(open("'"$WORK/move.json"'"))["steps"]]' \
        "one step entry per step of the JSON report, in order"
entries_ok "$WORK/move.jsonl" 'all(e["DOCKER_RELOCATE_OLD_ROOT"] == "'"$DOCKERD_DATA_ROOT"'" and e["DOCKER_RELOCATE_NEW_ROOT"] == "'"$VOL/docker"'" and e["PRIORITY"] == "6" and float(e["DOCKER_RELOCATE_STEP_SEC"]) >= 0 and "DOCKER_RELOCATE_DEVICE" not in e for e in entries if e.get("MESSAGE_ID") == "'$STEP_ID'")' \
        "step entries name the old and new data root (and no device for --to)"
entries_ok "$WORK/move.jsonl" '{"copy", "configure", "start-verify"} <= {e.get("DOCKER_RELOCATE_STEP") for e in entries}' \
        "the copy, configure and start-verify steps are there"
entries_ok "$WORK/move.jsonl" '[(e["DOCKER_RELOCATE_STATUS"], e["DOCKER_RELOCATE_EXIT_STATUS"], e["PRIORITY"]) for e in entries if e.get("MESSAGE_ID") == "'$RESULT_ID'"] == [("changed", "0", "5")]' \
        "one result entry: changed, exit status 0, PRIORITY=5"
entries_ok "$WORK/move.jsonl" '[float(e["DOCKER_RELOCATE_DOWNTIME_SEC"]) > 0 and e["DOCKER_RELOCATE_NEW_ROOT"] == "'"$VOL/docker"'" for e in entries if e.get("MESSAGE_ID") == "'$RESULT_ID'"] == [True]' \
        "the result carries the downtime and the new data root"
entries_ok "$WORK/move.jsonl" 'any(e["PRIORITY"] == "6" and "MESSAGE_ID" not in e and e["MESSAGE"].strip().startswith("done: copy") for e in entries)' \
        "the log lines of the move are entries too (PRIORITY=6)"
entries_ok "$WORK/move.jsonl" 'entries[-1].get("MESSAGE_ID") == "'$RESULT_ID'"' \
        "the result entry comes last"
entries_ok "$WORK/move.jsonl" 'not any("TEST_REPEATED" in e for e in entries)' \
        "no entry repeats a field"

# Run again: the tool's own no-op, reported as such.
listen "$WORK/again.jsonl"
"$BIN" move --to "$VOL/docker" --no-pre-copy --yes --json >"$WORK/again.json" 2>"$WORK/again.err"
rc=$?
unlisten
is "$rc" 0 "the same move again succeeds"
entries_ok "$WORK/again.jsonl" '[e["DOCKER_RELOCATE_STATUS"] for e in entries if e.get("MESSAGE_ID") == "'$RESULT_ID'"] == ["unchanged"] and not [e for e in entries if e.get("MESSAGE_ID") == "'$STEP_ID'"]' \
        "the re-run sends one result entry, unchanged, and no step"

# Under a unit whose stderr is the journal ($JOURNAL_STREAM names it), the
# lines are there already: only the structured entries are sent.
listen "$WORK/stream.jsonl"
: >"$WORK/stream.err"
stream=$(stat -c '%d:%i' "$WORK/stream.err")
JOURNAL_STREAM=$stream "$BIN" disks --wipe 2>>"$WORK/stream.err"
JOURNAL_STREAM=$stream "$BIN" move --to "$VOL/docker" --no-pre-copy --yes --json >/dev/null 2>>"$WORK/stream.err"
unlisten
entries_ok "$WORK/stream.jsonl" '[e.get("MESSAGE_ID") for e in entries] == ["'$RESULT_ID'"]' \
        "stderr on the journal stream: the structured entries only, no line twice"
ok 'grep -q "does not take" "$WORK/stream.err"' "stderr on the journal stream: the lines still go to stderr"

# On a terminal a human reads stderr: nothing goes to the journal.
listen "$WORK/tty.jsonl"
script -qec "$BIN disks --wipe" /dev/null >"$WORK/tty.out" 2>&1 </dev/null
unlisten
ok 'grep -q "does not take" "$WORK/tty.out" && [ ! -s "$WORK/tty.jsonl" ]' "with stderr on a terminal no entry is sent"

# Without the socket, nothing is sent and nothing fails.
rm -f "$SOCKET"
"$BIN" disks --wipe 2>"$WORK/nosock.err"
rc=$?
ok '[ $rc = 2 ] && grep -q "does not take" "$WORK/nosock.err"' "without journald's socket the plain line only"

done_testing
