"""``naibot discord`` that cannot start: a token Discord rejects (401 on ``/users/@me``), a REST API
or a gateway nobody answers at. One line on stderr naming what to check, exit 2, no traceback, and
never the token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.cli.common import EXIT_USAGE
from sandbox.discord import DiscordSandbox
from tests.fixtures.bot_process import Finished, bot_env, run_naibot
from tests.fixtures.redis import free_port

# The shape of a real bot token (three base64url parts), but not the stand-in's.
WRONG_TOKEN = "MTIwMDk5OTk5OTk5OTk5OTk5OQ.GxYzAb.wrong-discord-token-zzzzzzzzzzzzzzzzzzz"


@pytest_asyncio.fixture
async def discord() -> AsyncIterator[DiscordSandbox]:
    sandbox = DiscordSandbox()
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def assert_ends_with_one_line(finished: Finished, line: str) -> None:
    """Exit 2, the line last on stderr, no traceback, no ERROR from discord.py before it."""
    assert finished.returncode == EXIT_USAGE, finished.output
    assert finished.stderr.strip().splitlines()[-1] == line, finished.output
    assert "Traceback" not in finished.output and " ERROR " not in finished.output, finished.output


async def test_a_token_discord_rejects_is_one_line_and_exit_2_without_the_token(
        discord: DiscordSandbox, redis_prefix: str, tmp_path: Path) -> None:
    env = bot_env(redis_prefix, tmp_path, DISCORD_TOKEN=WRONG_TOKEN, DISCORD_API_URL=discord.api_url,
                  DISCORD_GATEWAY_URL=discord.gateway_url)
    finished = await run_naibot("discord", env=env)
    assert_ends_with_one_line(
        finished, "naibot: Discord rejected DISCORD_TOKEN (check it in the Developer Portal, Bot tab: Reset Token)")
    assert WRONG_TOKEN not in finished.output and "wrong-discord-token" not in finished.output
    assert not discord.connected()


async def test_an_unreachable_discord_api_is_one_line_naming_the_url_and_exit_2(
        discord: DiscordSandbox, redis_prefix: str, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/v10"
    env = bot_env(redis_prefix, tmp_path, DISCORD_TOKEN=discord.token, DISCORD_API_URL=closed,
                  DISCORD_GATEWAY_URL=discord.gateway_url)
    finished = await run_naibot("discord", env=env)
    assert_ends_with_one_line(finished, f"naibot: cannot reach the Discord API at {closed} (connection refused); "
                                        "check DISCORD_API_URL and the network")
    assert discord.token not in finished.output


async def test_an_unreachable_gateway_at_start_is_one_line_naming_the_url_and_exit_2(
        discord: DiscordSandbox, redis_prefix: str, aredis: object, tmp_path: Path) -> None:
    closed = f"ws://127.0.0.1:{free_port()}"
    env = bot_env(redis_prefix, tmp_path, DISCORD_TOKEN=discord.token, DISCORD_API_URL=discord.api_url,
                  DISCORD_GATEWAY_URL=closed)
    finished = await run_naibot("discord", env=env)
    assert_ends_with_one_line(finished, f"naibot: cannot reach the Discord gateway at {closed} (connection refused); "
                                        "check DISCORD_GATEWAY_URL and the network")
    assert discord.token not in finished.output
