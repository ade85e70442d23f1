"""The deployment's secret-key check (naibot.key_check) against real Redis: the first key is recorded,
the same key opens it, another key is refused, racing first processes agree on one, and
``naibot rotate-key``'s re-sealing keeps it valid for the new key only."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from naibot.deployment_salt import load_salt
from naibot.key_check import KeyVerdict, SecretKeyMismatch, check_key, refuse_another_key, verify_secret_key
from naibot.rotate import rotate_secrets
from naibot.secrets import SecretBox

KEY = "this deployment's key, long enough for the strength rule 1"
OTHER = "another machine's key, typed again from memory, quite wrong"


async def box(redis: aioredis.Redis, prefix: str, passphrase: str) -> SecretBox:
    return SecretBox(passphrase, await load_salt(redis, prefix))


async def test_the_first_key_is_recorded_and_then_matches(aredis: aioredis.Redis, redis_prefix: str) -> None:
    mine = await box(aredis, redis_prefix, KEY)
    assert await verify_secret_key(aredis, redis_prefix, mine) is KeyVerdict.RECORDED
    stored = await aredis.get(check_key(redis_prefix))
    assert stored is not None and b"naibot" not in stored, "sealed, not plain"
    assert await verify_secret_key(aredis, redis_prefix, await box(aredis, redis_prefix, KEY)) is KeyVerdict.MATCHES


async def test_another_key_is_refused_with_one_line_naming_the_variable(aredis: aioredis.Redis,
                                                                        redis_prefix: str) -> None:
    await verify_secret_key(aredis, redis_prefix, await box(aredis, redis_prefix, KEY))
    other = await box(aredis, redis_prefix, OTHER)
    assert await verify_secret_key(aredis, redis_prefix, other) is KeyVerdict.DIFFERS
    with pytest.raises(SecretKeyMismatch) as refused:
        await refuse_another_key(aredis, redis_prefix, other)
    line = str(refused.value)
    assert "NAIBOT_SECRET_KEY" in line and "\n" not in line and OTHER not in line and KEY not in line
    assert await refuse_another_key(aredis, redis_prefix, None) is None, "no key, nothing sealed, nothing to check"


async def test_processes_starting_together_agree_on_one_key(aredis: aioredis.Redis, redis_prefix: str) -> None:
    boxes = [await box(aredis, redis_prefix, KEY) for _ in range(6)]
    verdicts = await asyncio.gather(*(verify_secret_key(aredis, redis_prefix, b) for b in boxes))
    assert verdicts.count(KeyVerdict.RECORDED) >= 1 and set(verdicts) <= {KeyVerdict.RECORDED, KeyVerdict.MATCHES}
    assert await verify_secret_key(aredis, redis_prefix, await box(aredis, redis_prefix, OTHER)) is KeyVerdict.DIFFERS


async def test_a_rotation_moves_the_check_to_the_new_key(aredis: aioredis.Redis, redis_prefix: str) -> None:
    old, new = await box(aredis, redis_prefix, KEY), await box(aredis, redis_prefix, OTHER)
    await verify_secret_key(aredis, redis_prefix, old)
    report = await rotate_secrets(aredis, redis_prefix, old, new)
    assert check_key(redis_prefix) in report.rotated and report.complete
    assert await verify_secret_key(aredis, redis_prefix, new) is KeyVerdict.MATCHES
    assert await verify_secret_key(aredis, redis_prefix, old) is KeyVerdict.DIFFERS


async def test_without_a_check_value_the_secrets_already_sealed_decide(aredis: aioredis.Redis,
                                                                        redis_prefix: str) -> None:
    """A deployment older than the check (or whose accounts only the CLI sealed): a wrong key is not
    recorded as the deployment's just because it came first."""
    record = f"{redis_prefix}:nai:account:old"
    await aredis.set(record, (await box(aredis, redis_prefix, KEY)).seal(b'{"token": "x"}', record))
    await aredis.set(f"{redis_prefix}:plain", b"not sealed")
    assert await verify_secret_key(aredis, redis_prefix, await box(aredis, redis_prefix, OTHER)) is KeyVerdict.DIFFERS
    assert await aredis.get(check_key(redis_prefix)) is None, "nothing recorded for a key that opens nothing"
    assert await verify_secret_key(aredis, redis_prefix, await box(aredis, redis_prefix, KEY)) is KeyVerdict.RECORDED
