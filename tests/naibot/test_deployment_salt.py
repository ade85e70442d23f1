"""The secrets-at-rest key is derived with a random salt per deployment, kept in Redis beside the data;
records sealed with the first version's fixed salt still open until `naibot rotate-key` moves them."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from naibot.deployment_salt import SALT_BYTES, load_salt, salt_key, salt_loader
from naibot.secrets import SecretBox, SecretError
from naibot.settings import RedisSettings, Settings, load_settings
from novelai.accounts import Account, AccountStore
from novelai.factory import account_store, secret_box
from sandbox.novelai import OPUS_TOKEN
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY


def deployment(prefix: str, tmp_path: Path) -> Settings:
    return load_settings(tmp_path / "none.yaml", env={"REDIS_URL": REDIS_URL, "NAIBOT_REDIS__PREFIX": prefix,
                                                      "NAIBOT_SECRET_KEY": TEST_SECRET_KEY})


async def test_each_deployment_gets_its_own_random_salt_stored_under_its_prefix(aredis, redis_prefix) -> None:
    first = await load_salt(aredis, redis_prefix)
    assert len(first) == SALT_BYTES
    assert await load_salt(aredis, redis_prefix) == first, "created once, then read"
    assert bytes.fromhex((await aredis.get(salt_key(redis_prefix))).decode()) == first
    assert await aredis.ttl(salt_key(redis_prefix)) == -1, "never expires"
    other = f"{redis_prefix}:other"
    assert await load_salt(aredis, other) != first


async def test_processes_starting_together_agree_on_one_salt(aredis, redis_prefix) -> None:
    clients = [aioredis.Redis.from_url(REDIS_URL) for _ in range(8)]
    try:
        salts = await asyncio.gather(*(load_salt(client, redis_prefix) for client in clients))
    finally:
        for client in clients:
            await client.aclose()
    assert len(set(salts)) == 1
    sync = await asyncio.to_thread(salt_loader(RedisSettings(url=REDIS_URL, prefix=redis_prefix)))
    assert sync == salts[0], "the lazy loader every process uses reads the same salt"


async def test_a_process_seals_under_the_deployment_salt_and_not_the_public_one(
        aredis, redis_prefix, tmp_path) -> None:
    box = secret_box(deployment(redis_prefix, tmp_path))
    assert box is not None
    blob = box.seal(b"token", "slot")
    with pytest.raises(SecretError):
        SecretBox(TEST_SECRET_KEY).open(blob, "slot")  # the fixed-salt derivation
    assert SecretBox(TEST_SECRET_KEY, await load_salt(aredis, redis_prefix)).open(blob, "slot") == b"token"


async def test_the_same_secret_key_in_two_deployments_derives_two_keys(aredis, redis_prefix) -> None:
    here = SecretBox(TEST_SECRET_KEY, await load_salt(aredis, redis_prefix))
    there = SecretBox(TEST_SECRET_KEY, await load_salt(aredis, f"{redis_prefix}:elsewhere"))
    blob = here.seal(b"token", "same-slot")
    with pytest.raises(SecretError):
        there.open(blob, "same-slot")


async def test_records_sealed_with_the_old_fixed_salt_still_open_and_say_how_to_move_them(
        aredis, redis_prefix, tmp_path, caplog) -> None:
    await AccountStore(aredis, SecretBox(TEST_SECRET_KEY), redis_prefix).add(Account(name="old", token=OPUS_TOKEN))
    warned = SecretBox._warned_legacy
    SecretBox._warned_legacy = False
    try:
        with caplog.at_level(logging.WARNING, logger="naibot.secrets"):
            store = account_store(deployment(redis_prefix, tmp_path))
            assert (await store.get("old")).token == OPUS_TOKEN
    finally:
        SecretBox._warned_legacy = warned
    assert any("rotate-key --keep-key" in record.getMessage() for record in caplog.records)
    assert OPUS_TOKEN not in caplog.text


async def test_new_records_are_written_under_the_salt(aredis, redis_prefix, tmp_path) -> None:
    store = account_store(deployment(redis_prefix, tmp_path))
    await store.add(Account(name="new", token=OPUS_TOKEN))
    raw = await aredis.get(f"{redis_prefix}:nai:account:new")
    assert raw[:1] == b"\x02"
    with pytest.raises(SecretError):
        await AccountStore(aredis, SecretBox(TEST_SECRET_KEY), redis_prefix).get("new")
