"""Benchmark of Telegram delivery: prints figures, asserts nothing.

The real bot (``bot.telegram.adapter.TelegramBot``, python-telegram-bot) runs in this process against the Bot
API stand-in (``sandbox.telegram``, in its own thread and event loop) which enforces Telegram's REAL default
limits (``FloodLimits()``: 1 message a second per private chat with a burst of 3, 20 a minute per group,
30 a second overall; an album counts one message per picture); the bot keeps its default pacing (the same
numbers). Jobs go through a real Dramatiq worker (1 process x 4 threads, started as in production by
``tasks.launch``) to the NovelAI stand-in (its own process, ``--step-latency 0.015`` x 8 steps). Every job
runs on the ``default`` account: one lane, drained one job at a time (the extra threads only overlap
hand-overs). Every command asks for ``--n 2`` (an album) at 512x512, 8 steps.

(1) done -> album: from a job's ``done`` event (the stream entry id, ms) to the stand-in accepting the
    job's ``sendMediaGroup`` (the call's recorded time, status 200): first for single jobs on an idle bot
    (3 in private chats, 3 in groups, one at a time), then for a burst of 50 jobs in 50 private chats (one
    each) and a burst of 50 jobs in 25 groups (two each). A single group allows 20 messages a minute, so
    a 50-job burst there would take many minutes: it is reported as a ceiling throughput derived from
    the messages a job cost in the 25-group run. The breakdown (when the delivery loop handled the event,
    when the upload started, the gap to the chat's previous call) and the count of pacer priority
    inversions come from shims on the bot's ``Delivery`` and ``Pacer`` instances (see ``Trace``; they
    only take notes, the behaviour is unchanged).
(2) Bot API calls per job in each burst, by method, from the first command to the last album and until
    the bot is idle (every status message final); messages charged by Telegram's rules (an album counts
    one per picture) and the throughput that allows at 30/s; 429 answers. getUpdates is not counted.

(3) ONE busy group (``--busy-group``: this scenario alone): the lane is paused, so every job waits, and
    50 members send ``/generate`` one after another into one group at Telegram's real 20 messages a minute.
    Per command: the time from the command to a visible Cancel button for its job (on a message that
    replies to the command, or on the group's queue board), read from the stand-in's messages every
    0.1 s; and the Bot API calls into the group (per job) until every waiting job's Cancel is visible
    (capped at ``BUSY_CAP`` seconds: a bot that sends one status message per job needs minutes).

The worker and the NovelAI stand-in run in their own process groups, always killed at the end. Every
Redis key lives under one ``naibot-bench:<random>`` prefix and is deleted afterwards (never FLUSHDB).
Run: ``.venv/bin/python bench/telegram.py`` (``--busy-group``: scenario 3 alone).

One piece although past 400 lines: one benchmark's scenarios and their report, read top to bottom.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0] and this file, telegram.py, would shadow python-telegram-bot's
# ``telegram`` package, which the bot imports: the repo root takes its place (so ``bench.common`` is found).
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    ChatWorld,
    DeliveryTrace,
    bench_session,
    delivery_and_pacer,
    deployment_env,
    describe,
    pct,
    running_bot,
    start_novelai_stand_in,
    tally,
    telegram_env,
    wait_until_idle,
)
from bot.telegram.adapter import TelegramBot
from sandbox.telegram import Call, FloodLimits, SandboxUser, TelegramSandbox, running_telegram

NOVELAI_EMAIL = "bench-telegram@example.com"
NOVELAI_PASSWORD = "bench-telegram-password"
STEP_LATENCY = 0.015
STEPS = 8
WORKER_THREADS = 4
PRIVATE_JOBS = 50
GROUPS = 25
JOBS_PER_GROUP = 2
ISOLATED = 3
OPTIONS = f"--size 512x512 --steps {STEPS} --n 2"
BOT_USERNAME = "naibot_test_bot"
BURST_TIMEOUT = 120.0
BUSY_JOBS = 50
BUSY_GROUP = -1_004_000_000_000
BUSY_CAP = 360.0
# Telegram's limits as the stand-in enforces them (the bot's defaults are the same numbers).
LIMITS = FloodLimits()
# What Telegram counts against a chat's limit: one message per call, one per picture of an album.
CHARGED = {"sendMessage": 1, "editMessageText": 1, "editMessageCaption": 1, "editMessageReplyMarkup": 1,
           "sendPhoto": 1, "sendDocument": 1}


def units(call: Call) -> int:
    """Messages a call was charged (the stand-in charges an edit before finding it unchanged)."""
    if call.status != 200 and "not modified" not in (call.description or ""):
        return 0
    if call.method == "sendMediaGroup":
        return len(call.params.get("media") or [])
    return CHARGED.get(call.method, 0)


# -- the world: stand-ins, worker, bot ----------------------------------------------------------


def environment(prefix: str, tmp: Path, novelai_url: str, telegram: TelegramSandbox) -> dict[str, str]:
    # Two 512x512 images cost Anlas on Opus; everything else keeps production defaults, the
    # Telegram pacing included (1/s per chat, 20/min per group, 30/s overall).
    return deployment_env(prefix=prefix, tmp=tmp, novelai_url=novelai_url, email=NOVELAI_EMAIL,
                          password=NOVELAI_PASSWORD, images=tmp / "images", NAIBOT_QUEUE__MAX_ANLAS_PER_JOB="20",
                          **telegram_env(telegram))


@dataclass
class Trace(DeliveryTrace):
    """Observations taken inside the bot by shims on its instances (behaviour unchanged): those of
    ``DeliveryTrace`` and, at every pacer dispatch, whether an album (``result:`` work) that its own chat's
    window allowed was waiting only on the overall window while lower-priority work went out instead."""

    inversions: int = 0
    inversion_units: int = 0

    def clear(self) -> None:
        super().clear()
        self.inversions = self.inversion_units = 0

    def install(self, bot: TelegramBot) -> None:
        delivery, pacer = delivery_and_pacer(bot)
        self.install_delivery(delivery)
        execute = pacer._execute

        def traced_execute(chat: Any, work: Any, entries: Any) -> Any:
            # Runs synchronously when the pacer dispatches (the work is already out of ``pending``).
            now = pacer.clock()
            for other in pacer._chats.values():
                if other is chat or other.busy:
                    continue
                for held in other.pending.values():
                    if (held.key.startswith("result:") and held.priority < work.priority
                            and other.limit.ready_at(now, held.weight) <= now
                            < pacer.overall.ready_at(now, held.weight)):
                        self.inversions += 1
                        self.inversion_units += work.weight
                        return execute(chat, work, entries)
            return execute(chat, work, entries)

        pacer._execute = traced_execute  # type: ignore[method-assign]


@dataclass
class World(ChatWorld):
    telegram: TelegramSandbox
    bot: TelegramBot
    trace: Trace

    async def albums(self, chats: set[int]) -> list[Call]:
        calls = await asyncio.to_thread(self.telegram.calls, "sendMediaGroup")
        return [c for c in calls if c.status == 200 and c.chat_id in chats]

    async def wait_for_albums(self, chats: set[int], count: int, base: int) -> None:
        """Poll the stand-in's counter (cheap) and confirm with the call log (exact)."""
        deadline = time.monotonic() + BURST_TIMEOUT
        while True:
            self.check_alive()
            if (self.telegram.stats.calls_by_method["sendMediaGroup"] - base >= count
                    and len(await self.albums(chats)) >= count):
                return
            if time.monotonic() > deadline:
                got = len(await self.albums(chats))
                raise RuntimeError(f"{got} of {count} albums within {BURST_TIMEOUT:.0f} s; worker log:\n"
                                   f"{self.procs.tail('worker')}")
            await asyncio.sleep(0.1)


