"""Metrics that span processes, kept in one Redis hash under the prefix.

Workers, chat bots and the HTTP API are separate processes (often on separate machines), so an
in-process Prometheus registry in each would need a scrape target per process and would lose its
counts on every restart. Instead every process adds to ``<prefix>:metrics`` and the API process
reads it per scrape: one HGETALL plus a few cheap reads of live queue state.

Writers never break what they measure: the job counters and the generation histogram are bumped
inside the Lua scripts that make those transitions (so they count exactly once, atomically with
the change), and every other write is one pipelined round trip whose errors are logged and
swallowed.

Field layout of the hash (Redis hash fields, all integers but the sums):

* ``jobs:<state>``: finished jobs by final state (done, failed, canceled);
* ``novelai_errors:<kind>``: failed NovelAI attempts by error kind (retried ones included);
* ``rate_limited:<platform>``: 429s a chat platform answered;
* ``h:<histogram>:<label>:b:<le>`` / ``:sum`` / ``:count``: histograms, each observation counted
  in its own bucket only (the reader makes them cumulative, as Prometheus wants).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tasks.chat_presence import chat_processes
from tasks.keys import Keys

log = logging.getLogger(__name__)

GENERATION = "generation"
DELIVERY_LAG = "delivery_lag"
# Seconds. A generation on NovelAI takes ~2-30 s; the stand-in answers in well under a second.
GENERATION_BUCKETS: tuple[float, ...] = (0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300)
# From "the job is done" to "the pictures are in the chat": pacing and uploads, usually < 2 s.
DELIVERY_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)
BUCKETS: dict[str, tuple[float, ...]] = {GENERATION: GENERATION_BUCKETS, DELIVERY_LAG: DELIVERY_BUCKETS}
INF = "+Inf"
FINAL_STATES = ("done", "failed", "canceled")


def bound_label(bound: float) -> str:
    """Prometheus' ``le`` spelling: 1 -> "1.0", 0.25 -> "0.25"."""
    return repr(float(bound))


def bucket_field(histogram: str, seconds: float, label: str = "") -> str:
    """The one bucket field an observation increments (the first bound it does not exceed)."""
    bound = next((bound_label(b) for b in BUCKETS[histogram] if seconds <= b), INF)
    return f"h:{histogram}:{label}:b:{bound}"


def histogram_fields(histogram: str, label: str = "") -> tuple[str, str]:
    """The sum and count fields of a histogram."""
    return f"h:{histogram}:{label}:sum", f"h:{histogram}:{label}:count"


@dataclass
class Histogram:
    """One histogram as read back: cumulative buckets (bound label -> count), sum and count."""

    buckets: list[tuple[str, int]]
    sum: float
    count: int


@dataclass
class MetricsSnapshot:
    """Everything /metrics shows, read in one go."""

    jobs: dict[str, int]
    lane_depths: dict[str, int]
    novelai_errors: dict[str, int]
    rate_limited: dict[str, int]
    histograms: dict[tuple[str, str], Histogram]
    workers_alive: int
    stream_lag: dict[str, int | None] = field(default_factory=dict)
    chat_processes: list[dict[str, Any]] = field(default_factory=list)


