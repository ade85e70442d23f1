"""Shared fixtures: an offline NovelAI (sandbox/novelai/server.py) per test, so no test ever reaches novelai.net."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from sandbox.discord import DiscordSandbox
from sandbox.novelai import NovelAISandbox
from sandbox.telegram import TelegramSandbox

pytest_plugins = [
    "tests.fixtures.log_audit",  # every log line of the run to .test-logs/ for the redaction audit (make test)
    "tests.fixtures.redis",  # a key prefix per test on the shared Redis
    "tests.fixtures.deployment",  # a small real deployment: stand-in + Dramatiq worker processes
    "tests.fixtures.telegram_e2e",  # the Telegram stand-in and the real bot on that deployment
    "tests.fixtures.discord_e2e",  # the Discord stand-in and the real bot on that deployment
    "tests.fixtures.chat",  # the command layer with recording doubles instead of a platform
    "tests.fixtures.environment",  # bare_environment: no deployment variable from the developer's shell
    "tests.fixtures.cli_operator",  # cli_deployment, operator: naibot subcommands against a stand-in and a key prefix
    "tests.fixtures.admin_site",  # site: the real HTTP application under uvicorn with an admin and a user key
    "tests.fixtures.chat_restarts",  # bots: chat bot processes a test kills and restarts on one Redis prefix
]


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


@pytest_asyncio.fixture
async def telegram_sandbox() -> AsyncIterator[TelegramSandbox]:
    """A started Telegram Bot API stand-in with its default token and Telegram's real limits."""
    sandbox = TelegramSandbox()
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await asyncio.wait_for(sandbox.stop(), 20)


@pytest_asyncio.fixture
async def discord_sandbox() -> AsyncIterator[DiscordSandbox]:
    """A started Discord stand-in (REST + gateway) with its default token and no guilds."""
    sandbox = DiscordSandbox()
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await asyncio.wait_for(sandbox.stop(), 20)
