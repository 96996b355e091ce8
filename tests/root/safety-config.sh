#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Configurations that look ordinary and broke Docker, on a real dockerd
# started through Debian's SysV init script, in a private mount namespace
# with private /etc, /run and /var/lib and an ext4 volume on a loop device.
# For each, "move --to" (and set-data-root where it applies) must refuse with
# exit 3 and a message naming the file (and the line and column), with the
# configuration, the tool's state, the mounts and the running dockerd exactly
# as before; once the input is fixed the same move succeeds (and is rolled
# back for the next case):
#   - a CRLF /etc/default/docker (sh keeps the CR in the data root);
#   - an unbalanced quote in /etc/default/docker (sh cannot source it);
#   - a raw TAB inside a daemon.json string (Go's decoder refuses it);
#   - daemon.json that is a directory, or a FIFO (the tool hung for ever);
#   - a dangling daemon.json symlink (a new file was made at its target);
#   - a symlink planted for the backup directory (it received the backups);
#   - set-data-root to /, /proc/..., /run/..., /etc/passwd, and with
#     --data-root=$(cat ...) in DOCKER_OPTS (a flag/file conflict).
# And two that must work: a daemon.json over 4 MiB keeps every setting, and
# a daemon.json that is a bind mount is written in place and put back.
set -uo pipefail

. "$(dirname "$0")/lib-dockerd.sh"
sandbox_enter "$@"

BIN=${DOCKER_RELOCATE:?}

dockerd_running_populated opts

VOL=$WORK/vol
sandbox_ext4_volume LOOP 2G "$VOL" || bail_out "the volume"
OPTS="--iptables=false --bridge=none --ip-masq=false"
SETS0=$(dockerd_sets)

show() {
        sed 's/^/#   /' "$@"
}

# Points dockerd at the old root the way MODE says and restarts it:
#   opts     --data-root in DOCKER_OPTS, no daemon.json
#   json     "data-root" in daemon.json
#   default  neither: /var/lib/docker, over which the old root is bound
config() {
        dockerd_stop || return 1
        rm -rf /etc/docker/daemon.json
        case $1 in
        opts) printf 'DOCKER_OPTS="%s --data-root=%s"\nDOCKER_LOGFILE=/run/docker.log\n' "$OPTS" "$DOCKERD_DATA_ROOT" \
                >/etc/default/docker ;;
        json)
                printf 'DOCKER_OPTS="%s"\nDOCKER_LOGFILE=/run/docker.log\n' "$OPTS" >/etc/default/docker
                printf '{\n\t"data-root": "%s"\n}\n' "$DOCKERD_DATA_ROOT" >/etc/docker/daemon.json
                ;;
        default)
                printf 'DOCKER_OPTS="%s"\nDOCKER_LOGFILE=/run/docker.log\n' "$OPTS" >/etc/default/docker
                if ! findmnt -rn /var/lib/docker >/dev/null; then
                        mkdir -p /var/lib/docker
                        sandbox_bind "$DOCKERD_DATA_ROOT" /var/lib/docker || return 1
                fi
                ;;
        esac
        dockerd_start
}

