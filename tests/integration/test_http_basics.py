"""HTTP basics a real client trips on: HEAD, the site icon, caching of versioned static files."""
from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit


def test_head_answers_like_get_without_a_body_and_keeps_the_connection_usable(stack, make_event):
    event = make_event()
    netloc = urlsplit(stack.base_url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=10)
    for path in (f"/events/{event['event_id']}", f"/e/{event['event_id']}", "/privacy", "/events/no-such-event"):
        connection.request("GET", path)
        get = connection.getresponse()
        get_body = get.read()
        connection.request("HEAD", path)
        head = connection.getresponse()
        assert head.read() == b""
        assert head.status == get.status, path
        assert head.getheader("Content-Type") == get.getheader("Content-Type")
        assert get_body  # the GET had one
    connection.request("GET", "/privacy")  # the same kept-alive connection still parses answers
    assert connection.getresponse().status == 200
    connection.close()


def test_head_refused_by_the_authorizer_has_no_body_either(stack, make_event):
    """A HEAD without a token is refused by the gateway (401), not the app: still no body, or the
    bytes would be read as the start of the next answer on the kept-alive connection."""
    event = make_event()
    connection = http.client.HTTPConnection(urlsplit(stack.base_url).netloc, timeout=10)
    for path in (f"/events/{event['event_id']}/programme", f"/events/{event['event_id']}/stats"):
        connection.request("HEAD", path)
        head = connection.getresponse()
        assert head.status == 401 and head.read() == b""
        connection.request("GET", f"/events/{event['event_id']}")
        answer = connection.getresponse()
        assert answer.status == 200 and answer.read().startswith(b"{")
    connection.close()


def test_the_site_icon_exists(public):
    response = public.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml") and "<svg" in response.text


def test_static_files_named_by_their_hash_are_immutable(public, make_event):
    page = public.get(f"/e/{make_event()['event_id']}").text
    versioned = re.search(r'href="\.\./(static/app\.css\?v=[0-9a-f]{10})"', page).group(1)
    cached = public.get("/" + versioned)
    assert cached.status_code == 200 and "immutable" in cached.headers["Cache-Control"]
    assert "max-age=31536000" in cached.headers["Cache-Control"]
    stale = public.get("/static/app.css?v=0000000000")
    plain = public.get("/static/app.css")
    for response in (stale, plain):
        assert response.status_code == 200 and "immutable" not in response.headers["Cache-Control"]


def test_head_of_a_binary_answer_is_empty_too(stack, public, make_event):
    from devtools.samples import registration_body

    event = make_event()
    token = public.post(f"/events/{event['event_id']}/registrations", json=registration_body()).json()["ticket_token"]
    connection = http.client.HTTPConnection(urlsplit(stack.base_url).netloc, timeout=10)
    connection.request("HEAD", f"/tickets/{token}/qr.png", headers={"Accept": "image/png"})
    head = connection.getresponse()
    assert head.status == 200 and head.getheader("Content-Type") == "image/png" and head.read() == b""
    connection.close()
