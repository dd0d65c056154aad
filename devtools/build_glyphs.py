"""Build chalicelib/formats/glyphs.bin: the 16-px bitmaps of GNU Unifont for the characters an
item tag may print (ASCII and Latin-1, punctuation, CJK symbols, CJK ideographs and extension A,
full-width forms). Run once after `apt-get install unifont`; the output is committed, so neither
the build nor Lambda needs the font (Lambda has no CJK fonts, and Pillow + a CJK font file would
add tens of MB to the zip). GNU Unifont is dual-licensed SIL OFL 1.1 / GPL-2+ with the font
embedding exception.

Format (zlib-compressed): records of 3-byte big-endian code point, 1-byte width (8 or 16),
then 16 rows of width/8 bytes each.

    .venv/bin/python -m devtools.build_glyphs [/usr/share/unifont/unifont.hex]
"""
from __future__ import annotations

import sys
import zlib
from pathlib import Path

RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x00FF), (0x2000, 0x206F), (0x2100, 0x218F), (0x2460, 0x24FF),
    (0x2500, 0x257F), (0x25A0, 0x25FF), (0x3000, 0x303F), (0x3200, 0x32FF), (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
)
OUT = Path(__file__).resolve().parent.parent / "chalicelib" / "formats" / "glyphs.bin"


def wanted(code: int) -> bool:
    return any(low <= code <= high for low, high in RANGES)


def main() -> int:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unifont/unifont.hex")
    records = bytearray()
    count = 0
    for line in source.read_text(encoding="ascii").splitlines():
        code_text, _, bits = line.partition(":")
        code = int(code_text, 16)
        if not wanted(code) or len(bits) not in (32, 64):
            continue
        width = 8 if len(bits) == 32 else 16
        records += code.to_bytes(3, "big") + bytes([width]) + bytes.fromhex(bits)
        count += 1
    OUT.write_bytes(zlib.compress(bytes(records), 9))
    print(f"{count} glyphs, {OUT.stat().st_size} bytes -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
