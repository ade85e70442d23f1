"""Benchmark of the chat side at scale: 1,000 jobs in flight across 500 Telegram chats and 200 Discord channels.

Prints figures, asserts nothing. Issue 19's "Chat side" target: platform calls per job, 429s (target 0),
done -> result accepted p50/p95, delivery loop CPU per event, and how many chat processes that takes.

The world: the Telegram Bot API stand-in and the Discord stand-in (REST + gateway) run in this process (each in
its own thread and event loop) and enforce the platforms' REAL limits (``FloodLimits()``: 1 message a second per
private chat with a burst of 3, 20 a minute per group, 30 a second overall; ``RateLimits()``: 5 per 5 s per
channel, 5 per 2 s per interaction token, 50 a second overall). The real bots run as production runs them,
``python -m bot.cli telegram`` and ``python -m bot.cli discord``, each in its own subprocess with its default
pacing, so each one's CPU is read from /proc. A real Dramatiq worker (``WORKER_PROCESSES`` x ``WORKER_THREADS``)
runs the jobs against the NovelAI stand-in (its own process, 8 steps x 0.01 s). Every Redis key lives under one
``naibot-bench:<random>`` prefix on the shared Redis, deleted afterwards; every process is killed at the end.

Accounts (lanes): ``ACCOUNTS`` accounts (``bench-NN``, a NovelAI token each) are bound as the shared account of
the Telegram groups and Discord guilds (round robin); each private-chat user has an account of their own (stored
under the legacy personal name ``user:telegram:<id>``, a token each). So the jobs spread over many lanes and no
NovelAI account ever runs two generations at once.

The run: every lane is paused; the users send their ``/generate`` (512x512, 8 steps, one picture) to the bots in
every chat, evenly over 20 s (50 commands a second; all at once, 279 Discord interactions reach one process
faster than it can answer each within Discord's 3 s); once all 1,000 jobs wait in their lanes (1,000 in flight)
the lanes are released and the worker drains them. Figures, from the stand-ins' call logs and the event stream:
- platform calls per job (Telegram Bot API calls without getUpdates; Discord REST calls), by method/route, from
  the first command until both bots are quiet; 429 answers;
- done -> result accepted: from a job's ``done`` event (the stream entry id, Redis clock) to the stand-in
  accepting its picture (the upload named ``<job>-0.png``) in the job's own chat; p50/p95 per platform;
- CPU per event: each bot's process CPU (user + system, /proc) while the results are delivered (release ->
  quiet) divided by the events of the stream in that time (every bot process's delivery loop reads every event);
  and CPU per command while the commands were taken (the figure for the command side);
- how many chat processes: the CPU a job costs a bot (its command + its delivery) at the most jobs a second the
  platform lets one bot token deliver, against half a core per process.

Run: ``.venv/bin/python bench/chat_scale.py`` (``--quick``: 100 jobs over 50 Telegram chats and 20 Discord
channels; ``--burst``: every command at once). Bounded: the whole run ends within about 10 minutes or stops
with what it has.

One piece although past 400 lines: one scenario and its report, read top to bottom.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0]; the repo root takes its place (so ``bench.common`` is found and
# bench/telegram.py and bench/discord.py do not shadow the libraries).
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import contextlib
import dataclasses
import faulthandler
import inspect
import math
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.common import (
    Processes,
    bench_session,
    deployment_env,
    discord_env,
    ms_of,
    pct,
    start_novelai_stand_in,
    tally,
    telegram_env,
)
from bench.discord import channel_of, is_attachment, job_of_attachment, kind
from bot.chat.pacer import Pacer
from bot.keys import BotKeys
from bot.rules.groups import GroupStore, SharedAccount
from naibot.settings import load_settings
from novelai.accounts import Account, AccountStore
from novelai.factory import secret_box
from sandbox.discord import DiscordSandbox, DiscordUser, RateLimits, running_discord
from sandbox.telegram import Call, FloodLimits, SandboxUser, TelegramSandbox, running_telegram
from tasks.events import follow
from tasks.launch import spawn_worker, wait_for_heartbeats
from tasks.services import QueueServices

NOVELAI_EMAIL = "bench-scale@example.com"
NOVELAI_PASSWORD = "bench-scale-password"
STEP_LATENCY = 0.01
STEPS = 8
WORKER_PROCESSES = 2
WORKER_THREADS = 8
BOT_USERNAME = "naibot_scale_bot"
TG_OPTIONS = f"--size 512x512 --steps {STEPS} --n 1"
DC_OPTIONS: dict[str, Any] = {"size": "512x512", "steps": STEPS, "n": 1}
TG_LIMITS = FloodLimits()  # Telegram's real limits (the defaults)
DC_LIMITS = RateLimits()  # Discord's real limits (the defaults)
OWNER = DiscordUser(6_999_999, "bench_owner", "Bench Owner")
RESULT_METHODS = ("sendPhoto", "sendDocument", "sendMediaGroup")
CHANNEL_POST = "POST /channels/{channel_id}/messages"
# The Discord calls (bench/discord.py's kinds) made with the bot token, which count against the global limit.
GLOBAL_KINDS = {"channel message edit", "channel message with attachments", "channel message without attachments",
                "other"}
TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


@dataclass(frozen=True)
class Layout:
    jobs: int
    private: int  # Telegram private chats
    groups: int  # Telegram groups
    guilds: int  # Discord guilds
    channels_per_guild: int
    accounts: int  # shared accounts for the groups and guilds
    ramp: float  # seconds over which the users send their commands, evenly (0: all at once)
    queue_timeout: float  # seconds for every job to be waiting
    deliver_timeout: float  # seconds from release to the last result


FULL = Layout(jobs=1000, private=100, groups=400, guilds=20, channels_per_guild=10, accounts=50, ramp=20.0,
              queue_timeout=180, deliver_timeout=360)
QUICK = Layout(jobs=100, private=10, groups=40, guilds=4, channels_per_guild=5, accounts=10, ramp=2.0,
               queue_timeout=60, deliver_timeout=120)


@dataclass(frozen=True)
class Chat:
    platform: str  # "telegram" or "discord"
    chat_id: int
    private: bool = False
    guild: int = 0


@dataclass
class Plan:
    """Who sends what where, and which account pays in each chat."""

    chats: list[Chat]
    jobs: list[Chat]  # one entry per job: its chat
    shared: dict[str, str]  # group key (``telegram:<id>``, ``discord:<guild>``) -> account
    tokens: dict[str, str]  # account name -> NovelAI token
    guild_channels: dict[int, dict[int, bool]]


def token_for(tag: str) -> str:
    return "pst-" + tag.ljust(64, "0")


def plan(layout: Layout) -> Plan:
    chats = [Chat("telegram", 100_000 + i, private=True) for i in range(layout.private)]
    chats += [Chat("telegram", -1_005_000_000_000 - i) for i in range(layout.groups)]
    guild_channels: dict[int, dict[int, bool]] = {}
    for g in range(layout.guilds):
        guild = 8_000 + g
        guild_channels[guild] = {900_000 + g * 100 + c: False for c in range(layout.channels_per_guild)}
        chats += [Chat("discord", channel, guild=guild) for channel in guild_channels[guild]]
    order = list(chats)
    random.Random(19).shuffle(order)  # every platform and chat kind spread over the run
    jobs = [order[i % len(order)] for i in range(layout.jobs)]
    tokens = {f"bench-{k:02d}": token_for(f"bench{k:04d}") for k in range(layout.accounts)}
    shared: dict[str, str] = {}
    names = list(tokens)
    for n, chat in enumerate(c for c in chats if c.platform == "telegram" and not c.private):
        shared[f"telegram:{chat.chat_id}"] = names[n % len(names)]
    for n, guild in enumerate(guild_channels):
        shared[f"discord:{guild}"] = names[(n * 7) % len(names)]
    for chat in chats:
        if chat.private:
            tokens[f"user:telegram:{chat.chat_id}"] = token_for(f"priv{chat.chat_id}")
    return Plan(chats, jobs, shared, tokens, guild_channels)


# -- processes and their CPU ----------------------------------------------------------------------


def group_cpu(pgid: int) -> float:
    """User + system CPU seconds of every live process in process group ``pgid`` (Dramatiq forks children)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # field 5 (pgrp), counted after the ")" of the command name
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