# -- one burst -----------------------------------------------------------------------------------


@dataclass
class Command:
    chat_id: int
    user: SandboxUser
    group: bool


@dataclass
class Burst:
    label: str
    jobs: int
    latencies: list[float]
    done_to_read: list[float]
    read_to_upload: list[float]
    upload_to_accepted: list[float]
    prior_gap: list[float]
    # Pacer dispatches of lower-priority work while an album ready in its own chat was held by the
    # overall window alone (see Trace.install); and the message slots those dispatches reserved.
    inversions: int
    inversion_units: int
    window: list[Call]  # first command .. last album
    until_idle: list[Call]  # first command .. idle
    failed: int
    commands_seconds: float
    drain_seconds: float
    last_album_seconds: float
    idle_seconds: float


async def run_burst(world: World, label: str, commands: list[Command]) -> Burst:
    telegram, queue = world.telegram, world.services.queue
    chats = {c.chat_id for c in commands}
    after = await queue.last_event_id()
    calls_before = len(await asyncio.to_thread(telegram.calls))
    albums_before = telegram.stats.calls_by_method["sendMediaGroup"]
    world.trace.clear()

    began = time.time()
    for n, command in enumerate(commands):
        if command.group:
            telegram.user_message(command.chat_id, command.user,
                                  f"/generate@{BOT_USERNAME} a cat, number {n} {OPTIONS}",
                                  chat_type="supergroup", chat_title=f"Bench group {command.chat_id}")
        else:
            telegram.user_message(command.chat_id, command.user, f"/generate a cat, number {n} {OPTIONS}")
    sent = time.time()
    await world.wait_for_albums(chats, len(commands), albums_before)
    idle_at = await wait_until_idle(world.bot, world.check_alive)

    # Which job is which: its done event (time), its requester (chat, status message = album's reply).
    done, failed = await world.job_ends(after)
    calls = (await asyncio.to_thread(telegram.calls))[calls_before:]
    album_of: dict[tuple[int, int], Call] = {}
    for call in calls:
        if call.method == "sendMediaGroup" and call.status == 200 and call.chat_id in chats:
            reply = (call.params.get("reply_parameters") or {}).get("message_id")
            album_of.setdefault((call.chat_id, int(reply or 0)), call)

    # The album replies to the job's status message, which the bot's status registry names.
    assert world.bot.commands is not None
    registry = world.bot.commands.generate.registry
    status_of = {job_id: await registry.get(job_id) for job_id in done}

    def album_for(job_id: str) -> Call | None:
        entry = status_of.get(job_id)
        if entry is None or not entry.message_id:
            return None
        return album_of.get((int(entry.chat.chat_id), int(entry.message_id)))

    latencies, read, upload, accepted, prior = [], [], [], [], []
    for job_id, done_at in done.items():
        album = album_for(job_id)
        if album is None or album.chat_id is None:
            continue
        chat_id = album.chat_id
        latencies.append(album.time - done_at)
        if (stages := world.trace.stages(job_id)) is not None:
            handled, started = stages
            read.append(handled - done_at)
            upload.append(started - handled)
            accepted.append(album.time - started)
        before = [c.time for c in calls if c.chat_id == chat_id and c.status == 200 and c.time < album.time
                  and c.method != "getUpdates"]
        if before:
            prior.append(album.time - max(before))

    last_album = max(c.time for c in album_of.values())
    bot_calls = [c for c in calls if c.method != "getUpdates" and c.time >= began]
    return Burst(
        label=label, jobs=len(commands), latencies=latencies, done_to_read=read, read_to_upload=upload,
        upload_to_accepted=accepted, prior_gap=prior, inversions=world.trace.inversions,
        inversion_units=world.trace.inversion_units,
        window=[c for c in bot_calls if c.time <= last_album],
        until_idle=bot_calls, failed=failed, commands_seconds=sent - began,
        drain_seconds=(max(done.values()) - min(done.values())) if done else 0.0,
        last_album_seconds=last_album - began, idle_seconds=idle_at - began)


