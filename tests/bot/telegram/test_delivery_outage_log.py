"""The Telegram bot's delivery loop through a Redis outage (real bot, the Bot API stand-in, a private
redis-server the test kills and restarts): it keeps retrying about every second, and says so once
when the outage starts (WARNING, with the error) and once when Redis is back (INFO), not per retry."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from tests.fixtures.redis import PrivateRedis
from tests.fixtures.telegram_e2e import TelegramWorld

# Retry cycles to wait through: the old loop logged a warning on every one of them.
RETRIES = 4
OUTAGE_TIMEOUT = 30.0


async def test_a_redis_outage_is_logged_when_it_starts_and_when_it_ends_not_per_retry(
        telegram_world: TelegramWorld, private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture) -> None:
    world = telegram_world
    world.deployment.overrides["REDIS_URL"] = private_redis.url
    bot = await world.start_bot()
    assert bot.runtime is not None
    outage = bot.runtime.delivery.outage
    caplog.set_level(logging.INFO)
    caplog.clear()
    private_redis.stop()
    await asyncio.wait_for(outage.wait_until(lambda o: o.failures >= RETRIES), OUTAGE_TIMEOUT)
    private_redis.start()
    await asyncio.wait_for(outage.wait_until(lambda o: not o.down), OUTAGE_TIMEOUT)

    delivery = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.chat.delivery"]
    assert len(delivery) == 2, delivery
    (start_level, start), (end_level, end) = delivery
    assert start_level == logging.WARNING and start.startswith("telegram delivery: Redis unavailable (")
    assert "ConnectionError" in start, "the error is named"
    assert end_level == logging.INFO and end.startswith("telegram delivery: Redis is back after ")
    attempts = re.search(r"\((\d+) failed attempts\)", end)
    assert attempts and int(attempts.group(1)) >= RETRIES, "it kept retrying meanwhile"
    assert outage.outages == 1
