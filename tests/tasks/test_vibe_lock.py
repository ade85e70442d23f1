"""One vibe, one encoding, however many workers want it at once (tasks.vibe_cache.VibeCache.encode_once).

Two workers on two accounts run on two lanes, so nothing but the vibe's lock keeps them from both paying
2 Anlas for the same encoding. The races run for real: two threads, each with its own event loop, Redis
connection and NovelAI client, released together by a barrier; and two jobs on two lanes of a real worker.
The stand-in answers slowly (``faults.slow_seconds``) so the first encoding is still on its way when the
second worker arrives; what is counted is the stand-in's own log of ``/ai/encode-vibe`` calls.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from PIL import Image

from novelai.accounts import Account
from novelai.images import PreparedImage
from novelai.inputs import VibeInput, VibeKey
from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN, NovelAISandbox, SandboxAccount
from storage.local import LocalStorage
from tasks.job import JobState, Requester, new_job_id
from tasks.vibe_cache import VibeCache
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.novelai_client import make_client
from tests.fixtures.redis import REDIS_URL

CREATED = 1_764_892_800.0  # 2025-12-05 00:00 UTC
VIBE = PreparedImage.of(Image.new("RGB", (448, 448), (10, 200, 10)))
KEY = VibeKey(VIBE.sha256, 0.8, "nai-diffusion-4-5-full")
SLOW = 0.3  # every stand-in answer this late: the first encoding is surely still running when the second asks


def encode_calls(sandbox: NovelAISandbox) -> int:
    return sum(1 for r in sandbox.stats.requests if r["path"] == "/ai/encode-vibe")


def race_in_thread(sandbox: NovelAISandbox, prefix: str, storage: LocalStorage, account: Account,
                   barrier: threading.Barrier) -> tuple[bytes, bool]:
    """One worker's side of the race, in this thread's own event loop with its own connections."""
    async def race() -> tuple[bytes, bool]:
        redis = aioredis.Redis.from_url(REDIS_URL)
        try:
            async with make_client(sandbox, None, prefix) as client:
                cache = VibeCache(redis, prefix, 600)
                job_id = new_job_id()
                barrier.wait(timeout=10)
                return await cache.encode_once(
                    storage, KEY, lambda: client.encode_vibe(account, VIBE.png, KEY.information_extracted, KEY.model),
                    job_id, CREATED)
        finally:
            await redis.aclose()
    return asyncio.run(race())


async def test_two_threads_on_two_accounts_racing_on_one_vibe_encode_it_once(
        novelai_sandbox: NovelAISandbox, redis_prefix: str, aredis: aioredis.Redis, tmp_path: Path) -> None:
    novelai_sandbox.faults.slow_seconds = SLOW
    storage = LocalStorage(tmp_path)
    accounts = [Account.from_password("opus", OPUS_EMAIL, OPUS_PASSWORD), Account(name="token", token=OPUS_TOKEN)]
    barrier = threading.Barrier(2)
    results = await asyncio.gather(*(asyncio.to_thread(race_in_thread, novelai_sandbox, redis_prefix, storage,
                                                       account, barrier) for account in accounts))
    print(f"encode-vibe calls with two threads racing: {encode_calls(novelai_sandbox)}")
    assert encode_calls(novelai_sandbox) == 1
    assert sorted(made for _, made in results) == [False, True]  # one paid, the other used its encoding
    assert results[0][0] == results[1][0]
    cache = VibeCache(aredis, redis_prefix, 600)
    assert await aredis.exists(cache.lock_key(KEY)) == 0  # released
    assert await cache.cached(storage, [KEY]) == {KEY: results[0][0]}


async def test_a_lock_left_by_a_worker_that_died_expires_and_the_waiter_encodes(
        novelai_sandbox: NovelAISandbox, redis_prefix: str, aredis: aioredis.Redis, tmp_path: Path) -> None:
    cache = VibeCache(aredis, redis_prefix, 600, lock_seconds=0.5)
    await aredis.set(cache.lock_key(KEY), "a-dead-worker", px=500)
    calls = 0

    async def encode() -> bytes:
        nonlocal calls
        calls += 1
        assert await aredis.get(cache.lock_key(KEY)) != b"a-dead-worker", "encoded while the dead lock was held"
        async with make_client(novelai_sandbox, None, redis_prefix) as client:
            return await client.encode_vibe(Account(name="token", token=OPUS_TOKEN), VIBE.png,
                                            KEY.information_extracted, KEY.model)

    encoding, made = await cache.encode_once(LocalStorage(tmp_path), KEY, encode, new_job_id(), CREATED)
    assert (calls, made, encode_calls(novelai_sandbox)) == (1, True, 1)
    assert encoding


async def test_a_failed_encoding_frees_the_lock_at_once(redis_prefix: str, aredis: aioredis.Redis,
                                                       tmp_path: Path) -> None:
    cache = VibeCache(aredis, redis_prefix, 600)

    async def refused() -> bytes:
        raise RuntimeError("NovelAI said no")

    with pytest.raises(RuntimeError):
        await cache.encode_once(LocalStorage(tmp_path), KEY, refused, new_job_id(), CREATED)
    assert await aredis.exists(cache.lock_key(KEY)) == 0


async def test_a_holder_whose_lock_expired_does_not_release_the_next_holders_lock(
        redis_prefix: str, aredis: aioredis.Redis, tmp_path: Path) -> None:
    cache = VibeCache(aredis, redis_prefix, 600)

    async def slower_than_its_lock() -> bytes:
        await aredis.set(cache.lock_key(KEY), "the-next-holder")  # ours expired; another worker took it
        return b"encoding"

    assert await cache.encode_once(LocalStorage(tmp_path), KEY, slower_than_its_lock, new_job_id(), CREATED) == (
        b"encoding", True)
    assert await aredis.get(cache.lock_key(KEY)) == b"the-next-holder"


@pytest.mark.xdist_group("workers")
async def test_two_jobs_on_two_lanes_of_a_real_worker_pay_for_one_vibe_encoding(deployment: Deployment) -> None:
    second = SandboxAccount(email="second@example.com", password="second-password", tier=3, anlas=1000)
    deployment.sandbox.add_account(second)
    await deployment.add_account(Account.from_password("second", second.email, second.password))
    services = deployment.services()
    try:
        jobs = []
        for account in ("default", "second"):
            job_id = new_job_id()
            vibe = VibeInput(image=await services.submitter.store_input(job_id, CREATED, VIBE),
                             information_extracted=KEY.information_extracted)
            request = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=768, steps=23, vibes=(vibe,))
            jobs.append(await services.submitter.submit(request, Requester(platform="test", user_id=account),
                                                        account=account, job_id=job_id, created_at=CREATED,
                                                        max_anlas=2))
        deployment.sandbox.faults.slow_seconds = SLOW
        await deployment.start_worker(threads=2)
        finished = await wait_until_finished(services, [job.id for job in jobs])
        assert [finished[job.id].state for job in jobs] == [JobState.DONE, JobState.DONE], \
            [finished[job.id].error for job in jobs]
        print(f"encode-vibe calls with two lanes racing: {encode_calls(deployment.sandbox)}")
        assert encode_calls(deployment.sandbox) == 1
        spent = sorted(1000 - a.anlas for a in deployment.sandbox.accounts if a.email in (OPUS_EMAIL, second.email))
        assert spent == [0, 2]  # one account paid the one encoding; both generations were free (Opus)
        records = deployment.sandbox.inputs_seen.last(2)
        assert [[i["sha256"] for i in r["inputs"] if i["kind"] == "vibe_encoding"] for r in records] == \
            [[VIBE.sha256]] * 2
    finally:
        await services.aclose()
