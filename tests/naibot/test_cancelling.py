"""Stopping tasks that lose a cancel (naibot.cancelling): a stop cancels again until they end.

The real case is redis-py 8 swallowing a cancel that lands inside a command; the Redis test drives
that with real commands cancelled at random moments. A single ``task.cancel(); await task`` hangs on
some of them (a CI run of the Discord bot's stop once did, for 120 s)."""

from __future__ import annotations

import asyncio
import random
from types import SimpleNamespace
from typing import Any

import redis.asyncio as aioredis

from bot.chat.runtime import ChatRuntime
from naibot.cancelling import cancel_and_wait


async def _swallows_cancels(times: int, stopped: list[str]) -> None:
    """Ignores its first ``times`` cancels, like a loop whose Redis command lost them."""
    swallowed = 0
    try:
        while True:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                if swallowed == times:
                    raise
                swallowed += 1
    finally:
        stopped.append("stopped")


async def test_a_task_that_swallowed_its_cancel_is_cancelled_again_until_it_ends() -> None:
    stopped: list[str] = []
    task = asyncio.create_task(_swallows_cancels(2, stopped))
    await asyncio.sleep(0)
    left = await cancel_and_wait([task], recancel_seconds=0.05)
    assert left == [] and task.cancelled() and stopped == ["stopped"]


async def test_a_task_that_ignores_every_cancel_is_reported_and_the_stop_still_ends() -> None:
    stopped: list[str] = []
    stubborn = asyncio.create_task(_swallows_cancels(5, stopped), name="stubborn")
    polite = asyncio.create_task(asyncio.Event().wait(), name="polite")
    await asyncio.sleep(0)
    left = await cancel_and_wait([stubborn, polite], recancel_seconds=0.01, max_cancels=3)
    assert left == [stubborn] and polite.cancelled() and not stubborn.done()
    await cancel_and_wait([stubborn], recancel_seconds=0.01, max_cancels=10)  # the 6th cancel stops it
    assert stubborn.done()


async def test_the_exception_a_task_ended_with_is_retrieved_not_raised() -> None:
    async def fails() -> None:
        raise ValueError("boom")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    assert await cancel_and_wait([task]) == [] and isinstance(task.exception(), ValueError)


async def test_redis_loops_cancelled_at_random_moments_all_stop(aredis: aioredis.Redis, redis_prefix: str) -> None:
    key = f"{redis_prefix}:cancel-probe"

    async def reads() -> None:
        while True:
            await aredis.get(key)
            await aredis.xread({key + ":stream": "$"}, block=5, count=10)

    rng = random.Random(7)
    for _ in range(100):
        task = asyncio.create_task(reads())
        await asyncio.sleep(rng.random() * 0.003)
        assert await cancel_and_wait([task], recancel_seconds=0.05) == []
        assert task.done()


async def test_a_bot_stop_ends_when_one_of_its_loops_swallowed_the_cancel() -> None:
    stopped: list[str] = []
    closed: list[str] = []

    async def aclose(what: str) -> None:
        closed.append(what)

    lookup = SimpleNamespace(aclose=lambda: aclose("tag lookups"))
    services = SimpleNamespace(aclose=lambda: aclose("services"))
    fake: Any = None
    runtime = ChatRuntime(services=services, pacer=fake, sender=fake, delivery=fake,  # type: ignore[arg-type]
                          commands=SimpleNamespace(tags=SimpleNamespace(lookup=lookup)))  # type: ignore[arg-type]
    runtime.tasks = [asyncio.create_task(_swallows_cancels(1, stopped)),
                     asyncio.create_task(asyncio.Event().wait())]  # type: ignore[list-item]
    await asyncio.sleep(0)
    async with asyncio.timeout(10):
        await runtime.stop()
    assert stopped == ["stopped"] and all(task.done() for task in runtime.tasks)
    assert closed == ["tag lookups", "services"]
