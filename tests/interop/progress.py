"""Times a response's body as it arrives: `python3 progress.py URL` prints
`<seconds to the head> <seconds to the first body byte> <seconds to the end> <body bytes>`.
(curl's time_starttransfer is the first byte of the head, not of the body.)
`python3 progress.py URL STALL` reads nothing for STALL seconds first: a client
that does not keep up."""
import socket
import sys
import time
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
start = time.monotonic()
sock = socket.create_connection((url.hostname, url.port), timeout=30)
target = url.path + ("?" + url.query if url.query else "")
sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\n\r\n".encode())
if len(sys.argv) > 2:
    time.sleep(float(sys.argv[2]))
buf = b""
head_at = body_at = None
while b"\r\n\r\n" not in buf:
    data = sock.recv(65536)
    if not data:
        break
    head_at = head_at or time.monotonic()
    buf += data
head, _, rest = buf.partition(b"\r\n\r\n")
chunked = b"transfer-encoding: chunked" in head.lower()
raw = bytearray(rest)
while True:
    if raw and body_at is None:
        body_at = time.monotonic()
    data = sock.recv(65536)
    if not data:
        break
    raw += data
end = time.monotonic()
length = 0
if chunked:  # decode to count the body bytes
    pos = 0
    while pos < len(raw):
        eol = raw.find(b"\r\n", pos)
        size = int(bytes(raw[pos:eol]).split(b";")[0] or b"0", 16)
        if size == 0:
            break
        length += min(size, len(raw) - eol - 2)
        pos = eol + 2 + size + 2
else:
    length = len(raw)
print(f"{head_at - start:.3f} {(body_at or end) - start:.3f} {end - start:.3f} {length}")
