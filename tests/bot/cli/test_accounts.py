"""`naibot account add|list|status|remove` against the stand-in and Redis, as an operator uses it."""

from __future__ import annotations

import io
import json

import pytest

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from bot.cli.main import main
from naibot.deployment_salt import salt_loader
from naibot.secrets import SecretBox
from naibot.settings import RedisSettings
from novelai.accesskey import derive_access_key
from novelai.accounts import Account
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN
from tests.fixtures.cli_operator import add_token, run
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY


def test_token_account_is_checked_saved_encrypted_and_listed(operator, capsys, monkeypatch) -> None:
    prefix, client = operator
    code, out, _ = add_token(capsys, monkeypatch, "main")
    assert code == EXIT_OK and "Opus" in out
    raw = client.get(f"{prefix}:nai:account:main")
    assert raw is not None and OPUS_TOKEN.encode() not in raw, "stored credentials are encrypted"
    code, out, _ = run(capsys, "account", "list", "--json")
    assert json.loads(out) == ["main"]


def test_email_account_reads_the_password_from_stdin_and_never_stores_it(operator, capsys, monkeypatch) -> None:
    prefix, client = operator
    monkeypatch.setattr("sys.stdin", io.StringIO(OPUS_PASSWORD + "\n"))
    code, out, err = run(capsys, "account", "add", "alt", "--email", OPUS_EMAIL)
    assert code == EXIT_OK, err
    key = f"{prefix}:nai:account:alt"
    box = SecretBox(TEST_SECRET_KEY, salt_loader(RedisSettings(url=REDIS_URL, prefix=prefix)))
    record = box.open_json(client.get(key), key)
    assert set(record) == {"name", "token", "email", "access_key"}
    assert record["access_key"] == derive_access_key(OPUS_EMAIL, OPUS_PASSWORD)
    assert OPUS_PASSWORD not in json.dumps(record), "only the derived access key is kept"
    code, out, _ = run(capsys, "account", "status", "alt", "--json")
    status = json.loads(out)
    assert code == EXIT_OK
    assert (status["kind"], status["token_cached"], status["tier"], status["anlas"]) == ("email", True, "Opus", 1000)
    assert 29.9 < status["days_left"] <= 30
    assert status["last_verified"] is not None


def test_password_is_not_accepted_on_the_command_line(operator, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["account", "add", "x", "--email", OPUS_EMAIL, "--password", OPUS_PASSWORD])


def test_bad_credentials_are_refused_and_nothing_is_stored(operator, capsys, monkeypatch) -> None:
    prefix, client = operator
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-password\n"))
    code, _, err = run(capsys, "account", "add", "bad", "--email", OPUS_EMAIL)
    assert code == EXIT_FAILED and "did not accept" in err
    assert client.get(f"{prefix}:nai:account:bad") is None
    assert "wrong-password" not in err


def test_remove_deletes_the_account_and_its_cached_token(operator, capsys, monkeypatch) -> None:
    prefix, client = operator
    assert add_token(capsys, monkeypatch, "main")[0] == EXIT_OK
    assert client.exists(f"{prefix}:nai:token:main")
    code, out, _ = run(capsys, "account", "remove", "main")
    assert code == EXIT_OK and "removed" in out
    assert not client.exists(f"{prefix}:nai:account:main", f"{prefix}:nai:token:main")
    assert run(capsys, "account", "remove", "main")[0] == EXIT_FAILED


def test_default_account_comes_from_the_environment(operator, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NOVELAI_TOKEN", OPUS_TOKEN)
    code, out, _ = run(capsys, "account", "list", "--json")
    assert json.loads(out) == ["default"]
    code, out, _ = run(capsys, "account", "status", "default", "--json")
    assert code == EXIT_OK and json.loads(out)["kind"] == "persistent-token"


def test_storing_credentials_without_a_secret_key_is_refused(operator, capsys, monkeypatch) -> None:
    monkeypatch.delenv("NAIBOT_SECRET_KEY")
    code, _, err = add_token(capsys, monkeypatch, "main")
    assert code == EXIT_USAGE and "NAIBOT_SECRET_KEY" in err


def test_an_added_account_counts_as_accepted_so_a_later_refusal_says_log_in_again(operator, capsys,
                                                                                 monkeypatch) -> None:
    """NovelAI checked the token at `account add`: a revocation later is "no longer accepts", not
    "check the token" (tasks.accepted), so the add records the acceptance as a job would."""
    prefix, client = operator
    code, _, err = add_token(capsys, monkeypatch, "main")
    assert code == EXIT_OK, err
    assert client.get(f"{prefix}:accepted:main") == Account(name="main", token=OPUS_TOKEN).fingerprint.encode()
