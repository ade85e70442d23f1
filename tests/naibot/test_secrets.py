"""Secrets at rest: sealed per slot, unreadable elsewhere or under another key."""

from __future__ import annotations

import pytest

from naibot.secrets import SecretBox, SecretError

KEY = "correct horse battery staple, but longer than 32"


def test_sealed_secret_round_trips_in_its_slot() -> None:
    box = SecretBox(KEY)
    blob = box.seal_json({"token": "pst-abc"}, "naibot:nai:token:alice")
    assert b"pst-abc" not in blob
    assert box.open_json(blob, "naibot:nai:token:alice") == {"token": "pst-abc"}


def test_same_plaintext_seals_differently_each_time() -> None:
    box = SecretBox(KEY)
    assert box.seal(b"x", "slot") != box.seal(b"x", "slot")


def test_secret_moved_to_another_slot_does_not_open() -> None:
    box = SecretBox(KEY)
    blob = box.seal(b"secret", "naibot:nai:token:alice")
    with pytest.raises(SecretError):
        box.open(blob, "naibot:nai:token:mallory")


def test_secret_does_not_open_under_another_key() -> None:
    blob = SecretBox(KEY).seal(b"secret", "slot")
    with pytest.raises(SecretError):
        SecretBox(KEY + "!").open(blob, "slot")


@pytest.mark.parametrize("blob", [b"", b"\x01short", b"\x02" + b"0" * 40, b"garbage" * 10])
def test_corrupt_or_truncated_blobs_raise_secret_error(blob: bytes) -> None:
    with pytest.raises(SecretError):
        SecretBox(KEY).open(blob, "slot")
