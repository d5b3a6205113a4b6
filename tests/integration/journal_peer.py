#!/usr/bin/env python3
"""A stand-in for journald's native socket, for t_81: binds SOCKET (a
datagram socket, as journald's), and appends each entry's MESSAGE to OUT,
one line each, as it reads them.  SIGSTOP it and it stops reading: the
socket's queue fills and its writers see EAGAIN, as with a stalled journald."""
import os
import socket
import struct
import sys


def message_of(datagram: bytes) -> str:
    i = 0
    while i < len(datagram):
        nl = datagram.find(b"\n", i)
        if nl < 0:
            break
        line = datagram[i:nl]
        if b"=" in line:
            key, _, value = line.partition(b"=")
            i = nl + 1
        else:  # KEY\n, a 64-bit little-endian length, the value, \n
            key = line
            (size,) = struct.unpack("<Q", datagram[nl + 1:nl + 9])
            value = datagram[nl + 9:nl + 9 + size]
            i = nl + 9 + size + 1
        if key == b"MESSAGE":
            return value.decode("utf-8", "replace").replace("\n", "\\n")
    return "<no MESSAGE>"


def main() -> None:
    path, out = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock.bind(path)
    os.chmod(path, 0o666)
    with open(out, "a", buffering=1) as f:
        while True:
            datagram = sock.recv(1 << 20)
            f.write(message_of(datagram) + "\n")


if __name__ == "__main__":
    main()
