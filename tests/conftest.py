"""Shared fixtures: an offline NovelAI (sandbox/novelai.py) per test, so no test ever reaches novelai.net."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from sandbox.novelai import NovelAISandbox

# Every log line of the run goes to .test-logs/ for the whole-suite redaction audit (make test).
pytest_plugins = ["tests.log_audit"]


@pytest_asyncio.fixture
async def novelai_sandbox() -> AsyncIterator[NovelAISandbox]:
    """A started sandbox with the default accounts; fresh per test because tests spend its Anlas."""
    sandbox = NovelAISandbox()
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await asyncio.wait_for(sandbox.stop(), 20)


@pytest.fixture
def novelai_sandbox_url(novelai_sandbox: NovelAISandbox) -> str:
    """The base URL to configure as both api_url and image_url."""
    return novelai_sandbox.url


# Redis fixtures (a key prefix per test on the shared server) live in their own module.
# A small real deployment (stand-in + Dramatiq worker processes) for end-to-end queue tests.
from tests.deployment import deployment  # noqa: E402, F401

# The Discord stand-in and the real bot on top of that deployment.
from tests.discord_world import discord_world  # noqa: E402, F401
from tests.redis_fixtures import aredis, redis_prefix  # noqa: E402, F401

# The Telegram stand-in and the real bot on top of that deployment.
from tests.telegram_world import telegram_world  # noqa: E402, F401
