"""Ticket QR codes as PNG or SVG, rendered from the `qrcode` package's module matrix.

The PNG encoder is written by hand rather than taken from `qrcode`'s image factories:

* Pillow is a large native dependency that would bloat the Lambda package and its cold
  start only to draw black squares, and `qrcode` 8.2 without Pillow crashes in
  `qrcode.make()`.
* The pure-Python fallback (pypng) is slow for a cold-started Lambda. A QR code is a 1-bit
  image whose rows repeat, so building each distinct row once and letting zlib do the rest
  keeps rendering a small fraction of the time spent computing the matrix itself.

Pure module: no I/O, no AWS. `qrcode` is imported at module top because the app imports
this module lazily, only from the QR routes.
"""

from __future__ import annotations

import struct
import zlib

import qrcode
import qrcode.constants

BORDER = 4  # modules of quiet zone; the QR spec's minimum, which scanners rely on
PNG_SCALE = 8  # px per module: a typical ticket URL (version 4-6) comes out 328-392 px wide
SVG_SCALE = 8  # px per module for the SVG's nominal width/height; it scales losslessly anyway
# Segments shorter than this stay in byte mode: switching modes costs header bits, so only
# long uppercase/digit runs (our base32 tickets) are worth moving to alphanumeric mode.
OPTIMIZE_MIN_CHUNK = 20
ZLIB_LEVEL = 6  # QR rows are highly repetitive; higher levels only cost time

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def matrix(text: str) -> list[list[bool]]:
    """The QR module matrix for `text`, quiet zone included; True is a dark module."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=BORDER,
        box_size=PNG_SCALE,
    )
    code.add_data(text, optimize=OPTIMIZE_MIN_CHUNK)
    code.make(fit=True)
    return code.get_matrix()


def render_png(text: str) -> bytes:
    """A 1-bit greyscale PNG of the QR code for `text`, PNG_SCALE px per module."""
    return _encode_png(matrix(text), PNG_SCALE)


def render_svg(text: str) -> str:
    """An SVG document of the QR code for `text`; its viewBox is measured in modules."""
    return _encode_svg(matrix(text), SVG_SCALE)


def _encode_png(modules: list[list[bool]], scale: int) -> bytes:
    size = len(modules) * scale
    # 1-bit greyscale stores 0 as black, so a dark module is `scale` 0 bits. Mapping a row's
    # 0/1 bytes through str.translate expands it in one C call instead of a per-pixel loop.
    bits_for_module = {0: "1" * scale, 1: "0" * scale}
    # PNG rows are padded to whole bytes; pad with white so padding never reads as a module.
    padding = "1" * (-size % 8)
    row_bytes = (size + 7) // 8
    # Most rows repeat (quiet zone, finder patterns), and each repeats `scale` times, so
    # encode every distinct row once and reuse the scaled block.
    blocks: dict[bytes, bytes] = {}
    parts = []
    for row in modules:
        key = bytes(row)
        block = blocks.get(key)
        if block is None:
            bits = key.decode("latin-1").translate(bits_for_module) + padding
            # Filter type 0 (None): filtering would not help a 1-bit, run-length image.
            scanline = b"\x00" + int(bits, 2).to_bytes(row_bytes, "big")
            block = blocks[key] = scanline * scale
        parts.append(block)
    raw = b"".join(parts)
    # Width, height, bit depth 1, colour type 0 (greyscale), deflate, filter 0, no interlace.
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, ZLIB_LEVEL)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return b"".join(
        (
            struct.pack(">I", len(data)),
            kind,
            data,
            struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))),
        )
    )


def _encode_svg(modules: list[list[bool]], scale: int) -> str:
    count = len(modules)
    # One subpath per horizontal run of dark modules rather than per module: roughly a
    # third of the bytes, and no hairline seams between adjacent squares when scaled.
    runs = []
    for y, row in enumerate(modules):
        x = 0
        while x < count:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < count and row[x]:
                x += 1
            width = x - start
            runs.append(f"M{start} {y}h{width}v1h-{width}z")
    px = count * scale
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}"'
        f' viewBox="0 0 {count} {count}" shape-rendering="crispEdges">'
        f'<rect width="{count}" height="{count}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/>'
        "</svg>\n"
    )
