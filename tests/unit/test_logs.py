"""Log redaction: phones, tickets and bearer tokens never reach a log line."""
import logging

from chalicelib import logs
from chalicelib.domain import tokens

TICKET = "DEMO-AWARD-2026.A01JD8ZQ4M7R2XK9PQWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[:16 + 49]


def test_redact_masks_phones_and_hides_tokens(monkeypatch):
    monkeypatch.setattr(tokens, "keyring", lambda: tokens.KeyRing.parse("A:" + "a" * 32))
    ticket = tokens.mint_ticket("demo-award-2026", tokens.new_registration_id())
    line = (f"POST /tickets/{ticket}/cancel phone=13812345678 other={ticket.lower()} "
            "Authorization: Bearer s3cr3t-admin staff st_" + "x" * 43)
    redacted = logs.redact(line)
    assert "13812345678" not in redacted and "138****5678" in redacted
    assert ticket not in redacted and ticket.lower() not in redacted and "[ticket]" in redacted
    assert "s3cr3t-admin" not in redacted and "st_xxx" not in redacted


def test_long_digit_runs_that_are_not_phones_are_kept():
    assert logs.redact("order 2138123456789 at 1712345678901") == "order 2138123456789 at 1712345678901"


def test_every_record_is_redacted_once_installed(caplog):
    logs.install_redaction()
    logs.install_redaction()  # idempotent
    logger = logging.getLogger("anything.at.all")
    with caplog.at_level(logging.INFO):
        logger.info("registered %s", "13900001111")
        try:
            raise ValueError("bad phone 13900002222")
        except ValueError:
            logger.exception("failed for 13900003333")
    text = caplog.text
    assert "13900001111" not in text and "13900002222" not in text and "13900003333" not in text
    assert "139****1111" in text
