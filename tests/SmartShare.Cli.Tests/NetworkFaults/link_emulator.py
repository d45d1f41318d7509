#!/usr/bin/env python3
"""A wire between two interfaces with a switch on it, for network-fault tests on a kernel without netem.

Forwards every Ethernet frame between interface A and interface B (raw AF_PACKET sockets) and obeys one
command a line on stdin, answering "ok LINE" on stdout once it applies:
  pass                      forward at once, nothing lost
  cut                       drop every frame, both ways (TCP hangs: no reset, no ICMP)
  impair DELAY_MS LOSS_PCT [JITTER_MS]
                            each direction holds every frame DELAY_MS and drops LOSS_PCT percent of them; with
                            JITTER_MS, each frame waits a further random 0..JITTER_MS, so frames closer together than
                            that overtake one another (reordering)
  rate KBIT QUEUE_KB [DIR]  a bottleneck: frames leave at most KBIT kbit/s through a drop-tail queue of QUEUE_KB KiB
                            (frames that find it full are dropped), before the delay above; DIR is "both" (the
                            default), "ab" (from interface A to B only) or "ba"; "rate 0 0 [DIR]" removes it
  stats                     answers "stats forwarded=N dropped=N queued=N overflowed=N" (overflowed: dropped by a
                            full bottleneck queue, also counted in dropped)
"pass" and "cut" also remove any bottleneck; "impair" leaves it as it is.
Frames must leave the hosts whole: "link_emulator.py --no-offload IFACE", run in each host's namespace, turns off
transmit checksum offload (a veth would otherwise hand us frames whose TCP checksum is still to be filled in) and
segmentation offload (frames of one MTU, so the loss applies per packet as on a real path).
"""

import array
import fcntl
import heapq
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
QUEUE_LIMIT_BYTES = 8 * 1024 * 1024
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17
ETHTOOL_SSG = 0x19
ETHTOOL_STSO = 0x1F
ETHTOOL_SGSO = 0x24


def no_offload(interface):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        for command in (ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SSG, ETHTOOL_STXCSUM):
            value = array.array("I", [command, 0])
            request = struct.pack("16sP", interface.encode(), value.buffer_info()[0])
            fcntl.ioctl(control.fileno(), SIOCETHTOOL, request)
    return 0


def open_raw(interface):
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.bind((interface, 0))
    raw.setblocking(False)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    return raw


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--no-offload":
        return no_offload(sys.argv[2])
    if len(sys.argv) != 3:
        print("usage: link_emulator.py IFACE_A IFACE_B", file=sys.stderr)
        return 2
    a = open_raw(sys.argv[1])
    b = open_raw(sys.argv[2])
    other = {a.fileno(): b, b.fileno(): a}
    mode = "pass"
    delay = 0.0
    loss = 0.0
    jitter = 0.0
    # Per direction (keyed by the receiving socket's fd): [bytes per second or 0, queue bytes, time the link is free].
    bottleneck = {a.fileno(): [0.0, 0, 0.0], b.fileno(): [0.0, 0, 0.0]}
    overflowed = 0
    forwarded = 0
    dropped = 0
    queued_bytes = 0
    queue = []  # (due, sequence, out socket, frame)
    sequence = 0
    control = sys.stdin.fileno()
    os.set_blocking(control, False)
    pending = b""
    poller = select.poll()
    for fd in (a.fileno(), b.fileno(), control):
        poller.register(fd, select.POLLIN)
    print("ready", flush=True)

    while True:
        timeout = None
        if queue:
            timeout = max(0, int((queue[0][0] - time.monotonic()) * 1000) + 1)
        for fd, _ in poller.poll(timeout):
            if fd == control:
                chunk = os.read(control, 4096)
                if not chunk:
                    return 0
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    words = line.decode().split()
                    if not words:
                        continue
                    if words[0] == "stats":
                        print(f"stats forwarded={forwarded} dropped={dropped} queued={len(queue)} overflowed={overflowed}", flush=True)
                        continue
                    if words[0] in ("pass", "cut"):
                        mode, delay, loss, jitter = words[0], 0.0, 0.0, 0.0
                        for limit in bottleneck.values():
                            limit[:] = [0.0, 0, 0.0]
                    elif words[0] == "impair" and len(words) in (3, 4):
                        mode, delay, loss = "impair", float(words[1]) / 1000.0, float(words[2]) / 100.0
                        jitter = float(words[3]) / 1000.0 if len(words) == 4 else 0.0
                    elif words[0] == "rate" and len(words) in (3, 4) and (len(words) == 3 or words[3] in ("both", "ab", "ba")):
                        direction = words[3] if len(words) == 4 else "both"
                        for fd in [a.fileno()] if direction == "ab" else [b.fileno()] if direction == "ba" else [a.fileno(), b.fileno()]:
                            bottleneck[fd][:] = [float(words[1]) * 1000.0 / 8.0, int(float(words[2]) * 1024), 0.0]
                    else:
                        print(f"error unknown command {line.decode()!r}", flush=True)
                        continue
                    if mode == "cut":
                        dropped += len(queue)
                        queue.clear()
                        queued_bytes = 0
                    print("ok " + " ".join(words), flush=True)
                continue
            source = a if fd == a.fileno() else b
            # Drain what is readable; frames we sent ourselves show up as outgoing and are skipped.
            for _ in range(256):
                try:
                    frame, address = source.recvfrom(65535)
                except BlockingIOError:
                    break
                if address[2] == PACKET_OUTGOING:
                    continue
                if mode == "cut" or (loss > 0 and random.random() < loss) or queued_bytes + len(frame) > QUEUE_LIMIT_BYTES:
                    dropped += 1
                    continue
                now = time.monotonic()
                due = now
                rate, queue_limit, free_at = bottleneck[fd]
                if rate > 0:
                    # A FIFO served at `rate`: what still waits in it is the backlog until the link is free again.
                    start = max(now, free_at)
                    if (start - now) * rate + len(frame) > queue_limit:
                        dropped += 1
                        overflowed += 1
                        continue
                    due = start + len(frame) / rate
                    bottleneck[fd][2] = due
                due += delay + (random.random() * jitter if jitter > 0 else 0.0)
                if due <= now:
                    send(other[fd], frame)
                    forwarded += 1
                    continue
                sequence += 1
                queued_bytes += len(frame)
                heapq.heappush(queue, (due, sequence, other[fd], frame))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            queued_bytes -= len(frame)
            send(out, frame)
            forwarded += 1


def send(out, frame):
    try:
        out.send(frame)
    except OSError:
        # The far interface is down or its buffer is full: the frame is lost, as on a wire.
        pass


if __name__ == "__main__":
    sys.exit(main())
