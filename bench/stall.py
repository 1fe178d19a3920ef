#!/usr/bin/env python3
"""Holds N stalled clients: each connects, sends `GET path`, and reads nothing.

    bench/stall.py HOST PORT PATH N

Prints `ready` once every request is sent, then holds the connections until
it is killed (they close with it).
"""
import signal
import socket
import sys
import time

host, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
clients = []
for i in range(count):
    for attempt in range(50):
        try:
            s = socket.create_connection((host, port), timeout=10)
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