def by_method(calls: list[Call]) -> str:
    return tally(c.method for c in calls)


def report(burst: Burst, tag: str, scenario: str) -> None:
    jobs = burst.jobs
    print(f"({tag}1) done -> album accepted (sendMediaGroup 200 at the stand-in), {scenario}: "
          f"{describe(burst.latencies)} ({len(burst.latencies)} of {jobs} jobs matched; failed jobs {burst.failed})")
    print(f"     where it goes (medians): done event -> the bot's delivery loop handles it "
          f"{statistics.median(burst.done_to_read) * 1000:.0f} ms; -> upload starts (pacer turn) "
          f"{statistics.median(burst.read_to_upload) * 1000:.0f} ms (p95 "
          f"{pct(burst.read_to_upload, 0.95) * 1000:.0f} ms); -> stand-in accepts "
          f"{statistics.median(burst.upload_to_accepted) * 1000:.0f} ms; album - the chat's previous bot call: "
          f"median {statistics.median(burst.prior_gap) * 1000:.0f} ms, min {min(burst.prior_gap) * 1000:.0f} ms")
    status = Counter(c.status for c in burst.until_idle)
    errors = ", ".join(f"{code}: {n}" for code, n in sorted(status.items()) if code != 200) or "none"
    charged = sum(units(c) for c in burst.until_idle) / jobs
    print(f"({tag}2) Bot API calls per job, {scenario}, first command -> last album: "
          f"{len(burst.window) / jobs:.2f} ({len(burst.window)} calls: {by_method(burst.window)}); "
          f"until idle (final status edits included): {len(burst.until_idle) / jobs:.2f} "
          f"({by_method(burst.until_idle)}); 429 answers: {status.get(429, 0)}; other non-200: {errors}")
    rate = (jobs - 1) / burst.drain_seconds if burst.drain_seconds else float("inf")
    print(f"     messages charged by Telegram's rules per job: {charged:.2f} (an album counts 2) -> at "
          f"{LIMITS.global_per_second}/s overall the bot can deliver at most {LIMITS.global_per_second / charged:.1f} "
          f"jobs/s; the lane finished {rate:.1f} jobs/s. The pacer dispatched lower-priority work {burst.inversions} "
          f"times ({burst.inversion_units} message slots) while an album whose own chat was ready waited on the "
          f"overall window")
    print(f"     timeline: {jobs} commands sent in {burst.commands_seconds:.2f} s; first -> last done "
          f"{burst.drain_seconds:.1f} s; last album {burst.last_album_seconds:.1f} s and idle "
          f"{burst.idle_seconds:.1f} s after the first command; getUpdates (long polling) calls not counted")


