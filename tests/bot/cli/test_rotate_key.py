"""`naibot rotate-key`: every secret at rest re-sealed under the new key, nothing else touched."""

from __future__ import annotations

import asyncio
import io
import os
import time

import pytest
import redis

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from bot.cli.main import main
from naibot.deployment_salt import load_salt
from naibot.rotate import rotate_secrets
from naibot.secrets import SecretBox, SecretError
from novelai.accounts import Account, AccountStore
from novelai.client import NovelAIClient
from novelai.request import GenerationRequest
from novelai.tokens import CachedToken, TokenCache
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY

NEW_KEY = "RM5r2TTczUeTXunshOLjqKOFnoFDnWIZy8EErNO9v6k="  # random: rotate-key refuses a guessable new key
OLD, NEW = SecretBox(TEST_SECRET_KEY), SecretBox(NEW_KEY)
SMALL = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8, seed=42)


def cached(token: str = "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.sig") -> CachedToken:
    now = time.time()
    return CachedToken(token=token, expires_at=now + 3600, verified_at=now, obtained_at=now)


async def seed_secrets(aredis, prefix: str) -> None:
    """Two stored accounts (token and email) and one cached token, all under the old key."""
    store = AccountStore(aredis, OLD, prefix)
    await store.add(Account(name="main", token=OPUS_TOKEN))
    await store.add(Account.from_password("alt", OPUS_EMAIL, OPUS_PASSWORD))
    await TokenCache(aredis, OLD, prefix).put("alt", cached())


async def test_accounts_and_cached_tokens_open_with_the_new_key_after_rotation(aredis, redis_prefix) -> None:
    await seed_secrets(aredis, redis_prefix)
    report = await rotate_secrets(aredis, redis_prefix, OLD, NEW)
    assert report.rotated == sorted(f"{redis_prefix}:{k}" for k in ("nai:account:main", "nai:account:alt",
                                                                      "nai:token:alt"))
    store = AccountStore(aredis, NEW, redis_prefix)
    assert (await store.get("main")).token == OPUS_TOKEN
    assert (await store.get("alt")).email == OPUS_EMAIL
    assert await store.names() == ["alt", "main"]
    assert (await TokenCache(aredis, NEW, redis_prefix).get("alt")).token == cached().token


async def test_the_old_key_no_longer_opens_anything_after_rotation(aredis, redis_prefix) -> None:
    await seed_secrets(aredis, redis_prefix)
    await rotate_secrets(aredis, redis_prefix, OLD, NEW)
    with pytest.raises(SecretError):
        await AccountStore(aredis, OLD, redis_prefix).get("main")
    assert await TokenCache(aredis, OLD, redis_prefix).get("alt") is None


async def test_a_cached_token_keeps_its_expiry_through_rotation(aredis, redis_prefix) -> None:
    await seed_secrets(aredis, redis_prefix)
    key = f"{redis_prefix}:nai:token:alt"
    before = await aredis.ttl(key)
    await rotate_secrets(aredis, redis_prefix, OLD, NEW)
    assert 0 < await aredis.ttl(key) <= before


async def test_unrelated_keys_are_left_byte_for_byte(aredis, redis_prefix) -> None:
    await seed_secrets(aredis, redis_prefix)
    plain = {f"{redis_prefix}:job:1": b'{"state":"done"}', f"{redis_prefix}:counter": b"7",
             f"{redis_prefix}:binary": b"\x01" + b"x" * 40}
    for key, value in plain.items():
        await aredis.set(key, value)
    await aredis.hset(f"{redis_prefix}:hash", mapping={"a": "1"})
    other_prefix = redis_prefix + "-other"
    foreign = OLD.seal(b"not ours", f"{other_prefix}:nai:account:x")
    await aredis.set(f"{other_prefix}:nai:account:x", foreign)
    try:
        report = await rotate_secrets(aredis, redis_prefix, OLD, NEW)
        for key, value in plain.items():
            assert await aredis.get(key) == value
        assert await aredis.hgetall(f"{redis_prefix}:hash") == {b"a": b"1"}
        assert await aredis.get(f"{other_prefix}:nai:account:x") == foreign, "another prefix is not ours"
        assert report.unreadable == [f"{redis_prefix}:binary"], "sealed-looking junk is reported, not touched"
    finally:
        await aredis.delete(f"{other_prefix}:nai:account:x")


async def test_a_secret_copied_under_another_key_is_reported_not_rotated(aredis, redis_prefix) -> None:
    """The associated data is the key: a record moved to another slot opens under neither key."""
    await seed_secrets(aredis, redis_prefix)
    moved = f"{redis_prefix}:nai:account:moved"
    blob = await aredis.get(f"{redis_prefix}:nai:account:main")
    await aredis.set(moved, blob)
    report = await rotate_secrets(aredis, redis_prefix, OLD, NEW)
    assert report.unreadable == [moved] and not report.complete
    assert await aredis.get(moved) == blob


async def test_second_run_is_a_no_op(aredis, redis_prefix) -> None:
    await seed_secrets(aredis, redis_prefix)
    await rotate_secrets(aredis, redis_prefix, OLD, NEW)
    before = {k: await aredis.get(k) async for k in aredis.scan_iter(match=f"{redis_prefix}:*", _type="string")}
    report = await rotate_secrets(aredis, redis_prefix, OLD, NEW)
    assert report.rotated == [] and len(report.already) == 3 and report.complete
    after = {k: await aredis.get(k) async for k in aredis.scan_iter(match=f"{redis_prefix}:*", _type="string")}
    assert after == before


