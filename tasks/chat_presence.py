"""Which chat bot processes are alive, and how their Discord shards are doing, for the operator.

A deployment that outgrows one process runs several chat processes: Telegram webhook replicas behind
a load balancer, Discord shard ranges (``discord.shard_ids``) on several machines. Workers beat their
hearts into ``Keys.workers``; without the same for chat processes a shard range that died, or one
shard stuck reconnecting, showed only in that process's log. Each chat process now writes one field
of one Redis hash every ``BEAT_SECONDS``: who it is and what it serves (its platform's ``describe``
callback: shards and their state for Discord, as ``bot.discord.shards.shard_summary`` puts them,
with ``shard_counts`` by state, which ``shard_states`` adds up; polling or webhook for Telegram). The admin page,
``/healthz`` and ``/metrics`` (API processes, often on other machines) read the hash.

Here in ``tasks`` beside ``tasks.metrics``, not in ``bot.chat``: the HTTP API reads it and must not
import the chat package (DESIGN.md, R8). The hash holds one small field per process: a process
that stops removes its field; one that died is shown as silent, then forgotten after a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tasks.keys import Keys

log = logging.getLogger(__name__)

BEAT_SECONDS = 10.0
# A process not heard of for this long is shown as silent (three beats missed: not a slow loop).
SILENT_AFTER_SECONDS = 3 * BEAT_SECONDS
# Fields of processes silent this long are removed (by the next chat process that starts).
FORGET_SECONDS = 24 * 3600.0
# At most this many processes are read: the hash of a sane deployment holds a handful.
MAX_PROCESSES = 200
# The part of a describe() answer kept: a Discord process with hundreds of shards is summed up,
# not listed (see ``shard_summary``).
MAX_DETAIL_BYTES = 4096

Describe = Callable[[], dict[str, Any]]


@dataclass
class ChatProcess:
    """One chat process as read back: alive while its beat is recent."""

    platform: str
    host: str
    pid: int
    instance: str
    started_at: float
    beat_at: float
    detail: dict[str, Any] = field(default_factory=dict)

    def alive(self, now: float) -> bool:
        return now - self.beat_at <= SILENT_AFTER_SECONDS

    def as_dict(self, now: float) -> dict[str, Any]:
        return {"platform": self.platform, "host": self.host, "pid": self.pid, "instance": self.instance,
                "alive": self.alive(now), "beat_seconds_ago": round(max(0.0, now - self.beat_at), 1),
                "up_seconds": round(max(0.0, now - self.started_at), 1), **self.detail}


class ChatPresence:
    """Beats one chat process's field into the presence hash until stopped."""

    def __init__(self, redis: aioredis.Redis, prefix: str, platform: str, instance: str = "",
                 describe: Describe | None = None, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.key = Keys(prefix).chat_processes
        self.platform = platform
        self.instance = instance
        self.describe = describe
        self.clock = clock
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = clock()
        self.field = ":".join((platform, self.host, str(self.pid), instance))
        self._changed = asyncio.Event()

    def changed(self) -> None:
        """What ``describe`` says has changed (a shard connected or dropped): beat now, not at the
        next tick, so the operator's page shows it within a second."""
        self._changed.set()

    def record(self) -> str:
        detail: dict[str, Any] = {}
        if self.describe is not None:
            try:
                detail = self.describe()
            except Exception as exc:  # a broken describe must not stop the beat that says we live
                log.warning("chat presence: describing this process failed (%s)", exc)
        text = json.dumps(detail, separators=(",", ":"), default=str)
        if len(text) > MAX_DETAIL_BYTES:
            detail = {"detail_too_large": len(text)}
        return json.dumps({"platform": self.platform, "host": self.host, "pid": self.pid, "instance": self.instance,
                           "started_at": self.started_at, "beat_at": self.clock(), "detail": detail},
                          separators=(",", ":"), default=str)

    async def beat(self) -> None:
        await self.redis.hset(self.key, self.field, self.record())

    async def forget_the_long_silent(self) -> int:
        """Remove the fields of processes silent for a day (a host renamed, a crash never restarted)."""
        now = self.clock()
        stale = [name for name, process in (await _read(self.redis, self.key)).items()
                 if now - process.beat_at > FORGET_SECONDS]
        if stale:
            await self.redis.hdel(self.key, *stale)
        return len(stale)

    async def run(self) -> None:
        """Beat every ``BEAT_SECONDS`` and on ``changed``; Redis trouble skips a beat (logged once
        per outage)."""
        with_redis = True
        with contextlib.suppress(RedisError, OSError):  # housekeeping: the next start tries again
            await self.forget_the_long_silent()
        while True:
            try:
                await self.beat()
                with_redis = True
            except (RedisError, OSError) as exc:
                if with_redis:
                    log.warning("chat presence: could not beat (%s); trying again every %.0f s", exc, BEAT_SECONDS)
                with_redis = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(BEAT_SECONDS):
                    await self._changed.wait()
            self._changed.clear()

    async def leave(self) -> None:
        """Remove this process's field (a clean stop is not a silent process)."""
        try:
            await self.redis.hdel(self.key, self.field)
        except (RedisError, OSError) as exc:
            log.info("chat presence: could not remove this process's entry (%s); it will show as silent", exc)


async def _read(redis: aioredis.Redis, key: str) -> dict[str, ChatProcess]:
    """The fields parsed (at most ``MAX_PROCESSES``; one HGETALL: the hash holds one small field per
    process, and stale ones are pruned); a field that does not parse is skipped, not fatal."""
    found: dict[str, ChatProcess] = {}
    for name, raw in (await redis.hgetall(key)).items():
        if len(found) >= MAX_PROCESSES:
            break
        name = name.decode() if isinstance(name, bytes) else str(name)
        try:
            data = json.loads(raw)
            found[name] = ChatProcess(platform=str(data["platform"]), host=str(data["host"]), pid=int(data["pid"]),
                                      instance=str(data.get("instance", "")), started_at=float(data["started_at"]),
                                      beat_at=float(data["beat_at"]), detail=dict(data.get("detail") or {}))
        except (ValueError, KeyError, TypeError):
            continue
    return found


async def chat_processes(redis: aioredis.Redis, prefix: str, now: float | None = None) -> list[dict[str, Any]]:
    """Every chat process known, alive ones first, then by platform, host and instance."""
    now = time.time() if now is None else now
    processes = (await _read(redis, Keys(prefix).chat_processes)).values()
    ordered = sorted(processes, key=lambda p: (not p.alive(now), p.platform, p.host, p.instance, p.pid))
    return [process.as_dict(now) for process in ordered]


def alive_by_platform(processes: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for process in processes:
        if process["alive"]:
            counts[process["platform"]] = counts.get(process["platform"], 0) + 1
    return counts


def shard_states(processes: list[dict[str, Any]]) -> dict[str, int]:
    """Discord shards of the live processes counted by state ("connected", "connecting", ...); the
    states every process reports are always present, at zero when no shard is in them."""
    counts = {"connected": 0, "connecting": 0, "reconnecting": 0}
    for process in processes:
        if not process["alive"] or process["platform"] != "discord":
            continue
        for state, count in (process.get("shard_counts") or {}).items():
            counts[state] = counts.get(state, 0) + int(count)
    return counts
