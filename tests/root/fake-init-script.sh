#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A stand-in init script for runtime-service-scripts.sh, installed in its
# private /etc as /etc/init.d/docker and /etc/init.d/containerd: the service
# is the name it was called by. Towards its caller it behaves as a real one:
# "start" puts the daemon in the background and returns, "stop" ends it by
# the PID in its pidfile and waits (bounded) until it is gone, "status" exits
# 0 running, 1 dead with its pidfile left, 3 stopped (LSB). Each call is
# appended to $FAKE_WORK/calls as "SERVICE ACTION"; a "containerd stop" while
# dockerd still runs says so ("containerd stop while dockerd runs").
#
# /etc/default/fake-init sets:
#   FAKE_WORK         the test's work directory: calls, daemons (the PID of
#                     each daemon started, for the test to end at exit),
#                     the daemons' logs, bin/containerd
#   FAKE_PYTHON       the interpreter that runs FAKE_DOCKERD
#   FAKE_DOCKERD      fake-dockerd.py
#   DOCKERD_MODE      fake-dockerd.py's mode (default serve)
#   DOCKERD_DELAY     seconds before it listens (default 0)
#   DOCKER_STOP       ok (default); refuse: fails and leaves dockerd running;
#                     fail-after: ends dockerd, then fails
#   CONTAINERD_START  ok (default); fail: fails without starting anything
set -u
# shellcheck source=/dev/null
. /etc/default/fake-init

svc=${0##*/}
case $svc in
docker) pidfile=/run/docker.pid ;;
containerd) pidfile=/run/containerd.pid ;;
*)
        echo "$0: no such service" >&2
        exit 1
        ;;
esac

# A zombie has ended: only its parent (PID 1, for a daemon) has yet to reap it.
alive() {
        _state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
        [ -n "$1" ] && [ -n "$_state" ] && [ "$_state" != Z ]
}

pid=$(cat "$pidfile" 2>/dev/null) || pid=
call="$svc ${1:-}"
if [ "$call" = "containerd stop" ] && alive "$(cat /run/docker.pid 2>/dev/null)"; then
        call="$call while dockerd runs"
fi
echo "$call" >>"$FAKE_WORK/calls"

case ${1:-} in
start)
        if alive "$pid"; then
                echo "$svc is already running"
                exit 0
        fi
        if [ "$svc" = docker ]; then
                "$FAKE_PYTHON" "$FAKE_DOCKERD" "${DOCKERD_MODE:-serve}" "${DOCKERD_DELAY:-0}" \
                        </dev/null >>"$FAKE_WORK/dockerd.log" 2>&1 &
        else
                if [ "${CONTAINERD_START:-ok}" = fail ]; then
                        echo "containerd: failed to load /etc/containerd/config.toml"
                        exit 1
                fi
                "$FAKE_WORK/bin/containerd" 600 </dev/null >>"$FAKE_WORK/containerd.log" 2>&1 &
                echo $! >"$pidfile"
        fi
        echo $! >>"$FAKE_WORK/daemons"
        exit 0
        ;;
stop)
        if [ -z "$pid" ]; then
                echo "$svc already stopped: no $pidfile"
                exit 0
        fi
        if ! alive "$pid"; then
                echo "No $svc found running; none killed."
                rm -f "$pidfile"
                exit 1
        fi
        if [ "$svc" = docker ] && [ "${DOCKER_STOP:-ok}" = refuse ]; then
                echo "ERROR: $svc failed to stop"
                exit 1
        fi
        kill "$pid"
        i=0
        while alive "$pid" && [ $i -lt 100 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        if alive "$pid"; then
                echo "$svc (PID $pid) is still running"
                exit 1
        fi
        rm -f "$pidfile"
        if [ "$svc" = docker ] && [ "${DOCKER_STOP:-ok}" = fail-after ]; then
                echo "ERROR: cannot remove /run/docker.lock"
                exit 1
        fi
        exit 0
        ;;
status)
        if alive "$pid"; then
                echo "$svc is running"
                exit 0
        fi
        if [ -n "$pid" ]; then
                echo "$svc is not running, but $pidfile is left"
                exit 1
        fi
        echo "$svc is not running"
        exit 3
        ;;
*)
        echo "Usage: $0 {start|stop|status}" >&2
        exit 1
        ;;
esac
