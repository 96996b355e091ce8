#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The service module driving Docker and containerd through init scripts:
# OpenRC (rc-service SERVICE ACTION), SysV (/etc/init.d/SERVICE ACTION) and
# upstart (initctl ACTION JOB).
# containerd is stopped after Docker and started before it through a script
# of its own only where /etc/init.d/containerd exists; without it dockerd
# runs its own containerd, and there is no containerd service to ask.
#
# All in a private mount namespace: stand-in scripts in a private /etc
# (fake-init-script.sh, as /etc/init.d/docker and /etc/init.d/containerd),
# each of which logs its calls; a stand-in dockerd (fake-dockerd.py) that
# writes /run/docker.pid and answers GET /_ping on /run/docker.sock, on a
# private tmpfs /run; a copy of sleep named containerd; and an rc-service
# first on PATH that logs its call and runs the script, as OpenRC's does
# (and an initctl that answers as upstart's).
# Every daemon a script starts is ended by its PID at exit.

# ok's conditions are single-quoted, to run as shown (tests/lib/tap.sh), and
# call functions shellcheck does not see called; capture and sandbox_spawn
# assign the variables they are named.
# shellcheck disable=SC2016,SC2154,SC2317
set -u

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
sandbox_enter "$@"
require 'command -v python3' "python3"

here=$(cd "$(dirname "$0")" && pwd)
PROBE=${RUNTIME_PROBE:?RUNTIME_PROBE is set by meson}
SOCK=/run/docker.sock
CALLS=$WORK/calls
BIN=$WORK/bin
# Every wait of the probe is bounded; the cases that test the bound set
# their own.
export RUNTIME_PROBE_TIMEOUT_MS=20000

sandbox_private_system || bail_out "cannot make /etc and /var/lib private"
sandbox_private_run || bail_out "cannot put a tmpfs on /run"

now_ms() {
        date +%s%3N
}

# Alive and not a zombie: an exited daemon waits for PID 1 to reap it, which
# on some machines takes seconds.
running() {
        local state
        state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
        [ -n "$1" ] && [ -n "$state" ] && [ "$state" != Z ]
}

pid_of() {
        cat "/run/$1.pid" 2>/dev/null
}

# The daemons the scripts started have PID 1 as their parent once the
# script returns: they are ended here by the PIDs the scripts logged, each
# only while its command line is still one of this test's (both daemons run
# from $BIN).
end_daemons() {
        local pid i
        [ -s "$WORK/daemons" ] || return 0
        while read -r pid; do
                tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$WORK/" || continue
                kill "$pid" 2>/dev/null
                for ((i = 0; i < 50; i++)); do
                        running "$pid" || break
                        sleep 0.1
                done
                running "$pid" && kill -KILL "$pid" 2>/dev/null
        done <"$WORK/daemons"
}
on_exit end_daemons

mkdir -p "$BIN"
cp "$(command -v sleep)" "$BIN/containerd"
cp "$here/fake-dockerd.py" "$BIN/fake-dockerd.py"
cat >"$BIN/rc-service" <<EOF
#!/bin/sh
# OpenRC's rc-service SERVICE ACTION: the service's script, or an error.
echo "rc-service \$*" >>"$CALLS"
if [ ! -x "/etc/init.d/\$1" ]; then
        echo " * rc-service: service \\\`\$1' does not exist" >&2
        exit 1
fi
exec "/etc/init.d/\$1" "\$2"
EOF
chmod 0755 "$BIN/rc-service"
cat >"$BIN/initctl" <<EOF
#!/bin/sh
# upstart's initctl ACTION JOB, over the stand-in script: status as upstart
# words it ("docker start/running, process PID"), start and stop by it.
echo "initctl \$*" >>"$CALLS"
case "\$1" in
status)
        if "/etc/init.d/\$2" status >/dev/null 2>&1; then
                echo "\$2 start/running, process \$(cat "/run/\$2.pid")"
        else
                echo "\$2 stop/waiting"
        fi
        ;;
start | stop)
        exec "/etc/init.d/\$2" "\$1"
        ;;
esac
EOF
chmod 0755 "$BIN/initctl"
export PATH="$BIN:$PATH"

PYTHON=$(python3 -c 'import sys; print(sys.executable)')

# fake_conf KNOB=VALUE...: the stand-ins' settings (fake-init-script.sh).
fake_conf() {
        {
                printf "FAKE_WORK='%s'\nFAKE_PYTHON='%s'\nFAKE_DOCKERD='%s'\n" "$WORK" "$PYTHON" "$BIN/fake-dockerd.py"
                printf '%s\n' "$@"
        } >/etc/default/fake-init
}

