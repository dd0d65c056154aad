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


def render(certificate: Certificate) -> bytes:
    buffer = io.BytesIO()
    page_width, page_height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle("捐赠证书")
    pdf.setAuthor(certificate.organization)
    pdf.setLineWidth(2)
    pdf.rect(MARGIN / 2, MARGIN / 2, page_width - MARGIN, page_height - MARGIN)
    pdf.setLineWidth(0.6)
    pdf.rect(MARGIN / 2 + 6, MARGIN / 2 + 6, page_width - MARGIN - 12, page_height - MARGIN - 12)

    y = page_height - 130
    pdf.setFont(FONT, 34)
    pdf.drawCentredString(page_width / 2, y, "捐赠证书")
    y -= 60
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
    # The list: shrink the type until it fits the page (at most 20 items, names up to 50 characters).
    rows: list[tuple[str, list[str]]] = []
    for item_size in (13, 12, 11, 10, 9, 8):
        rows = []
        height = 0.0
        for item in certificate.items:
            detail = item.name if len(recipients) == 1 else f"{item.name}（受赠单位：{item.recipient}）"
            lines = _wrap(detail, item_size, width - 80)
            rows.append((item.item_id, lines))
            height += len(lines) * item_size * 1.5 + 4
        if height < y - 260:
            break
    pdf.setFont(FONT, item_size)
    for item_id, lines in rows:
        pdf.drawString(x + 10, y, item_id)
        for line in lines:
            pdf.drawString(x + 80, y, line)
            y -= item_size * 1.5
        y -= 4
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
