"""Redis connections built the same way everywhere, with timeouts that fail fast.

A chat handler must answer "the queue is unavailable" within seconds when Redis is away, not
hang; and every process reconnects by itself when it returns (redis-py retries on the next
command), so no process keeps a dead connection.
"""

from __future__ import annotations

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from naibot.settings import RedisSettings

# redis-py's default retries a refused connection with back-off for several seconds; one quick
# retry rides out a blip without making "Redis is down" slow to notice.
_RETRIES = 1
_BACKOFF = ExponentialBackoff(cap=0.2, base=0.05)


def _options(settings: RedisSettings) -> dict[str, object]:
    return {
        "socket_timeout": settings.socket_timeout,
        "socket_connect_timeout": settings.connect_timeout,
        "health_check_interval": 30,
        "retry_on_timeout": False,
    }


def async_redis(settings: RedisSettings) -> aioredis.Redis:
    """A client whose pool waits for a free connection (up to the socket timeout) when all are in
    use, instead of failing: a burst of chat updates must queue up, not error out."""
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.url, max_connections=settings.max_connections, timeout=settings.socket_timeout,
        retry=AsyncRetry(_BACKOFF, _RETRIES), **_options(settings))
    return aioredis.Redis.from_pool(pool)


def sync_redis(settings: RedisSettings) -> redis.Redis:
    return redis.Redis.from_url(settings.url, retry=Retry(_BACKOFF, _RETRIES), **_options(settings))


def text(value: bytes | str) -> str:
    """A Redis reply as text: clients made without ``decode_responses`` answer bytes."""
    return value.decode() if isinstance(value, bytes) else value
