"""What the benchmarks in bench/ share: processes, the NovelAI stand-in, workers, Redis keys, figures.

Every benchmark runs its stand-ins and workers as subprocesses in their own process groups (killed at
the end whatever happens, Dramatiq's forked children included), keeps every Redis key under one
``naibot-bench:<random>`` prefix that it deletes afterwards (never FLUSHDB), and configures the
product only through the environment, as tests/fixtures/deployment.py does. Those rules live here once so
the benchmarks cannot drift apart on them.

The scripts import this as ``bench.common``: run as ``.venv/bin/python bench/<name>.py``, each first
puts the repo root in place of bench/ on ``sys.path`` (bench/queue.py, telegram.py and discord.py
would otherwise shadow ``queue``, ``telegram`` and ``discord``).

One piece although past 400 lines: it is what the benchmarks would otherwise each write again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import httpx
import redis.asyncio as aioredis

from naibot.settings import Settings, load_settings
from tasks.events import Event, follow
from tasks.launch import spawn_worker, wait_for_heartbeats
from tasks.services import QueueServices

if TYPE_CHECKING:
    from bot.chat.delivery import Delivery
    from bot.chat.pacer import Pacer
    from sandbox.discord import DiscordSandbox
    from sandbox.telegram import TelegramSandbox

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("NAIBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET_KEY = "PWoUJ6WM2WYWjuhXPhTgOUV8aNpfSm/Z02Mo57ufoRc="  # random: naibot refuses a guessable key
# Settings a developer's shell may carry: they would leak into the benchmark's deployment.
SHELL_SETTINGS = ("NAIBOT_", "NOVELAI_", "REDIS_", "TELEGRAM_", "DISCORD_", "STORAGE_")


# -- figures -----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile by nearest rank (no interpolation: always a value that was measured)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def describe(values: list[float]) -> str:
    """Seconds -> 'median X ms, p95 Y ms, min W ms, max Z ms'."""
    if not values:
        return "no samples"
    return (f"median {statistics.median(values) * 1000:.0f} ms, p95 {pct(values, 0.95) * 1000:.0f} ms, "
            f"min {min(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")


def spread(values: list[float], unit: float = 1.0, digits: int = 0) -> str:
    """'min / median / max' of ``values`` times ``unit`` (1000: seconds shown as ms), for a table cell."""
    if not values:
        return "n/a"
    shown = [v * unit for v in (min(values), statistics.median(values), max(values))]
    return " / ".join(f"{v:.{digits}f}" for v in shown)


def tally(names: Iterable[str], per: int = 1) -> str:
    """'a 3, b 1': how often each name occurs (most first), divided by ``per`` (jobs) when it is not 1;
    e.g. the Bot API methods or REST routes of a run's calls."""
    counts = Counter(names)
    if per == 1:
        return ", ".join(f"{name} {n}" for name, n in counts.most_common())
    return ", ".join(f"{name} {n / per:.2f}" for name, n in counts.most_common())


def ms_of(entry_id: str) -> int:
    """The Redis server's clock (ms) when it added a stream entry: the first half of its id."""
    return int(entry_id.split("-", 1)[0])


# -- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on now, for a stand-in to bind (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Processes:
    """Subprocesses in their own process groups, all killed at the end whatever happens."""

    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start ``args`` in the repo root, its output in ``<logs>/<name>.log`` (see ``tail``)."""
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - the child writes to it
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.started.append(process)
        return process

    def adopt(self, process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        """Kill at the end a process started elsewhere (in its own process group)."""
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
        """The end of a process's log, for the error that says why a benchmark stopped."""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


async def start_novelai_stand_in(procs: Processes, name: str, users: list[str], *options: str
                                 ) -> tuple[str, subprocess.Popen[bytes]]:
    """``naibot sandbox novelai`` on a free port, in its own process (so it does not share the
    benchmark's CPU time slice); returns its URL once it answers. ``users``: ``email:password:tier:anlas``.
    Instant steps unless ``options`` say otherwise: the stand-in's own default (0.03 s a step, to
    make positions visible to a person) would measure the stand-in, not naibot."""
    port = free_port()
    args = [sys.executable, "-m", "bot.cli", "sandbox", "novelai", "--port", str(port)]
    if "--step-latency" not in options:
        args += ["--step-latency", "0"]
    for user in users:
        args += ["--user", user]
    process = procs.start(name, [*args, *options])
    url = f"http://127.0.0.1:{port}"
    await wait_until_answering(procs, name, process, f"{url}/_sandbox/stats")
    return url, process


async def wait_until_answering(procs: Processes, name: str, process: subprocess.Popen[bytes], probe_url: str,
                               attempts: int = 400) -> None:
    """Wait for a process we started to answer HTTP at ``probe_url``; raise with its log if it dies."""
    async with httpx.AsyncClient() as probe:
        for _ in range(attempts):
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{procs.tail(name)}")
            try:
                await probe.get(probe_url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"{name} did not start:\n{procs.tail(name)}")