install_script() {
        install -m 0755 "$here/fake-init-script.sh" "/etc/init.d/$1"
}

# A new calls file and dockerd log for the next case.
fresh() {
        : >"$CALLS"
        : >"$WORK/dockerd.log"
}

# What the scripts were asked to do, in order; "status" asks nothing.
actions() {
        grep -v ' status$' "$CALLS"
}

# timed_start TIMEOUT_MS INIT [containerd]: a start through the probe with
# that timeout; its output and status in start_out and start_rc, how long it
# took in dt (ms).
timed_start() {
        local t0
        t0=$(now_ms)
        capture start env RUNTIME_PROBE_TIMEOUT_MS="$1" "$PROBE" service-start "$2" "$SOCK" "${@:3}"
        dt=$(($(now_ms) - t0))
}

install_script docker
install_script containerd
fake_conf
ok '[ "$(/etc/init.d/docker status)" = "docker is not running" ]' "the private /etc has the stand-in docker script"

# ---- OpenRC, with a containerd service -----------------------------------------

# A stop with containerd under OpenRC: docker first, containerd once
# dockerd is gone (else its call says "while dockerd runs").
OPENRC_STOP_BOTH="rc-service docker stop
docker stop
rc-service containerd stop
containerd stop"

# dockerd takes a second to listen: the start must wait for its answer.
fake_conf DOCKERD_DELAY=1
fresh
timed_start 20000 openrc containerd
echo "# start took $dt ms"
is "$start_rc" 0 "OpenRC: start with containerd succeeds" || diag "$start_out"
ok 'grep -qx ping "$WORK/dockerd.log"' "… and returns after dockerd answered its ping"
ok '[ "$dt" -ge 1000 ]' "… not before dockerd listened, 1 s after its start ($dt ms)"
ok '"$PROBE" engine-ping "$SOCK"' "… the socket answers"
is "$(actions)" "rc-service containerd start
containerd start
rc-service docker start
docker start" "… containerd's script first, then docker's, through rc-service"
dpid=$(pid_of docker)
cpid=$(pid_of containerd)
ok 'running "$dpid" && [ "$(cat "/proc/$dpid/comm")" = dockerd ]' "… dockerd runs (PID $dpid)"
ok 'running "$cpid"' "… containerd runs (PID $cpid)"

fresh
is "$("$PROBE" service-state openrc)" active "OpenRC: a running docker is active"
is "$(cat "$CALLS")" "rc-service docker status
docker status" "… as its script's status says, asked through rc-service"

fake_conf
fresh
capture stop "$PROBE" service-stop openrc containerd
is "$stop_rc" 0 "OpenRC: stop with containerd succeeds" || diag "$stop_out"
is "$(actions)" "$OPENRC_STOP_BOTH" "… docker's script, then containerd's once dockerd is gone"
ok '! running "$dpid"' "… dockerd (PID $dpid) is gone"
ok '! running "$cpid"' "… containerd (PID $cpid) is gone"
ok '! "$PROBE" engine-ping "$SOCK"' "… the socket no longer answers"
fresh
is "$("$PROBE" service-state openrc)" inactive "OpenRC: a stopped docker is inactive"

fresh
capture again "$PROBE" service-stop openrc containerd
is "$again_rc" 0 "OpenRC: stopping a stopped docker is success" || diag "$again_out"
is "$(actions)" "rc-service containerd stop
containerd stop" "… docker's script is not asked to stop; containerd's is"

# A containerd that does not start: docker's script is never run.
fake_conf CONTAINERD_START=fail
fresh
capture start "$PROBE" service-start openrc "$SOCK" containerd
is "$start_rc" 1 "OpenRC: a containerd that does not start fails the start"
like "$start_out" '"errno":[[:space:]]*5,' "… EIO"
like "$start_out" '\\"rc-service containerd start\\" failed with exit status 1: containerd: failed to load' \
        "… naming the command and what it said"
is "$(actions)" "rc-service containerd start
containerd start" "… and docker's script is not run"
ok '[ -z "$(pid_of docker)" ]' "… no dockerd"

