"""The checks every process runs at start (tasks.startup.shared_start_checks) against real Redis:
local storage in a deployment whose processes run on several hosts is an ERROR naming the hosts
(the live worker heartbeats and chat processes' beats say where they run); S3 storage, one host,
or another host long silent say nothing."""

from __future__ import annotations

import logging
import socket
import time

import pytest
import redis.asyncio as aioredis

from naibot.settings import Settings
from tasks.chat_presence import ChatPresence
from tasks.keys import Keys
from tasks.startup import other_hosts, shared_start_checks
from tests.fixtures.deployment import Deployment


def on(deployment: Deployment, **storage: object) -> Settings:
    settings = deployment.settings
    return settings.model_copy(update={"storage": settings.storage.model_copy(update=storage)})


async def beat(redis: aioredis.Redis, prefix: str, host: str, age: float = 0.0) -> None:
    await redis.zadd(Keys(prefix).workers, {f"{host}:4242:abcdef": time.time() - age})


async def test_local_storage_with_a_worker_on_another_host_is_an_error_naming_it(
        deployment: Deployment, aredis: aioredis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    await beat(aredis, deployment.prefix, socket.gethostname())
    await beat(aredis, deployment.prefix, "gpu-box-2.internal")
    with caplog.at_level(logging.ERROR, logger="naibot.worker"):
        assert await shared_start_checks(on(deployment, backend="local")) is None, "it starts all the same"
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "storage.backend is local" in error and "gpu-box-2.internal" in error and "minio" in error


async def test_a_chat_bot_on_another_host_counts_too_and_a_long_silent_worker_does_not(
        deployment: Deployment, aredis: aioredis.Redis) -> None:
    settings = on(deployment, backend="local")
    await beat(aredis, deployment.prefix, "old-box", age=3600)
    assert await other_hosts(aredis, settings) == []
    presence = ChatPresence(aredis, deployment.prefix, "telegram")
    presence.host = "bot-box"
    await presence.beat()
    assert await other_hosts(aredis, settings) == ["bot-box"]


async def test_s3_storage_or_a_single_host_says_nothing(deployment: Deployment, aredis: aioredis.Redis,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="naibot.worker"):
        await beat(aredis, deployment.prefix, socket.gethostname())
        assert await shared_start_checks(on(deployment, backend="local")) is None
        await beat(aredis, deployment.prefix, "gpu-box-2.internal")
        assert await shared_start_checks(on(deployment, backend="minio")) is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
