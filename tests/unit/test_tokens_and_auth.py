"""Cursor signing and bearer parsing: pure, keyed by an in-memory key ring."""
import pytest

from chalicelib import auth, tokens


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setattr(tokens, "keyring", lambda: tokens.KeyRing.parse("B:" + "b" * 32 + ",A:" + "a" * 32))


def test_cursor_round_trips_within_its_scope():
    cursor = tokens.sign_cursor("events", {"pk": "EVENT#x", "sk": "EVENT"})
    assert tokens.open_cursor("events", cursor) == {"pk": "EVENT#x", "sk": "EVENT"}


def test_cursor_from_another_scope_is_refused():
    cursor = tokens.sign_cursor("event:a:registrations", {"pk": "EVENT#a"})
    assert tokens.open_cursor("event:b:registrations", cursor) is None


@pytest.mark.parametrize("mutate", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),
    lambda c: c.replace(".", "", 1),
    lambda c: "Z" + c[1:],
    lambda c: c + "x",
    lambda c: "",
    lambda c: "…非ASCII…",
])
def test_tampered_cursors_are_refused(mutate):
    cursor = tokens.sign_cursor("events", {"pk": "EVENT#x"})
    assert tokens.open_cursor("events", mutate(cursor)) is None


def test_edited_payload_is_refused():
    kid, payload, tag = tokens.sign_cursor("events", {"pk": "EVENT#x"}).split(".")
    forged_payload = tokens._b64(b'{"pk":"EVENT#other"}')
    assert tokens.open_cursor("events", f"{kid}.{forged_payload}.{tag}") is None


def test_old_key_still_verifies_after_rotation():
    old = tokens.KeyRing.parse("A:" + "a" * 32)
    tag = old.mac("A", "cursor:events", b"{}")
    rotated = tokens.KeyRing.parse("B:" + "b" * 32 + ",A:" + "a" * 32)
    assert rotated.active_id == "B"
    assert rotated.verify("A", "cursor:events", b"{}", tag)


@pytest.mark.parametrize("spec", ["", "A", "A:short", "a:" + "x" * 20, "AB:" + "x" * 20])
def test_malformed_key_specs_are_refused(spec):
    with pytest.raises(ValueError):
        tokens.KeyRing.parse(spec)


@pytest.mark.parametrize("header, token", [
    ("Bearer abc", "abc"),
    ("bearer  abc ", "abc"),
    ("Basic abc", None),
    ("Bearer", None),
    ("", None),
    (None, None),
])
def test_bearer_token_parsing(header, token):
    assert auth.bearer_token(header) == token
