#!/usr/bin/env python3
# A faulty forwarder, the test double of t541: every frame from IN goes
# to OUT, except the ixy frames (UDP to port 1337) whose sequence numbers
# are named, which it drops, duplicates, holds back until the next ixy
# frame (reorders), or corrupts (payload "ixz", or UDP length 30).
#
#   pkt-faulty-fwd.py IN OUT [drop=S] [dup=S] [hold=S] [corrupt=S] [udplen=S] ...
#
# Prints "ready" once both sockets are bound; ends after 60 s at most.
import select
import socket
import sys
import time

ETH_P_ALL = 3


def main():
    src, dst = sys.argv[1], sys.argv[2]
    faults = {}
    for arg in sys.argv[3:]:
        what, seq = arg.split("=")
        faults.setdefault(int(seq), set()).add(what)
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind((src, ETH_P_ALL))
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    tx.bind((dst, 0))
    print("ready", flush=True)
    held = None
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if not select.select([rx], [], [], 0.2)[0]:
            continue
        frame, addr = rx.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        seq = None
        if len(frame) >= 60 and frame[12:14] == b"\x08\x00" and frame[23] == 17 \
                and frame[36:38] == b"\x05\x39":
            seq = int.from_bytes(frame[-4:], "little")
        acts = faults.get(seq, set())
        if "drop" in acts:
            continue
        if "corrupt" in acts:
            frame = frame[:44] + b"z" + frame[45:]
        if "udplen" in acts:
            frame = frame[:38] + b"\x00\x1e" + frame[40:]
        if "hold" in acts:
            held = frame
            continue
        tx.send(frame)
        if "dup" in acts:
            tx.send(frame)
        if held is not None and seq is not None:
            tx.send(held)
            held = None


main()
