"""The Redis-backed metrics (tasks/metrics.py): what the scripts count, what writers add, what a
scrape reads back. Driven directly against Redis; the HTTP side is in test_http_ops.py."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from tasks.events import EventReader
from tasks.job import JobError
from tasks.keys import Keys
from tasks.metrics import (
    DELIVERY_LAG,
    GENERATION,
    Metrics,
    read_snapshot,
    stream_lag,
    workers_alive,
)
from tasks.queue import Caller
from tests.fixtures.queue_jobs import ACCOUNT, make_job, queue_for

LEASE = 30.0


async def run_one(queue, owner: str = "w1"):  # type: ignore[no-untyped-def]
    """Submit a job and pop it as a worker would; returns the running job."""
    job = await queue.submit(make_job("ann"))
    assert await queue.acquire_lane(ACCOUNT, owner)
    popped = await queue.pop(ACCOUNT, owner)
    assert popped.job_id == job.id
    return popped.job


async def test_a_finished_job_is_counted_once_with_its_generation_time(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    job = await run_one(queue)
    assert await queue.complete(job, [], seconds=1.5)
    assert not await queue.complete(job, [], seconds=1.5), "a second outcome is refused"
    snapshot = await read_snapshot(aredis, redis_prefix, LEASE)
    assert snapshot.jobs == {"queued": 0, "running": 0, "done": 1, "failed": 0, "canceled": 0}
    histogram = snapshot.histograms[(GENERATION, "")]
    assert (histogram.count, histogram.sum) == (1, 1.5)
    buckets = dict(histogram.buckets)
    assert (buckets["1.0"], buckets["2.0"], buckets["+Inf"]) == (0, 1, 1), "cumulative, in the 2 s bucket"


async def test_a_failed_job_is_counted_without_a_generation_time(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    job = await run_one(queue)
    assert await queue.fail(job, JobError(kind="bad_request", message="no"))
    snapshot = await read_snapshot(aredis, redis_prefix, LEASE)
    assert snapshot.jobs["failed"] == 1 and snapshot.jobs["done"] == 0
    assert (GENERATION, "") not in snapshot.histograms


async def test_a_canceled_job_is_counted_and_a_refused_cancel_is_not(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    running = await run_one(queue)
    other = await queue.submit(make_job("bob"))
    assert (await queue.cancel(other.id, Caller(user_key=other.requester.user_key))).canceled
    assert (await queue.cancel(running.id, Caller(user_key=running.requester.user_key))).status == "running"
    assert (await read_snapshot(aredis, redis_prefix, LEASE)).jobs["canceled"] == 1


async def test_queued_and_running_come_from_live_queue_state(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    await run_one(queue)
    for user in ("bob", "cat", "dan"):
        await queue.submit(make_job(user))
    await queue.submit(make_job("eve", account="other"))
    snapshot = await read_snapshot(aredis, redis_prefix, LEASE)
    assert (snapshot.jobs["queued"], snapshot.jobs["running"]) == (4, 1)
    assert snapshot.lane_depths == {ACCOUNT: 3, "other": 1}


async def test_counters_add_up_across_writers(aredis, redis_prefix) -> None:
    # Two writers stand for two processes (a worker and a bot) adding to the same hash.
    first, second = Metrics(aredis, redis_prefix), Metrics(aredis, redis_prefix)
    await first.novelai_error("server")
    await second.novelai_error("server")
    await second.novelai_error("concurrency_locked")
    await first.rate_limited("telegram")
    snapshot = await read_snapshot(aredis, redis_prefix, LEASE)
    assert snapshot.novelai_errors == {"server": 2, "concurrency_locked": 1}
    assert snapshot.rate_limited == {"telegram": 1}


async def test_delivery_lag_histogram_is_kept_per_platform(aredis, redis_prefix) -> None:
    metrics = Metrics(aredis, redis_prefix)
    for seconds in (0.03, 0.3, 0.3, 7.0, 1000.0):
        await metrics.observe(DELIVERY_LAG, seconds, "telegram")
    await metrics.observe(DELIVERY_LAG, 0.2, "discord")
    snapshot = await read_snapshot(aredis, redis_prefix, LEASE)
    telegram = snapshot.histograms[(DELIVERY_LAG, "telegram")]
    assert telegram.count == 5 and abs(telegram.sum - 1007.63) < 1e-6
    buckets = dict(telegram.buckets)
    assert (buckets["0.05"], buckets["0.5"], buckets["10.0"], buckets["300.0"], buckets["+Inf"]) == (1, 3, 4, 4, 5)
    assert snapshot.histograms[(DELIVERY_LAG, "discord")].count == 1


async def test_background_write_lands_without_being_awaited(aredis, redis_prefix) -> None:
    metrics = Metrics(aredis, redis_prefix)
    metrics.fire(metrics.rate_limited("discord"))
    assert metrics._background, "the write runs as a task"
    for task in list(metrics._background):
        await task
    assert (await read_snapshot(aredis, redis_prefix, LEASE)).rate_limited == {"discord": 1}


async def test_writes_never_raise_when_redis_is_unreachable() -> None:
    dead = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    metrics = Metrics(dead, "nowhere")
    await metrics.novelai_error("server")
    await metrics.observe(GENERATION, 3.0)
    await dead.aclose()


async def test_only_workers_with_a_recent_heartbeat_count_as_alive(aredis, redis_prefix) -> None:
    now = time.time()
    await aredis.zadd(Keys(redis_prefix).workers, {"fresh": now - 1, "late": now - LEASE - 5, "old": now - 3600})
    assert await workers_alive(aredis, redis_prefix, LEASE) == 1


async def test_stream_lag_counts_unread_events_per_consumer_group(aredis, redis_prefix) -> None:
    assert await stream_lag(aredis, redis_prefix) == {}, "no stream yet: nobody lags"
    fast = EventReader(aredis, redis_prefix, "telegram-delivery", "c1")
    slow = EventReader(aredis, redis_prefix, "discord-delivery", "c1")
    await fast.ensure_group("$")
    await slow.ensure_group("$")
    for n in range(3):
        await aredis.xadd(Keys(redis_prefix).events, {"type": "test", "n": n})
    await fast.read(count=10, block_ms=10)
    assert await stream_lag(aredis, redis_prefix) == {"telegram-delivery": 0, "discord-delivery": 3}
