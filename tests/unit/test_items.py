"""Collector items (SPEC §8), pure parts: the state machine, replacing a declared list, item
tokens, the tag image, the museum's list rows and the certificate PDF."""
from __future__ import annotations

import io

import pytest

from chalicelib.domain import items as rules
from chalicelib.domain import tokens
from chalicelib.domain.items import Item

ALL = rules.STATES


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setattr(tokens, "keyring", lambda: tokens.KeyRing.parse("B:" + "b" * 32 + ",A:" + "a" * 32))


@pytest.mark.parametrize("start, target", [(s, t) for s in ALL for t in ALL])
def test_the_state_machine(start, target):
    expected = {
        ("declared", "received"), ("received", "exhibited"), ("received", "returned"), ("received", "exchanged"),
        ("received", "donated"), ("exhibited", "returned"), ("exhibited", "exchanged"), ("exhibited", "donated"),
    }
    assert rules.allowed(start, target) is ((start, target) in expected)


def test_item_ids_count_up_and_sort_past_9999():
    assert [rules.item_id_of(n) for n in (1, 42, 10000)] == ["C-0001", "C-0042", "C-10000"]
    assert rules.sequence_of("C-10000") == 10000


def _item(item_id, state="declared", **extra):
    return Item(event_id="e", item_id=item_id, registration_id="R", name=extra.pop("name", item_id),
                intent=extra.pop("intent", "exhibit"), state=state, **extra)


def test_a_replacement_edits_adds_withdraws_and_keeps_received_items():
    current = [_item("C-0001"), _item("C-0002", "received"), _item("C-0003"), _item("C-0004")]
    fresh = [_item("C-0009", name="新")]
    plan, errors = rules.plan_replacement(current, [
        {"item_id": "C-0001", "name": "改", "intent": "donate"},
        {"name": "新", "intent": "exhibit"},
        {"item_id": "C-0004", "name": "C-0004", "intent": "exhibit"},  # unchanged
    ], fresh)
    assert errors == {}
    assert [i.item_id for i in plan.result] == ["C-0002", "C-0001", "C-0009", "C-0004"]
    assert [(i.item_id, i.name, i.intent) for i in plan.edited] == [("C-0001", "改", "donate")]
    assert [i.item_id for i in plan.withdrawn] == ["C-0003"]
    assert plan.new == fresh


def test_a_replacement_may_not_edit_a_received_item_or_name_unknown_ones():
    current = [_item("C-0001", "exhibited"), _item("C-0002")]
    plan, errors = rules.plan_replacement(current, [
        {"item_id": "C-0001", "name": "改", "intent": "exhibit"},
        {"item_id": "C-0007", "name": "x", "intent": "exhibit"},
        {"item_id": "C-0002", "name": "C-0002", "intent": "exhibit"},
        {"item_id": "C-0002", "name": "C-0002", "intent": "exhibit"},
    ], [])
    assert plan is None
    assert set(errors) == {"items.0.item_id", "items.1.item_id", "items.3.item_id"}
    assert "展出中" in errors["items.0.item_id"][0]


def test_item_tokens_are_signed_and_told_apart_from_tickets():
    token = tokens.mint_item_token("red-expo", "C-0012")
    assert token.startswith("RED-EXPO.B") and token.count(".") == 2 and token == token.upper()
    assert tokens.open_item_token(token) == ("red-expo", "C-0012")
    assert tokens.open_item_token(token.lower()) == ("red-expo", "C-0012")
    assert tokens.open_ticket(token) is None
    ticket = tokens.mint_ticket("red-expo", tokens.new_registration_id())
    assert tokens.open_item_token(ticket) is None
    event, middle, tag = token.split(".")
    for forged in (f"OTHER-EXPO.{middle}.{tag}", f"{event}.{middle[:-1]}3.{tag}",
                   f"{event}.{middle}.{tag[:-1]}{'A' if tag[-1] != 'A' else 'B'}", f"{event}.Z{middle[1:]}.{tag}",
                   token + "A", "", "非ASCII"):
        assert tokens.open_item_token(forged) is None, forged


def test_tag_png_decodes_and_prints_the_id_and_name_under_the_code():
    import zxingcpp
    from PIL import Image

    from chalicelib.formats import tags

    url = "http://127.0.0.1:8000/i/" + tokens.mint_item_token("red-expo", "C-0001")
    png = tags.render_tag(url, "C-0001", "毛主席像章（1968年）")
    image = Image.open(io.BytesIO(png))
    assert image.mode == "1" and image.width == tags.WIDTH
    assert [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)] == [url]
    pixels = image.convert("L").load()
    rows_with_ink = [y for y in range(image.height) if any(pixels[x, y] == 0 for x in range(image.width))]
    code_bottom = max(y for y in rows_with_ink if y < image.height - 3 * 40)
    text_rows = [y for y in rows_with_ink if y > code_bottom]
    assert len(text_rows) > 40  # two lines of 32-px text under the code: the id, then the name


def test_tag_text_wraps_and_cuts_long_names_and_boxes_unknown_characters():
    from chalicelib.formats import tags

    lines = tags._lines("很" * 40, 376, 2)
    assert len(lines) == 2 and lines[1].endswith("…") and all(tags.text_width(line) <= 376 for line in lines)
    assert tags.glyph("中")[0] == 16 and tags.glyph("A")[0] == 8
    assert tags.glyph("\U0001f600") == tags._BOX  # an emoji: not in the table
    assert tags.glyph("䶮")[0] == 16  # CJK extension A is


def test_museum_rows_label_states_in_chinese_and_neutralise_formulas():
    from chalicelib.formats import item_sheets

    item = _item("C-0001", "donated", name="=1+1", intent="donate", recipient="博物馆", note="@备注",
                 received_at="2026-12-20T10:00:00+08:00")
    assert item_sheets.item_row(item, {"name": "张三", "phone": "13812345678"}, "zh") == [
        "C-0001", "'=1+1", "", "", "捐赠", "已捐赠", "张三", "13812345678", "2026-12-20 10:00:00", "博物馆", "'@备注"]
    assert item_sheets.item_row(item, None, "en")[4:8] == ["donate", "donated", "", ""]


def test_certificate_is_one_a4_page_of_extractable_chinese():
    import pypdf

    from chalicelib.formats import certificate

    items = [certificate.DonatedItem(f"C-{n:04d}", "很长的藏品名称" * 7, f"受赠单位{n % 2}", "2026-12-20")
             for n in range(1, 21)]
    pdf = certificate.render(certificate.Certificate("张三", items, "某新媒体协会", "交流会", "2026-12-21"))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "捐赠证书" in text and "C-0020" in text and "受赠单位1" in text and "2026年12月21日" in text
    assert "捐赠日期：2026年12月20日" in text
    heights: list[tuple[float, str]] = []
    reader.pages[0].extract_text(visitor_text=lambda t, cm, tm, font, size: heights.append((tm[5], t)) if t.strip() else None)
    body = [y for y, t in heights if t.strip() not in ("某新媒体协会", "2026年12月21日")]
    assert min(body) > 175 and max(y for y, _ in heights) < 842 - 40  # nothing under the signature or off the page


def test_certificate_text_is_drawable_in_stsong():
    from chalicelib.formats import certificate

    assert certificate.drawable("买买提·艾力 𠮷野家") == "买买提・艾力 〓野家"