def group_ceiling(burst: Burst) -> None:
    """One group: 20 messages a minute, divided by the messages a job costs there."""
    charged = sum(units(c) for c in burst.until_idle)
    per_job = charged / burst.jobs
    ceiling = LIMITS.group_per_minute / per_job
    floor = 1 + 2 + 1  # the status message, the album (2 pictures), the final "done" edit
    print(f"(1c) ONE group, as a throughput (not run: {LIMITS.group_per_minute} messages/min per group, a 50-job "
          f"burst would take minutes): ceiling ~ {ceiling:.1f} jobs/min = {LIMITS.group_per_minute} / {per_job:.2f} "
          f"messages a job cost in the 25-group run (albums count 2) -> 50 jobs in ~ {PRIVATE_JOBS / ceiling:.0f} "
          f"min; even at this bot's floor of {floor} messages a job (status message, 2-picture album, final edit; "
          f"every other edit coalesced away) {LIMITS.group_per_minute / floor:.0f} jobs/min")


# -- main --------------------------------------------------------------------------------------


async def warm_up(world: World) -> None:
    """One job end to end (NovelAI login, connection pools), then a quiet second for every window."""
    user = SandboxUser(9_000_001, "Warm", "warm", "en")
    await run_burst(world, "warm-up", [Command(user.id, user, group=False)])
    await asyncio.sleep(1.1)


async def one_at_a_time(world: World) -> None:
    """Single jobs on an idle bot: the latency no queue of other chats' calls explains."""
    private, group = [], []
    for k in range(ISOLATED):
        user = SandboxUser(30_000 + k, f"alone{k}", f"alone{k}", "en")
        private += (await run_burst(world, "alone", [Command(user.id, user, group=False)])).latencies
        await asyncio.sleep(1.1)
        group += (await run_burst(world, "alone-group", [Command(-1_003_000_000_000 - k, user, group=True)])
                  ).latencies
        await asyncio.sleep(1.1)
    print(f"(1 idle) one job at a time on an idle bot ({ISOLATED} each), done -> album accepted: private chat "
          f"{describe(private)}; group {describe(group)}")