# A stop script that fails and leaves dockerd running: an error, with
# containerd left alone under it.
fake_conf
ok '"$PROBE" service-start openrc "$SOCK" containerd' "OpenRC: started again"
dpid=$(pid_of docker)
cpid=$(pid_of containerd)
fake_conf DOCKER_STOP=refuse
fresh
capture stop "$PROBE" service-stop openrc containerd
is "$stop_rc" 1 "OpenRC: a stop script that fails while dockerd runs fails the stop"
like "$stop_out" '"errno":[[:space:]]*5,' "… EIO"
like "$stop_out" '\\"rc-service docker stop\\" failed with exit status 1: ERROR: docker failed to stop' \
        "… naming the command and what it said"
is "$(actions)" "rc-service docker stop
docker stop" "… and containerd's script is not asked to stop under a running dockerd"
ok 'running "$dpid" && running "$cpid"' "… both still run"
is "$("$PROBE" service-state openrc)" active "… docker is still active"

# A stop script that fails although dockerd is gone (its own leftovers):
# whether the daemon still runs decides, and it does not.
fake_conf DOCKER_STOP=fail-after
fresh
capture stop "$PROBE" service-stop openrc containerd
is "$stop_rc" 0 "OpenRC: a stop script that fails after dockerd is gone is no failure" || diag "$stop_out"
is "$(actions)" "$OPENRC_STOP_BOTH" "… and containerd is stopped after it"
ok '! running "$dpid" && ! running "$cpid"' "… both are gone"

# A dockerd that exits at once (a bad flag): noticed well before the timeout.
fake_conf DOCKERD_MODE=exit
fresh
timed_start 30000 openrc
echo "# a dockerd that exits at once was noticed after $dt ms"
is "$start_rc" 1 "OpenRC: a dockerd that exits at once fails the start"
like "$start_out" '"errno":[[:space:]]*3,' "… ESRCH"
like "$start_out" 'dockerd exited right after it was started' "… saying so"
ok '[ "$dt" -lt 10000 ]' "… long before the 30 s timeout ($dt ms)"
ok 'grep -q "unknown flag" "$WORK/dockerd.log"' "… the daemon did run and exit"
is "$(actions)" "rc-service docker start
docker start" "… after docker's script was run once"

# A dockerd that stays up without ever answering: the start ends at its
# timeout, and a stop still ends the daemon.
fake_conf DOCKERD_MODE=mute
fresh
timed_start 3000 openrc
echo "# a dockerd that never answers: the start gave up after $dt ms"
is "$start_rc" 1 "OpenRC: a dockerd that never answers fails the start"
like "$start_out" '"errno":[[:space:]]*110,' "… ETIMEDOUT"
like "$start_out" 'docker was started, but the daemon does not answer' "… saying so"
ok '[ "$dt" -ge 3000 ] && [ "$dt" -lt 8000 ]' "… at the 3 s timeout ($dt ms)"
dpid=$(pid_of docker)
ok 'running "$dpid"' "… the daemon still runs (PID $dpid)"
fake_conf
ok '"$PROBE" service-stop openrc' "OpenRC: the silent dockerd stops"
ok '! running "$dpid"' "… it is gone"

# ---- OpenRC, without a containerd service --------------------------------------

rm /etc/init.d/containerd
fresh
capture start "$PROBE" service-start openrc "$SOCK" containerd
is "$start_rc" 0 "OpenRC without a containerd script: start with containerd succeeds" || diag "$start_out"
is "$(actions)" "rc-service docker start
docker start" "… only docker's script runs"
ok '"$PROBE" engine-ping "$SOCK"' "… the socket answers"
dpid=$(pid_of docker)
fresh
capture stop "$PROBE" service-stop openrc containerd
is "$stop_rc" 0 "OpenRC without a containerd script: stop with containerd succeeds" || diag "$stop_out"
is "$(actions)" "rc-service docker stop
docker stop" "… only docker's script runs"
ok '! running "$dpid"' "… dockerd is gone"

# ---- SysV, with a containerd service -------------------------------------------

install_script containerd
fresh
capture start "$PROBE" service-start sysv "$SOCK" containerd
is "$start_rc" 0 "SysV: start with containerd succeeds" || diag "$start_out"
is "$(actions)" "containerd start
docker start" "… containerd's script first, then docker's, run directly"
ok '"$PROBE" engine-ping "$SOCK"' "… the socket answers"
dpid=$(pid_of docker)
cpid=$(pid_of containerd)
ok 'running "$dpid" && running "$cpid"' "… both run"
fresh
is "$("$PROBE" service-state sysv)" active "SysV: a running docker is active"
is "$(cat "$CALLS")" "docker status" "… as its script's status says"

