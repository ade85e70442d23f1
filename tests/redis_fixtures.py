"""Redis fixtures: the shared server on 127.0.0.1:6379, with a key prefix per test.

Tests never FLUSHALL: each gets its own prefix and deletes exactly its own keys afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

REDIS_URL = os.environ.get("NAIBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_SECRET_KEY = "test-secret-key-that-is-at-least-32-chars"


@pytest.fixture
def redis_prefix() -> str:
    return f"naibot-test:{uuid.uuid4().hex[:12]}"


@pytest_asyncio.fixture
async def aredis(redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=2)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{redis_prefix}:*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()
