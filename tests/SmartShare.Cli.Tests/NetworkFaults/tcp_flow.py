#!/usr/bin/env python3
"""One bulk TCP flow, to measure what a link gives TCP (alone, or next to another flow such as uTP).

  tcp_flow.py serve ADDRESS PORT [WARMUP_S]   accepts one connection, reads it to the end, then prints one JSON line:
                                               {"bytes": N, "seconds": S, "rate": bytes/s after the first WARMUP_S
                                               seconds (default 2: slow start left out), "rate_all": bytes/s overall}
  tcp_flow.py send ADDRESS PORT SECONDS       connects and sends as fast as TCP lets it for SECONDS, then closes
The server prints "listening" once it accepts connections.
"""

import json
import socket
import sys
import time


def serve(address, port, warmup):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(1)
        print("listening", flush=True)
        connection, _ = listener.accept()
        with connection:
            total = 0
            first = None
            after_warmup = 0
            warm_at = None
            while True:
                chunk = connection.recv(1 << 16)
                if not chunk:
                    break
                now = time.monotonic()
                if first is None:
                    first = now
                total += len(chunk)
                if now - first >= warmup:
                    if warm_at is None:
                        warm_at = now
                    else:
                        after_warmup += len(chunk)
            end = time.monotonic()
    seconds = end - first if first is not None else 0.0
    steady = end - warm_at if warm_at is not None else 0.0
    print(json.dumps({"bytes": total, "seconds": round(seconds, 3),
                      "rate": round(after_warmup / steady) if steady > 0 else 0,
                      "rate_all": round(total / seconds) if seconds > 0 else 0}), flush=True)


def send(address, port, seconds):
    block = b"\x5a" * (1 << 16)
    with socket.create_connection((address, port), timeout=30) as connection:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            connection.sendall(block)
        connection.shutdown(socket.SHUT_WR)
        connection.recv(1)


def main():
    if len(sys.argv) in (4, 5) and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) == 5 else 2.0)
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