class Metrics:
    """Writes counters and histograms; each call is one round trip and never raises."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.key = Keys(prefix).metrics
        self._background: set[asyncio.Task[None]] = set()

    async def _incr(self, *fields: str, observe: tuple[str, str, float] | None = None) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for name in fields:
                    pipe.hincrby(self.key, name, 1)
                if observe is not None:
                    histogram, label, seconds = observe
                    total, count = histogram_fields(histogram, label)
                    pipe.hincrby(self.key, bucket_field(histogram, seconds, label), 1)
                    pipe.hincrbyfloat(self.key, total, seconds)
                    pipe.hincrby(self.key, count, 1)
                await pipe.execute()
        except Exception as exc:  # a metric is never worth failing the work it measures
            log.debug("metrics: could not record %s: %s", fields or observe, exc)

    async def novelai_error(self, kind: str) -> None:
        await self._incr(f"novelai_errors:{kind}")

    async def rate_limited(self, platform: str) -> None:
        await self._incr(f"rate_limited:{platform}")

    async def observe(self, histogram: str, seconds: float, label: str = "") -> None:
        await self._incr(observe=(histogram, label, max(0.0, seconds)))

    def fire(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a write in the background (for synchronous callers such as the pacer's 429 path)."""
        try:
            task = asyncio.get_running_loop().create_task(work)
        except RuntimeError:  # no loop: nothing to record on
            work.close()
            return
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def alive_window(lease_seconds: float) -> float:
    """How recent a worker's heartbeat must be to count it alive: its sweeper beats every
    ``lease_seconds / 4``, so four missed beats (or at least 3 s) mean it is gone."""
    return max(3.0, lease_seconds)


async def workers_alive(redis: aioredis.Redis, prefix: str, lease_seconds: float) -> int:
    return int(await redis.zcount(Keys(prefix).workers, time.time() - alive_window(lease_seconds), "+inf"))


async def stream_lag(redis: aioredis.Redis, prefix: str) -> dict[str, int | None]:
    """Entries each consumer group of the event stream has not read yet (None: Redis cannot tell)."""
    try:
        groups = await redis.xinfo_groups(Keys(prefix).events)
    except ResponseError:  # no stream yet: nobody lags
        return {}
    lag: dict[str, int | None] = {}
    for group in groups:
        name = group["name"].decode() if isinstance(group["name"], bytes) else str(group["name"])
        value = group.get("lag")
        lag[name] = None if value is None else int(value)
    return lag


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _histograms(raw: dict[str, str]) -> dict[tuple[str, str], Histogram]:
    found: dict[tuple[str, str], dict[str, str]] = {}
    for name, value in raw.items():
        if name.startswith("h:"):
            _, histogram, label, rest = name.split(":", 3)
            found.setdefault((histogram, label), {})[rest] = value
    result = {}
    for (histogram, label), fields in found.items():
        running, buckets = 0, []
        for bound in [*(bound_label(b) for b in BUCKETS.get(histogram, ())), INF]:
            running += int(fields.get(f"b:{bound}", 0))
            buckets.append((bound, running))
        result[(histogram, label)] = Histogram(buckets, float(fields.get("sum", 0)), int(fields.get("count", 0)))
    return result


def _by_prefix(raw: dict[str, str], prefix: str) -> dict[str, int]:
    return {name[len(prefix):]: int(value) for name, value in raw.items() if name.startswith(prefix)}


async def read_snapshot(redis: aioredis.Redis, prefix: str, lease_seconds: float) -> MetricsSnapshot:
    """The counters plus live queue state (lane sizes, running jobs, heartbeats, stream lag)."""
    keys = Keys(prefix)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.metrics)
        pipe.smembers(keys.lanes)
        pipe.zcard(keys.running)
        stored, accounts, running = await pipe.execute()
    accounts = sorted(_text(a) for a in accounts)
    async with redis.pipeline(transaction=False) as pipe:
        for account in accounts:
            pipe.zcard(keys.lane(account))
        depths = dict(zip(accounts, await pipe.execute(), strict=True)) if accounts else {}
    raw = {_text(k): _text(v) for k, v in stored.items()}
    jobs = {"queued": sum(depths.values()), "running": int(running)}
    jobs.update({state: int(raw.get(f"jobs:{state}", 0)) for state in FINAL_STATES})
    return MetricsSnapshot(
        jobs=jobs, lane_depths={a: int(d) for a, d in depths.items()},
        novelai_errors=_by_prefix(raw, "novelai_errors:"), rate_limited=_by_prefix(raw, "rate_limited:"),
        histograms=_histograms(raw), workers_alive=await workers_alive(redis, prefix, lease_seconds),
        stream_lag=await stream_lag(redis, prefix), chat_processes=await chat_processes(redis, prefix),
    )
