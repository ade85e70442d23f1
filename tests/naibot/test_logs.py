"""The redacting log filter: no token, key or password reaches a log line."""

from __future__ import annotations

import logging

import pytest

from naibot.logs import REDACTED, RedactingFilter, redact, register_secret

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6MSwiZXhwIjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLWJ5dGVz"
TELEGRAM = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
DISCORD = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"
PST = "pst-Zq3kX9mN2pL7vB4cR8tY1wE6uI0oA5sD"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token {JWT} cached", JWT),
        (f"using {PST}", PST),
        (f"POST https://api.telegram.org/bot{TELEGRAM}/getMe", TELEGRAM),
        (f"discord login with {DISCORD}", DISCORD),
        ("Authorization: Bearer opaque-value-123", "opaque-value-123"),
        ('{"key": "vtQmbCKY3JMbibT54ctxmAaAL-nZOK5B", "n": 1}', "vtQmbCKY3JMbibT54ctxmAaAL-nZOK5B"),
        ("password=hunter2hunter2 retry", "hunter2hunter2"),
        ('{"accessToken":"abcdefabcdef"}', "abcdefabcdef"),
    ],
)
def test_known_secret_shapes_are_redacted(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert REDACTED in out


def test_ordinary_text_is_left_alone() -> None:
    text = "the key is pressed; job 42 done in 3.2 s at 832x1216"
    assert redact(text) == text


def test_registered_literal_secret_is_redacted_anywhere() -> None:
    register_secret("my-own-odd-password-9")
    assert "my-own-odd-password-9" not in redact("user typed my-own-odd-password-9 in a group")


def test_filter_redacts_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("naibot.test.redaction")
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        logger.warning("login with %s failed", PST)
        try:
            raise RuntimeError(f"bad token {JWT}")
        except RuntimeError:
            logger.exception("request failed")
    finally:
        caplog.handler.removeFilter(handler_filter)
    text = caplog.text
    assert PST not in text
    assert JWT not in text
    assert text.count(REDACTED) >= 2
