"""QR images through the HTTP stack: real bytes, decodable, and the decoded text checks in."""
import io

import pytest
import zxingcpp
from PIL import Image

from devtools.samples import registration_body

BROWSER_IMG_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
BROWSER_PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture
def ticket(public, make_event):
    event = make_event()
    return event, public.post(f"/events/{event['event_id']}/registrations", json=registration_body()).json()


@pytest.mark.parametrize("accept", ["*/*", "image/png", BROWSER_IMG_ACCEPT, BROWSER_PAGE_ACCEPT])
def test_png_is_served_as_real_binary_whatever_the_accept_header(public, ticket, accept):
    _, reply = ticket
    headers = {"Accept": accept} if accept else {}
    response = public.get(f"/tickets/{reply['ticket_token']}/qr.png", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "immutable" in response.headers["Cache-Control"]


def test_decoded_png_is_the_ticket_url_and_checks_in(public, admin, ticket):
    event, reply = ticket
    png = public.get(reply["qr_png_url"].replace(public.base_url, "")).content
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(decoded) == 1
    assert decoded[0].text == reply["ticket_url"]
    assert decoded[0].ec_level == "M"
    result = admin.post(f"/events/{event['event_id']}/checkins", json={"code": decoded[0].text})
    assert result.json()["result"] == "ok"


def test_svg_is_served_as_text_and_parses(public, ticket):
    _, reply = ticket
    response = public.get(f"/tickets/{reply['ticket_token']}/qr.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert response.text.lstrip().startswith(("<svg", "<?xml"))


def test_forged_token_has_no_qr(public, ticket):
    _, reply = ticket
    forged = reply["ticket_token"][:-1] + ("A" if reply["ticket_token"][-1] != "A" else "B")
    for suffix in ("qr.png", "qr.svg"):
        response = public.get(f"/tickets/{forged}/{suffix}", headers={"Accept": "image/png"})
        assert response.status_code == 404
        assert response.json()["error"] == "ticket_not_found"
