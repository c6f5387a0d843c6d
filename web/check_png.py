#!/usr/bin/env python3
"""Checks that a screenshot of the feedlab window is populated, not a blank or half-loaded page.

    python3 web/check_png.py shot.png

Measures, with Python's standard library only (a small PNG decoder: 8-bit RGB or RGBA, not
interlaced, which is what Chromium and feedlab write):
- distinct colours in the whole image (text, plots, circles and glows give thousands; a loading
  message on a plain background gives a handful);
- in the plot strip along the bottom (right of the left panel): the share of strongly coloured
  pixels, which is where the plot lines, markers and bars are;
- in the attention map (centre): the share of strongly coloured pixels (the creator circles).
Exits 1, saying which check failed, when any is below its floor.
"""

import struct
import sys
import zlib

# Floors. The window at 1600x1000 after a few simulated days measures well above each (see the
# numbers this script prints); a page with nothing drawn is far below.
MIN_COLOURS = 1000
MIN_PLOT_COLOURED = 0.004
MIN_PLOT_COLOURS = 200
MIN_MAP_COLOURED = 0.02

# Regions as fractions of the image: (left, top, right, bottom).
PLOTS = (0.27, 0.65, 1.0, 1.0)
MAP = (0.27, 0.10, 0.66, 0.60)


def decode(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {colour})")
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def region_stats(width, height, channels, rows, box):
    left, top, right, bottom = box
    x0, x1 = int(left * width), int(right * width)
    colours, coloured, total = set(), 0, 0
    for y in range(int(top * height), int(bottom * height)):
        row = rows[y]
        for x in range(x0, x1):
            r, g, b = row[x * channels:x * channels + 3]
            colours.add((r, g, b))
            hi, lo = max(r, g, b), min(r, g, b)
            coloured += hi >= 120 and hi - lo >= 90
            total += 1
    return len(colours), coloured / max(total, 1)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    width, height, channels, rows = decode(sys.argv[1])
    colours, _ = region_stats(width, height, channels, rows, (0, 0, 1, 1))
    plot_colours, plot_coloured = region_stats(width, height, channels, rows, PLOTS)
    _, map_coloured = region_stats(width, height, channels, rows, MAP)
    print(f"{sys.argv[1]}: {width}x{height}, {colours} distinct colours; plot strip "
          f"{plot_colours} colours, {plot_coloured:.2%} strongly coloured; attention map "
          f"{map_coloured:.2%} strongly coloured")
    failures = []
    if colours < MIN_COLOURS:
        failures.append(f"only {colours} distinct colours (at least {MIN_COLOURS} expected)")
    if plot_colours < MIN_PLOT_COLOURS or plot_coloured < MIN_PLOT_COLOURED:
        failures.append("no plot lines in the plot strip")
    if map_coloured < MIN_MAP_COLOURED:
        failures.append("no creator circles in the attention map")
    for failure in failures:
        print(f"  FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
