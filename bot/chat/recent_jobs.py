"""A person's and a group's recent job ids, so `/status`, `/cancel` and `/queue` find them, and a
person's jobs in each chat, so `/history` there lists them.

One bounded Redis list per person, per group and per (person, chat), newest first, trimmed and
expiring with the jobs themselves (``queue.retention_seconds``): an id whose job is gone reads back
as missing and is skipped.
"""

from __future__ import annotations

from redis import asyncio as aioredis

from bot.keys import BotKeys
from naibot.redisconn import text
from tasks.job import Job
from tasks.queue import JobQueue

# How many of a user's recent jobs `/status` and `/cancel` without an id look at.
RECENT_JOBS = 20
# How many of a group's recent jobs `/queue` in that group looks at.
RECENT_GROUP_JOBS = 100
# How many of a person's jobs in one chat `/history` keeps: ten pages of six, so a page number is
# one digit in a button's data (``bot.chat.ports.Button``).
HISTORY_JOBS = 60


class RecentJobs:
    def __init__(self, redis: aioredis.Redis, keys: BotKeys, queue: JobQueue, retention_seconds: int) -> None:
        self.redis, self.keys, self.queue, self.retention = redis, keys, queue, retention_seconds

    async def remember(self, job_id: str, user_key: str, group: str | None = None, chat: str | None = None) -> None:
        """Before the job is queued, so `/cancel` and `/queue` find it the moment it waits; with
        ``chat``, `/history` in that chat lists it once it has a result."""
        async with self.redis.pipeline(transaction=True) as pipe:
            lists = [(self.keys.user_recent(user_key), RECENT_JOBS)]
            if group:
                lists.append((self.keys.group_recent(group), RECENT_GROUP_JOBS))
            if chat:
                lists.append((self.keys.user_history(user_key, chat), HISTORY_JOBS))
            for key, limit in lists:
                pipe.lpush(key, job_id)
                pipe.ltrim(key, 0, limit - 1)
                pipe.expire(key, self.retention)
            await pipe.execute()

    async def of_user(self, user_key: str) -> list[Job]:
        return await self._jobs(self.keys.user_recent(user_key), RECENT_JOBS)

    async def of_group(self, group: str) -> list[Job]:
        return await self._jobs(self.keys.group_recent(group), RECENT_GROUP_JOBS)

    async def history(self, user_key: str, chat: str) -> list[Job]:
        """The person's jobs asked in this chat that still exist, newest first (any state)."""
        return await self._jobs(self.keys.user_history(user_key, chat), HISTORY_JOBS)

    async def _jobs(self, key: str, limit: int) -> list[Job]:
        ids = [text(i) for i in await self.redis.lrange(key, 0, limit - 1)]
        return await self.queue.get_many(ids)
