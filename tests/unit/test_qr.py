"""Ticket QR rendering: decoded by a real scanner library, and checked module by module."""
import io
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest
import qrcode
import zxingcpp
from PIL import Image

from chalicelib.formats import qr

TICKET_URL = "http://127.0.0.1:8000/t/DEMO-AWARD-2026.AAGRCBVJBHLIYWJRXKYO2REDNXPXXM3LH22JEDNTJ3HSFYLDV"
MIXED_URL = "https://baoming.example.com/t/spring-gala-2026.aagrcbvjbhliywjrxkyo2rednxpxxm3lh22jedntj3hsfyldv?lang=zh-CN"
LONG_URL = "https://tickets.baoming.example.com/t/" + "E" * 64 + "." + "A" * 52 + "&utm_source=email&utm_medium=ticket"
URLS = [TICKET_URL, MIXED_URL, LONG_URL]
SVG_NS = {"svg": "http://www.w3.org/2000/svg"}


def decode(png: bytes) -> list:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)


@pytest.mark.parametrize("text", URLS)
def test_png_decodes_to_exactly_the_input(text):
    results = decode(qr.render_png(text))
    assert [r.text for r in results] == [text]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


@pytest.mark.parametrize("text", URLS)
def test_error_correction_is_m(text):
    (result,) = decode(qr.render_png(text))
    assert result.ec_level == "M"


def test_uppercase_tail_is_packed_in_alphanumeric_mode():
    # Byte mode alone would need a bigger symbol for this URL; a smaller one proves the
    # base32 tail went into alphanumeric mode.
    byte_only = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=qr.BORDER)
    byte_only.add_data(TICKET_URL, optimize=0)
    byte_only.make(fit=True)
    assert len(qr.matrix(TICKET_URL)) < len(byte_only.get_matrix())


def test_png_structure():
    png = qr.render_png(TICKET_URL)
    modules = len(qr.matrix(TICKET_URL))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", png[16:29])
    assert width == height == modules * qr.PNG_SCALE
    assert (depth, colour, compression, filtering, interlace) == (1, 0, 0, 0, 0)
    assert png.endswith(b"\x00\x00\x00\x00IEND" + struct.pack(">I", zlib.crc32(b"IEND")))


def test_png_chunks_have_valid_crcs_and_every_scanline_uses_filter_0():
    png = qr.render_png(MIXED_URL)
    offset, kinds, idat = 8, [], b""
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        data = png[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + data)
        kinds.append(kind)
        idat += data if kind == b"IDAT" else b""
        offset += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    size = len(qr.matrix(MIXED_URL)) * qr.PNG_SCALE
    stride = 1 + (size + 7) // 8
    raw = zlib.decompress(idat)
    assert len(raw) == size * stride
    assert all(raw[i] == 0 for i in range(0, len(raw), stride))


@pytest.mark.parametrize("text", URLS)
def test_png_pixels_are_the_scaled_matrix_with_a_white_quiet_zone(text):
    image = Image.open(io.BytesIO(qr.render_png(text)))
    assert image.mode == "1"
    modules = qr.matrix(text)
    scale = qr.PNG_SCALE
    pixels = image.load()
    size = image.width
    quiet = qr.BORDER * scale
    for a in range(size):
        for b in list(range(quiet)) + list(range(size - quiet, size)):
            assert pixels[a, b] == 255 and pixels[b, a] == 255
    for y in range(size):
        for x in range(size):
            assert (pixels[x, y] == 0) == modules[y // scale][x // scale], (x, y)


def test_png_is_a_ticket_friendly_size():
    assert 300 <= Image.open(io.BytesIO(qr.render_png(TICKET_URL))).width <= 400


def svg_dark_modules(svg: str) -> tuple[ET.Element, set[tuple[int, int]]]:
    root = ET.fromstring(svg.encode())
    (path,) = root.findall("svg:path", SVG_NS)
    d = path.get("d")
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", d)
    assert "".join(f"M{x} {y}h{w}v1h-{w2}z" for x, y, w, w2 in runs) == d, "unexpected path syntax"
    dark = set()
    for x, y, w, w2 in runs:
        assert w == w2
        dark.update((int(x) + i, int(y)) for i in range(int(w)))
    return root, dark


@pytest.mark.parametrize("text", URLS)
def test_svg_paints_exactly_the_dark_modules(text):
    modules = qr.matrix(text)
    root, dark = svg_dark_modules(qr.render_svg(text))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == f"0 0 {len(modules)} {len(modules)}"
    assert root.get("width") == root.get("height") == f"{len(modules) * qr.SVG_SCALE}"
    assert root.get("shape-rendering") == "crispEdges"
    (background,) = root.findall("svg:rect", SVG_NS)
    assert (background.get("width"), background.get("height"), background.get("fill")) == (
        str(len(modules)), str(len(modules)), "#fff")
    assert dark == {(x, y) for y, row in enumerate(modules) for x, on in enumerate(row) if on}
    assert all(qr.BORDER <= x < len(modules) - qr.BORDER and qr.BORDER <= y < len(modules) - qr.BORDER
               for x, y in dark)


def test_svg_and_png_encode_the_same_matrix():
    image = Image.open(io.BytesIO(qr.render_png(TICKET_URL)))
    _, dark = svg_dark_modules(qr.render_svg(TICKET_URL))
    half = qr.PNG_SCALE // 2
    pixels = image.load()
    count = image.width // qr.PNG_SCALE
    png_dark = {(x, y) for y in range(count) for x in range(count)
                if pixels[x * qr.PNG_SCALE + half, y * qr.PNG_SCALE + half] == 0}
    assert png_dark == dark
