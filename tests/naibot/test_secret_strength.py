"""The secret rules themselves: every example the repository publishes and every obvious pattern
is refused, random keys of the size the docs recommend always pass, and no reason quotes a value."""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from honcho.environ import parse as honcho_parse

from naibot.secret_strength import (
    EXAMPLE_VALUES,
    key_weakness,
    password_weakness,
    redis_password,
    weak_secrets,
)
from naibot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
STRONG = "pHdSQbrd4TIBjTGAqzlz1bgbINDfOlAUFb8I6sVsDhc="


def env_example() -> dict[str, str]:
    """The file read as honcho reads a .env (the JSON value is quoted; tests/deploy/test_env_example.py)."""
    return honcho_parse((ROOT / "deploy" / "env.example").read_text(encoding="utf-8"))


def documented_keys() -> list[str]:
    """Every example API key or secret key the docs show, read from the files themselves."""
    env = env_example()
    found = [env["NAIBOT_SECRET_KEY"], *(item["key"] for item in json.loads(env["NAIBOT_API__KEYS"]))]
    for name in ("README.md", "settings.yaml", "deploy/SCALING.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        found += re.findall(r"SECRET_KEY='([^'$]+)'", text)
        found += re.findall(r"""["{ ]key["]?: "([^"]+)\"""", text)
    return found


def test_the_docs_show_examples_to_check() -> None:
    assert len(documented_keys()) >= 6


@pytest.mark.parametrize("value", documented_keys())
def test_every_key_the_docs_show_is_refused(value: str) -> None:
    assert key_weakness(value) is not None


@pytest.mark.parametrize("value", sorted(EXAMPLE_VALUES))
def test_every_example_ever_published_is_refused(value: str) -> None:
    assert key_weakness(value) is not None and password_weakness(value) is not None


def test_the_redis_password_of_the_examples_is_refused() -> None:
    password = redis_password(env_example()["REDIS_URL"])
    assert password is not None and password_weakness(password) is not None
    assert password_weakness("change-me") is not None


@pytest.mark.parametrize("value", [
    "change-me-" + STRONG,                    # starts with the examples' marker: never filled in
    "CHANGEME" + STRONG,
    "a" * 32,                                 # repeated characters
    "password" * 4,                           # a repeated word
    "correct horse battery staple",           # a dictionary phrase
    "correct-horse-battery-staple-and-a-long-river",
    "abcdefghijklmnopqrstuvwxyz0123456789",   # a sequence
    "mysecretpassword123456789!!",            # common words and a sequence
    "abababababababababababababababab",
    "aabbabaabbbaababbabaabbabbbaabab",      # two characters in any order
    "test-secret-key-that-is-at-least-32-chars",
    "qwertyuiopasdfghjklzxcvbnm",
])
def test_guessable_keys_are_refused(value: str) -> None:
    assert key_weakness(value) is not None


def test_random_keys_of_the_recommended_size_always_pass() -> None:
    generators: tuple[Callable[[], str], ...] = (
        lambda: base64.b64encode(secrets.token_bytes(32)).decode(), lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_hex(32))
    for generate in generators:
        for _ in range(2000):
            value = generate()
            assert key_weakness(value) is None, "a random 32-byte key must pass"


def test_a_reason_never_quotes_the_value() -> None:
    for value in ["a" * 40, "change-me-" + STRONG, "the new passphrase, 32+ characters", "hunter2hunter2hunter2"]:
        reason = key_weakness(value)
        assert reason is not None and value not in reason


def test_a_random_redis_password_passes() -> None:
    assert password_weakness(secrets.token_urlsafe(24)) is None


def test_weak_secrets_names_each_variable_and_only_the_uses_asked_for(tmp_path: Path) -> None:
    env = env_example()
    settings = load_settings(tmp_path / "none.yaml", env={k: env[k] for k in
                                                          ("NAIBOT_SECRET_KEY", "REDIS_URL", "NAIBOT_API__KEYS")})
    everything = [w.variable for w in weak_secrets(settings, api_keys=True, secret_key=True)]
    assert everything == ["REDIS_URL (its password)", "NAIBOT_SECRET_KEY", "NAIBOT_API__KEYS[0] (identity admin)",
                          "NAIBOT_API__KEYS[1] (identity prometheus)"]
    assert [w.variable for w in weak_secrets(settings)] == ["REDIS_URL (its password)"]
    strong = load_settings(tmp_path / "none.yaml", env={
        "NAIBOT_SECRET_KEY": STRONG, "REDIS_URL": f"redis://:{secrets.token_urlsafe(24)}@127.0.0.1:6379/0",
        "NAIBOT_API__KEYS": json.dumps([{"key": secrets.token_urlsafe(32), "identity": "admin", "admin": True}])})
    assert weak_secrets(strong, api_keys=True, secret_key=True) == []


def test_a_unix_socket_url_password_is_checked_too() -> None:
    assert redis_password("unix:///run/redis.sock?db=0&password=change-me") == "change-me"


def test_a_percent_encoded_example_password_is_still_the_example() -> None:
    password = redis_password("redis://:change%2Dme@127.0.0.1:6379/0")
    assert password is not None and password_weakness(password) is not None
