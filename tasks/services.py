"""The queue as a front end (CLI, chat bots, HTTP API) uses it, built from settings in one call."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from naibot.redisconn import async_redis
from naibot.settings import Settings
from novelai.client import NovelAIClient
from novelai.factory import AccountDirectory, client_from_settings
from storage.factory import storage_from_settings
from tasks.dispatch import LaneWaker
from tasks.queue import JobQueue
from tasks.spending import SubscriptionCache
from tasks.submit import Submitter
from tasks.vibe_cache import VibeCache


@dataclass
class QueueServices:
    settings: Settings
    redis: aioredis.Redis
    queue: JobQueue
    submitter: Submitter
    client: NovelAIClient

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueServices:
        redis = async_redis(settings.redis)
        queue = JobQueue(redis, settings.queue, settings.redis.prefix)
        client = client_from_settings(settings)
        waker = LaneWaker.from_settings(redis, settings)
        vibes = VibeCache(redis, settings.redis.prefix, settings.queue.retention_seconds)
        submitter = Submitter(queue, waker, AccountDirectory(settings), SubscriptionCache(client),
                              storage=storage_from_settings(settings), vibes=vibes)
        return cls(settings, redis, queue, submitter, client)

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.redis.aclose()
