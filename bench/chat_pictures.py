"""Benchmark of pictures in chat (issue 17): Bot API / REST calls per image-input job and the time from the
user's command to the bot's status message, next to a text-only job, on Telegram and on Discord. Prints
figures, asserts nothing.

Each platform in turn: the real bot (``bot.telegram.adapter.TelegramBot`` / ``bot.discord.adapter.DiscordBot``)
runs in this process against its stand-in (``sandbox.telegram`` / ``sandbox.discord``, in their own thread and
event loop, with the platforms' REAL default limits, which the bot's default pacing matches); jobs go through a
real Dramatiq worker (1 process x 4 threads, started as in production by ``tasks.launch``) to the NovelAI
stand-in (its own process, ``--step-latency 0.015``). Every job is 512x512, 8 steps, one picture.

Scenarios, each run ``RUNS`` times, one job at a time on an idle bot (every status message final, nothing
paced, then a quiet ``QUIET`` s so no rate window carries over):
  Telegram, private chats with one user each:
    (1) text-only ``/generate a quiet lake size:512x512 steps:8``;
    (2) a photo (a 512x512 PNG, which Telegram stores as a photo) captioned ``/generate a quiet lake
        strength:0.6 size:512x512 steps:8``: the bot downloads it (getFile + the file);
    (3) a reply ``/enhance`` to one of the bot's results from (1): read from storage, nothing downloaded;
    (4) the ✨ Enhance button (callback data ``enh:...``) of a result from (1).
  Discord, guild channels:
    (1) text-only ``/generate``; (2) ``/generate`` with the PNG as its ``image`` attachment (downloaded from
    the CDN); (3) the "Enhance" message context menu on a result from (1); (4) that result's Enhance button.
  (1) and (2) run in fresh chats/channels (one per run); (3) and (4) act on the result (1) left in the same
  chat/channel, at least 10 s later (its rate windows long refilled).

Measured per job, from the command until the result is posted and the bot is idle (its status message final):
  * calls: every Bot API call (Telegram; getUpdates, the long poll, not counted) or REST call (Discord; the
    gateway is not REST) the stand-in recorded, in total and by method / route;
  * downloads of the user's picture: Telegram getFile calls plus file downloads (``/file/bot...``, counted by
    a subclass of the stand-in: the stand-in itself does not count them), Discord CDN downloads
    (``stats.downloads``);
  * command -> status: the stand-in's record of the bot's first message for the command (Telegram: the arrival
    time of the first successful sendMessage/sendPhoto into the chat; Discord: ``created_at`` of the first
    non-ephemeral message in the channel not the user's: the interaction's response or a follow-up) minus
    the time just before the user's command was handed to the stand-in;
  * Discord also command -> callback: the arrival of the interaction's callback (the first answer the user
    sees; with a picture to read or a button pressed it is an ephemeral note and the status a follow-up).
Printed as min / median / max over the runs, with the calls per job by method or route, which message was
the status message, and the last run's calls in order (ms after the command, first words sent).
A warm-up job per platform (NovelAI login, connection pools) comes first and is not counted.

The worker and the NovelAI stand-in run in their own process groups, always killed at the end. Every Redis key
lives under one ``naibot-bench:<random>`` prefix and is deleted afterwards (never FLUSHDB).
Run: ``.venv/bin/python bench/chat_pictures.py``.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0]; bench/telegram.py and bench/discord.py would shadow the
# ``telegram`` and ``discord`` packages the bots import: the repo root takes its place.
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import io
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from aiohttp import web
from PIL import Image

from bench.common import (
    BenchSession,
    ChatWorld,
    bench_session,
    deployment_env,
    discord_env,
    running_bot,
    spread,
    start_novelai_stand_in,
    tally,
    telegram_env,
    wait_until_idle,
)
from bot.discord.adapter import DiscordBot
from bot.telegram.adapter import TelegramBot
from sandbox.discord import Call, DiscordSandbox, DiscordUser, RateLimits, StoredMessage, running_discord
from sandbox.observed import run_in_thread
from sandbox.telegram import FloodLimits, SandboxUser, TelegramSandbox

NOVELAI_EMAIL = "bench-pictures@example.com"
NOVELAI_PASSWORD = "bench-pictures-password"
STEP_LATENCY = 0.015
WORKER_THREADS = 4
RUNS = 5
QUIET = 1.2  # s after idle before the next command: Telegram's and Discord's 1 s global windows refill
RESULT_TIMEOUT = 60.0
SMALL = "size:512x512 steps:8"
PROMPT = "a quiet lake"
# Telegram methods that put a new message in a chat: the first successful one after a command is its status.
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage"})
CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
SHORT = {CALLBACK: "callback", "POST /webhooks/{webhook_id}/{webhook_token}": "follow-up",
         "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": "webhook edit",
         "POST /channels/{channel_id}/messages": "channel message",
         "PATCH /channels/{channel_id}/messages/{message_id}": "channel edit"}
GUILD = 7500
OWNER = DiscordUser(7501, "pictures_owner", "Pictures Owner")


@dataclass
class Figures:
    """One scenario's runs: calls per job, downloads per job, command -> status (s), and every call's
    method or route summed over the runs."""

    label: str
    calls: list[float] = field(default_factory=list)
    downloads: list[float] = field(default_factory=list)
    to_status: list[float] = field(default_factory=list)
    names: Counter[str] = field(default_factory=Counter)
    to_answer: list[float] = field(default_factory=list)  # Discord: command -> the interaction's callback
    status: str = ""  # what the status message of the last run was (how it was sent)
    timeline: str = ""  # the last run's calls, ms after the command

    def add(self, names: list[str], downloads: int, to_status: float, status: str, timeline: str) -> None:
        self.calls.append(len(names))
        self.downloads.append(downloads)
        self.to_status.append(to_status)
        self.names.update(names)
        self.status, self.timeline = status, timeline


def excerpt(text: str | None, length: int = 40) -> str:
    flat = (text or "").replace("\n", " ")
    return repr(flat[:length] + ("..." if len(flat) > length else ""))


def picture() -> bytes:
    """The user's picture: a 512x512 PNG with some structure (a gradient), as a photo or attachment."""
    image = Image.linear_gradient("L").resize((512, 512)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def print_table(platform: str, kind: str, figures: list[Figures]) -> None:
    print(f"\n{platform}: {RUNS} jobs per scenario, one at a time on an idle bot; min / median / max per job")
    answer = any(f.to_answer for f in figures)
    head = (f"  {'scenario':<34} {kind + ' calls':>16} {'downloads':>11} {'command -> status ms':>22}"
            + (f" {'command -> callback ms':>24}" if answer else ""))
    print(head)
    print("  " + "-" * (len(head) - 2))
    for f in figures:
        print(f"  {f.label:<34} {spread(f.calls):>16} {spread(f.downloads):>11} {spread(f.to_status, 1000):>22}"
              + (f" {spread(f.to_answer, 1000):>24}" if answer else ""))
    for f in figures:
        print(f"  {f.label}: {kind} calls per job by {'method' if platform == 'Telegram' else 'route'}: "
              f"{tally(f.names.elements(), RUNS)}; the status message: {f.status}")
        print(f"      the last run's calls, ms after the command: {f.timeline}")


async def wait_for(check_alive: Callable[[], None], ready: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``ready`` every 0.05 s, stopping for a dead worker or after ``RESULT_TIMEOUT``."""
    deadline = time.monotonic() + RESULT_TIMEOUT
    while not await ready():
        check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {RESULT_TIMEOUT:.0f} s")
        await asyncio.sleep(0.05)


# -- Telegram ---------------------------------------------------------------------------------------


class CountingTelegram(TelegramSandbox):
    """The Bot API stand-in, counting file downloads (``/file/bot<token>/<path>``), which it serves but
    does not record as calls (they are no Bot API methods). Only takes notes: the answer is unchanged."""

    def __init__(self) -> None:
        super().__init__(limits=FloodLimits())
        self.file_downloads = 0

    async def _download(self, request: web.Request) -> web.Response:
        self.file_downloads += 1
        return await super()._download(request)


@dataclass
class TelegramRun(ChatWorld):
    telegram: CountingTelegram
    bot: TelegramBot

    async def photos(self, chat_id: int) -> list[int]:
        """The bot's photo messages (results) in a chat, oldest first."""
        messages = await asyncio.to_thread(self.telegram.bot_messages, chat_id)
        return [m.message_id for m in messages if m.photo]

    async def enhance_button(self, chat_id: int, message_id: int) -> str:
        messages = await asyncio.to_thread(self.telegram.bot_messages, chat_id)
        message = next(m for m in messages if m.message_id == message_id)
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if str(button.get("callback_data", "")).startswith("enh:"):
                    return str(button["callback_data"])
        raise RuntimeError(f"no Enhance button on result {message_id}: {message.reply_markup}")

    async def one_job(self, chat_id: int, command: Callable[[], object], figures: Figures | None) -> int:
        """Run one job from ``command`` in ``chat_id``; note its figures; return its result's message id."""
        telegram = self.telegram
        before = len(await asyncio.to_thread(telegram.calls))
        downloads_before = telegram.file_downloads
        results = len(await self.photos(chat_id))
        started = time.time()
        await asyncio.to_thread(command)

        async def posted() -> bool:
            return len(await self.photos(chat_id)) > results

        await wait_for(self.check_alive, posted, f"Telegram result in chat {chat_id}")
        await wait_until_idle(self.bot, self.check_alive, timeout=RESULT_TIMEOUT)
        calls = [c for c in (await asyncio.to_thread(telegram.calls))[before:] if c.method != "getUpdates"]
        first = min((c for c in calls if c.method in SENDS and c.status == 200 and c.chat_id == chat_id),
                    key=lambda c: c.time)
        downloads = sum(1 for c in calls if c.method == "getFile") + telegram.file_downloads - downloads_before
        if figures is not None:
            timeline = ", ".join(f"+{(c.time - started) * 1000:.0f} {c.method} "
                                 f"{excerpt(c.params.get('text') or c.params.get('caption'), 24)}" for c in calls)
            figures.add([c.method for c in calls], downloads, first.time - started, f"its {first.method}", timeline)
        await asyncio.sleep(QUIET)
        return (await self.photos(chat_id))[-1]


async def telegram_part(session: BenchSession, novelai_url: str) -> list[Figures]:
    async def create() -> CountingTelegram:
        sandbox = CountingTelegram()
        await sandbox.start()
        return sandbox

    with run_in_thread(create, "telegram-sandbox") as telegram:
        env = deployment_env(prefix=f"{session.base}:tg", tmp=session.tmp, novelai_url=novelai_url,
                             email=NOVELAI_EMAIL, password=NOVELAI_PASSWORD, images=session.tmp / "images-tg",
                             **telegram_env(telegram))
        async with running_bot(TelegramBot, env, session.procs, WORKER_THREADS) as (_settings, services, worker, bot):
            run = TelegramRun(services=services, worker=worker, procs=session.procs, prefix=f"{session.base}:tg",
                              telegram=telegram, bot=bot)
            photo = picture()
            text = f"/generate {PROMPT} {SMALL}"
            warm = SandboxUser(61_000, "Warm", "warm", "en")
            await run.one_job(warm.id, lambda: telegram.user_message(warm.id, warm, text), None)

            lone = [SandboxUser(62_000 + k, f"Lone{k}", f"lone{k}", "en") for k in range(RUNS)]
            shown = [SandboxUser(63_000 + k, f"Shown{k}", f"shown{k}", "en") for k in range(RUNS)]
            figures = [Figures("(1) text-only /generate"), Figures("(2) photo captioned /generate"),
                       Figures("(3) reply /enhance to a result"), Figures("(4) ✨ Enhance button of a result")]
            sources: list[int] = []
            for user in lone:
                sources.append(await run.one_job(user.id, partial(telegram.user_message, user.id, user, text),
                                                 figures[0]))
            caption = f"/generate {PROMPT} strength:0.6 {SMALL}"
            for user in shown:
                await run.one_job(user.id, partial(telegram.user_message, user.id, user, caption, photo=photo),
                                  figures[1])
            for user, source in zip(lone, sources, strict=True):
                await run.one_job(user.id, partial(telegram.user_message, user.id, user, "/enhance", reply_to=source),
                                  figures[2])
            for user, source in zip(lone, sources, strict=True):
                data = await run.enhance_button(user.id, source)
                await run.one_job(user.id, partial(telegram.press_button, user.id, source, user, data), figures[3])
            print(f"Telegram: the stand-in answered 429 {telegram.stats.too_many_requests} times")
            return figures


# -- Discord ----------------------------------------------------------------------------------------


@dataclass
class DiscordRun(ChatWorld):
    discord: DiscordSandbox
    bot: DiscordBot

    async def results(self, channel_id: int) -> list[StoredMessage]:
        """The bot's messages with attachments (results) in a channel, oldest first."""
        messages = await asyncio.to_thread(self.discord.messages, channel_id)
        return [m for m in messages if m.attachments and m.author_id == self.discord.bot_user_id]

    async def one_job(self, channel_id: int, user: DiscordUser, command: Callable[[], str],
                      figures: Figures | None) -> StoredMessage:
        """Run one job from ``command`` in ``channel_id``; note its figures; return its result message."""
        discord = self.discord
        before = len(await asyncio.to_thread(discord.calls))
        downloads_before = sum(discord.stats.downloads.values())
        results = len(await self.results(channel_id))
        started = time.time()
        interaction_id = await asyncio.to_thread(command)

        async def posted() -> bool:
            return len(await self.results(channel_id)) > results

        await wait_for(self.check_alive, posted, f"Discord result in channel {channel_id}")
        await wait_until_idle(self.bot, self.check_alive, timeout=RESULT_TIMEOUT)
        calls = (await asyncio.to_thread(discord.calls))[before:]
        messages = await asyncio.to_thread(discord.messages, channel_id)
        first = min((m for m in messages
                     if m.created_at >= started and m.ephemeral_for is None and m.author_id != user.id),
                    key=lambda m: m.created_at)
        if figures is not None:
            record = await asyncio.to_thread(discord.interaction, interaction_id)
            how = ("the interaction's response" if first.id == record.response_message_id else
                   "a follow-up" if first.id in record.followup_ids else "a channel message")
            figures.add([c.route for c in calls], sum(discord.stats.downloads.values()) - downloads_before,
                        first.created_at - started, how, ", ".join(f"+{(c.time - started) * 1000:.0f} {said(c)}"
                                                                   for c in calls))
            figures.to_answer.append(min(c.time for c in calls if c.route == CALLBACK) - started)
        await asyncio.sleep(QUIET)
        return (await self.results(channel_id))[-1]


def said(call: Call) -> str:
    """A REST call in short: the interaction callback's type (4 message, 5 deferred message, 6 deferred
    update, 7 update), ephemeral or not, and the first words of what it sent."""
    body = call.json if isinstance(call.json, dict) else {}
    name = SHORT.get(call.route, call.route)
    if call.route == CALLBACK:
        data = body.get("data") or {}
        ephemeral = " ephemeral" if int(data.get("flags") or 0) & 64 else ""
        return f"{name} type {body.get('type')}{ephemeral} {excerpt(data.get('content'), 24)}"
    if call.files:
        return f"{name} with {len(call.files)} file(s)"
    ephemeral = " ephemeral" if int(body.get("flags") or 0) & 64 else ""
    return f"{name}{ephemeral} {excerpt(body.get('content'), 24)}"


def enhance_button(result: StoredMessage) -> str:
    found = next((c for c in result.custom_ids() if c.startswith("enh:")), None)
    if found is None:
        raise RuntimeError(f"no Enhance button on result {result.id}: {result.custom_ids()}")
    return found


async def discord_part(session: BenchSession, novelai_url: str) -> list[Figures]:
    warm_channel, lone_channels, shown_channels = 7600, [7610 + k for k in range(RUNS)], [7620 + k for k in range(RUNS)]
    with running_discord(limits=RateLimits()) as discord:
        channels = dict.fromkeys([warm_channel, *lone_channels, *shown_channels], False)
        user = DiscordUser(7502, "ann", "Ann")

        def shape() -> None:
            discord.add_guild(GUILD, "Pictures", owner=OWNER, channels=channels)
            discord.add_member(GUILD, user)

        await asyncio.to_thread(shape)
        prefix = f"{session.base}:dc"
        env = deployment_env(prefix=prefix, tmp=session.tmp, novelai_url=novelai_url, email=NOVELAI_EMAIL,
                             password=NOVELAI_PASSWORD, images=session.tmp / "images-dc", **discord_env(discord, GUILD))
        async with running_bot(DiscordBot, env, session.procs, WORKER_THREADS) as (_settings, services, worker, bot):
            run = DiscordRun(services=services, worker=worker, procs=session.procs, prefix=prefix, discord=discord,
                             bot=bot)
            photo = picture()
            options = {"prompt": PROMPT, "size": "512x512", "steps": 8}

            def generate(channel: int, **extra: object) -> Callable[[], str]:
                return lambda: discord.slash_command(GUILD, channel, user, "generate", {**options, **extra})

            await run.one_job(warm_channel, user, generate(warm_channel), None)
            figures = [Figures("(1) text-only /generate"), Figures("(2) /generate with an attachment"),
                       Figures("(3) menu Enhance of a result"), Figures("(4) Enhance button of a result")]
            sources = [await run.one_job(channel, user, generate(channel), figures[0]) for channel in lone_channels]
            for channel in shown_channels:
                await run.one_job(channel, user, generate(channel, image=("lake.png", photo), strength=0.6),
                                  figures[1])
            for channel, source in zip(lone_channels, sources, strict=True):
                await run.one_job(channel, user, partial(discord.message_command, GUILD, channel, user, "Enhance",
                                                         source.id), figures[2])
            for channel, source in zip(lone_channels, sources, strict=True):
                await run.one_job(channel, user, partial(discord.click_button, GUILD, channel, user, source.id,
                                                         enhance_button(source)), figures[3])
            print(f"Discord: the stand-in answered 429 {discord.stats.rate_limited} times")
            return figures


async def main() -> None:
    async with bench_session("chat-pictures") as session:
        novelai_url, _novelai = await start_novelai_stand_in(
            session.procs, "novelai", [f"{NOVELAI_EMAIL}:{NOVELAI_PASSWORD}:3:100000000"], "--step-latency",
            str(STEP_LATENCY))
        print(f"{await session.headline('chat pictures')}; NovelAI stand-in {STEP_LATENCY} s a step; 512x512, "
              f"8 steps, 1 picture a job; 1 worker process x {WORKER_THREADS} threads; real platform limits and "
              f"the bot's default pacing")
        telegram = await telegram_part(session, novelai_url)
        discord = await discord_part(session, novelai_url)
        print_table("Telegram", "Bot API", telegram)
        print_table("Discord", "REST", discord)
        print("\nCalls: from the command until the result is posted and the status message is final (Telegram: "
              "getUpdates not counted; Discord: the gateway is no REST). Downloads: Telegram getFile + file "
              "download, Discord CDN downloads. Command -> status: the stand-in's time of the bot's first message "
              "for the command minus the time the command was sent.")


if __name__ == "__main__":
    asyncio.run(main())