fresh
capture stop "$PROBE" service-stop sysv containerd
is "$stop_rc" 0 "SysV: stop with containerd succeeds" || diag "$stop_out"
is "$(actions)" "docker stop
containerd stop" "… docker's script, then containerd's once dockerd is gone"
ok '! running "$dpid" && ! running "$cpid"' "… both are gone"
fresh
is "$("$PROBE" service-state sysv)" inactive "SysV: a stopped docker is inactive"

# ---- upstart -------------------------------------------------------------------

# upstart's docker job runs dockerd's own containerd: no containerd job is
# asked, with or without /etc/init.d/containerd. "initctl start" fails on a
# running job, so a start asks the job's status first.
fresh
capture start "$PROBE" service-start upstart "$SOCK" containerd
is "$start_rc" 0 "upstart: start with containerd succeeds" || diag "$start_out"
is "$(cat "$CALLS")" "initctl status docker
docker status
initctl start docker
docker start" "… the job's status, then initctl start docker; no containerd job"
ok '"$PROBE" engine-ping "$SOCK"' "… the socket answers"
dpid=$(pid_of docker)
ok 'running "$dpid"' "… dockerd runs (PID $dpid)"
fresh
is "$("$PROBE" service-state upstart)" active "upstart: a running job (start/running) is active"
fresh
capture again "$PROBE" service-start upstart "$SOCK"
is "$again_rc" 0 "upstart: starting a running job is success" || diag "$again_out"
is "$(cat "$CALLS")" "initctl status docker
docker status" "… without initctl start, which would fail on it"

fresh
capture stop "$PROBE" service-stop upstart containerd
is "$stop_rc" 0 "upstart: stop with containerd succeeds" || diag "$stop_out"
is "$(grep '^initctl' "$CALLS")" "initctl status docker
initctl stop docker
initctl status docker" "… initctl stop docker between two looks at the job; no containerd job"
ok '! running "$dpid"' "… dockerd is gone"
is "$("$PROBE" service-state upstart)" inactive "upstart: a stopped job (stop/waiting) is inactive"

# ---- what the state rests on ---------------------------------------------------

# A dockerd that died and left its pidfile (here the PID of a shell that
# has ended): failed; a stop finds nothing to stop.
sh -c 'echo $$' >/run/docker.pid
fresh
is "$("$PROBE" service-state openrc)" failed "a pidfile left by a dead dockerd: failed"
capture stop "$PROBE" service-stop openrc
is "$stop_rc" 0 "… and a stop is success" || diag "$stop_out"
is "$(actions)" "" "… without asking the script to stop"
rm -f /run/docker.pid

# SysV without an executable script: the pidfile alone, which must name a
# live process called dockerd.
chmod -x /etc/init.d/docker
fresh
is "$("$PROBE" service-state sysv)" inactive "SysV without a script, no pidfile: inactive"
sandbox_spawn other sleep 600
echo "$other" >/run/docker.pid
is "$("$PROBE" service-state sysv)" inactive "… a pidfile naming a live process that is not dockerd: inactive"
rm -f /run/docker.pid
sandbox_spawn fake "$PYTHON" "$BIN/fake-dockerd.py" serve 0 >>"$WORK/dockerd.log" 2>&1
ok 'wait_for 10 test -s /run/docker.pid' "a dockerd started by hand writes its pidfile"
is "$(pid_of docker)" "$fake" "… its own PID"
is "$("$PROBE" service-state sysv)" active "SysV without a script: a pidfile naming a live dockerd: active"
is "$(cat "$CALLS")" "" "… and no script was asked"
kill "$fake"
ok 'wait_for 10 test ! -e /run/docker.pid' "… it removes its pidfile as it stops"
is "$("$PROBE" service-state sysv)" inactive "… then inactive"
chmod +x /etc/init.d/docker

# Which init system runs, detected on the host: the script (not an
# openrc-run one) means SysV; OpenRC's /run/openrc/softlevel means OpenRC.
fresh
is "$("$PROBE" service-state detect)" inactive "detected SysV: inactive"
is "$(cat "$CALLS")" "docker status" "… asked of the script directly"
mkdir /run/openrc
touch /run/openrc/softlevel
fresh
is "$("$PROBE" service-state detect)" inactive "detected OpenRC: inactive"
is "$(cat "$CALLS")" "rc-service docker status
docker status" "… asked through rc-service"
rm -r /run/openrc

done_testing