# -- the deployment: environment and workers ---------------------------------------------------


def clean_environ() -> dict[str, str]:
    """This process's environment without the developer's own naibot, NovelAI, Redis, chat and storage
    settings, which would otherwise reach the benchmark's processes."""
    return {k: v for k, v in os.environ.items() if not k.startswith(SHELL_SETTINGS)}


def deployment_env(*, prefix: str, tmp: Path, novelai_url: str, email: str, password: str, images: Path,
                   **extra: str) -> dict[str, str]:
    """A deployment configured only through the environment (as tests/fixtures/deployment.py): every key under
    ``prefix``, NovelAI at the stand-in with one ``default`` account, images on local disk, no settings
    file (``NAIBOT_SETTINGS=/dev/null``), warnings only; ``extra`` on top."""
    env = clean_environ()
    env.update({
        "NAIBOT_SETTINGS": os.devnull,
        "REDIS_URL": REDIS_URL,
        "NAIBOT_REDIS__PREFIX": prefix,
        "NOVELAI_API_URL": novelai_url,
        "NOVELAI_IMAGE_URL": novelai_url,
        "NOVELAI_EMAIL": email,
        "NOVELAI_PASSWORD": password,
        "NAIBOT_SECRET_KEY": SECRET_KEY,
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(images),
        "NAIBOT_LOGGING__LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


def telegram_env(telegram: TelegramSandbox) -> dict[str, str]:
    """The settings that point the bot at a Telegram Bot API stand-in (its token and URL); the pacing
    keeps the product's defaults, which are Telegram's real limits."""
    return {"TELEGRAM_TOKEN": telegram.token, "TELEGRAM_API_URL": telegram.url}


def discord_env(discord: DiscordSandbox, guild: int) -> dict[str, str]:
    """The settings that point the bot at a Discord stand-in (token, REST and gateway URLs) and register
    its commands in ``guild``; the pacing keeps the product's defaults, which are Discord's limits."""
    return {"DISCORD_TOKEN": discord.token, "DISCORD_API_URL": discord.api_url,
            "DISCORD_GATEWAY_URL": discord.gateway_url, "NAIBOT_DISCORD__GUILDS": f"[{guild}]"}


def spawn_logged_worker(procs: Processes, name: str, env: dict[str, str], threads: int) -> subprocess.Popen[bytes]:
    """One worker process started as in production (tasks.launch), its output in ``<logs>/<name>.log``."""
    with (procs.logs / f"{name}.log").open("wb") as log:
        return procs.adopt(spawn_worker(env, load_settings(env=env).queue.dramatiq_queue, processes=1,
                                        threads=threads, log=log))


async def start_ready_worker(procs: Processes, services: QueueServices, env: dict[str, str], threads: int,
                             name: str = "worker") -> subprocess.Popen[bytes]:
    """A worker as ``spawn_logged_worker``, returned once it has beaten its heart (its sweepers run)."""
    # Worker ids as this client returns them, the type wait_for_heartbeats compares its own replies with.
    known = cast("set[bytes]", set(await services.redis.zrange(services.queue.keys.workers, 0, -1)))
    worker = spawn_logged_worker(procs, name, env, threads)
    try:
        await wait_for_heartbeats(services.redis, services.settings.redis.prefix, worker, known, 1)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}:\n{procs.tail(name)}") from None
    return worker


# -- one run: a key prefix, a temporary folder, processes; all cleaned up -------------------------


async def delete_prefix(redis: aioredis.Redis, base: str) -> int:
    """UNLINK every key under ``<base>:`` (SCAN, in batches): the benchmark's keys and nothing else."""
    deleted, batch = 0, []
    async for key in redis.scan_iter(match=f"{base}:*", count=5000):
        batch.append(key)
        if len(batch) >= 1000:
            deleted += await redis.unlink(*batch)
            batch = []
    if batch:
        deleted += await redis.unlink(*batch)
    return deleted


@dataclass
class BenchSession:
    """A benchmark's key prefix (``base``), Redis connection, temporary folder and processes."""

    base: str
    redis: aioredis.Redis
    tmp: Path
    procs: Processes

    async def headline(self, name: str) -> str:
        """'<name> benchmark: N CPUs, Redis X, keys under <base>:*', which every figure depends on."""
        version = (await self.redis.info("server"))["redis_version"]
        return f"{name} benchmark: {os.cpu_count()} CPUs, Redis {version}, keys under {self.base}:*"


@contextlib.asynccontextmanager
async def bench_session(name: str, *, report_cleanup: bool = True) -> AsyncIterator[BenchSession]:
    """A fresh ``naibot-bench:<random>`` prefix and temporary folder; at the end, whatever happens, every
    process killed and every key under the prefix deleted, and (``report_cleanup``) a ``cleanup:`` line
    with the keys deleted and the whole run's time."""
    began = time.monotonic()
    base = f"naibot-bench:{uuid.uuid4().hex[:8]}"
    redis = aioredis.Redis.from_url(REDIS_URL)
    with tempfile.TemporaryDirectory(prefix=f"naibot-bench-{name}-") as tmp_dir:
        procs = Processes(Path(tmp_dir))
        try:
            yield BenchSession(base=base, redis=redis, tmp=Path(tmp_dir), procs=procs)
        finally:
            procs.stop_all()
            deleted = await delete_prefix(redis, base)
            await redis.aclose()
            if report_cleanup:
                print(f"cleanup: deleted {deleted:,} keys under {base}:*; whole run {time.monotonic() - began:.0f} s")


# -- a chat bot under test ---------------------------------------------------------------------


class ChatBot(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


BotT = TypeVar("BotT", bound=ChatBot)


@contextlib.asynccontextmanager
async def running_bot(make_bot: Callable[[Settings], BotT], env: dict[str, str], procs: Processes, threads: int
                      ) -> AsyncIterator[tuple[Settings, QueueServices, subprocess.Popen[bytes], BotT]]:
    """The deployment ``env`` describes: its settings, queue services, one ready worker process of
    ``threads`` threads and the bot, started in this process. At the end the bot stops and the services
    close; the worker is ``procs``' to kill."""
    settings = load_settings(env=env)
    services = QueueServices.from_settings(settings)
    bot: BotT | None = None
    try:
        worker = await start_ready_worker(procs, services, env, threads)
        bot = make_bot(settings)
        await bot.start()
        yield settings, services, worker, bot
    finally:
        if bot is not None:
            with contextlib.suppress(Exception):
                await bot.stop()
        await services.aclose()


def delivery_and_pacer(bot: Any) -> tuple[Delivery, Pacer]:
    """The bot's delivery loop and pacer (held by its ``ChatRuntime`` once started; older bots held them)."""
    holder: Any = getattr(bot, "runtime", None) or bot
    return holder.delivery, holder.pacer


async def wait_until_idle(bot: Any, check_alive: Callable[[], None], timeout: float = 60.0) -> float:
    """Until every status message is final (registry empty) and nothing is paced; returns time.time()."""
    delivery, pacer = delivery_and_pacer(bot)
    registry = delivery.registry
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while True:
        check_alive()
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


@dataclass
class ChatWorld:
    """What a chat bot benchmark's bursts run against: the queue services and the worker (whose log is
    ``worker`` in ``procs``) of the deployment whose keys are under ``prefix``."""

    services: QueueServices
    worker: subprocess.Popen[bytes]
    procs: Processes
    prefix: str

    def check_alive(self) -> None:
        """Stop waiting for a worker that is gone: raise with the end of its log."""
        if self.worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {self.worker.returncode}:\n{self.procs.tail('worker')}")

    async def job_ends(self, after: str) -> tuple[dict[str, float], int]:
        """The events after ``after`` (read to the end, without waiting): job -> when its ``done`` event was
        added (s, the Redis server's clock), and how many jobs failed."""
        events: list[Event] = []
        cursor = after
        while batch := await follow(self.services.redis, self.prefix, cursor, block_ms=1):
            events.extend(batch)
            cursor = batch[-1].id
        done = {e.job: ms_of(e.id) / 1000 for e in events if e.type == "done" and e.job}
        return done, sum(1 for e in events if e.type == "failed")


@dataclass
class DeliveryTrace:
    """Observations taken inside the bot by shims on its ``Delivery`` (behaviour unchanged): when the
    delivery loop handled a job's ``done`` event and when its upload started (time.time())."""

    done_handled: dict[str, float] = field(default_factory=dict)
    deliver_started: dict[str, float] = field(default_factory=dict)

    def clear(self) -> None:
        self.done_handled.clear()
        self.deliver_started.clear()

    def install_delivery(self, delivery: Delivery) -> None:
        handle, deliver = delivery.handle, delivery.deliver

        async def traced_handle(event: Event) -> None:
            if event.type == "done" and event.job:
                self.done_handled.setdefault(event.job, time.time())
            await handle(event)

        async def traced_deliver(job_id: str) -> int:
            self.deliver_started.setdefault(job_id, time.time())
            return await deliver(job_id)

        delivery.handle = traced_handle  # type: ignore[method-assign]
        delivery.deliver = traced_deliver  # type: ignore[method-assign]

    def stages(self, job_id: str) -> tuple[float, float] | None:
        """(done handled, upload started) for a job, or None when the shims missed either."""
        handled = self.done_handled.get(job_id)
        started = self.deliver_started.get(job_id)
        return None if handled is None or started is None else (handled, started)
