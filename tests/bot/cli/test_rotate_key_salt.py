"""`naibot rotate-key` moves records of the old fixed-salt derivation to the deployment's salt:
with ``--keep-key`` only that, with a new key on the way."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from bot.cli.common import EXIT_OK
from bot.cli.main import main
from naibot.deployment_salt import load_salt
from naibot.rotate import rotate_secrets
from naibot.secrets import SecretBox, SecretError
from novelai.accounts import Account, AccountStore
from novelai.tokens import CachedToken, TokenCache
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY

NEW_KEY = "RM5r2TTczUeTXunshOLjqKOFnoFDnWIZy8EErNO9v6k="
LEGACY = SecretBox(TEST_SECRET_KEY)  # the first version's fixed-salt derivation
RECORDS = ("nai:account:main", "nai:account:alt", "nai:token:alt")


@pytest.fixture
def operator_env(monkeypatch: pytest.MonkeyPatch, tmp_path, redis_prefix: str) -> None:
    monkeypatch.setenv("NAIBOT_SETTINGS", os.devnull)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("NAIBOT_REDIS__PREFIX", redis_prefix)
    monkeypatch.setenv("NAIBOT_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.delenv("NAIBOT_NEW_SECRET_KEY", raising=False)


async def seed_old_records(aredis, prefix: str) -> None:
    """Records as a deployment from before the salt stored them."""
    store = AccountStore(aredis, LEGACY, prefix)
    await store.add(Account(name="main", token=OPUS_TOKEN))
    await store.add(Account.from_password("alt", OPUS_EMAIL, OPUS_PASSWORD))
    now = time.time()
    await TokenCache(aredis, LEGACY, prefix).put("alt", CachedToken(token="eyJ.eyJ.sig", expires_at=now + 3600,
                                                                     verified_at=now, obtained_at=now))


async def formats(aredis, prefix: str) -> set[bytes]:
    return {(await aredis.get(f"{prefix}:{name}"))[:1] for name in RECORDS}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["rotate-key", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_keep_key_moves_every_old_record_to_the_deployment_salt(
        operator_env, aredis, redis_prefix, capsys) -> None:
    await seed_old_records(aredis, redis_prefix)
    assert await formats(aredis, redis_prefix) == {b"\x01"}
    code, out, _ = await asyncio.to_thread(run_cli, capsys, "--keep-key")
    assert code == EXIT_OK and "re-encrypted 3 secrets" in out
    assert "restart" not in out, "the key did not change: nothing to restart"
    assert await formats(aredis, redis_prefix) == {b"\x02"}
    salted = SecretBox(TEST_SECRET_KEY, await load_salt(aredis, redis_prefix))
    assert (await AccountStore(aredis, salted, redis_prefix).get("alt")).email == OPUS_EMAIL
    with pytest.raises(SecretError):
        await AccountStore(aredis, LEGACY, redis_prefix).get("main")
    code, out, _ = await asyncio.to_thread(run_cli, capsys, "--keep-key")
    assert code == EXIT_OK and "re-encrypted 0 secrets (3 already under the new key)" in out


async def test_a_new_key_also_moves_old_records_to_the_deployment_salt(
        operator_env, aredis, redis_prefix, capsys, monkeypatch) -> None:
    await seed_old_records(aredis, redis_prefix)
    monkeypatch.setenv("NAIBOT_NEW_SECRET_KEY", NEW_KEY)
    code, out, _ = await asyncio.to_thread(run_cli, capsys)
    assert code == EXIT_OK and "re-encrypted 3 secrets" in out
    assert await formats(aredis, redis_prefix) == {b"\x02"}
    salted = SecretBox(NEW_KEY, await load_salt(aredis, redis_prefix))
    assert (await AccountStore(aredis, salted, redis_prefix).get("main")).token == OPUS_TOKEN


async def test_an_old_format_record_already_under_the_new_key_is_moved_too(aredis, redis_prefix) -> None:
    """A run of the first version's rotate-key left it under the new key, fixed salt: not done yet."""
    await AccountStore(aredis, SecretBox(NEW_KEY), redis_prefix).add(Account(name="main", token=OPUS_TOKEN))
    salt = await load_salt(aredis, redis_prefix)
    report = await rotate_secrets(aredis, redis_prefix, SecretBox(TEST_SECRET_KEY, salt), SecretBox(NEW_KEY, salt))
    assert report.rotated == [f"{redis_prefix}:nai:account:main"] and report.complete
    assert (await aredis.get(f"{redis_prefix}:nai:account:main"))[:1] == b"\x02"
