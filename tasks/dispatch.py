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
# How long a wake marker lives at most. The marker names its message, and the sweeper
# (``tasks.sweeper``) counts a wake-up as on its way only while that message is still in Dramatiq's
# queue, so a lost or finished one is resent at the next sweep however long this is. Long, so that
# a wake-up waiting behind thousands of lanes for a free thread is not sent again by every submit.
DEFAULT_WAKE_MARKER_SECONDS = 3600.0
# A marker younger than this counts as on its way even before it names its message (the sender
# sets it to PENDING, enqueues, then writes the message's id into it).
WAKE_FRESH_SECONDS = 5.0
PENDING = "pending"
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
                   marker_seconds=max(settings.queue.lease_seconds, DEFAULT_WAKE_MARKER_SECONDS))

    def _message(self, account: str) -> dramatiq.Message[None]:  # run_lane returns nothing
        return dramatiq.Message(queue_name=self.queue_name, actor_name=LANE_ACTOR, args=(account,), kwargs={},
                                options={})

    async def wake(self, account: str, delay_ms: int = 0) -> None:
        if delay_ms > 0:
            await asyncio.to_thread(self.broker.enqueue, self._message(account), delay=delay_ms)
            return
        if await self.redis.set(self.keys.lane_wake(account), PENDING, nx=True, px=self.marker_ms):
            await self._send(account)

    async def resend(self, account: str) -> None:
        """A wake-up in place of one the sweeper found gone (its message left Dramatiq's queue
        without draining the lane) or never sent: the marker is replaced, not tested."""
        await self.redis.set(self.keys.lane_wake(account), PENDING, px=self.marker_ms)
        await self._send(account)

    async def _send(self, account: str) -> None:
        sent = await asyncio.to_thread(self.broker.enqueue, self._message(account))
        # The marker names the message as Dramatiq keeps it (the broker picks that id while it
        # enqueues). XX: if a worker took the message meanwhile, the marker stays gone.
        message_id = sent.options.get("redis_message_id")
        if message_id:
            await self.redis.set(self.keys.lane_wake(account), message_id, xx=True, keepttl=True)

    async def woken(self, account: str) -> None:
        """Called by the worker that took the wake-up: the next one must get through."""
        await self.redis.delete(self.keys.lane_wake(account))