# Everything a refusal must leave alone: the configuration (types, modes,
# contents, link targets), the tool's journal and backups, fstab, the
# mounts, and the daemon (same process, same root, same content).
state() {
        local f
        for f in /etc/default/docker /etc/docker /etc/docker/* /etc/fstab /var/lib/docker-relocate \
                /var/lib/docker-relocate/* /var/lib/docker-relocate/backups/*; do
                [ -e "$f" ] || [ -L "$f" ] || continue
                stat -c '%n %F %a %u:%g %s' "$f"
                if [ -L "$f" ]; then readlink "$f"; elif [ -f "$f" ]; then sha256sum <"$f"; fi
        done
        awk '{ print $5 }' /proc/self/mountinfo | sort
        dockerd_pid
        dockerd_root_dir
        dockerd_sets
}

# refused NAME WANT-IN-MESSAGE -- COMMAND...: exit 3, the message, and
# nothing changed.
refused() {
        local name=$1 want=$2 before rc
        shift 3
        before=$(state)
        timeout 120 "$@" </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 3 ]' "$name: refused with exit 3 (got $rc)" || show "$WORK/out"
        ok 'grep -qF -- "$want" "$WORK/out"' "$name: the message names it ($want)"
        is "$(state)" "$before" "$name: configuration, journal, backups, mounts and Docker unchanged"
}

# moved NAME TARGET: a move --to TARGET that succeeds, then its rollback.
N=0
moved() {
        local name=$1 rc
        N=$((N + 1))
        mkdir -p "$VOL/t$N"
        timeout 600 "$BIN" move --to "$VOL/t$N" --no-pre-copy --yes </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && [ "$(dockerd_root_dir)" = "$VOL/t$N" ] && [ "$(dockerd_sets)" = "$SETS0" ]' \
                "$name: once fixed, the move succeeds (exit $rc) and Docker runs on $VOL/t$N with everything" ||
                show "$WORK/out"
        [ $rc = 0 ] || return 0
        timeout 600 "$BIN" rollback --yes </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && [ "$(dockerd_root_dir)" != "$VOL/t$N" ]' "$name: and is rolled back (exit $rc)" ||
                show "$WORK/out"
}

MOVE=("$BIN" move --no-pre-copy --yes --to)

# 1. CRLF in /etc/default/docker: sh keeps the CR at the end of the data
# root; dockerd came up on a new, empty '<root>\r'.
case_crlf() {
        config opts || bail_out "opts"
        sed -i 's/$/\r/' /etc/default/docker
        mkdir -p "$VOL/crlf"
        refused "CRLF /etc/default/docker" "/etc/default/docker:1:" -- "${MOVE[@]}" "$VOL/crlf"
        ok 'grep -q "CR (carriage return" "$WORK/out"' \
                "CRLF: the message says it is a carriage return and how to convert the file"
        sed -i 's/\r$//' /etc/default/docker
        moved "CRLF"
}

# 2a. An unbalanced quote in /etc/default/docker while the data root is in
# daemon.json: the file is not edited, but sh cannot source it at the next
# start, and Docker stayed down.
case_quote() {
        config json || bail_out "json"
        echo 'DOCKER_NOTE="written by hand' >>/etc/default/docker
        mkdir -p "$VOL/quote"
        refused "an unbalanced quote" "/etc/default/docker:3:13:" -- "${MOVE[@]}" "$VOL/quote"
        sed -i '$d' /etc/default/docker
        moved "an unbalanced quote"
}

# 2b. A raw TAB inside a daemon.json string: cJSON reads it, dockerd does not.
case_tab() {
        config json || bail_out "json"
        printf '{\n\t"data-root": "%s",\n\t"labels": ["relocate.note=a\tb"]\n}\n' "$DOCKERD_DATA_ROOT" \
                >/etc/docker/daemon.json
        mkdir -p "$VOL/tab"
        refused "a TAB inside a daemon.json string" "/etc/docker/daemon.json:3:29:" -- "${MOVE[@]}" "$VOL/tab"
        printf '{\n\t"data-root": "%s",\n\t"labels": ["relocate.note=a\\tb"]\n}\n' "$DOCKERD_DATA_ROOT" \
                >/etc/docker/daemon.json
        moved "a TAB in daemon.json"
}

# 2c. daemon.json is a directory: dockerd cannot start with it.
case_dir() {
        config opts || bail_out "opts"
        mkdir /etc/docker/daemon.json
        mkdir -p "$VOL/dir"
        refused "daemon.json is a directory" "/etc/docker/daemon.json is a directory" -- "${MOVE[@]}" "$VOL/dir"
        rmdir /etc/docker/daemon.json
        moved "daemon.json a directory"
}

# 10. daemon.json is a FIFO: every run hung in open() for ever.
case_fifo() {
        config opts || bail_out "opts"
        mkfifo /etc/docker/daemon.json
        mkdir -p "$VOL/fifo"
        t0=$SECONDS
        refused "daemon.json is a FIFO" "/etc/docker/daemon.json is a FIFO" -- "${MOVE[@]}" "$VOL/fifo"
        ok '[ $((SECONDS - t0)) -lt 60 ]' "daemon.json is a FIFO: answered in $((SECONDS - t0)) s, no hang"
        rm /etc/docker/daemon.json
        moved "daemon.json a FIFO"
}

# 4b. A symlink planted for the backup directory.
case_backup_link() {
        config opts || bail_out "opts"
        mkdir -p /var/lib/docker-relocate "$WORK/elsewhere"
        rm -rf /var/lib/docker-relocate/backups.real
        mv /var/lib/docker-relocate/backups /var/lib/docker-relocate/backups.real 2>/dev/null
        ln -s "$WORK/elsewhere" /var/lib/docker-relocate/backups
        mkdir -p "$VOL/bak"
        refused "a symlink for the backup directory" "/var/lib/docker-relocate/backups: a symlink" -- "${MOVE[@]}" "$VOL/bak"
        ok '[ -z "$(ls -A "$WORK/elsewhere")" ]' "backup symlink: nothing written at its target"
        rm /var/lib/docker-relocate/backups
        mv /var/lib/docker-relocate/backups.real /var/lib/docker-relocate/backups 2>/dev/null
        moved "backup symlink"
}

# 4a. A dangling daemon.json symlink with the data root at its default: the
# move made the link's directory and wrote daemon.json there.
case_dangling() {
        config default || bail_out "default"
        ln -s /etc/docker-conf/daemon.json /etc/docker/daemon.json
        mkdir -p "$VOL/dangling"
        refused "a dangling daemon.json symlink" \
                "/etc/docker/daemon.json is a symlink to /etc/docker-conf/daemon.json, which does not exist" \
                -- "${MOVE[@]}" "$VOL/dangling"
        ok '[ ! -e /etc/docker-conf ]' "dangling symlink: nothing created at its target"
        rm /etc/docker/daemon.json
        moved "dangling symlink"
}

# 3. A daemon.json over 4 MiB (valid JSON), the data root at its default:
# the file was not read, and the move replaced it with {"data-root": ...},
# every other setting lost.
case_big() {
        config default || bail_out "default"
        python3 - >/etc/docker/daemon.json <<'PY'
import json, sys
text = json.dumps({"log-level": "warn", "labels": ["relocate.big=yes"], "max-concurrent-downloads": 4}, indent=4)
# Settings followed by 4.5 MiB of blanks (as a generated file may carry).
sys.stdout.write(text[:-1] + " " * (4608 * 1024) + "}\n")
PY
        dockerd_stop && dockerd_start || bail_out "dockerd did not start with the large daemon.json"
        N=$((N + 1))
        mkdir -p "$VOL/t$N"
        "${MOVE[@]}" "$VOL/t$N" </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && [ "$(dockerd_root_dir)" = "$VOL/t$N" ]' "a 4.5 MiB daemon.json: the move succeeds (exit $rc)" ||
                show "$WORK/out"
        is "$(json_get '[j.get(k) for k in ("log-level", "labels", "max-concurrent-downloads", "data-root")]' \
                /etc/docker/daemon.json)" "[\"warn\", [\"relocate.big=yes\"], 4, \"$VOL/t$N\"]" \
                "a 4.5 MiB daemon.json: every setting kept, the data root added"
        ok '[ "$(stat -c %s /etc/docker/daemon.json)" -gt $((4 * 1024 * 1024)) ]' "a 4.5 MiB daemon.json: still all there"
        "$BIN" rollback --yes </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && [ "$(dockerd_root_dir)" = /var/lib/docker ]' "a 4.5 MiB daemon.json: rolled back (exit $rc)" ||
                show "$WORK/out"
        is "$(json_get '[j.get("log-level"), j.get("labels"), j.get("data-root") in (None, "/var/lib/docker")]' \
                /etc/docker/daemon.json)" '["warn", ["relocate.big=yes"], true]' \
                "a 4.5 MiB daemon.json: after the rollback every setting still there, no other data root"
}

# A daemon.json that is a mount point (bind-mounted, as in containers): a
# rename cannot replace it (EBUSY). It is written in place, after its
# backup, and put back in place by the rollback.
case_bind() {
        config json || bail_out "json"
        cp /etc/docker/daemon.json "$WORK/bound.json"
        sandbox_bind "$WORK/bound.json" /etc/docker/daemon.json || bail_out "cannot bind daemon.json"
        json0=$(sha256sum <"$WORK/bound.json")
        N=$((N + 1))
        mkdir -p "$VOL/t$N"
        "${MOVE[@]}" "$VOL/t$N" --dry-run </dev/null >"$WORK/out" 2>&1
        ok 'grep -q "/etc/docker/daemon.json is a mount point: written in place" "$WORK/out"' \
                "bind-mounted daemon.json: the plan says it is written in place"
        "${MOVE[@]}" "$VOL/t$N" </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && [ "$(dockerd_root_dir)" = "$VOL/t$N" ]' "bind-mounted daemon.json: the move succeeds (exit $rc)" ||
                show "$WORK/out"
        ok 'grep -q "\"$VOL/t$N\"" "$WORK/bound.json"' "bind-mounted daemon.json: the bound file itself holds the new root"
        "$BIN" rollback --yes </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && [ "$(sha256sum <"$WORK/bound.json")" = "$json0" ] && findmnt -rn /etc/docker/daemon.json >/dev/null' \
                "bind-mounted daemon.json: the rollback puts it back in place (exit $rc), still mounted"
        # Killed in the middle of that in-place write (fault-injection
        # builds), its content written and not yet cut to length: the new
        # root is the shorter path, so the old tail stays behind the new
        # JSON. The journal recorded the write before it began; "rollback"
        # puts the backup back, byte for byte.
        if [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ]; then
                size0=$(stat -c %s "$WORK/bound.json")
                N=$((N + 1))
                mkdir -p "$VOL/t$N"
                DOCKER_RELOCATE_TEST_CRASH=in-place-daemon.json "${MOVE[@]}" "$VOL/t$N" </dev/null >"$WORK/out" 2>&1
                rc=$?
                ok '[ $rc = 137 ] && [ "$(sha256sum <"$WORK/bound.json")" != "$json0" ] && [ "$(stat -c %s "$WORK/bound.json")" = "$size0" ]' \
                        "bind-mounted daemon.json, killed while written in place: exit $rc, the file torn (new content, old length)" ||
                        show "$WORK/out"
                "$BIN" rollback --yes </dev/null >"$WORK/out" 2>&1
                rc=$?
                ok '[ $rc = 0 ] && [ "$(sha256sum <"$WORK/bound.json")" = "$json0" ] && findmnt -rn /etc/docker/daemon.json >/dev/null' \
                        "… rollback puts it back byte for byte (exit $rc), still mounted" || show "$WORK/out"
                ok '[ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(dockerd_sets)" = "$SETS0" ]' \
                        "… and Docker runs on the old root with its data"
        fi
        umount /etc/docker/daemon.json
}

# 9. set-data-root: directories that can never be a data root, and a
# DOCKER_OPTS whose data root comes from $(...): it wrote daemon.json, and
# dockerd refused to start on the conflict.
case_set_data_root() {
        config opts || bail_out "opts"
        for bad in / /proc/docker /run/docker-data /etc/passwd; do
                refused "set-data-root $bad" "$bad cannot be the data root" -- "$BIN" set-data-root "$bad"
        done
        echo "$DOCKERD_DATA_ROOT" >/etc/docker-data-root
        printf 'DOCKER_OPTS="%s --data-root=$(cat /etc/docker-data-root)"\nDOCKER_LOGFILE=/run/docker.log\n' "$OPTS" \
                >/etc/default/docker
        dockerd_stop && dockerd_start || bail_out "dockerd with \$(cat)"
        ok '[ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ]' "dockerd runs with --data-root=\$(cat ...)"
        refused "set-data-root with \$(cat ...) in DOCKER_OPTS" "/etc/default/docker:1:73:" -- "$BIN" set-data-root "$VOL/s9"
        refused "move with \$(cat ...) in DOCKER_OPTS" "/etc/default/docker:1:73:" -- "${MOVE[@]}" "$VOL/s9"
        ok '[ ! -e /etc/docker/daemon.json ]' "\$(cat ...): no daemon.json written"
        ok 'dockerd_stop && dockerd_start' "\$(cat ...): dockerd still starts"
        config opts || bail_out "opts"
        "$BIN" set-data-root "$VOL/s9" </dev/null >"$WORK/out" 2>&1
        rc=$?
        ok '[ $rc = 0 ] && grep -q -- "--data-root=$VOL/s9\"" /etc/default/docker' \
                "once fixed, set-data-root succeeds (exit $rc)"
        ok '"$BIN" set-data-root "$DOCKERD_DATA_ROOT" </dev/null >"$WORK/out" 2>&1' "and sets it back" ||
                show "$WORK/out"
        ok '[ "$(dockerd_root_dir)" = "$DOCKERD_DATA_ROOT" ] && [ "$(dockerd_sets)" = "$SETS0" ]' \
                "Docker ran on the old root throughout"
}

# All cases by default; CASES="crlf fifo" runs those alone (to see each
# fail on an older build, where one case's damage would spoil the next).
for c in ${CASES:-crlf quote tab dir fifo backup_link dangling big bind set_data_root}; do
        "case_$c"
done

done_testing