async def test_a_value_rewritten_during_rotation_is_not_clobbered(aredis, redis_prefix) -> None:
    """A process writing the key under the new key between read and write wins; rotation re-reads it."""
    await seed_secrets(aredis, redis_prefix)
    key = f"{redis_prefix}:nai:account:main"
    fresh = NEW.seal_json(Account(name="main", token=OPUS_TOKEN + "1").to_dict(), key)
    writer = redis.Redis.from_url(REDIS_URL)

    class RacingOldBox(SecretBox):
        raced = False

        def open(self, blob: bytes, context: str) -> bytes:
            if context == key and not RacingOldBox.raced:
                RacingOldBox.raced = True
                writer.set(key, fresh)
            return super().open(blob, context)

    try:
        report = await rotate_secrets(aredis, redis_prefix, RacingOldBox(TEST_SECRET_KEY), NEW)
    finally:
        writer.close()
    assert key in report.already
    assert await aredis.get(key) == fresh


async def test_generation_works_on_the_rotated_store_and_reuses_the_rotated_token(
        novelai_sandbox, aredis, redis_prefix) -> None:
    account = Account.from_password("opus", OPUS_EMAIL, OPUS_PASSWORD)
    await AccountStore(aredis, OLD, redis_prefix).add(account)
    async with NovelAIClient(api_url=novelai_sandbox.url, image_url=novelai_sandbox.url,
                             token_cache=TokenCache(aredis, OLD, redis_prefix)) as client:
        await client.generate(account, SMALL)
    assert novelai_sandbox.stats.logins[OPUS_EMAIL] == 1

    await rotate_secrets(aredis, redis_prefix, OLD, NEW)

    stored = await AccountStore(aredis, NEW, redis_prefix).get("opus")
    async with NovelAIClient(api_url=novelai_sandbox.url, image_url=novelai_sandbox.url,
                             token_cache=TokenCache(aredis, NEW, redis_prefix)) as client:
        images = await client.generate(stored, SMALL)
    assert len(images) == 1 and images[0].png.startswith(b"\x89PNG")
    assert novelai_sandbox.stats.logins[OPUS_EMAIL] == 1, "the rotated cached token was used, no new login"


@pytest.fixture
def operator_env(monkeypatch: pytest.MonkeyPatch, tmp_path, redis_prefix: str) -> None:
    monkeypatch.setenv("NAIBOT_SETTINGS", os.devnull)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("NAIBOT_REDIS__PREFIX", redis_prefix)
    monkeypatch.setenv("NAIBOT_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.delenv("NAIBOT_NEW_SECRET_KEY", raising=False)


def run_cli(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["rotate-key"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_cli_takes_the_new_key_from_the_environment_and_says_how_many(
        operator_env, aredis, redis_prefix, capsys, monkeypatch) -> None:
    await seed_secrets(aredis, redis_prefix)
    monkeypatch.setenv("NAIBOT_NEW_SECRET_KEY", NEW_KEY)
    code, out, _ = await _in_thread(run_cli, capsys)
    assert code == EXIT_OK
    assert "re-encrypted 3 secrets (0 already under the new key)" in out
    assert NEW_KEY not in out and TEST_SECRET_KEY not in out
    salted = SecretBox(NEW_KEY, await load_salt(aredis, redis_prefix))  # what every process now builds
    assert (await AccountStore(aredis, salted, redis_prefix).get("main")).token == OPUS_TOKEN


async def test_cli_reads_the_new_key_from_stdin(operator_env, aredis, redis_prefix, capsys, monkeypatch) -> None:
    await seed_secrets(aredis, redis_prefix)
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_KEY + "\n"))
    code, out, _ = await _in_thread(run_cli, capsys)
    assert code == EXIT_OK and "re-encrypted 3 secrets" in out


async def test_cli_refuses_a_short_new_key(operator_env, aredis, redis_prefix, capsys, monkeypatch) -> None:
    await seed_secrets(aredis, redis_prefix)
    monkeypatch.setenv("NAIBOT_NEW_SECRET_KEY", "short")
    code, _, err = await _in_thread(run_cli, capsys)
    assert code == EXIT_USAGE and "at least 32" in err
    assert (await AccountStore(aredis, OLD, redis_prefix).get("main")).token == OPUS_TOKEN


async def test_cli_lists_what_it_could_not_open_and_exits_1(operator_env, aredis, redis_prefix, capsys,
                                                           monkeypatch) -> None:
    await seed_secrets(aredis, redis_prefix)
    stranger = f"{redis_prefix}:nai:account:stranger"
    await aredis.set(stranger, SecretBox("a-third-key-nobody-has-anymore-0000").seal(b"{}", stranger))
    monkeypatch.setenv("NAIBOT_NEW_SECRET_KEY", NEW_KEY)
    code, out, _ = await _in_thread(run_cli, capsys)
    assert code == EXIT_FAILED
    assert f"could not open (left untouched): {stranger}" in out
    assert "re-encrypted 3 secrets" in out


def test_cli_without_the_current_key_is_a_usage_error(operator_env, capsys, monkeypatch) -> None:
    monkeypatch.delenv("NAIBOT_SECRET_KEY")
    monkeypatch.setenv("NAIBOT_NEW_SECRET_KEY", NEW_KEY)
    code, _, err = run_cli(capsys)
    assert code == EXIT_USAGE and "NAIBOT_SECRET_KEY" in err


async def _in_thread(fn, *args):  # type: ignore[no-untyped-def]
    """The CLI runs its own event loop (asyncio.run), so call it off this test's loop."""
    return await asyncio.to_thread(fn, *args)
