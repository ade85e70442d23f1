"""``naibot settings check --connect`` asks Redis, NovelAI, the Telegram Bot API and Discord once each,
one line per check: ok, FAILED with the reason and the fix, or skipped (first-run report finding 9).
Driven against the real Redis, the stand-ins, and closed ports; the command runs as a process."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio

from bot.cli.common import EXIT_FAILED, EXIT_OK
from sandbox.discord import DiscordSandbox
from sandbox.novelai import NovelAISandbox
from sandbox.novelai.accounts import OPUS_TOKEN
from sandbox.telegram import TelegramSandbox
from tasks.launch import ROOT
from tests.fixtures.environment import DEPLOYMENT_VARIABLES
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY, free_port

CHECK_LINE = re.compile(r"^(redis|novelai|telegram|discord) +(ok|FAILED|skipped)\b(.*)$")
WRONG_NOVELAI_TOKEN = "pst-" + "w" * 64
WRONG_TELEGRAM_TOKEN = "123456:TEST-sandbox-token-wwwwwwwwwwwwwwwwwwwwwwww"
WRONG_DISCORD_TOKEN = "MTIwMA.sandbox.discord-bot-token-wwwwwwwwwwwwwwwwwwwwww"


@dataclass
class StandIns:
    novelai: NovelAISandbox
    telegram: TelegramSandbox
    discord: DiscordSandbox

    def env(self, redis_prefix: str, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(DEPLOYMENT_VARIABLES)}
        env.update({
            "NAIBOT_SETTINGS": os.devnull, "NAIBOT_SECRET_KEY": TEST_SECRET_KEY, "PYTHONPATH": str(ROOT),
            "REDIS_URL": REDIS_URL, "NAIBOT_REDIS__PREFIX": redis_prefix,
            "NOVELAI_API_URL": self.novelai.url, "NOVELAI_IMAGE_URL": self.novelai.url, "NOVELAI_TOKEN": OPUS_TOKEN,
            "TELEGRAM_API_URL": self.telegram.url, "TELEGRAM_TOKEN": self.telegram.token,
            "DISCORD_API_URL": self.discord.api_url, "DISCORD_TOKEN": self.discord.token,
        })
        env.update(overrides)
        return {k: v for k, v in env.items() if v}  # "" = leave it out


@pytest_asyncio.fixture
async def stand_ins(novelai_sandbox: NovelAISandbox) -> AsyncIterator[StandIns]:
    telegram, discord = TelegramSandbox(), DiscordSandbox()
    await telegram.start()
    await discord.start()
    try:
        yield StandIns(novelai_sandbox, telegram, discord)
    finally:
        await asyncio.wait_for(telegram.stop(), 20)
        await asyncio.wait_for(discord.stop(), 20)


async def connect_check(env: dict[str, str]) -> tuple[int, dict[str, tuple[str, str]], str]:
    """Exit status, {check: (outcome, rest of its line)}, and all the output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "settings", "check", "--connect", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), 90)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = out.decode()
    checks = {m[1]: (m[2], m[3]) for line in text.splitlines() if (m := CHECK_LINE.match(line))}
    assert process.returncode is not None
    return process.returncode, checks, text + err.decode()


async def test_every_check_passes_against_a_deployment_that_works(stand_ins: StandIns, redis_prefix: str) -> None:
    status, checks, output = await connect_check(stand_ins.env(redis_prefix))
    assert status == EXIT_OK, output
    assert checks == {
        "redis": ("ok", f" (PONG from {REDIS_URL})"),
        "novelai": ("ok", " (NOVELAI_TOKEN accepted: Opus, 1000 Anlas)"),
        "telegram": ("ok", " (TELEGRAM_TOKEN is the bot @naibot_test_bot)"),
        "discord": ("ok", checks["discord"][1]),
    }
    assert checks["discord"][1].startswith(" (DISCORD_TOKEN is the bot ")


