#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A stand-in for journald's native socket: binds SOCKET (an AF_UNIX datagram
# socket, as /run/systemd/journal/socket is), decodes every entry sent with
# sd_journal_send() in the native protocol (KEY=value lines, or KEY, a 64-bit
# little-endian length and binary data; a large entry arrives as a memfd),
# and writes each as one JSON object per line to OUT. Ends on an entry with
# TEST_STOP=1, which comes after everything the program sent.
import array
import json
import os
import socket
import struct
import sys


def decode(data):
    fields = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack_from("<Q", data, nl + 1)
            v = data[nl + 9 : nl + 9 + n]
            i = nl + 9 + n + 1
        k = k.decode()
        if k in fields:
            # The protocol allows it; our entries never repeat a field.
            fields.setdefault("TEST_REPEATED", []).append(k)
        fields[k] = v.decode(errors="replace")
    return fields


def main():
    path, out = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    with open(out, "w") as f:
        while True:
            fds = array.array("i")
            data, anc, _, _ = s.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[: len(cdata) - len(cdata) % fds.itemsize])
            for fd in fds:
                os.lseek(fd, 0, os.SEEK_SET)
                with os.fdopen(fd, "rb") as m:
                    data = m.read()
            e = decode(data)
            if e.get("TEST_STOP") == "1":
                return
            f.write(json.dumps(e) + "\n")
            f.flush()


main()
