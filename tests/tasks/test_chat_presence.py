"""Chat processes' presence beats (tasks.chat_presence) against real Redis: what a beat records,
when a process counts as silent, what a clean stop and a day of silence remove, and that what the
HTTP API reads of it stays bounded and never breaks on a bad field."""

from __future__ import annotations

import asyncio
import json

import redis.asyncio as aioredis

from bot.discord.shards import shard_summary
from tasks.chat_presence import (
    FORGET_SECONDS,
    MAX_DETAIL_BYTES,
    SILENT_AFTER_SECONDS,
    ChatPresence,
    alive_by_platform,
    chat_processes,
    shard_states,
)
from tasks.keys import Keys


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_a_beat_records_the_process_and_what_it_serves(aredis: aioredis.Redis, redis_prefix: str) -> None:
    clock = Clock()
    presence = ChatPresence(aredis, redis_prefix, "telegram", "webhook-8443",
                            describe=lambda: {"mode": "webhook", "webhook_port": 8443}, clock=clock)
    await presence.beat()
    clock.now += 5
    (process,) = await chat_processes(aredis, redis_prefix, now=clock.now)
    assert process["platform"] == "telegram" and process["instance"] == "webhook-8443"
    assert process["alive"] and process["beat_seconds_ago"] == 5.0 and process["mode"] == "webhook"
    assert alive_by_platform([process]) == {"telegram": 1}


async def test_a_process_whose_beats_stop_is_shown_silent_then_forgotten_after_a_day(
        aredis: aioredis.Redis, redis_prefix: str) -> None:
    clock = Clock()
    dead = ChatPresence(aredis, redis_prefix, "discord", "shards-0", clock=clock)
    await dead.beat()
    clock.now += SILENT_AFTER_SECONDS + 1
    (process,) = await chat_processes(aredis, redis_prefix, now=clock.now)
    assert not process["alive"] and alive_by_platform([process]) == {}
    clock.now += FORGET_SECONDS
    newcomer = ChatPresence(aredis, redis_prefix, "discord", "shards-1", clock=clock)
    assert await newcomer.forget_the_long_silent() == 1
    assert await chat_processes(aredis, redis_prefix, now=clock.now) == []


async def test_a_clean_stop_removes_the_process(aredis: aioredis.Redis, redis_prefix: str) -> None:
    presence = ChatPresence(aredis, redis_prefix, "telegram")
    task = asyncio.create_task(presence.run())
    await asyncio.wait_for(_until_listed(aredis, redis_prefix), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await presence.leave()
    assert await chat_processes(aredis, redis_prefix) == []


async def _until_listed(redis: aioredis.Redis, prefix: str) -> None:
    while not await chat_processes(redis, prefix):  # noqa: ASYNC110 - Redis has no event to await
        await asyncio.sleep(0.01)


async def test_a_change_beats_at_once_rather_than_at_the_next_tick(aredis: aioredis.Redis, redis_prefix: str) -> None:
    state = {"shards": "connecting"}
    presence = ChatPresence(aredis, redis_prefix, "discord", describe=lambda: dict(state))
    task = asyncio.create_task(presence.run())
    try:
        await asyncio.wait_for(_until_listed(aredis, redis_prefix), 10)
        state["shards"] = "connected"
        presence.changed()

        async def shows_connected() -> None:
            while (await chat_processes(aredis, redis_prefix))[0]["shards"] != "connected":  # noqa: ASYNC110
                await asyncio.sleep(0.01)

        await asyncio.wait_for(shows_connected(), 5)  # the tick is 10 s away
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_broken_describe_or_a_huge_one_still_beats(aredis: aioredis.Redis, redis_prefix: str) -> None:
    def broken() -> dict[str, object]:
        raise RuntimeError("no client yet")

    await ChatPresence(aredis, redis_prefix, "discord", "a", describe=broken).beat()
    await ChatPresence(aredis, redis_prefix, "discord", "b", describe=lambda: {"x": "y" * MAX_DETAIL_BYTES}).beat()
    by_instance = {p["instance"]: p for p in await chat_processes(aredis, redis_prefix)}
    assert by_instance["a"]["alive"] and "x" not in by_instance["b"] and by_instance["b"]["detail_too_large"] > 4096


async def test_fields_that_do_not_parse_are_skipped(aredis: aioredis.Redis, redis_prefix: str) -> None:
    key = Keys(redis_prefix).chat_processes
    await aredis.hset(key, mapping={"junk": "not json", "half": json.dumps({"platform": "x"})})
    await ChatPresence(aredis, redis_prefix, "telegram").beat()
    assert [p["platform"] for p in await chat_processes(aredis, redis_prefix)] == ["telegram"]


def test_discord_shards_are_summed_by_state_over_live_processes_only() -> None:
    one = {"platform": "discord", "alive": True, **shard_summary(8, {0: "connected", 1: "connected", 2: "connecting"})}
    two = {"platform": "discord", "alive": True, **shard_summary(8, {4: "reconnecting", 5: "connected"})}
    gone = {"platform": "discord", "alive": False, **shard_summary(8, {6: "connected", 7: "connected"})}
    telegram = {"platform": "telegram", "alive": True, "mode": "polling"}
    assert one["shard_states"] == {"connected": "0-1", "connecting": "2"}
    assert shard_states([one, two, gone, telegram]) == {"connected": 3, "connecting": 1, "reconnecting": 1}
