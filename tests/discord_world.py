"""A Discord world for end-to-end tests: the Discord stand-in (REST + gateway), the real bot
(discord.py), and the small deployment of tests/deployment.py (NovelAI stand-in, worker, Redis)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio

from bot.discord_bot import DiscordBot
from naibot.settings import load_settings
from sandbox.discord import DiscordSandbox, DiscordUser, StoredMessage
from tests.deployment import Deployment, bounded

GUILD, SFW, NSFW = 9000, 9001, 9002
OWNER = DiscordUser(1000, "owner", "Owner")
ANN = DiscordUser(2001, "ann", "Ann")
BOB = DiscordUser(2002, "bob", "Bob")
CAT = DiscordUser(2003, "cat", "Cat")
LI = DiscordUser(2004, "li", "Li", locale="zh-CN")
POSITION = re.compile(r"position (\d+) of (\d+)")


@dataclass
class DiscordWorld:
    deployment: Deployment
    discord: DiscordSandbox
    bots: list[DiscordBot] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        limits = self.discord.limits
        return {**self.deployment.env, "DISCORD_TOKEN": self.discord.token, "DISCORD_API_URL": self.discord.api_url,
                "DISCORD_GATEWAY_URL": self.discord.gateway_url, "NAIBOT_DISCORD__GUILDS": f"[{GUILD}]",
                "NAIBOT_DISCORD__CHANNEL_PER_5S": str(limits.channel_per_5s),
                "NAIBOT_DISCORD__GLOBAL_PER_SECOND": str(limits.global_per_second),
                "NAIBOT_QUEUE__MAX_ANLAS_PER_JOB": "20"}

    async def start_bot(self, *, unset: tuple[str, ...] = (), **overrides: str) -> DiscordBot:
        """A bot with the world's environment, ``overrides`` on top, and the ``unset`` variables removed
        (e.g. NOVELAI_EMAIL and NOVELAI_PASSWORD: a deployment without a default account)."""
        env = {name: value for name, value in {**self.env(), **overrides}.items() if name not in unset}
        bot = DiscordBot(load_settings(env=env))
        await bot.start()
        self.bots.append(bot)
        return bot

    async def stop_bot(self, bot: DiscordBot) -> None:
        await bot.stop()
        self.bots.remove(bot)

    def generate(self, user: DiscordUser, prompt: str, channel: int = SFW, **options: object) -> str:
        return self.discord.slash_command(GUILD, channel, user, "generate", {"prompt": prompt, **options})

    async def response(self, interaction_id: str, timeout: float = 10) -> StoredMessage:
        await self.discord.wait_for(lambda: self.discord.interaction_response(interaction_id) is not None, timeout)
        response = self.discord.interaction_response(interaction_id)
        assert response is not None
        return response

    def command(self, who: DiscordUser, name: str, /, channel: int = SFW, **options: object) -> str:
        return self.discord.slash_command(GUILD, channel, who, name, dict(options))

    async def answer(self, interaction_id: str, timeout: float = 10) -> StoredMessage:
        """The interaction's answer once it has content (a deferred "thinking" answer, once filled in)."""
        def ready() -> bool:
            message = self.discord.interaction_response(interaction_id)
            return message is not None and bool(message.content or message.embeds)
        await self.discord.wait_for(ready, timeout)
        response = self.discord.interaction_response(interaction_id)
        assert response is not None
        return response

    async def ask(self, who: DiscordUser, name: str, /, channel: int = SFW, **options: object) -> StoredMessage:
        """Run a slash command and return its (first) answer."""
        return await self.answer(self.command(who, name, channel, **options))

    async def modal(self, interaction_id: str, timeout: float = 10) -> dict[str, Any]:
        """The modal the bot opened in answer to an interaction."""
        await self.discord.wait_for(lambda: self.discord.interaction(interaction_id).modal is not None, timeout)
        modal = self.discord.interaction(interaction_id).modal
        assert modal is not None
        return modal

    async def submit(self, user: DiscordUser, modal: dict[str, Any], channel: int = SFW,
                     **values: str) -> StoredMessage:
        return await self.answer(self.discord.submit_modal(GUILD, channel, user, modal["custom_id"], values))

    async def login(self, user: DiscordUser, **values: str) -> StoredMessage:
        """/login, then the modal submitted with ``token`` or ``email`` + ``password``."""
        return await self.submit(user, await self.modal(self.command(user, "login")), **values)

    def current(self, channel_id: int, message_id: int) -> StoredMessage:
        return next(m for m in self.discord.messages(channel_id) if m.id == message_id)

    def texts_of(self, message_id: int) -> list[str]:
        """Every content the bot edited a message to, in order (interaction webhook or channel edits)."""
        return [c.json.get("content", "") for c in self.discord.calls("PATCH", f"/messages/{message_id}")
                if c.status == 200 and isinstance(c.json, dict) and "content" in c.json]

    def results(self, channel_id: int = SFW) -> list[StoredMessage]:
        bot = self.discord.bot_user_id
        return [m for m in self.discord.messages(channel_id) if m.attachments and m.author_id == bot]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        await self.discord.wait_for(predicate, timeout)


def positions(texts: list[str]) -> list[int]:
    return [int(m.group(1)) for text in texts if (m := POSITION.search(text))]


@pytest_asyncio.fixture
async def discord_world(deployment: Deployment) -> AsyncIterator[DiscordWorld]:
    sandbox = DiscordSandbox(heartbeat_interval_ms=1000)
    await sandbox.start()
    sandbox.add_guild(GUILD, "Artists", owner=OWNER, channels={SFW: False, NSFW: True})
    for user in (ANN, BOB, CAT, LI):
        sandbox.add_member(GUILD, user)
    world = DiscordWorld(deployment, sandbox)
    try:
        yield world
    finally:
        for bot in list(world.bots):
            await bounded(world.stop_bot(bot), "stopping a Discord bot")
        await bounded(sandbox.stop(), "stopping the Discord stand-in")
