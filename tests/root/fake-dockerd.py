#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A stand-in for dockerd, for tests of the init-script service control
# (runtime-service-scripts.sh): what the service module looks at and
# nothing more. It calls itself "dockerd" (/proc/self/comm, which the
# pidfile check compares), writes its PID to /run/docker.pid, and answers
# "GET /_ping" with "200 OK" and the body "OK" on /run/docker.sock, as the
# Engine API does. On SIGTERM it removes both files and exits, as dockerd
# does. Only ever run in a private mount namespace with a tmpfs on /run.
#
#   fake-dockerd.py MODE DELAY
#
#   MODE  serve  pidfile, then after DELAY seconds the socket
#         mute   pidfile, never a socket (a daemon that hangs on its way up)
#         exit   exits at once with status 1, before any pidfile (a bad flag)
#
# What it did goes to stdout, one line each ("pid N", "listening", "ping").

import os
import signal
import socket
import sys
import time

PIDFILE = "/run/docker.pid"
SOCKET = "/run/docker.sock"


def say(line):
    print(line, flush=True)


def unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def on_term(_sig, _frame):
    unlink(SOCKET)
    unlink(PIDFILE)
    say("stopped")
    os._exit(0)


def answer(conn):
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk
    request = data.split(b"\r\n", 1)[0].split()
    if request[:2] == [b"GET", b"/_ping"]:
        status, body, kind = "200 OK", b"OK", "text/plain; charset=utf-8"
        say("ping")
    else:
        status, body, kind = "404 Not Found", b'{"message":"page not found"}', "application/json"
    head = f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    conn.sendall(head.encode() + body)


def main():
    mode, delay = sys.argv[1], float(sys.argv[2])

    with open("/proc/self/comm", "w") as f:
        f.write("dockerd")
    if mode == "exit":
        print("dockerd: unknown flag: --no-such-flag", file=sys.stderr, flush=True)
        sys.exit(1)

    signal.signal(signal.SIGTERM, on_term)
    with open(PIDFILE + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(PIDFILE + ".tmp", PIDFILE)
    say(f"pid {os.getpid()}")

    if mode == "mute":
        while True:
            signal.pause()

    time.sleep(delay)
    unlink(SOCKET)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(SOCKET)
    srv.listen(16)
    say("listening")
    while True:
        conn, _ = srv.accept()
        with conn:
            try:
                answer(conn)
            except OSError:
                pass


main()