@dataclass
class Bots:
    telegram: Any
    discord: Any
    worker: Any
    procs: Processes

    def cpu(self) -> dict[str, float]:
        return {"telegram": group_cpu(self.telegram.pid), "discord": group_cpu(self.discord.pid),
                "worker": group_cpu(self.worker.pid), "bench": time.process_time()}

    def check_alive(self) -> None:
        for name, process in (("telegram", self.telegram), ("discord", self.discord), ("worker", self.worker)):
            if process.poll() is not None:
                raise RuntimeError(f"the {name} process exited with {process.returncode}:\n{self.procs.tail(name)}")


async def seed(env: dict[str, str], services: QueueServices, the_plan: Plan) -> None:
    """The accounts in the store, the groups' shared accounts, and every lane paused."""
    settings = load_settings(env=env)
    box = secret_box(settings)
    assert box is not None
    store = AccountStore(services.redis, box, settings.redis.prefix)
    for name, token in the_plan.tokens.items():
        await store.add(Account(name=name, token=token))
    groups = GroupStore(services.redis, BotKeys(settings.redis.prefix))
    for group, account in the_plan.shared.items():
        await groups.update(group, {"shared": SharedAccount(account=account, kind="bound", owner_name="Bench")})
    await hold(services, [*the_plan.tokens, "default"])


