"""The sweeper (tasks/sweeper.py): one sweep a round for the whole cluster, bounded Redis calls, no
wake-up sent twice while one is on its way, and dead workers' jobs recovered as promptly as before.

Several ``Sweeper``s on one key prefix stand for several worker processes; wake-ups go through a
real Dramatiq Redis broker under the test's prefix, so "a wake-up on its way" is a message in
Dramatiq's own hash, as in production.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest_asyncio
import redis
import redis.asyncio as aioredis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from naibot.settings import RedisSettings, Settings
from naibot.settings_sections import QueueSettings
from tasks.dispatch import WAKE_FRESH_SECONDS, LaneWaker
from tasks.keys import Keys
from tasks.queue import JobQueue
from tasks.sweeper import Sweeper
from tests.fixtures.queue_jobs import make_job, queue_for
from tests.fixtures.redis import REDIS_URL

QUEUE_NAME = "sweeper-test"
ROUND = 0.3  # seconds: the sweep lease lasts one round


@pytest_asyncio.fixture
async def waker(aredis: aioredis.Redis, redis_prefix: str) -> AsyncIterator[LaneWaker]:
    client = redis.Redis.from_url(REDIS_URL)
    broker = RedisBroker(client=client, namespace=Keys(redis_prefix).dramatiq_namespace)
    yield LaneWaker(aredis, broker, redis_prefix, QUEUE_NAME, marker_seconds=3600)
    client.close()


def sweepers(aredis: aioredis.Redis, queue: JobQueue, waker: LaneWaker, count: int, **options: int
             ) -> list[Sweeper]:
    return [Sweeper(aredis, queue, waker, f"worker-{n}", ROUND, **options) for n in range(count)]


async def messages(aredis: aioredis.Redis, waker: LaneWaker) -> list[str]:
    """The accounts of the wake-ups waiting in Dramatiq's queue, one entry per message."""
    stored = await aredis.hvals(waker.keys.dramatiq_messages(QUEUE_NAME))
    return sorted(Message.decode(raw if isinstance(raw, bytes) else raw.encode()).args[0] for raw in stored)


async def lease_gone(aredis: aioredis.Redis, key: str) -> None:
    """Wait (polling Redis, bounded) until ``key`` has lapsed."""
    deadline = time.monotonic() + 5
    while await aredis.exists(key):
        assert time.monotonic() < deadline, f"{key} never lapsed"
        await asyncio.sleep(0.02)


async def test_one_of_several_workers_sweeps_each_round_and_all_beat(
        aredis: aioredis.Redis, redis_prefix: str, waker: LaneWaker) -> None:
    queue = queue_for(aredis, redis_prefix)
    workers = sweepers(aredis, queue, waker, 4)
    swept = [await worker.round() for worker in workers]
    assert swept.count(True) == 1, swept
    beats = {m.decode() for m in await aredis.zrange(queue.keys.workers, 0, -1) if isinstance(m, bytes)}
    assert beats == {w.worker_id for w in workers}, "every worker beats its heart, sweeper or not"
    assert 0 < await aredis.pttl(queue.keys.sweep_lease) <= ROUND * 1000
    assert [await worker.round() for worker in workers] == [False] * 4, "nobody sweeps twice in a round"


async def test_a_dead_sweepers_lease_lapses_within_a_round_and_another_sweeps(
        aredis: aioredis.Redis, redis_prefix: str, waker: LaneWaker) -> None:
    queue = queue_for(aredis, redis_prefix)
    dying, survivor = sweepers(aredis, queue, waker, 2)
    assert await dying.round()
    job = await queue.submit(make_job("a"))  # arrives after the sweep; its submit's wake-up was lost
    assert not await survivor.round()
    await lease_gone(aredis, queue.keys.sweep_lease)  # the dying worker never comes back
    assert await survivor.round()
    assert await messages(aredis, waker) == [job.account], "the survivor's sweep woke the lane"


async def test_idle_lanes_are_found_in_bounded_batches_over_rounds(
        aredis: aioredis.Redis, redis_prefix: str, waker: LaneWaker) -> None:
    queue = queue_for(aredis, redis_prefix)
    accounts = [f"acct{n:04d}" for n in range(600)]
    for account in accounts:
        await queue.submit(make_job("a", account=account))
    sweeper = Sweeper(aredis, queue, waker, "worker-0", ROUND, batch=50, batches=2)
    seen: list[str] = []
    calls = 0
    while True:
        found = await sweeper.idle_lanes()
        calls += 1
        assert len(found) <= 2 * 2 * 50, "one round reads at most its batches (SSCAN's COUNT is a hint)"
        seen.extend(found)
        if await aredis.get(queue.keys.sweep_cursor) == b"0":
            break
        assert calls < 100, "the cursor never came back to 0"
    assert calls > 1, "600 lanes took more than one round of two batches of 50"
    assert sorted(set(seen)) == accounts, "one pass over the rounds saw every idle lane"


