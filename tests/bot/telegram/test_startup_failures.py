"""``naibot telegram`` that cannot start: a token the Bot API rejects, a Bot API nobody answers at.
One line on stderr naming what to check, exit 2, no traceback, and never the token (PTB's own
``InvalidToken`` message quotes it)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.cli.common import EXIT_USAGE
from naibot.deployment_salt import load_salt
from naibot.key_check import SecretKeyMismatch, verify_secret_key
from naibot.secrets import SecretBox
from sandbox.telegram import TelegramSandbox
from tests.fixtures.bot_process import NAIBOT, bot_env, kill_group, run_naibot
from tests.fixtures.redis import TEST_SECRET_KEY, free_port
from tests.fixtures.telegram_e2e import ANN

# Nearly the stand-in's token: one character off, as a mistyped real one would be.
WRONG_TOKEN = "123456:TEST-sandbox-token-aaaaaaaaaaaaaaaaaaaaaaab"
BLIP_TIMEOUT = 60.0


@pytest.fixture
def telegram(telegram_sandbox: TelegramSandbox) -> TelegramSandbox:
    return telegram_sandbox


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


async def line_with(stream: asyncio.StreamReader, text: str) -> str:
    """Read the stream up to and including the first line holding ``text``; all it read."""
    seen = ""
    while True:
        line = (await stream.readline()).decode(errors="replace")
        assert line, f"the stream ended before {text!r}:\n{seen[-3000:]}"
        seen += line
        if text in line:
            return seen


async def test_a_bot_api_that_goes_away_after_the_start_is_retried_until_it_is_back(
        redis_prefix: str, aredis: object, tmp_path: Path) -> None:
    """Only the *start* gives up: once polling, a Bot API that vanishes (a network blip, a restart)
    is retried by PTB's updater, and the same process answers when it is back."""
    first = TelegramSandbox()
    await first.start()
    port = int(first.url.rsplit(":", 1)[1])
    env = bot_env(redis_prefix, tmp_path, TELEGRAM_TOKEN=first.token, TELEGRAM_API_URL=first.url)
    process = await asyncio.create_subprocess_exec(
        str(NAIBOT), "telegram", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True)
    second = TelegramSandbox()
    failed = ""
    try:
        await first.wait_for(lambda: bool(first.calls("deleteWebhook")), BLIP_TIMEOUT)  # polling
        await first.stop()
        assert process.stderr is not None
        failed = await asyncio.wait_for(line_with(process.stderr, "polling: the Bot API call failed"), BLIP_TIMEOUT)
        await second.start(port=port)  # the same Bot API, back after a moment, nothing remembered
        command = second.user_message(ANN.id, ANN, "/help")
        await second.wait_for(lambda: any(m.reply_to_message_id == command["message_id"]
                                          for m in second.bot_messages(ANN.id)), BLIP_TIMEOUT)
        assert process.returncode is None
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), BLIP_TIMEOUT)
    finally:
        if process.returncode is None:
            kill_group(process.pid)
            await process.wait()
        await second.stop()
    everything = failed + stderr.decode(errors="replace")
    assert process.returncode == 0, everything[-3000:]
    assert "naibot: " not in everything and "Traceback" not in everything, everything[-3000:]


async def test_a_secret_key_that_is_not_the_deployments_is_one_line_and_exit_2(
        telegram: TelegramSandbox, redis_prefix: str, tmp_path: Path, aredis: aioredis.Redis) -> None:
    """The deployment's key is recorded (another process holds it); this bot, given another one,
    would seal the logins people send it where no other process can open them: it does not start."""
    box = SecretBox("the deployment's real key, held by every other process", await load_salt(aredis, redis_prefix))
    await verify_secret_key(aredis, redis_prefix, box)
    env = bot_env(redis_prefix, tmp_path, TELEGRAM_TOKEN=telegram.token, TELEGRAM_API_URL=telegram.url)
    finished = await run_naibot("telegram", env=env)
    assert finished.returncode == EXIT_USAGE, finished.output
    (line,) = [line for line in finished.output.strip().splitlines() if line.startswith("naibot: ")]
    assert line == f"naibot: {SecretKeyMismatch(redis_prefix)}"
    assert "Traceback" not in finished.output and TEST_SECRET_KEY not in finished.output