async def hold(services: QueueServices, accounts: list[str]) -> None:
    async with services.redis.pipeline(transaction=False) as pipe:
        for account in accounts:
            pipe.set(services.queue.keys.lane_pause(account), "bench", px=900_000)
        await pipe.execute()


async def release(services: QueueServices, accounts: list[str]) -> None:
    await services.redis.delete(*(services.queue.keys.lane_pause(a) for a in accounts))
    for account in accounts:
        await services.submitter.waker.wake(account)


async def start_bot(procs: Processes, name: str, env: dict[str, str]) -> Any:
    return procs.start(name, [sys.executable, "-m", "bot.cli", name], env=env)


async def wait_for(predicate: Any, bots: Bots | None, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if bots is not None:
            bots.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not within {timeout:.0f} s")
        await asyncio.sleep(0.1)


# -- the event stream, counted as it goes ------------------------------------------------------------


@dataclass
class EventTally:
    """Every event after ``after``: when (Redis clock, s) and of which type; and each job's ``done`` time."""

    after: str
    times: list[float] = field(default_factory=list)
    types: Counter[str] = field(default_factory=Counter)
    done: dict[str, float] = field(default_factory=dict)
    failed: int = 0

    async def run(self, services: QueueServices) -> None:
        prefix = services.settings.redis.prefix
        while True:
            for event in await follow(services.redis, prefix, self.after, block_ms=200):
                self.after = event.id
                at = ms_of(event.id) / 1000
                self.times.append(at)
                self.types[event.type] += 1
                if event.type == "done" and event.job:
                    self.done.setdefault(event.job, at)
                elif event.type == "failed":
                    self.failed += 1

    def between(self, start: float, end: float) -> int:
        return sum(1 for t in self.times if start <= t <= end)


# -- the run ---------------------------------------------------------------------------------------


def send_commands(telegram: TelegramSandbox, discord: DiscordSandbox, jobs: list[Chat], ramp: float
                  ) -> dict[str, float]:
    """Users run /generate, evenly over ``ramp`` seconds, from a helper thread (as people would: the bots'
    loops are elsewhere); returns each Discord interaction's id -> when it was created (time.time())."""
    interactions: dict[str, float] = {}
    start = time.monotonic()
    for n, chat in enumerate(jobs):
        if (ahead := start + n * ramp / len(jobs) - time.monotonic()) > 0:
            time.sleep(ahead)
        if chat.platform == "telegram" and chat.private:
            user = SandboxUser(chat.chat_id, f"p{chat.chat_id}", f"p{chat.chat_id}", "en")
            telegram.user_message(chat.chat_id, user, f"/generate a cat, number {n} {TG_OPTIONS}")
        elif chat.platform == "telegram":
            user = SandboxUser(3_000_000 + n, f"m{n}", f"m{n}", "en")
            telegram.user_message(chat.chat_id, user, f"/generate@{BOT_USERNAME} a cat, number {n} {TG_OPTIONS}",
                                  chat_type="supergroup", chat_title=f"Scale group {chat.chat_id}")
        else:
            at = time.time()
            interactions[discord.slash_command(chat.guild, chat.chat_id, discord_user(n), "generate",
                                               {"prompt": f"a cat, number {n}", **DC_OPTIONS})] = at
    return interactions


def discord_user(n: int) -> DiscordUser:
    """The member who sends job ``n`` (one member per job: a person may have only 10 jobs waiting)."""
    return DiscordUser(4_000_000 + n, f"u{n}", f"U {n}")


def tg_job(call: Call) -> str | None:
    """The job a Telegram result belongs to: the bot names uploads ``<job id>-<index>.png``."""
    media = call.params.get("media") or [call.params.get("photo") or call.params.get("document") or {}]
    for item in media:
        upload = item.get("upload") if isinstance(item, dict) else None
        if upload is None and isinstance(item, dict) and isinstance(item.get("media"), dict):
            upload = item["media"].get("upload")
        if isinstance(upload, str) and upload.endswith(".png") and "-" in upload:
            return upload.rsplit("-", 1)[0]
    return None


@dataclass
class Results:
    accepted: dict[str, float]  # job -> when the stand-in accepted its picture in the job's own chat
    wrong_chat: int


async def results(telegram: TelegramSandbox, discord: DiscordSandbox) -> dict[str, tuple[str, float]]:
    """job -> (chat id, when accepted) for every result either stand-in accepted."""
    found: dict[str, tuple[str, float]] = {}
    for call in await asyncio.to_thread(telegram.calls):
        if call.method in RESULT_METHODS and call.status == 200 and (job := tg_job(call)) is not None:
            found.setdefault(job, (str(call.chat_id), call.time))
    for post in await asyncio.to_thread(discord.calls, "POST", "/messages"):
        if is_attachment(post) and (job := job_of_attachment(post)) is not None:
            found.setdefault(job, (str(channel_of(post)), post.time))
    return found


def counters(telegram: TelegramSandbox, discord: DiscordSandbox) -> tuple[int, int, int]:
    """(bot calls but getUpdates, result uploads tried, 429s) from the stand-ins' counters: read without a hop
    into their loops (copying their call logs every 100 ms would itself delay the calls being counted)."""
    by_method, by_route = telegram.stats.calls_by_method, discord.stats.calls_by_route
    calls = sum(by_method.values()) - by_method["getUpdates"] + sum(by_route.values())
    uploads = sum(by_method[m] for m in RESULT_METHODS) + by_route[CHANNEL_POST]
    return calls, uploads, telegram.stats.too_many_requests + discord.stats.rate_limited


async def wait_delivered(telegram: TelegramSandbox, discord: DiscordSandbox, bots: Bots, jobs: int,
                         timeout: float) -> None:
    """Until every job's result was accepted (counters first, the call logs once they say so), or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bots.check_alive()
        _, uploads, refused = counters(telegram, discord)
        if uploads - refused >= jobs and len(await results(telegram, discord)) >= jobs:
            return
        await asyncio.sleep(0.5)


async def quiet(telegram: TelegramSandbox, discord: DiscordSandbox, bots: Bots, seconds: float, cap: float) -> float:
    """Until neither stand-in has seen a bot call (getUpdates aside) for ``seconds``; returns when the last came."""
    deadline = time.monotonic() + cap
    last_count, last_change = -1, time.time()
    while True:
        bots.check_alive()
        count = counters(telegram, discord)[0]
        if count != last_count:
            last_count, last_change = count, time.time()
        elif time.time() - last_change >= seconds or time.monotonic() > deadline:
            return last_change
        await asyncio.sleep(0.25)


def ms(values: list[float], q: float) -> str:
    return f"{pct(values, q) * 1000:.0f} ms" if values else "n/a"


async def in_daemon_thread(function: Callable[..., T], *args: Any, timeout: float) -> T:
    """``function(*args)`` in a daemon thread, awaited at most ``timeout`` seconds: a call stuck in a stand-in
    can neither hang the run nor keep the process from exiting (asyncio.to_thread's executor waits for it)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():  # timed out meanwhile
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]  # None only with an error

    def target() -> None:
        try:
            loop.call_soon_threadsafe(settle, function(*args), None)
        except Exception as exc:  # handed to the awaiting task as it is
            loop.call_soon_threadsafe(settle, None, exc)

    threading.Thread(target=target, name="chat-scale-users", daemon=True).start()
    return await asyncio.wait_for(done, timeout)


async def run(layout: Layout) -> None:
    # SIGTERM (``timeout``, a person's kill) cancels the run, so every process is killed and every key deleted.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    the_plan = plan(layout)
    async with bench_session("chat_scale") as session:
        prefix = f"{session.base}:scale"
        with running_telegram(limits=TG_LIMITS, bot_username=BOT_USERNAME) as telegram, \
                running_discord(limits=DC_LIMITS) as discord:
            for guild, channels in the_plan.guild_channels.items():
                await asyncio.to_thread(discord.add_guild, guild, f"Scale {guild}", owner=OWNER, channels=channels)
            for n, chat in enumerate(the_plan.jobs):
                if chat.platform == "discord":
                    await asyncio.to_thread(discord.add_member, chat.guild, discord_user(n))
            novelai_url, _novelai = await start_novelai_stand_in(
                session.procs, "novelai",
                [f"{NOVELAI_EMAIL}:{NOVELAI_PASSWORD}:3:100000000"],
                "--step-latency", str(STEP_LATENCY),
                *[arg for token in the_plan.tokens.values() for arg in ("--token", f"{token}:3:100000000")])
            env = deployment_env(prefix=prefix, tmp=session.tmp, novelai_url=novelai_url, email=NOVELAI_EMAIL,
                                 password=NOVELAI_PASSWORD, images=session.tmp / "images",
                                 NAIBOT_QUEUE__MAX_ANLAS_PER_JOB="20", **telegram_env(telegram),
                                 **discord_env(discord, 0))
            env["NAIBOT_DISCORD__GUILDS"] = "[" + ",".join(str(g) for g in the_plan.guild_channels) + "]"
            settings = load_settings(env=env)
            services = QueueServices.from_settings(settings)
            try:
                await seed(env, services, the_plan)
                await measure(layout, the_plan, session.procs, env, services, telegram, discord,
                              await session.headline("chat_scale"))
            finally:
                await services.aclose()


async def measure(layout: Layout, the_plan: Plan, procs: Processes, env: dict[str, str], services: QueueServices,
                  telegram: TelegramSandbox, discord: DiscordSandbox, headline: str) -> None:
    prefix = services.settings.redis.prefix
    known = set(await services.redis.zrange(services.queue.keys.workers, 0, -1))
    with (procs.logs / "worker.log").open("wb") as log:
        worker = procs.adopt(spawn_worker(env, services.settings.queue.dramatiq_queue, processes=WORKER_PROCESSES,
                                          threads=WORKER_THREADS, log=log))
    await wait_for_heartbeats(services.redis, prefix, worker, known, WORKER_PROCESSES)  # type: ignore[arg-type]
    tg_bot = await start_bot(procs, "telegram", env)
    dc_bot = await start_bot(procs, "discord", env)
    bots = Bots(tg_bot, dc_bot, worker, procs)

    async def ready() -> bool:
        commands = await asyncio.to_thread(lambda: all(discord.commands(g) for g in the_plan.guild_channels))
        live = await asyncio.to_thread(discord.live_shards)
        return telegram.long_polls > 0 and commands and bool(live)

    await wait_for(ready, bots, 60, "both bots ready")
    await asyncio.sleep(1.0)  # a quiet second: start-up calls leave every window
    tg_jobs = sum(1 for c in the_plan.jobs if c.platform == "telegram")
    dc_jobs = layout.jobs - tg_jobs
    lanes = len(the_plan.tokens)
    print(f"{headline}")
    print(f"load: {layout.jobs} jobs = {tg_jobs} Telegram ({layout.private} private chats, {layout.groups} groups) + "
          f"{dc_jobs} Discord ({layout.guilds} guilds x {layout.channels_per_guild} channels); {lanes} lanes "
          f"({layout.accounts} shared accounts + {lanes - layout.accounts} personal); worker {WORKER_PROCESSES} x "
          f"{WORKER_THREADS} threads; NovelAI stand-in {STEPS} steps x {STEP_LATENCY} s, 512x512 n=1")
    print(f"stand-in limits: Telegram {TG_LIMITS.private_per_second:g}/s per private chat (burst "
          f"{TG_LIMITS.private_burst}), {TG_LIMITS.group_per_minute}/min per group, {TG_LIMITS.global_per_second}/s "
          f"overall; Discord {DC_LIMITS.channel_per_5s} per {DC_LIMITS.channel_window:g} s per channel, "
          f"{DC_LIMITS.webhook_per_2s} per {DC_LIMITS.webhook_window:g} s per interaction token, "
          f"{DC_LIMITS.global_per_second}/s overall; bots keep their default pacing (the same numbers)")

    tally_events = EventTally(await services.queue.last_event_id())
    follower = asyncio.create_task(tally_events.run(services))
    tg_before = len(await asyncio.to_thread(telegram.calls))
    dc_before = len(await asyncio.to_thread(discord.calls))
    try:
        cpu0 = bots.cpu()
        began = time.time()
        interactions = await in_daemon_thread(send_commands, telegram, discord, the_plan.jobs, layout.ramp,
                                              timeout=layout.ramp + layout.queue_timeout)
        sent = time.time()

        async def all_waiting() -> bool:
            return sum((await services.queue.lane_depths()).values()) >= layout.jobs

        await wait_for(all_waiting, bots, layout.queue_timeout, f"all {layout.jobs} jobs waiting")
        queued = time.time()
        cpu1 = bots.cpu()
        depths = await services.queue.lane_depths()
        await release(services, [*the_plan.tokens, "default"])
        released = time.time()

        await wait_delivered(telegram, discord, bots, layout.jobs, layout.deliver_timeout)
        end = await quiet(telegram, discord, bots, 5.0, 90.0)
        cpu2 = bots.cpu()
        await asyncio.sleep(0.5)  # the follower reads the last events
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower

    # -- figures -----------------------------------------------------------------------------------
    accepted = await results(telegram, discord)
    jobs_of = {job.id: job for job in await services.queue.get_many(list(tally_events.done))}
    latency: dict[str, list[float]] = {"telegram": [], "discord": []}
    wrong, matched = 0, 0
    for job_id, (chat, at) in accepted.items():
        job = jobs_of.get(job_id)
        done_at = tally_events.done.get(job_id)
        if job is None or done_at is None:
            continue
        if job.requester.chat_id != chat:
            wrong += 1
            continue
        matched += 1
        latency[job.requester.platform].append(at - done_at)
    last_accept = max((at for _, at in accepted.values()), default=released)
    tg_calls = [c for c in (await asyncio.to_thread(telegram.calls))[tg_before:] if c.method != "getUpdates"]
    dc_calls = (await asyncio.to_thread(discord.calls))[dc_before:]
    tg_429 = sum(1 for c in tg_calls if c.status == 429)
    dc_429 = sum(1 for c in dc_calls if c.status == 429)
    tg_errors = Counter(c.status for c in tg_calls if c.status != 200)
    dc_errors = Counter(c.status for c in dc_calls if c.status not in (200, 204))

    print(f"in flight: {layout.jobs} commands sent evenly in {sent - began:.1f} s; all {sum(depths.values())} jobs "
          f"waiting in {len(depths)} lanes {queued - began:.1f} s after the first command (max lane "
          f"{max(depths.values())}); "
          f"released; last result accepted {last_accept - released:.1f} s after release; bots quiet "
          f"{end - released:.1f} s after release; failed jobs {tally_events.failed}")
    print(f"(1) results: {len(accepted)} of {layout.jobs} accepted by the stand-ins; {matched} in the job's own "
          f"chat, {wrong} in another chat")
    for platform, jobs in (("telegram", tg_jobs), ("discord", dc_jobs)):
        values = latency[platform]
        print(f"    done -> result accepted, {platform} ({len(values)} of {jobs} jobs): p50 {ms(values, 0.5)}, "
              f"p95 {ms(values, 0.95)}, max {ms(values, 1.0)}")
    both = latency["telegram"] + latency["discord"]
    print(f"    both platforms: p50 {ms(both, 0.5)}, p95 {ms(both, 0.95)}")
    print(f"(2) Telegram Bot API calls per job (getUpdates aside), first command -> quiet: "
          f"{len(tg_calls) / tg_jobs:.2f} "
          f"({tally((c.method for c in tg_calls), tg_jobs)}); 429 answers {tg_429} (stand-in counter "
          f"{telegram.stats.too_many_requests}); other non-200: {dict(tg_errors) if tg_errors else 'none'}")
    for call in [c for c in tg_calls if c.status == 429][:3]:  # which window refused: the chat's or the overall one
        earlier = [f"{c.method} +{c.time - began:.2f}" for c in tg_calls
                   if c.chat_id == call.chat_id and c.time < call.time]
        print(f"    a 429: {call.method} in chat {call.chat_id} at +{call.time - began:.2f} s; the chat's earlier "
              f"calls: {', '.join(earlier[-4:]) or 'none'}")
    print(f"    Discord REST calls per job: {len(dc_calls) / dc_jobs:.2f} "
          f"({tally((kind(c) for c in dc_calls), dc_jobs)}); "
          f"429 answers {dc_429} (stand-in counter {discord.stats.rate_limited}); other non-2xx: "
          f"{dict(dc_errors) if dc_errors else 'none'}"
          + (f" ({tally(f'{c.status} {kind(c)}' for c in dc_calls if c.status not in (200, 204))})"
             if dc_errors else ""))
    answer_latency(interactions, dc_calls)
    report_cpu(layout, tally_events, cpu0, cpu1, cpu2, began, queued, released, end,
               {"telegram": tg_jobs, "discord": dc_jobs}, tg_calls, dc_calls, last_accept)


def answer_latency(interactions: dict[str, float], dc_calls: list[Any]) -> None:
    """Slash command -> the bot's first interaction callback: Discord drops an interaction not answered
    within 3 s (the stand-in answers the late callback 404), and the bot then posts in the channel."""
    first: dict[str, Any] = {}
    for call in dc_calls:
        if kind(call) == "interaction callback":
            parts = call.path.split("/")
            first.setdefault(parts[parts.index("interactions") + 1], call)
    waits = [first[i].time - at for i, at in interactions.items() if i in first]
    late = sum(1 for i in interactions if i not in first or first[i].status == 404)
    print(f"    Discord slash command -> first interaction callback: p50 {ms(waits, 0.5)}, p95 {ms(waits, 0.95)}, "
          f"max {ms(waits, 1.0)}; {late} of {len(interactions)} too late for Discord's 3 s (answered by a channel "
          f"message instead)")


def report_cpu(layout: Layout, events: EventTally, cpu0: dict[str, float], cpu1: dict[str, float],
               cpu2: dict[str, float], began: float, queued: float, released: float, end: float,
               jobs: dict[str, int], tg_calls: list[Call], dc_calls: list[Any], last_accept: float) -> None:
    commands_events = events.between(began, queued)
    delivery_events = events.between(released, end)
    print(f"(3) events in the stream: {sum(events.types.values())} ({tally(events.types.elements())}); "
          f"{sum(events.types.values()) / layout.jobs:.1f} per job; {delivery_events} from release to quiet")
    per_command: dict[str, float] = {}
    per_delivery: dict[str, float] = {}  # delivery CPU per job of its own platform
    for name in ("telegram", "discord"):
        command_cpu = cpu1[name] - cpu0[name]
        delivery_cpu = cpu2[name] - cpu1[name]
        per_command[name] = command_cpu / jobs[name]
        per_delivery[name] = delivery_cpu / jobs[name]
        print(f"    {name} bot process: taking {jobs[name]} commands {command_cpu:.2f} s CPU = "
              f"{per_command[name] * 1000:.1f} ms per command ({commands_events} events meanwhile); "
              f"delivering (release -> quiet, {end - released:.0f} s) {delivery_cpu:.2f} s CPU = "
              f"{delivery_cpu / max(delivery_events, 1) * 1000:.2f} ms per event read by its delivery loop "
              f"({per_delivery[name] * 1000:.1f} ms per job of its own)")
    worker = cpu2["worker"] - cpu0["worker"]
    print(f"    worker ({WORKER_PROCESSES} processes): {worker:.1f} s CPU = {worker / layout.jobs * 1000:.1f} ms per "
          f"job; this process (stand-ins' threads + the event follower): {cpu2['bench'] - cpu0['bench']:.1f} s CPU")
    # How many chat processes: the CPU a bot spends at the most jobs a second its platform lets one bot token
    # deliver (commands in, events read, calls out), against half a core per process (headroom for bursts).
    tg_messages = sum(1 for c in tg_calls if c.status == 200 and c.method not in ("getUpdates", "answerCallbackQuery",
                                                                                   "getMe", "setMyCommands",
                                                                                   "deleteWebhook", "getChatMember"))
    tg_sent = sum(1 for c in tg_calls if c.status == 200 and released <= c.time <= last_accept
                  and c.method in ("sendMessage", "sendPhoto", "editMessageText"))
    rate = tg_sent / (last_accept - released)
    service = [c.answered - c.time for c in tg_calls if c.method == "sendPhoto" and c.answered is not None]
    in_flight = inspect.signature(Pacer).parameters["max_in_flight"].default
    print(f"    Telegram messages accepted from release to the last result: {rate:.1f}/s (the limit is "
          f"{TG_LIMITS.global_per_second}/s); the stand-in took p50 {ms(service, 0.5)}, p95 {ms(service, 0.95)} to "
          f"answer a sendPhoto; the bot's pacer keeps at most {in_flight} calls in flight, so at {rate:.1f}/s "
          f"with every slot busy a paced call held its slot ~{in_flight / rate * 1000:.0f} ms (reading the job and "
          f"image, uploading, recording)")
    per_event = sum(events.types.values()) / layout.jobs
    # Interaction callbacks and webhook edits (the interaction's token) do not count against the global limit.
    dc_per_job = sum(1 for c in dc_calls if kind(c) in GLOBAL_KINDS) / jobs["discord"]
    caps = {"telegram": (TG_LIMITS.global_per_second / (tg_messages / jobs["telegram"]),
                         f"{TG_LIMITS.global_per_second} messages/s per bot token, "
                         f"{tg_messages / jobs['telegram']:.2f} a job"),
            "discord": (DC_LIMITS.global_per_second / dc_per_job,
                        f"{DC_LIMITS.global_per_second} bot-token calls/s, {dc_per_job:.2f} a job (interaction "
                        f"callbacks and webhook edits do not count)")}
    for n, name in enumerate(("telegram", "discord")):
        rate, why = caps[name]
        cores = rate * (per_command[name] + per_delivery[name])
        print(f"{'(4)' if n == 0 else '   '} {name} processes: at most {rate:.1f} jobs/s ({why}) = "
              f"{rate * per_event:.0f} events/s of its own; each job {per_command[name] * 1000:.1f} ms (command) "
              f"+ {per_delivery[name] * 1000:.1f} ms (delivery) = {cores:.2f} cores -> "
              f"{max(1, math.ceil(cores / 0.5))} process(es) at <= 50 % of a core each"
              + ("; beyond that rate more bot tokens, not processes" if name == "telegram" else
                                "; split by shard ranges"))


def main() -> None:
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 <pid>: every thread's stack, if a run ever hangs
    layout = QUICK if "--quick" in sys.argv[1:] else FULL
    if "--burst" in sys.argv[1:]:  # every command at once: the interaction answer deadline under a burst
        layout = dataclasses.replace(layout, ramp=0.0)
    asyncio.run(run(layout))


if __name__ == "__main__":
    main()
