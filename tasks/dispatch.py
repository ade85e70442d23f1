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

from naibot.redisconn import sync_redis
from naibot.settings import RedisSettings, Settings
from tasks.keys import Keys

LANE_ACTOR = "run_lane"
# How long a wake-up counts as "on its way". If its message is lost (a worker killed between
# fetching and running it), the sweeper sends another once this lapses; extra wake-ups of a
# leased lane are harmless (they return at once).
DEFAULT_WAKE_MARKER_SECONDS = 30.0
# Dead workers' Dramatiq messages are not what recovers our jobs (our leases are), so a short
# heartbeat only makes Dramatiq's own requeue of stray wake-ups faster.
BROKER_HEARTBEAT_MS = 15_000


def make_broker(settings: RedisSettings) -> RedisBroker:
    """Dramatiq's broker on a client made like every other (``naibot.redisconn``): the same
    timeouts, TLS checks and, with ``redis.sentinel``, the master the sentinels name, so after a
    failover wake-ups go to the new master like the jobs they announce."""
    return RedisBroker(client=sync_redis(settings), namespace=Keys(settings.prefix).dramatiq_namespace,
                       heartbeat_timeout=BROKER_HEARTBEAT_MS)


class LaneWaker:
    """Sends wake-up messages for lanes."""

    def __init__(self, redis: aioredis.Redis, broker: RedisBroker, prefix: str, queue_name: str,
                 marker_seconds: float = DEFAULT_WAKE_MARKER_SECONDS) -> None:
        self.redis = redis
        self.marker_ms = int(marker_seconds * 1000)
        self.broker = broker
        self.keys = Keys(prefix)
        self.queue_name = queue_name

    @classmethod
    def from_settings(cls, redis: aioredis.Redis, settings: Settings) -> LaneWaker:
        prefix = settings.redis.prefix
        return cls(redis, make_broker(settings.redis), prefix, settings.queue.dramatiq_queue,
                   marker_seconds=settings.queue.lease_seconds)

    def _message(self, account: str) -> dramatiq.Message[None]:  # run_lane returns nothing
        return dramatiq.Message(queue_name=self.queue_name, actor_name=LANE_ACTOR, args=(account,), kwargs={},
                                options={})

    async def wake(self, account: str, delay_ms: int = 0) -> None:
        if delay_ms <= 0:
            fresh = await self.redis.set(self.keys.lane_wake(account), "1", nx=True, px=self.marker_ms)
            if not fresh:
                return
        await asyncio.to_thread(self.broker.enqueue, self._message(account), delay=delay_ms or None)

    async def woken(self, account: str) -> None:
        """Called by the worker that took the wake-up: the next one must get through."""
        await self.redis.delete(self.keys.lane_wake(account))
