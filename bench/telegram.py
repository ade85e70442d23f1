"""Benchmark of Telegram delivery: prints figures, asserts nothing.

The real bot (``bot.telegram_bot.TelegramBot``, python-telegram-bot) runs in this process against the Bot
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

The worker and the NovelAI stand-in run in their own process groups, always killed at the end. Every
Redis key lives under one ``naibot-bench:<random>`` prefix and is deleted afterwards (never FLUSHDB).
Run: ``.venv/bin/python bench/telegram.py``.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import os
import sys

# Run as a script, this folder is sys.path[0] and this file is called telegram.py: it would shadow
# python-telegram-bot's ``telegram`` package, which the bot imports.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import asyncio
import contextlib
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from bot.telegram_bot import TelegramBot
from naibot.settings import load_settings
from sandbox.telegram import Call, FloodLimits, SandboxUser, TelegramSandbox, running_telegram
from tasks.events import Event, follow
from tasks.launch import spawn_worker, wait_for_heartbeats
from tasks.services import QueueServices

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("NAIBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET_KEY = "benchmark secret key, at least 32 chars"
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
# Telegram's limits as the stand-in enforces them (the bot's defaults are the same numbers).
LIMITS = FloodLimits()
# What Telegram counts against a chat's limit: one message per call, one per picture of an album.
CHARGED = {"sendMessage": 1, "editMessageText": 1, "editMessageCaption": 1, "editMessageReplyMarkup": 1,
           "sendPhoto": 1, "sendDocument": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms_of(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


def describe(values: list[float]) -> str:
    """Seconds -> 'median X ms, p95 Y ms, max Z ms'."""
    if not values:
        return "no samples"
    return (f"median {statistics.median(values) * 1000:.0f} ms, p95 {pct(values, 0.95) * 1000:.0f} ms, "
            f"min {min(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")


def units(call: Call) -> int:
    """Messages a call was charged (the stand-in charges an edit before finding it unchanged)."""
    if call.status != 200 and "not modified" not in (call.description or ""):
        return 0
    if call.method == "sendMediaGroup":
        return len(call.params.get("media") or [])
    return CHARGED.get(call.method, 0)


@dataclass
class Processes:
    """Subprocesses in their own process groups, all killed at the end whatever happens."""

    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - the child writes to it
        process = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.started.append(process)
        return process

    def adopt(self, process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            except ProcessLookupError:
                pass
        # Dramatiq's forked children may outlive their parent: clear the whole group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for process in self.started:
            self.stop(process)

    def tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]


# -- the world: stand-ins, worker, bot ----------------------------------------------------------


async def start_novelai(procs: Processes) -> str:
    port = free_port()
    process = procs.start("novelai", [sys.executable, "-m", "bot.cli", "sandbox", "novelai", "--port", str(port),
                                      "--user", f"{NOVELAI_EMAIL}:{NOVELAI_PASSWORD}:3:100000000",
                                      "--step-latency", str(STEP_LATENCY)])
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as probe:
        for _ in range(400):
            if process.poll() is not None:
                raise RuntimeError(f"the NovelAI stand-in exited:\n{procs.tail('novelai')}")
            try:
                await probe.get(f"{url}/_sandbox/stats")
                return url
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"the NovelAI stand-in did not start:\n{procs.tail('novelai')}")


def environment(prefix: str, tmp: Path, novelai_url: str, telegram: TelegramSandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NAIBOT_", "NOVELAI_", "REDIS_", "TELEGRAM_", "STORAGE_"))}
    env.update({
        "NAIBOT_SETTINGS": str(tmp / "absent-settings.yaml"),
        "REDIS_URL": REDIS_URL,
        "NAIBOT_REDIS__PREFIX": prefix,
        "NOVELAI_API_URL": novelai_url,
        "NOVELAI_IMAGE_URL": novelai_url,
        "NOVELAI_EMAIL": NOVELAI_EMAIL,
        "NOVELAI_PASSWORD": NOVELAI_PASSWORD,
        "NAIBOT_SECRET_KEY": SECRET_KEY,
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(tmp / "images"),
        # Two 512x512 images cost Anlas on Opus; everything else keeps production defaults, the
        # Telegram pacing included (1/s per chat, 20/min per group, 30/s overall).
        "NAIBOT_QUEUE__MAX_ANLAS_PER_JOB": "20",
        "NAIBOT_LOGGING__LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
    })
    return env


@dataclass
class Trace:
    """Observations taken inside the bot by shims on its instances (behaviour unchanged): when the
    delivery loop handled a ``done`` event and when the upload started (time.time()), and, at every pacer
    dispatch, whether an album (``result:`` work) that its own chat's window allowed was waiting only on
    the overall window while lower-priority work went out instead."""

    done_handled: dict[str, float] = field(default_factory=dict)
    deliver_started: dict[str, float] = field(default_factory=dict)
    inversions: int = 0
    inversion_units: int = 0

    def clear(self) -> None:
        self.done_handled.clear()
        self.deliver_started.clear()
        self.inversions = self.inversion_units = 0

    def install(self, bot: TelegramBot) -> None:
        delivery, pacer = bot.runtime.delivery, bot.runtime.pacer
        handle, deliver, execute = delivery.handle, delivery.deliver, pacer._execute

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

        async def traced_handle(event: Event) -> None:
            if event.type == "done" and event.job:
                self.done_handled.setdefault(event.job, time.time())
            await handle(event)

        async def traced_deliver(job_id: str) -> int:
            self.deliver_started.setdefault(job_id, time.time())
            return await deliver(job_id)

        delivery.handle = traced_handle  # type: ignore[method-assign]
        delivery.deliver = traced_deliver  # type: ignore[method-assign]
        pacer._execute = traced_execute  # type: ignore[method-assign]


@dataclass
class World:
    telegram: TelegramSandbox
    services: QueueServices
    bot: TelegramBot
    worker: subprocess.Popen[bytes]
    procs: Processes
    trace: Trace
    prefix: str

    def check_alive(self) -> None:
        if self.worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {self.worker.returncode}:\n{self.procs.tail('worker')}")

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

    async def wait_idle(self, timeout: float = 60.0) -> float:
        """Until every status message is final (registry empty) and nothing is paced; returns time.time()."""
        registry, pacer = self.bot.runtime.delivery.registry, self.bot.runtime.pacer
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while True:
            self.check_alive()
            idle = not await registry.live() and pacer.pending() == 0
            now = time.monotonic()
            if idle:
                quiet_since = quiet_since or now
                if now - quiet_since >= 0.5:  # stays idle: no late event re-opened work
                    return time.time() - 0.5
            else:
                quiet_since = None
            if now > deadline:
                raise RuntimeError(f"the bot is not idle after {timeout:.0f} s: {len(await registry.live())} live "
                                   f"status messages, {pacer.pending()} paced calls pending")
            await asyncio.sleep(0.05)


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
    idle_at = await world.wait_idle()

    # Which job is which: its done event (time), its requester (chat, status message = album's reply).
    events: list[Event] = []
    cursor = after
    while batch := await follow(world.services.redis, world.prefix, cursor, block_ms=1):
        events.extend(batch)
        cursor = batch[-1].id
    done = {e.job: ms_of(e.id) / 1000 for e in events if e.type == "done" and e.job}
    failed = sum(1 for e in events if e.type == "failed")
    calls = (await asyncio.to_thread(telegram.calls))[calls_before:]
    album_of: dict[tuple[int, int], Call] = {}
    for call in calls:
        if call.method == "sendMediaGroup" and call.status == 200 and call.chat_id in chats:
            reply = (call.params.get("reply_parameters") or {}).get("message_id")
            album_of.setdefault((call.chat_id, int(reply or 0)), call)

    jobs = {job_id: await queue.get(job_id) for job_id in done}

    def album_for(job_id: str) -> Call | None:
        job = jobs.get(job_id)
        if job is None or job.requester.chat_id is None:
            return None
        return album_of.get((int(job.requester.chat_id), int(job.requester.reply.get("message_id", 0))))

    latencies, read, upload, accepted, prior = [], [], [], [], []
    for job_id, done_at in done.items():
        album = album_for(job_id)
        if album is None or album.chat_id is None:
            continue
        chat_id = album.chat_id
        latencies.append(album.time - done_at)
        handled = world.trace.done_handled.get(job_id)
        started = world.trace.deliver_started.get(job_id)
        if handled is not None and started is not None:
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
    counts = Counter(c.method for c in calls)
    return ", ".join(f"{method} {n}" for method, n in counts.most_common())


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


async def delete_prefix(redis: aioredis.Redis, base: str) -> int:
    deleted, batch = 0, []
    async for key in redis.scan_iter(match=f"{base}:*", count=5000):
        batch.append(key)
        if len(batch) >= 1000:
            deleted += await redis.unlink(*batch)
            batch = []
    if batch:
        deleted += await redis.unlink(*batch)
    return deleted


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


async def main() -> None:
    began = time.monotonic()
    base = f"naibot-bench:{uuid.uuid4().hex[:8]}"
    prefix = f"{base}:tg"
    redis = aioredis.Redis.from_url(REDIS_URL)
    with tempfile.TemporaryDirectory(prefix="naibot-bench-telegram-") as tmp_dir, contextlib.ExitStack() as stack:
        tmp = Path(tmp_dir)
        procs = Processes(tmp)
        bot: TelegramBot | None = None
        services: QueueServices | None = None
        try:
            telegram = stack.enter_context(running_telegram(limits=LIMITS, bot_username=BOT_USERNAME))
            novelai_url = await start_novelai(procs)
            env = environment(prefix, tmp, novelai_url, telegram)
            settings = load_settings(env=env)
            services = QueueServices.from_settings(settings)
            known = set(await services.redis.zrange(services.queue.keys.workers, 0, -1))
            with (tmp / "worker.log").open("wb") as log:
                worker = procs.adopt(spawn_worker(env, settings.queue.dramatiq_queue, processes=1,
                                                  threads=WORKER_THREADS, log=log))
            try:
                await wait_for_heartbeats(services.redis, prefix, worker, known, 1)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}:\n{procs.tail('worker')}") from None
            bot = TelegramBot(settings)
            await bot.start()
            trace = Trace()
            trace.install(bot)
            tg = settings.telegram
            print(f"telegram benchmark: {os.cpu_count()} CPUs, Redis {(await redis.info('server'))['redis_version']}, "
                  f"keys under {base}:*; stand-in limits: {LIMITS.private_per_second:g}/s per private chat (burst "
                  f"{LIMITS.private_burst}), {LIMITS.group_per_minute}/min per group, {LIMITS.global_per_second}/s "
                  f"overall; bot pacing (defaults): {tg.private_per_second:g}/s, {tg.group_per_minute}/min, "
                  f"{tg.global_per_second}/s; NovelAI stand-in {STEP_LATENCY} s x {STEPS} steps, n=2 512x512; 1 "
                  f"worker process x {WORKER_THREADS} threads; every job on the 'default' account (one lane, "
                  f"one job at a time)")
            world = World(telegram=telegram, services=services, bot=bot, worker=worker, procs=procs, trace=trace,
                          prefix=prefix)
            await benchmark(world)
        finally:
            if bot is not None:
                with contextlib.suppress(Exception):
                    await bot.stop()
            if services is not None:
                await services.aclose()
            procs.stop_all()
            stack.close()  # the Telegram stand-in
            deleted = await delete_prefix(redis, base)
            await redis.aclose()
            print(f"cleanup: deleted {deleted:,} keys under {base}:*; whole run {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
