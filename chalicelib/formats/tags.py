"""Item tags (SPEC §8): a 1-bit PNG for a label printer — the QR code of the item's signed URL,
its id and its name printed under it.

Sized for the common 50 mm label at 203 dpi (8 dots/mm): 400 px wide, the height following
the name (one or two lines; a longer name is cut with …). Text is drawn from GNU Unifont's
16-px bitmaps (glyphs.bin, built by devtools/build_glyphs.py) at 2× so it prints crisp on a
thermal printer: no Pillow and no CJK font file in the Lambda package (Lambda has neither).
A character the table lacks prints as a hollow box.
"""

from __future__ import annotations

import functools
import struct
import zlib
from pathlib import Path

from chalicelib.formats import qr

WIDTH = 400  # px: 50 mm at 203 dpi
MARGIN = 12
TEXT_SCALE = 2  # 16-px glyphs → 32-px text
LINE_GAP = 6
MAX_NAME_LINES = 2
_GLYPHS = Path(__file__).with_name("glyphs.bin")
_BOX = (16, bytes([0xFF, 0xFF] + [0x80, 0x01] * 14 + [0xFF, 0xFF]))


@functools.lru_cache(maxsize=1)
def glyph_table() -> dict[int, tuple[int, bytes]]:
    data = zlib.decompress(_GLYPHS.read_bytes())
    table: dict[int, tuple[int, bytes]] = {}
    position = 0
    while position < len(data):
        code = int.from_bytes(data[position : position + 3], "big")
        width = data[position + 3]
        size = width * 2
        table[code] = (width, data[position + 4 : position + 4 + size])
        position += 4 + size
    return table


def glyph(char: str) -> tuple[int, bytes]:
    return glyph_table().get(ord(char), _BOX)


def text_width(text: str) -> int:
    return sum(glyph(char)[0] for char in text) * TEXT_SCALE


def _lines(text: str, width: int, max_lines: int) -> list[str]:
    lines, line = [], ""
    for char in text:
        if line and text_width(line + char) > width:
            lines.append(line)
            line = ""
        line += char
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last + "…") > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines or [""]


def _draw_text(canvas: list[bytearray], text: str, top: int) -> None:
    """Centre `text` on the canvas with its top at `top`."""
    x = (WIDTH - text_width(text)) // 2
    for char in text:
        width, bits = glyph(char)
        row_bytes = width // 8
        for row in range(16):
            value = int.from_bytes(bits[row * row_bytes : (row + 1) * row_bytes], "big")
            for column in range(width):
                if value >> (width - 1 - column) & 1:
                    for dy in range(TEXT_SCALE):
                        line = canvas[top + row * TEXT_SCALE + dy]
                        start = x + column * TEXT_SCALE
                        line[start : start + TEXT_SCALE] = b"\x01" * TEXT_SCALE
        x += width * TEXT_SCALE


def render_tag(url: str, item_id: str, name: str) -> bytes:
    modules = qr.matrix(url)
    scale = max(1, (WIDTH - 2 * MARGIN) // len(modules) * 3 // 4)  # the QR takes about 3/4 of the width
    qr_size = len(modules) * scale
    text_lines = [item_id, *_lines(name, WIDTH - 2 * MARGIN, MAX_NAME_LINES)]
    line_height = 16 * TEXT_SCALE + LINE_GAP
    height = MARGIN + qr_size + LINE_GAP + line_height * len(text_lines) + MARGIN
    canvas = [bytearray(WIDTH) for _ in range(height)]
    left = (WIDTH - qr_size) // 2
    for y, row in enumerate(modules):
        scaled = bytearray(WIDTH)
        for x, dark in enumerate(row):
            if dark:
                scaled[left + x * scale : left + (x + 1) * scale] = b"\x01" * scale
        for dy in range(scale):
            canvas[MARGIN + y * scale + dy] = bytearray(scaled)
    top = MARGIN + qr_size + LINE_GAP
    for text in text_lines:
        _draw_text(canvas, text, top)
        top += line_height
    return _png(canvas)


def _png(canvas: list[bytearray]) -> bytes:
    """A 1-bit greyscale PNG; 1 in the canvas is black."""
    height, width = len(canvas), len(canvas[0])
    invert = bytes.maketrans(b"\x00\x01", b"10")
    padding = "1" * (-width % 8)
    row_bytes = (width + 7) // 8
    raw = b"".join(
        b"\x00" + int(bytes(row).translate(invert).decode("ascii") + padding, 2).to_bytes(row_bytes, "big")
        for row in canvas
    )
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, 6)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))
