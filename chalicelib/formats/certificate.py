"""The donation certificate (SPEC §8) as a one-page A4 PDF: a pure encoder.

reportlab draws the text with its built-in `STSong-Light` CID font: the PDF names the font
and its Adobe-GB1 character collection and every PDF reader brings the glyphs, so no font
file is shipped and the Chinese text stays text (searchable, extractable), not a picture.
reportlab is imported only here, and this module only by the certificate's route.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
MARGIN = 64
# The list ends above this: then the recipient, the date, the thanks, and the association at the foot.
FOOTER_TOP = 262
RECIPIENT_COLUMN = 150  # pt
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass(frozen=True)
class DonatedItem:
    item_id: str
    name: str
    recipient: str
    donated_on: str  # YYYY-MM-DD


@dataclass(frozen=True)
class Certificate:
    donor: str
    items: Sequence[DonatedItem]
    organization: str
    event_title: str
    issued_on: str  # YYYY-MM-DD


# STSong-Light covers Adobe-GB1 (GB 2312 / GBK) through the UCS-2 CMap UniGB-UCS2-H: the middle
# dot of names such as 买买提·艾力 (U+00B7) has no glyph there, the katakana middle dot (U+30FB,
# GB 2312's A1A4) is the same mark; a character beyond the BMP (𠮷) can't be encoded in UCS-2 and
# prints as the geta mark 〓, the customary stand-in for a missing character.
_DRAWABLE = {0x00B7: "\u30fb"}


def drawable(text: str) -> str:
    return "".join("\u3013" if ord(char) > 0xFFFF else _DRAWABLE.get(ord(char), char) for char in text)


def _date_zh(day: str) -> str:
    year, month, date = day.split("-")
    return f"{int(year)}年{int(month)}月{int(date)}日"


def _wrap(text: str, size: float, width: float) -> list[str]:
    lines, line = [], ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, FONT, size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines or [""]


def _cut(lines: list[str], max_lines: int) -> list[str]:
    if len(lines) <= max_lines:
        return lines
    return [*lines[: max_lines - 1], lines[max_lines - 1][:-1] + "…"]


def render(certificate: Certificate) -> bytes:
    certificate = Certificate(
        drawable(certificate.donor),
        [
            DonatedItem(item.item_id, drawable(item.name), drawable(item.recipient), item.donated_on)
            for item in certificate.items
        ],
        drawable(certificate.organization),
        drawable(certificate.event_title),
        certificate.issued_on,
    )
    buffer = io.BytesIO()
    page_width, page_height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle("捐赠证书")
    pdf.setAuthor(certificate.organization)
    pdf.setLineWidth(2)
    pdf.rect(MARGIN / 2, MARGIN / 2, page_width - MARGIN, page_height - MARGIN)
    pdf.setLineWidth(0.6)
    pdf.rect(MARGIN / 2 + 6, MARGIN / 2 + 6, page_width - MARGIN - 12, page_height - MARGIN - 12)

    y = page_height - 115
    pdf.setFont(FONT, 34)
    pdf.drawCentredString(page_width / 2, y, "捐赠证书")
    y -= 54
    width = page_width - 2 * MARGIN - 20
    x = MARGIN + 10
    recipients = list(dict.fromkeys(item.recipient for item in certificate.items))
    days = sorted({item.donated_on for item in certificate.items})
    pdf.setFont(FONT, 16)
    pdf.drawString(x, y, f"尊敬的 {certificate.donor}：")
    y -= 34
    intro = (
        f"感谢您在“{certificate.event_title}”中慷慨捐赠以下藏品"
        + (f"予 {recipients[0]}" if len(recipients) == 1 else "")
        + "。"
    )
    size = 14
    pdf.setFont(FONT, size)
    for line in _wrap(intro, size, width):
        pdf.drawString(x, y, line)
        y -= size * 1.6
    y -= 10
    # The list: shrink the type until it fits above the closing lines (at most 20 items, names up
    # to 50 characters); at the smallest size a name longer than one line is cut with …
    room = y - FOOTER_TOP
    several = len(recipients) > 1  # then each item names its own recipient, in a right-hand column
    name_width = width - 80 - (RECIPIENT_COLUMN + 10 if several else 0)
    rows: list[tuple[str, list[str], list[str]]] = []
    for item_size, max_lines in ((13, 2), (12, 2), (11, 2), (10, 2), (9, 2), (8, 2), (8, 1)):
        rows = [
            (
                item.item_id,
                _cut(_wrap(item.name, item_size, name_width), max_lines),
                _cut(_wrap(item.recipient, item_size, RECIPIENT_COLUMN), max_lines) if several else [],
            )
            for item in certificate.items
        ]
        leading = item_size * 1.35
        if sum(max(len(names), len(gifts)) * leading + 3 for _, names, gifts in rows) <= room:
            break
    pdf.setFont(FONT, item_size)
    if several:
        pdf.drawString(x + width - RECIPIENT_COLUMN, y + leading + 2, "受赠单位")
    for item_id, names, gifts in rows:
        pdf.drawString(x + 10, y, item_id)
        for index, line in enumerate(names):
            pdf.drawString(x + 80, y - index * leading, line)
        for index, line in enumerate(gifts):
            pdf.drawString(x + width - RECIPIENT_COLUMN, y - index * leading, line)
        y -= max(len(names), len(gifts)) * leading + 3
    y -= 16
    pdf.setFont(FONT, 14)
    if len(recipients) == 1:
        pdf.drawString(x, y, f"受赠单位：{recipients[0]}")
        y -= 26
    when = _date_zh(days[0]) if len(days) == 1 else f"{_date_zh(days[0])}至{_date_zh(days[-1])}"
    pdf.drawString(x, y, f"捐赠日期：{when}")
    y -= 40
    pdf.drawString(x, y, "特发此证，以资感谢。")

    pdf.setFont(FONT, 16)
    pdf.drawRightString(page_width - MARGIN - 10, 150, certificate.organization)
    pdf.setFont(FONT, 13)
    pdf.drawRightString(page_width - MARGIN - 10, 124, _date_zh(certificate.issued_on))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
