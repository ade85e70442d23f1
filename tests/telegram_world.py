"""A Telegram world for end-to-end tests: the Bot API stand-in, the real bot (python-telegram-bot),
and the small deployment of tests/deployment.py (NovelAI stand-in, real worker, Redis)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest_asyncio

from bot.telegram_bot import TelegramBot
from naibot.settings import load_settings
from sandbox.telegram import FloodLimits, SandboxUser, StoredMessage, TelegramSandbox
from tests.deployment import Deployment, bounded

ANN = SandboxUser(4242, "Ann", "ann", "en")
BOB = SandboxUser(5151, "Bob", "bob", "en")
CAT = SandboxUser(6161, "Cat", "cat", "en")
LI = SandboxUser(7171, "Li", "li", "zh-hans")
GROUP = -100_555
POSITION = re.compile(r"position (\d+) of (\d+)")
# Telegram's limits, sped up 30 times so tests take seconds; the bot is configured to match, and
# the stand-in enforces them (429 with retry_after), so pacing is exercised exactly as in production.
FAST_LIMITS = FloodLimits(private_per_second=30.0, private_burst=3, group_per_minute=600, global_per_second=900)


@dataclass
class TelegramWorld:
    deployment: Deployment
    telegram: TelegramSandbox
    bots: list[TelegramBot] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {**self.deployment.env, "TELEGRAM_TOKEN": self.telegram.token, "TELEGRAM_API_URL": self.telegram.url,
                # Two images cost 2 Anlas on Opus; the tests' jobs may spend a little.
                "NAIBOT_QUEUE__MAX_ANLAS_PER_JOB": "20",
                "NAIBOT_TELEGRAM__PRIVATE_PER_SECOND": str(self.telegram.limits.private_per_second),
                "NAIBOT_TELEGRAM__GROUP_PER_MINUTE": str(self.telegram.limits.group_per_minute),
                "NAIBOT_TELEGRAM__GLOBAL_PER_SECOND": str(self.telegram.limits.global_per_second)}

    async def start_bot(self, **overrides: str) -> TelegramBot:
        bot = TelegramBot(load_settings(env={**self.env(), **overrides}))
        await bot.start()
        self.bots.append(bot)
        return bot

    async def stop_bot(self, bot: TelegramBot) -> None:
        await bot.stop()
        self.bots.remove(bot)

    def say(self, user: SandboxUser, text: str, *, chat_id: int | None = None) -> dict:
        """A user writes in a private chat (default) or in the test group."""
        if chat_id is None:
            return self.telegram.user_message(user.id, user, text)
        return self.telegram.user_message(chat_id, user, text, chat_type="supergroup", chat_title="Artists")

    def replies_to(self, chat_id: int, message_id: int) -> list[StoredMessage]:
        return [m for m in self.telegram.bot_messages(chat_id) if m.reply_to_message_id == message_id]

    async def status_message(self, chat_id: int, command: dict, timeout: float = 10) -> StoredMessage:
        """The bot's status message answering a command."""
        found: list[StoredMessage] = []

        def answered() -> bool:
            found[:] = self.replies_to(chat_id, command["message_id"])
            return bool(found)

        await self.telegram.wait_for(answered, timeout)
        return found[0]

    def current(self, chat_id: int, message_id: int) -> StoredMessage:
        return next(m for m in self.telegram.messages(chat_id) if m.message_id == message_id)

    def texts_of(self, chat_id: int, message_id: int) -> list[str]:
        """Every text the bot edited the status message to, in order."""
        return [c.params.get("text", "") for c in self.telegram.calls("editMessageText", chat_id)
                if c.status == 200 and int(c.params.get("message_id", 0)) == message_id]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        await self.telegram.wait_for(predicate, timeout)


def positions(texts: list[str]) -> list[int]:
    return [int(m.group(1)) for text in texts if (m := POSITION.search(text))]


@pytest_asyncio.fixture
async def telegram_world(deployment: Deployment) -> AsyncIterator[TelegramWorld]:
    telegram = TelegramSandbox(limits=FAST_LIMITS)
    await telegram.start()
    world = TelegramWorld(deployment, telegram)
    try:
        yield world
    finally:
        for bot in list(world.bots):
            await bounded(world.stop_bot(bot), "stopping a Telegram bot")
        await bounded(telegram.stop(), "stopping the Telegram stand-in")
