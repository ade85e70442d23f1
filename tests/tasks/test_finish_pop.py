"""JobQueue.complete_and_pop: a worker records a finished job and takes its lane's next one in one round
trip (finish_pop.lua runs finish.lua, then pop.lua), each part exactly as the two calls would have."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from tasks.events import follow
from tasks.job import ImageResult, JobState
from tests.fixtures.queue_jobs import ACCOUNT, make_job, queue_for

IMAGE = ImageResult(key="2026/01/01/j/0.png", url="/static/images/2026/01/01/j/0.png", seed=1, width=512,
                    height=512)


async def test_the_result_is_recorded_and_the_next_job_taken_in_one_call(
        aredis: aioredis.Redis, redis_prefix: str) -> None:
    queue = queue_for(aredis, redis_prefix, lease_seconds=10)
    first, second = await queue.submit(make_job("a")), await queue.submit(make_job("b"))
    assert await queue.acquire_lane(ACCOUNT, "w")
    assert (await queue.pop(ACCOUNT, "w")).job_id == first.id
    after = await queue.last_event_id()
    await aredis.pexpire(queue.keys.lane_lease(ACCOUNT), 500)

    recorded, popped = await queue.complete_and_pop(first, [IMAGE], "w", seconds=1.5)

    assert recorded
    assert popped.kind == "job" and popped.job is not None and popped.job.id == second.id and popped.attempt == 1
    done, running = await queue.get(first.id), await queue.get(second.id)
    assert done is not None and done.state is JobState.DONE and done.images == [IMAGE]
    assert running is not None and running.state is JobState.RUNNING
    assert await aredis.pttl(queue.keys.lane_lease(ACCOUNT)) > 9000, "the pop renewed the lane's lease"
    deadline = await aredis.zscore(queue.keys.running, second.id)
    assert deadline is not None and deadline > time.time() * 1000 + 9000, "and set the next job's"
    assert await aredis.zscore(queue.keys.running, first.id) is None
    types = [(e.type, e.job) for e in await follow(aredis, queue.keys.prefix, after, block_ms=0)
             if e.type in ("done", "started")]
    assert types == [("done", first.id), ("started", second.id)]
    assert await queue.average_duration() == 1.5, "the generation time is recorded once"


async def test_the_last_job_is_recorded_and_the_pop_finds_the_lane_empty(
        aredis: aioredis.Redis, redis_prefix: str) -> None:
    queue = queue_for(aredis, redis_prefix)
    only = await queue.submit(make_job("a"))
    assert await queue.acquire_lane(ACCOUNT, "w")
    await queue.pop(ACCOUNT, "w")
    recorded, popped = await queue.complete_and_pop(only, [IMAGE], "w")
    assert recorded and popped.kind == "empty"
    done = await queue.get(only.id)
    assert done is not None and done.state is JobState.DONE


async def test_a_lost_lane_still_records_the_result_but_takes_nothing(
        aredis: aioredis.Redis, redis_prefix: str) -> None:
    queue = queue_for(aredis, redis_prefix)
    first, second = await queue.submit(make_job("a")), await queue.submit(make_job("b"))
    assert await queue.acquire_lane(ACCOUNT, "w")
    await queue.pop(ACCOUNT, "w")
    await aredis.set(queue.keys.lane_lease(ACCOUNT), "other")  # another worker took the lane over
    recorded, popped = await queue.complete_and_pop(first, [IMAGE], "w")
    assert recorded and popped.kind == "lost"
    waiting = await queue.get(second.id)
    assert waiting is not None and waiting.state is JobState.QUEUED


async def test_a_result_recorded_already_is_not_recorded_twice(
        aredis: aioredis.Redis, redis_prefix: str) -> None:
    queue = queue_for(aredis, redis_prefix)
    first = await queue.submit(make_job("a"))
    await queue.submit(make_job("b"))
    assert await queue.acquire_lane(ACCOUNT, "w")
    await queue.pop(ACCOUNT, "w")
    assert await queue.complete(first, [IMAGE])
    recorded, popped = await queue.complete_and_pop(first, [IMAGE], "w")
    assert not recorded and popped.kind == "job"