async def test_each_rejected_credential_fails_with_its_fix_and_without_its_value(stand_ins: StandIns,
                                                                                redis_prefix: str) -> None:
    env = stand_ins.env(redis_prefix, NOVELAI_TOKEN=WRONG_NOVELAI_TOKEN, TELEGRAM_TOKEN=WRONG_TELEGRAM_TOKEN,
                        DISCORD_TOKEN=WRONG_DISCORD_TOKEN)
    status, checks, output = await connect_check(env)
    assert status == EXIT_FAILED, output
    assert checks["redis"][0] == "ok"
    assert checks["novelai"] == ("FAILED", ": NovelAI refused NOVELAI_TOKEN; fix: copy a persistent API token "
                                           "(pst-...) from NovelAI's account settings into it")
    assert checks["telegram"] == ("FAILED", ": Telegram rejected TELEGRAM_TOKEN (HTTP 401); fix: copy the bot's "
                                            "token from @BotFather (/token) into it")
    assert checks["discord"] == ("FAILED", ": Discord rejected DISCORD_TOKEN (HTTP 401); fix: copy the token from "
                                           "the Developer Portal's Bot page (Reset Token) into it")
    for token in (WRONG_NOVELAI_TOKEN, WRONG_TELEGRAM_TOKEN, WRONG_DISCORD_TOKEN, "wwwwwwwwwwww"):
        assert token not in output


async def test_each_service_that_cannot_be_reached_fails_naming_where_it_was_looked_for(
        stand_ins: StandIns, redis_prefix: str) -> None:
    closed = free_port()
    nowhere = f"http://127.0.0.1:{closed}"
    env = stand_ins.env(redis_prefix, REDIS_URL=f"redis://127.0.0.1:{closed}/0", NOVELAI_API_URL=nowhere,
                        NOVELAI_IMAGE_URL=nowhere, TELEGRAM_API_URL=nowhere, DISCORD_API_URL=f"{nowhere}/api/v10")
    status, checks, output = await connect_check(env)
    assert status == EXIT_FAILED, output
    outcome = {name: line[0] for name, line in checks.items()}
    assert outcome == {"redis": "FAILED", "novelai": "FAILED", "telegram": "FAILED", "discord": "FAILED"}
    assert checks["redis"][1].startswith(f": no answer from redis://127.0.0.1:{closed}/0 (ConnectionError: ")
    assert checks["redis"][1].endswith("; fix: start Redis there, or correct REDIS_URL")
    assert checks["novelai"][1] == (f": NovelAI could not be reached at {nowhere}; fix: check the network, or "
                                    "NOVELAI_API_URL and NOVELAI_IMAGE_URL")
    assert checks["telegram"][1] == (f": the Bot API at {nowhere} could not be reached (ConnectError); fix: check "
                                     "the network, or TELEGRAM_API_URL")
    assert checks["discord"][1].startswith(f": the Discord API at {nowhere}/api/v10 could not be reached")
    assert stand_ins.telegram.token not in output and stand_ins.discord.token not in output


async def test_a_platform_without_a_token_is_skipped(stand_ins: StandIns, redis_prefix: str) -> None:
    env = stand_ins.env(redis_prefix, TELEGRAM_TOKEN="", DISCORD_TOKEN="", NOVELAI_TOKEN="")
    status, checks, output = await connect_check(env)
    assert status == EXIT_OK, output
    assert checks == {
        "redis": checks["redis"],
        "novelai": ("skipped", " (no NOVELAI_TOKEN, nor NOVELAI_EMAIL with NOVELAI_PASSWORD)"),
        "telegram": ("skipped", " (TELEGRAM_TOKEN is not set)"),
        "discord": ("skipped", " (DISCORD_TOKEN is not set)"),
    }
    assert checks["redis"][0] == "ok"


async def test_a_settings_problem_still_exits_2_after_the_checks(stand_ins: StandIns, redis_prefix: str) -> None:
    status, checks, output = await connect_check(stand_ins.env(redis_prefix, TELEGRAM_TOKEN="123456:ABC..."))
    assert status == 2, output
    assert "naibot: TELEGRAM_TOKEN is a placeholder" in output
    assert checks["telegram"][0] == "FAILED" and checks["redis"][0] == "ok"