async def benchmark(world: World) -> None:
    await warm_up(world)
    await one_at_a_time(world)
    private = [SandboxUser(10_000 + i, f"user{i}", f"user{i}", "en") for i in range(PRIVATE_JOBS)]
    burst = await run_burst(world, "private", [Command(u.id, u, group=False) for u in private])
    report(burst, "a", f"{PRIVATE_JOBS} private chats x 1 job")
    await asyncio.sleep(1.1)

    members = [SandboxUser(20_000 + i, f"member{i}", f"member{i}", "en") for i in range(GROUPS * JOBS_PER_GROUP)]
    commands = [Command(-1_002_000_000_000 - i // JOBS_PER_GROUP, user, group=True) for i, user in enumerate(members)]
    burst = await run_burst(world, "groups", commands)
    report(burst, "b", f"{GROUPS} groups x {JOBS_PER_GROUP} jobs ({len(commands)} jobs)")
    group_ceiling(burst)
    pacer = world.bot.runtime.pacer
    print(f"totals: the stand-in answered 429 {world.telegram.stats.too_many_requests} times; the bot's pacer saw "
          f"{pacer.rate_limited} RateLimited and counted {pacer.calls_made} paced messages")


async def busy_group(world: World) -> None:
    """(3): 50 waiting jobs in ONE group: how soon each command's Cancel button shows, and what it costs."""
    telegram, queue = world.telegram, world.services.queue
    await world.services.redis.set(queue.keys.lane_pause("default"), "bench", px=int(BUSY_CAP * 2000))
    members = [SandboxUser(40_000 + i, f"busy{i}", f"busy{i}", "en") for i in range(BUSY_JOBS)]
    calls_before = len(await asyncio.to_thread(telegram.calls))
    began = time.monotonic()
    sent: dict[str, float] = {}  # member (user id; one command each) -> when the command was sent
    for n, user in enumerate(members):
        telegram.user_message(BUSY_GROUP, user, f"/generate@{BOT_USERNAME} a cat, number {n} {OPTIONS}",
                              chat_type="supergroup", chat_title="Busy group")
        sent[str(user.id)] = time.monotonic()
    last_command = str(members[-1].id)
    job_of: dict[str, str] = {}  # member -> their job's id
    visible: dict[str, float] = {}  # member -> when their job's Cancel showed
    while len(visible) < BUSY_JOBS and time.monotonic() - began < BUSY_CAP:
        world.check_alive()
        if len(job_of) < BUSY_JOBS:
            for job in await queue.get_many(await queue.waiting_ids("default", BUSY_JOBS + 10)):
                if job.requester.chat_id == str(BUSY_GROUP):
                    job_of[job.requester.user_id] = job.id
        messages = await asyncio.to_thread(telegram.bot_messages, BUSY_GROUP)
        shown: set[str] = set()  # job ids shown with a Cancel button
        for message in messages:
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    data = str(button.get("callback_data", ""))
                    if data.startswith("cancel:"):
                        shown.add(data.split(":", 1)[1])
        now = time.monotonic()
        for member, job_id in job_of.items():
            if member not in visible and job_id in shown:
                visible[member] = now
        await asyncio.sleep(0.1)
    calls = [c for c in (await asyncio.to_thread(telegram.calls))[calls_before:]
             if c.chat_id == BUSY_GROUP and c.method not in ("getUpdates", "answerCallbackQuery")]
    waits = [at - sent[member] for member, at in visible.items()]
    last = visible.get(last_command)
    last_text = f"{last - sent[last_command]:.1f} s" if last is not None else f"not within {BUSY_CAP:.0f} s"
    elapsed = time.monotonic() - began
    print(f"(3) ONE group, {BUSY_JOBS} waiting jobs at {LIMITS.group_per_minute} messages/min: command -> its Cancel "
          f"button visible: the {BUSY_JOBS}th command {last_text}; {len(visible)} of {BUSY_JOBS} visible within "
          f"{elapsed:.0f} s" + (f" ({describe(waits)})" if waits else ""))
    print(f"    Bot API calls into the group until then: {len(calls)} = {len(calls) / BUSY_JOBS:.2f} per job "
          f"({by_method(calls)}); 429 answers: {sum(1 for c in calls if c.status == 429)}")
    await world.services.redis.delete(queue.keys.lane_pause("default"))


async def main() -> None:
    async with bench_session("telegram") as session:
        prefix = f"{session.base}:tg"
        with running_telegram(limits=LIMITS, bot_username=BOT_USERNAME) as telegram:
            novelai_url, _novelai = await start_novelai_stand_in(
                session.procs, "novelai", [f"{NOVELAI_EMAIL}:{NOVELAI_PASSWORD}:3:100000000"], "--step-latency",
                str(STEP_LATENCY))
            env = environment(prefix, session.tmp, novelai_url, telegram)
            async with running_bot(TelegramBot, env, session.procs, WORKER_THREADS) as running:
                settings, services, worker, bot = running
                trace = Trace()
                trace.install(bot)
                tg = settings.telegram
                print(f"{await session.headline('telegram')}; stand-in limits: {LIMITS.private_per_second:g}/s per "
                      f"private chat (burst {LIMITS.private_burst}), {LIMITS.group_per_minute}/min per group, "
                      f"{LIMITS.global_per_second}/s overall; bot pacing (defaults): {tg.private_per_second:g}/s, "
                      f"{tg.group_per_minute}/min, {tg.global_per_second}/s; NovelAI stand-in {STEP_LATENCY} s x "
                      f"{STEPS} steps, n=2 512x512; 1 worker process x {WORKER_THREADS} threads; every job on the "
                      f"'default' account (one lane, one job at a time)")
                world = World(telegram=telegram, services=services, bot=bot, worker=worker, procs=session.procs,
                              trace=trace, prefix=prefix)
                if "--busy-group" in sys.argv[1:]:
                    await busy_group(world)
                else:
                    await benchmark(world)


if __name__ == "__main__":
    asyncio.run(main())
