"""Waking lanes through Dramatiq: the only thing a Dramatiq message says is "lane X has work".

Ordering, priorities and crash recovery live in Redis under our own keys (see ``tasks.queue``);
Dramatiq carries the wake-ups to whichever worker thread is free, on any machine. Immediate
wake-ups are de-duplicated (a marker key while one is on its way), so a busy lane does not pile
up messages; delayed ones (the end of a pause) are always sent.
"""

from __future__ import annotations

import asyncio

import dramatiq
import redis.asyncio as aioredis
from dramatiq.brokers.redis import RedisBroker

from tasks.keys import Keys

LANE_ACTOR = "run_lane"
# A wake-up marker outlives any sane wait for a free worker thread; after it lapses, the sweeper
# may send another (harmless: a second wake-up of a leased lane returns at once).
WAKE_MARKER_SECONDS = 60
# Dead workers' Dramatiq messages are not what recovers our jobs (our leases are), so a short
# heartbeat only makes Dramatiq's own requeue of stray wake-ups faster.
BROKER_HEARTBEAT_MS = 15_000


def make_broker(redis_url: str, prefix: str) -> RedisBroker:
    return RedisBroker(url=redis_url, namespace=Keys(prefix).dramatiq_namespace,
                       heartbeat_timeout=BROKER_HEARTBEAT_MS)


class LaneWaker:
    """Sends wake-up messages for lanes."""

    def __init__(self, redis: aioredis.Redis, broker: RedisBroker, prefix: str, queue_name: str) -> None:
        self.redis = redis
        self.broker = broker
        self.keys = Keys(prefix)
        self.queue_name = queue_name

    def _message(self, account: str) -> dramatiq.Message:
        return dramatiq.Message(queue_name=self.queue_name, actor_name=LANE_ACTOR, args=(account,), kwargs={},
                                options={})

    async def wake(self, account: str, delay_ms: int = 0) -> None:
        if delay_ms <= 0:
            fresh = await self.redis.set(self.keys.lane_wake(account), "1", nx=True, ex=WAKE_MARKER_SECONDS)
            if not fresh:
                return
        await asyncio.to_thread(self.broker.enqueue, self._message(account), delay=delay_ms or None)

    async def woken(self, account: str) -> None:
        """Called by the worker that took the wake-up: the next one must get through."""
        await self.redis.delete(self.keys.lane_wake(account))
