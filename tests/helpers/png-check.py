#!/usr/bin/env python3
"""Check that a screenshot is a rendered page, not a blank one.

    png-check.py FILE WIDTH HEIGHT

Decodes the PNG (8-bit RGB or RGBA, not interlaced: what Chromium writes)
with zlib alone, and fails unless it is WIDTH x HEIGHT, and its pixels have
at least 8 colours and the most common colour covers less than 99 % of
them (a blank or single-colour page fails). Prints what it found.
"""
import struct
import sys
import zlib
from collections import Counter


def decode(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if hdr is None or not idat:
        raise ValueError("no IHDR or IDAT")
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {ctype}, interlace {interlace}")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        # the five PNG filters (RFC 2083 section 6)
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif f != 0:
                raise ValueError(f"row {y}: filter {f}")
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    w, h, bpp, rows = decode(open(path, "rb").read())
    colours = Counter()
    for y in range(0, h, 2):  # every other row and pixel: enough to see a page
        line = rows[y]
        for x in range(0, w * bpp, 2 * bpp):
            colours[line[x:x + 3]] += 1
    total = sum(colours.values())
    top = colours.most_common(1)[0][1]
    print(f"{path}: {w}x{h}, {len(colours)} colours, the commonest {100 * top / total:.1f} %")
    if (w, h) != (want_w, want_h):
        sys.exit(f"{path}: {w}x{h}, not {want_w}x{want_h}")
    if len(colours) < 8 or top > 0.99 * total:
        sys.exit(f"{path}: a blank page")


if __name__ == "__main__":
    main()
