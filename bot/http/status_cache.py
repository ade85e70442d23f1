"""A short-lived, single-flight cache in front of Redis for the HTTP API's polled reads.

Why: clients poll ``GET /task_status/<id>`` in loops, often many clients for one job (a shared
link, a web page left open). A job's position changes at most once per generation, which takes
seconds, so an answer up to ``ttl`` seconds old is as good as a fresh one. Within that time every
poll of one key is answered from memory, and concurrent misses share one fetch (single flight):
a thousand pollers of one id cost one Redis read per ``ttl``, not a thousand.

The cache holds raw data, not decisions: callers check who may see an entry on every hit, so a
cached answer can never reach a client that could not read it from Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.http.models import QueueStatus
from tasks.job import Job

T = TypeVar("T")

# Enough for every job a busy deployment has in flight; beyond it, expired entries go first,
# then the oldest, so memory stays bounded whatever ids clients make up.
DEFAULT_MAX_ENTRIES = 10_000


class StatusCache(Generic[T]):
    """``get(key)`` -> (value, age in seconds); ``ttl`` <= 0 turns caching (and sharing) off."""

    def __init__(self, ttl: float, fetch: Callable[[str], Awaitable[T]], *,
                 max_entries: int = DEFAULT_MAX_ENTRIES, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._fetch = fetch
        self._max = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, T]] = {}
        self._inflight: dict[str, asyncio.Task[T]] = {}
        # How many fetches actually ran: the figure the tests and the benchmark compare.
        self.fetches = 0

    async def get(self, key: str) -> tuple[T, float]:
        if self.ttl <= 0:
            self.fetches += 1
            return await self._fetch(key), 0.0
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1], now - entry[0]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(key))
            self.fetches += 1
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        # Shielded: a poller that hangs up must not cancel the fetch the others are waiting for.
        return await asyncio.shield(task), 0.0

    def forget(self, key: str) -> None:
        """Drop what is known about ``key`` (this process changed it); the next get fetches anew."""
        self._entries.pop(key, None)
        self._inflight.pop(key, None)  # a fetch already running may predate the change: not stored

    def _settle(self, key: str, task: asyncio.Task[T]) -> None:
        if self._inflight.get(key) is not task:
            return
        del self._inflight[key]
        if task.cancelled() or task.exception() is not None:
            return  # errors are not cached: the next poll tries again
        self._entries.pop(key, None)  # re-inserted at the end: the dict's order stays oldest-first
        self._entries[key] = (self._clock(), task.result())
        if len(self._entries) > self._max:
            self._prune()

    def _prune(self) -> None:
        now = self._clock()
        for key in [k for k, (at, _) in self._entries.items() if now - at >= self.ttl]:
            del self._entries[key]
        # Still too many live entries: drop the oldest (dicts keep insertion order).
        excess = len(self._entries) - self._max * 9 // 10
        for key in list(self._entries)[:max(0, excess)]:
            del self._entries[key]


@dataclass(frozen=True)
class Snapshot:
    """One read of a job as ``/task_status`` shows it; shared by every poller within the cache time."""

    job: Job
    eta: float | None
    image_urls: tuple[str, ...]


@dataclass(frozen=True)
class Caches:
    """Task snapshots by id, and the queue overview (one entry, key ``""``)."""

    tasks: StatusCache[Snapshot | None]
    queue: StatusCache[QueueStatus]

    def changed(self, task_id: str) -> None:
        """This process changed a task (and so the queue): the next polls read Redis again."""
        self.tasks.forget(task_id)
        self.queue.forget("")
