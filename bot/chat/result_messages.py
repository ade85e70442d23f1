"""Which messages of a chat carry this bot's results, so a command replying to one uses the original.

A result posted in a chat is a photo (re-encoded by Telegram: no NovelAI metadata, smaller) or an
attachment; the original PNG is in storage under its job. When someone replies to a result with
``/enhance`` or ``/info``, the adapter asks here which job image that message shows and hands the
command a ``ChatImage`` naming it, so nothing is downloaded and the job's own settings are used.

One Redis hash per chat (message id -> ``<job id>:<index>``), expiring with the results themselves
(``queue.retention_seconds``, renewed by each delivery). A miss (an old message, another bot's image)
is no error: the adapter then downloads the image like any other.
"""

from __future__ import annotations

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from bot.keys import BotKeys
from naibot.redisconn import text

# A chat's hash holds at most this many result messages; past it the oldest entries are not missed
# much (a reply to one of them downloads the image instead), and the hash stays small.
MAX_RESULT_MESSAGES = 2000


class ResultMessages:
    def __init__(self, redis: aioredis.Redis, keys: BotKeys, platform: str, retention_seconds: int) -> None:
        self.redis, self.keys, self.platform, self.retention = redis, keys, platform, retention_seconds

    async def remember(self, chat_id: str, message_ids: list[str], job_id: str) -> None:
        """Message ``i`` of ``message_ids`` shows image ``i`` of the job (``[]``: nothing to remember)."""
        if not message_ids:
            return
        key = self.keys.result_messages(self.platform, chat_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={message_id: f"{job_id}:{index}" for index, message_id in enumerate(message_ids)})
            pipe.expire(key, self.retention)
            pipe.hlen(key)
            results = await pipe.execute()
        if int(results[-1]) > MAX_RESULT_MESSAGES:
            await self.redis.delete(key)  # rare: start the chat's map again rather than scan it

    async def find(self, chat_id: str, message_id: str) -> tuple[str, int] | None:
        """(job id, image index) the message shows, if it is one of our results still remembered.

        Best effort: Redis trouble reads as "not ours", and the adapter downloads the image."""
        try:
            raw = await self.redis.hget(self.keys.result_messages(self.platform, chat_id), message_id)
        except (RedisError, OSError):
            return None
        if raw is None:
            return None
        job_id, _, index = text(raw).partition(":")
        return (job_id, int(index)) if job_id and index.isdigit() else None