async def test_lanes_with_a_lease_a_pause_or_no_jobs_are_not_woken(
        aredis: aioredis.Redis, redis_prefix: str, waker: LaneWaker) -> None:
    queue = queue_for(aredis, redis_prefix)
    for account in ("leased", "paused", "idle"):
        await queue.submit(make_job("a", account=account))
    assert await queue.acquire_lane("leased", "someone")
    await aredis.set(queue.keys.lane_pause("paused"), "backoff", px=60_000)
    await aredis.sadd(queue.keys.lanes, "emptied")  # a stale member: the lane has no jobs
    sweeper = Sweeper(aredis, queue, waker, "worker-0", ROUND)
    assert await sweeper.idle_lanes() == ["idle"]


async def test_no_second_wake_up_while_one_is_on_its_way(
        aredis: aioredis.Redis, redis_prefix: str, waker: LaneWaker) -> None:
    queue = queue_for(aredis, redis_prefix)
    job = await queue.submit(make_job("a"))
    await waker.wake(job.account)  # as tasks.submit does
    marker = queue.keys.lane_wake(job.account)
    # Waiting behind other lanes for a free thread, long after it was sent: still on its way.
    await aredis.pexpire(marker, waker.marker_ms - int(WAKE_FRESH_SECONDS * 1000) - 1000)
    sweeper = Sweeper(aredis, queue, waker, "worker-0", ROUND)
    for _ in range(3):
        await sweeper.sweep()
    await waker.wake(job.account)  # another submit to the same lane
    assert await messages(aredis, waker) == [job.account], "one message, however many sweeps and submits"


async def test_a_wake_up_that_left_the_queue_without_draining_the_lane_is_resent_once(
        aredis: aioredis.Redis, redis_prefix: str, waker: LaneWaker) -> None:
    queue = queue_for(aredis, redis_prefix)
    job = await queue.submit(make_job("a"))
    await waker.wake(job.account)
    await aredis.delete(waker.keys.dramatiq_messages(QUEUE_NAME))  # lost: Dramatiq no longer has it
    await aredis.pexpire(queue.keys.lane_wake(job.account), waker.marker_ms - int(WAKE_FRESH_SECONDS * 1000) - 1000)
    sweeper = Sweeper(aredis, queue, waker, "worker-0", ROUND)
    await sweeper.sweep()
    await sweeper.sweep()
    assert await messages(aredis, waker) == [job.account], "resent by the first sweep, not again by the second"


async def test_a_dead_workers_job_is_requeued_by_the_first_round_after_its_lease_lapsed(
        aredis: aioredis.Redis, redis_prefix: str, waker: LaneWaker) -> None:
    queue = queue_for(aredis, redis_prefix)
    job = await queue.submit(make_job("a"))
    assert await queue.acquire_lane(job.account, "dead-worker")
    await queue.pop(job.account, "dead-worker")
    first, second = sweepers(aredis, queue, waker, 2)
    assert await first.round()
    await aredis.zadd(queue.keys.running, {job.id: int(time.time() * 1000) - 1})  # its lease lapsed
    await aredis.delete(queue.keys.lane_lease(job.account))
    await lease_gone(aredis, queue.keys.sweep_lease)
    assert await second.round(), "the next round is swept by whichever worker asks first"
    requeued = await queue.get(job.id)
    assert requeued is not None and (requeued.state.value, requeued.position) == ("queued", 1)
    assert await messages(aredis, waker) == [job.account], "its lane is woken once"


async def test_a_wake_marker_outlives_the_lease_so_a_queued_wake_up_is_not_sent_again(
        aredis: aioredis.Redis, redis_prefix: str) -> None:
    settings = Settings(redis=RedisSettings(url=REDIS_URL, prefix=redis_prefix),
                        queue=QueueSettings(lease_seconds=1, dramatiq_queue=QUEUE_NAME))
    waker = LaneWaker.from_settings(aredis, settings)
    try:
        await waker.wake("acct")
        marker = waker.keys.lane_wake("acct")
        assert await aredis.pttl(marker) > 60 * settings.queue.lease_seconds * 1000, \
            "a wake-up waiting behind many lanes for a thread keeps its marker for far longer than a lease"
        message_id = await aredis.get(marker)
        assert message_id is not None
        assert await aredis.hexists(waker.keys.dramatiq_messages(QUEUE_NAME), message_id), \
            "the marker names the message Dramatiq holds"
    finally:
        waker.broker.client.close()
