"""``naibot telegram`` that cannot start: a token the Bot API rejects, a Bot API nobody answers at.
One line on stderr naming what to check, exit 2, no traceback, and never the token (PTB's own
``InvalidToken`` message quotes it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.cli.common import EXIT_USAGE
from sandbox.telegram import TelegramSandbox
from tests.fixtures.bot_process import bot_env, run_naibot
from tests.fixtures.redis import free_port

# Nearly the stand-in's token: one character off, as a mistyped real one would be.
WRONG_TOKEN = "123456:TEST-sandbox-token-aaaaaaaaaaaaaaaaaaaaaaab"


@pytest_asyncio.fixture
async def telegram() -> AsyncIterator[TelegramSandbox]:
    sandbox = TelegramSandbox()
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def assert_one_line(output: str, line: str) -> None:
    assert output.strip().splitlines() == [line], output
    assert "Traceback" not in output


async def test_a_token_the_bot_api_rejects_is_one_line_and_exit_2_without_the_token(
        telegram: TelegramSandbox, redis_prefix: str, tmp_path: Path) -> None:
    assert telegram.token != WRONG_TOKEN
    env = bot_env(redis_prefix, tmp_path, TELEGRAM_TOKEN=WRONG_TOKEN, TELEGRAM_API_URL=telegram.url)
    finished = await run_naibot("telegram", env=env)
    assert finished.returncode == EXIT_USAGE, finished.output
    assert_one_line(finished.output, "naibot: Telegram rejected TELEGRAM_TOKEN (check it with @BotFather)")
    assert WRONG_TOKEN not in finished.output and "TEST-sandbox-token" not in finished.output
    # It asked once (getMe) and gave up: no retry loop against a token that will not work.
    assert [call.status for call in telegram.calls("getMe")] == [401]


async def test_an_unreachable_bot_api_is_one_line_naming_the_url_and_exit_2(
        telegram: TelegramSandbox, redis_prefix: str, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = bot_env(redis_prefix, tmp_path, TELEGRAM_TOKEN=telegram.token, TELEGRAM_API_URL=closed)
    finished = await run_naibot("telegram", env=env)
    assert finished.returncode == EXIT_USAGE, finished.output
    assert_one_line(finished.output, f"naibot: cannot reach the Telegram Bot API at {closed} (connection refused); "
                                     "check TELEGRAM_API_URL and the network")
    assert telegram.token not in finished.output and "TEST-sandbox-token" not in finished.output
