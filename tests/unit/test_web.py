"""Responses as Lambda returns them to API Gateway: JSON-serialisable, binary only where declared."""
import base64
import json

from chalicelib.web import http as web


def lambda_payload(response):
    payload = response.to_dict(web.BINARY_TYPES)
    json.dumps(payload)  # Lambda serialises the response: raw bytes would fail here
    return payload


def test_text_assets_travel_as_text():
    css = lambda_payload(web.content_response("body{color:红}".encode(), "text/css; charset=utf-8"))
    assert css["body"] == "body{color:红}" and not css.get("isBase64Encoded")
    svg = lambda_payload(web.content_response("<svg/>", "image/svg+xml; charset=utf-8"))
    assert svg["body"] == "<svg/>"


def test_binary_types_are_base64_encoded():
    png = lambda_payload(web.content_response(b"\x89PNG\r\n\x1a\n\x00", "image/png"))
    assert png["isBase64Encoded"] is True
    assert base64.b64decode(png["body"]) == b"\x89PNG\r\n\x1a\n\x00"


def test_exports_keep_their_bom_as_text():
    class Export:
        url, filename, content_type = None, "e-attendees.csv", "text/csv; charset=utf-8"
        body = "\ufeff姓名\r\n".encode("utf-8")

    csv_payload = lambda_payload(web.file_response(Export()))
    assert csv_payload["body"].startswith("\ufeff姓名")
