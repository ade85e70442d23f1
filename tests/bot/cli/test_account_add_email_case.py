"""`naibot account add NAME --email` with a mixed-case email: when NovelAI refuses the lower-cased
email's key, the email as typed is tried once before giving up (docs/novelai-api.md §10.2)."""

from __future__ import annotations

import io
import os

import httpx

from bot.cli.common import EXIT_OK
from naibot.deployment_salt import salt_loader
from naibot.secrets import SecretBox
from naibot.settings import RedisSettings
from tests.fixtures.cli_operator import run
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY

MIXED = "Ann.Smith@Example.com"
PASSWORD = "ann-password"


def register_at_the_stand_in(email: str, password: str) -> None:
    """An account whose key NovelAI made from the email exactly as given (the stand-in's control API)."""
    response = httpx.post(f"{os.environ['NOVELAI_API_URL']}/_sandbox/accounts",
                          json={"email": email, "password": password}, timeout=10)
    assert response.status_code == 201, response.text


def test_an_account_keyed_on_the_email_as_typed_is_added_on_the_second_try(operator, capsys,
                                                                            monkeypatch) -> None:
    prefix, client = operator
    register_at_the_stand_in(MIXED, PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))

    code, _, err = run(capsys, "account", "add", "ann", "--email", MIXED)

    assert code == EXIT_OK, err
    key = f"{prefix}:nai:account:ann"
    record = SecretBox(TEST_SECRET_KEY, salt_loader(RedisSettings(url=REDIS_URL, prefix=prefix))).open_json(
        client.get(key), key)
    assert record["email"] == MIXED

