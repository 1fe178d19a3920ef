#!/usr/bin/env python3
"""Holds N stalled clients: each connects, sends `GET path`, and reads nothing.

    bench/stall.py HOST PORT PATH N

Prints `ready` once every request is sent, then holds the connections until
it is killed (they close with it).

Each client asks for a 4 KiB receive buffer (before connecting, so that the
window it advertises stays small): the kernel then holds 10,000 stalled
loopback connections. It raises its own file limit to the hard limit, since
each client is a descriptor.
"""
import resource
import signal
import socket
import sys
import time

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < hard:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

host, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
clients = []
for i in range(count):
    for attempt in range(50):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(10)
            s.connect((host, port))
            break
        except OSError:
            time.sleep(0.05)
    else:
        sys.exit(f"stall.py: could not connect client {i}")
    s.sendall(request)
    clients.append(s)
    if i % 100 == 99:
        time.sleep(0.02)  # let the accept queue drain
print("ready", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
