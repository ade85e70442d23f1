"""Benchmark of the job queue: prints figures, asserts nothing.

(a) end-to-end jobs per second (submit -> Dramatiq worker -> NovelAI stand-in -> local storage ->
    ``done`` event) with 8 accounts and one worker process of 4 threads, next to a bare Dramatiq
    actor (``bench/bare_actor.py``) doing the same stand-in call without any scheduling; also the
    stand-in's own ceiling, and the product once more with its default streaming endpoint;
(b) the idle gap between one job's end and the next one's start on a busy lane (one account,
    one worker thread), within a time slice and at slice boundaries (a Dramatiq round trip); and
    (``gap``) the same gap over more than two lease periods: (e) with one worker process of one thread,
    since a lane that stalls at a lease renewal shows only in a run longer than the lease (max, p99
    and median gap, the stalls with where they fall among the lease renewals, read every 100 ms);
(c) position lookups (``JobQueue.get``, ZRANK included) with 100,000 jobs waiting in one lane, one by one
    and in batches of 100 and 500 (``JobQueue.positions``: one round trip per call) next to a pipeline of
    one-by-one lookups; and the Redis reads of a lane's status refresh after a pop (the delivery loop);
(d) Redis memory per waiting job, from MEMORY USAGE of the keys the queue creates;
(e) a busy lane for longer than two leases: one account, jobs of 1-2 s, two worker processes (the
    second one's threads idle, ready to take the lane over), with the production lease; prints the
    largest gap between one job's end and the next one's start, the stalls (gaps over 1 s), the
    overlaps, the lease losses the workers logged and the stand-in's peak concurrency. The run's
    length and the lease come from BENCH_BUSY_SECONDS (90) and BENCH_BUSY_LEASE (30).

The stand-in and the workers run as separate processes (own process groups, always killed at
the end), configured only through the environment as in tests/fixtures/deployment.py. Every Redis key
lives under one ``naibot-bench:<random>`` prefix and is deleted afterwards (never FLUSHDB).
One piece although past 400 lines: one benchmark's scenarios and their report, read top to bottom.
Run: ``.venv/bin/python bench/queue.py`` (everything), ``.venv/bin/python bench/queue.py e2e`` (only (a): about
a minute), ``.venv/bin/python bench/queue.py busy-lane`` (only (e)),
``.venv/bin/python bench/queue.py gap`` (only the long one-worker (b): about 100 s with the 30 s lease),
``.venv/bin/python bench/queue.py positions`` (only (c) and (d)) or ``.venv/bin/python bench/queue.py --quick``
((c) and (d) with fewer lookups, still 100,000 waiting: about a minute on a shared 2-CPU machine).
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0] and this file, queue.py, would shadow the standard library's ``queue``
# (imported by concurrent.futures, asyncio, dramatiq, ...): the repo root takes its place (so ``bench.common``
# is found).
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import contextlib
import itertools
import json
import os
import random
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import redis.asyncio as aioredis
from dramatiq.brokers.redis import RedisBroker

from bench.common import (
    REDIS_URL,
    ROOT,
    SECRET_KEY,
    Processes,
    bench_session,
    clean_environ,
    deployment_env,
    ms_of,
    pct,
    spawn_logged_worker,
    start_novelai_stand_in,
    start_ready_worker,
)
from bot.chat.lane_positions import LanePositions
from bot.chat.ports import ChatRef
from bot.chat.status_registry import StatusEntry
from naibot.secrets import SecretBox
from naibot.settings import QueueSettings, load_settings
from novelai.accounts import Account, AccountStore
from novelai.payload import build_payload
from novelai.request import GenerationRequest
from tasks.events import follow
from tasks.job import Job, Requester
from tasks.queue import POSITIONS_BATCH, JobQueue
from tasks.services import QueueServices

ACCOUNTS = 8
E2E_JOBS = 800  # 100 per account
E2E_USERS = 16
SUBMIT_CONCURRENCY = 16
GAP_JOBS = 200
# The second gap run: jobs long enough (~160 ms) for Dramatiq's idle polling to back off as it
# would between real generations (seconds each), with fewer jobs to stay within the time budget.
GAP_SLOW_JOBS = 72
IDLE_PROBES = 6
IDLE_SECONDS = 1.2
STEP_LATENCY = 0.02
POSITION_JOBS = 100_000
POSITION_USERS = 10_000  # 10 waiting jobs each: the default per-user limit
LOOKUPS_SEQUENTIAL = 3_000
LOOKUPS_CONCURRENT = 12_800
LOOKUP_CALLERS = 32
BATCHED_POSITIONS = 200_000  # per batch size (a quarter with --quick)
BATCH_SIZES = (100, 500)
REFRESH_MESSAGES = (100, 500)
MAX_ANLAS = 1000
BUSY_SECONDS = float(os.environ.get("BENCH_BUSY_SECONDS", "90"))
BUSY_LEASE = os.environ.get("BENCH_BUSY_LEASE", "30")
BUSY_STEP_LATENCY = 0.15  # 7..13 steps: jobs of 1.05-1.95 s
BUSY_STEPS = (7, 13)
STALL_SECONDS = 1.0
LEASE_POLL = 0.1  # how often the busy-lane runs read the lane's lease (PTTL and owner)
BARE_QUEUE = "bench-bare"
REQUEST = GenerationRequest(prompt="benchmark cat", model="v4.5", width=512, height=512, steps=8, n_samples=1)
# A chat-sized prompt for the memory figure (the data JSON holds the whole resolved request).
MEMORY_REQUEST = GenerationRequest(
    prompt="1girl, solo, long hair, looking at viewer, smile, blue eyes, scenery, sky, cherry blossoms, "
           "upper body, detailed background, masterpiece, best quality",
    model="v4.5", width=832, height=1216, steps=28, n_samples=1)


def email(i: int) -> str:
    return f"bench{i}@example.com"


def password(i: int) -> str:
    return f"bench-password-{i}"


def account_name(i: int) -> str:
    # bench0 is the deployment's ``default`` account (NOVELAI_EMAIL/PASSWORD); the rest are stored.
    return "default" if i == 0 else f"bench{i}"


@dataclass
class Bench:
    base: str
    tmp: Path
    stand_in_url: str
    stand_in_pid: int
    slow_stand_in_url: str
    procs: Processes
    redis: aioredis.Redis

    def env(self, prefix: str, **overrides: str) -> dict[str, str]:
        return deployment_env(prefix=prefix, tmp=self.tmp, novelai_url=self.stand_in_url, email=email(0),
                              password=password(0), images=self.tmp / f"images-{prefix.rsplit(':', 1)[-1]}",
                              NAIBOT_QUEUE__MAX_WAITING_PER_USER="100000", **overrides)

    def start_worker(self, name: str, env: dict[str, str], threads: int) -> subprocess.Popen[bytes]:
        """One worker process started as in production (tasks.launch); ready = its warm-up jobs ran."""
        return spawn_logged_worker(self.procs, name, env, threads)


async def wait_for_events(redis: aioredis.Redis, prefix: str, after: str, want: Callable[[], set[str]],
                          process: subprocess.Popen[bytes], log: Callable[[], str], *, timeout: float = 120.0,
                          busy: asyncio.Task[Any] | None = None) -> dict[str, tuple[str, str]]:
    """Follow ``<prefix>:events`` until every job in ``want()`` has a done/failed event.

    Returns job -> (type, entry id). ``busy`` is a task still adding to ``want()`` (submission).
    """
    ended: dict[str, tuple[str, str]] = {}
    deadline = time.monotonic() + timeout
    while True:
        if (busy is None or busy.done()) and want() <= ended.keys():
            return ended
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}:\n{log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(want() - ended.keys())} jobs did not end within {timeout:.0f} s:\n{log()}")
        for event in await follow(redis, prefix, after, block_ms=200):
            after = event.id
            if event.type in ("done", "failed") and event.job:
                ended[event.job] = (event.type, event.id)
        if busy is not None and busy.done() and busy.exception() is not None:
            raise busy.exception()  # type: ignore[misc]


async def gather_in_batches(calls: Iterable[Callable[[], Awaitable[Any]]], size: int) -> list[Any]:
    results: list[Any] = []
    batch: list[Callable[[], Awaitable[Any]]] = []
    for call in calls:
        batch.append(call)
        if len(batch) == size:
            results += await asyncio.gather(*(c() for c in batch))
            batch = []
    if batch:
        results += await asyncio.gather(*(c() for c in batch))
    return results


# -- CPU accounting ----------------------------------------------------------------------------


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) of every live process in a process group, from /proc (Linux)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # pgrp; then utime and stime are fields 14 and 15 of stat
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMeter:
    """CPU used during a timed run by the worker, the stand-in, Redis (whole server) and this process."""

    redis: aioredis.Redis
    worker: int
    stand_in: int
    start: dict[str, float] = field(default_factory=dict)

    async def sample(self) -> dict[str, float]:
        info = await self.redis.info("cpu")
        return {"worker": group_cpu(self.worker), "stand-in": group_cpu(self.stand_in),
                "redis": float(info["used_cpu_user"]) + float(info["used_cpu_sys"]), "bench": time.process_time()}

    async def begin(self) -> None:
        self.start = await self.sample()

    async def per_job_ms(self, jobs: int) -> dict[str, float]:
        end = await self.sample()
        return {name: (end[name] - self.start[name]) / jobs * 1000 for name in end}


def describe_cpu(cpu: dict[str, float]) -> str:
    return ", ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())


@dataclass
class Run:
    rate: float
    cpu: dict[str, float]
    submit_seconds: float = 0.0
    failed: int = 0


# -- (a) end to end ---------------------------------------------------------------------------


async def stand_in_ceiling(bench: Bench, tokens: dict[str, str], body: dict[str, Any], per_account: int = 50
                           ) -> float:
    """Raw async httpx, one sequential loop per account (the stand-in's one-at-a-time rule).

    A fresh seed per request, as queued jobs have: the stand-in caches PNGs by seed.
    """
    async with httpx.AsyncClient(timeout=60) as http:
        async def run(token: str) -> None:
            for _ in range(per_account):
                seeded = {**body, "parameters": {**body["parameters"], "seed": random.randint(1, 2**32 - 8)}}
                response = await http.post(f"{bench.stand_in_url}/ai/generate-image", json=seeded,
                                           headers={"Authorization": f"Bearer {token}"})
                response.raise_for_status()
                _ = response.content

        await run(next(iter(tokens.values())))  # warm the connection pool
        started = time.perf_counter()
        await asyncio.gather(*(run(t) for t in tokens.values()))
        return len(tokens) * per_account / (time.perf_counter() - started)


async def login_tokens(bench: Bench, accounts: list[Account]) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=60) as http:
        tokens = {}
        for account in accounts:
            response = await http.post(f"{bench.stand_in_url}/user/login", json={"key": account.access_key})
            response.raise_for_status()
            tokens[account.name] = response.json()["accessToken"]
        return tokens


async def last_id(redis: aioredis.Redis, stream: str) -> str:
    entries = await redis.xrevrange(stream, count=1)
    return entries[0][0].decode() if entries else "0-0"


async def wait_for_stream(redis: aioredis.Redis, stream: str, after: str, jobs: set[str],
                          process: subprocess.Popen[bytes], log: Callable[[], str], timeout: float = 120.0
                          ) -> dict[str, str]:
    """For the bare actor's stream: job -> entry id of its ``done``."""
    ended: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while not jobs <= ended.keys():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the bare worker stalled or exited:\n{log()}")
        reply = await redis.xread({stream: after}, block=200, count=1000)
        for _stream, entries in reply or []:
            for entry_id, raw in entries:
                after = entry_id.decode()
                ended[raw[b"job"].decode()] = after
    return ended


async def bare_run(bench: Bench, tokens: dict[str, str], body: dict[str, Any]) -> Run:
    prefix = f"{bench.base}:bare"
    events = f"{prefix}:events"
    namespace = f"{prefix}:dramatiq"
    env = clean_environ()
    env.update({"BENCH_REDIS_URL": REDIS_URL, "BENCH_NAMESPACE": namespace, "BENCH_QUEUE": BARE_QUEUE,
                "BENCH_EVENTS": events, "BENCH_IMAGE_URL": bench.stand_in_url, "BENCH_TOKENS": json.dumps(tokens),
                "BENCH_BODY": json.dumps(body), "PYTHONPATH": str(ROOT)})
    worker = bench.procs.start("bare-worker", [sys.executable, "-m", "dramatiq", "bench.bare_actor", "--processes",
                                               "1", "--threads", "4", "--queues", BARE_QUEUE], env)
    broker = RedisBroker(url=REDIS_URL, namespace=namespace)
    names = list(tokens)
    meter = CpuMeter(bench.redis, worker.pid, bench.stand_in_pid)

    def send(jobs: list[str]) -> None:
        for i, job in enumerate(jobs):
            broker.enqueue(dramatiq.Message(queue_name=BARE_QUEUE, actor_name="bare_generate",
                                            args=(names[i % len(names)], job), kwargs={}, options={}))

    async def run(count: int, label: str) -> float:
        jobs = [f"{label}{i}" for i in range(count)]
        after = await last_id(bench.redis, events)
        started = time.time()
        await asyncio.to_thread(send, jobs)
        ended = await wait_for_stream(bench.redis, events, after, set(jobs), worker,
                                      lambda: bench.procs.tail("bare-worker"))
        return count / (max(ms_of(i) for i in ended.values()) / 1000 - started)

    try:
        await run(ACCOUNTS, "warm")  # boot, connections
        await meter.begin()
        rate = await run(E2E_JOBS, "job")
        return Run(rate, await meter.per_job_ms(E2E_JOBS))
    finally:
        bench.procs.stop(worker)
        broker.close()


async def product_run(bench: Bench, label: str, **overrides: str) -> Run:
    """Jobs/s from the first submit to the last ``done`` event, with CPU per job and failures."""
    prefix = f"{bench.base}:{label}"
    env = bench.env(prefix, **overrides)
    services = QueueServices.from_settings(load_settings(env=env))
    store = AccountStore(services.redis, SecretBox(SECRET_KEY), prefix)
    for i in range(1, ACCOUNTS):
        await store.add(Account.from_password(account_name(i), email(i), password(i)))
    worker = bench.start_worker(f"worker-{label}", env, threads=4)
    meter = CpuMeter(bench.redis, worker.pid, bench.stand_in_pid)
    people = [Requester(platform="bench", user_id=f"user{u}", display_name=f"User {u}", chat_id=f"chat{u % 4}",
                        reply={"message_id": 1000 + u}) for u in range(E2E_USERS)]
    submitted: set[str] = set()

    async def submit_all(count: int) -> float:
        async def one(n: int) -> None:
            job = await services.submitter.submit(REQUEST, people[n % E2E_USERS], account=account_name(n % ACCOUNTS),
                                                  max_anlas=MAX_ANLAS)
            submitted.add(job.id)
        started = time.perf_counter()
        await gather_in_batches([lambda n=n: one(n) for n in range(count)], SUBMIT_CONCURRENCY)
        return time.perf_counter() - started

    async def run(count: int) -> Run:
        submitted.clear()
        after = await services.queue.last_event_id()
        started = time.time()
        task = asyncio.create_task(submit_all(count))
        ended = await wait_for_events(services.redis, prefix, after, lambda: set(submitted), worker,
                                      lambda: bench.procs.tail(f"worker-{label}"), busy=task)
        finished = max(ms_of(entry) for _type, entry in ended.values()) / 1000
        failed = sum(1 for kind, _entry in ended.values() if kind == "failed")
        return Run(count / (finished - started), {}, await task, failed)

    try:
        warm = await run(ACCOUNTS)  # boot, logins, connections
        if warm.failed:
            raise RuntimeError(f"warm-up jobs failed:\n{bench.procs.tail(f'worker-{label}')}")
        await meter.begin()
        result = await run(E2E_JOBS)
        result.cpu = await meter.per_job_ms(E2E_JOBS)
        return result
    finally:
        bench.procs.stop(worker)
        await services.aclose()


async def bench_end_to_end(bench: Bench) -> None:
    accounts = [Account.from_password(account_name(i), email(i), password(i)) for i in range(ACCOUNTS)]
    tokens = await login_tokens(bench, accounts)
    body = build_payload(REQUEST.resolved())
    ceiling = await stand_in_ceiling(bench, tokens, body)
    bare = await bare_run(bench, tokens, body)
    zipped = await product_run(bench, "e2e", NAIBOT_QUEUE__STREAM_PROGRESS="false")
    streamed = await product_run(bench, "e2e-stream")
    print(f"(a) end to end, {E2E_JOBS} jobs, {ACCOUNTS} accounts, 1 worker process x 4 threads, 512x512 8 steps n=1, "
          f"stand-in at zero latency: naibot {zipped.rate:.1f} jobs/s (ZIP endpoint, as the baseline), bare Dramatiq "
          f"actor {bare.rate:.1f} jobs/s: ratio {zipped.rate / bare.rate:.2f} (target >= 0.8)")
    print(f"    naibot with its default streaming endpoint + progress events: {streamed.rate:.1f} jobs/s "
          f"(ratio {streamed.rate / bare.rate:.2f}, target >= 0.7); stand-in ceiling (raw async httpx, 8 accounts in "
          f"parallel, from this process): {ceiling:.1f} generations/s; failed jobs: {zipped.failed + streamed.failed}")
    print(f"    CPU ms per job ({os.cpu_count()} CPUs shared by all): naibot ZIP: {describe_cpu(zipped.cpu)}; "
          f"naibot streaming: {describe_cpu(streamed.cpu)}; bare: {describe_cpu(bare.cpu)}; "
          f"submitting the {E2E_JOBS} jobs ({SUBMIT_CONCURRENCY} at a time) took {zipped.submit_seconds:.2f} s")


# -- (b) the gap between jobs on a busy lane ----------------------------------------------------


@dataclass
class Gaps:
    within: list[float]
    boundary: list[float]
    slice_jobs: int
    idle_starts: list[float]


async def lane_gaps(bench: Bench, label: str, jobs_count: int, stand_in_url: str,
                    worker_env: dict[str, str] | None = None, idle_probes: int = 0) -> Gaps:
    """Gaps (s) within slices and at slice boundaries, for one account drained by one thread.

    ``idle_probes``: first submit that many single jobs to the idle worker, each after a pause,
    and measure submit -> start (Dramatiq's consumer polls an empty queue with growing sleeps).
    """
    prefix = f"{bench.base}:{label}"
    env = bench.env(prefix, NAIBOT_QUEUE__STREAM_PROGRESS="false", NOVELAI_API_URL=stand_in_url,
                    NOVELAI_IMAGE_URL=stand_in_url)
    services = QueueServices.from_settings(load_settings(env=env))
    slice_jobs = services.settings.queue.slice_jobs
    worker = bench.start_worker(f"worker-{label}", {**env, **(worker_env or {})}, threads=1)
    person = Requester(platform="bench", user_id="gap", display_name="Gap")
    queue, keys = services.queue, services.queue.keys
    log = lambda: bench.procs.tail(f"worker-{label}")  # noqa: E731
    try:
        # Warm up (boot, login), then queue every job behind a pause so the lane is busy from the start.
        after = await queue.last_event_id()
        warm = await services.submitter.submit(REQUEST, person, account="default", max_anlas=MAX_ANLAS)
        await wait_for_events(services.redis, prefix, after, lambda: {warm.id}, worker, log)
        idle_starts = []
        for _ in range(idle_probes):
            await asyncio.sleep(IDLE_SECONDS)
            after = await queue.last_event_id()
            probe = await services.submitter.submit(REQUEST, person, account="default", max_anlas=MAX_ANLAS)
            await wait_for_events(services.redis, prefix, after, lambda probe=probe: {probe.id}, worker, log)
            ran = await queue.get(probe.id)
            if ran and ran.started_at:
                idle_starts.append(ran.started_at - ran.created_at)
        await services.redis.set(keys.lane_pause("default"), "bench", px=300_000)
        jobs = [await queue.submit(Job(request=REQUEST.resolved(), requester=person, account="default",
                                       max_anlas=MAX_ANLAS)) for _ in range(jobs_count)]
        after = await queue.last_event_id()
        await services.redis.delete(keys.lane_pause("default"))
        await services.submitter.waker.wake("default")
        await wait_for_events(services.redis, prefix, after, lambda: {j.id for j in jobs}, worker, log,
                              timeout=300)
        done = [await queue.get(j.id) for j in jobs]
        runs = sorted((j.started_at, j.finished_at) for j in done if j and j.started_at and j.finished_at)
        within, boundary = [], []
        for k in range(len(runs) - 1):
            gap = runs[k + 1][0] - runs[k][1]
            # Every Dramatiq message drains exactly slice_jobs jobs while the lane stays non-empty.
            (boundary if (k + 1) % slice_jobs == 0 else within).append(gap)
        return Gaps(within, boundary, slice_jobs, idle_starts)
    finally:
        bench.procs.stop(worker)
        await services.aclose()


def describe_gaps(gaps: Gaps) -> str:
    within, boundary = gaps.within, gaps.boundary
    every = within + boundary
    return (f"all {len(every)}: median {statistics.median(every) * 1000:.1f} ms, p99 {pct(every, 0.99) * 1000:.1f} ms, "
            f"max {max(every) * 1000:.1f} ms; within a slice ({len(within)}): median "
            f"{statistics.median(within) * 1000:.2f} ms, p99 {pct(within, 0.99) * 1000:.2f} ms; at slice boundaries "
            f"({len(boundary)}): median {statistics.median(boundary) * 1000:.1f} ms, "
            f"max {max(boundary) * 1000:.1f} ms")


async def bench_gaps(bench: Bench) -> None:
    gaps = await lane_gaps(bench, "gap", GAP_JOBS, bench.stand_in_url, idle_probes=IDLE_PROBES)
    print(f"(b) gap between jobs on a busy lane, 1 account, 1 worker thread, slice_jobs {gaps.slice_jobs}, "
          f"started_at(k+1) - finished_at(k), target < 20 ms. Zero-latency stand-in, {GAP_JOBS} jobs: "
          f"{describe_gaps(gaps)}")
    job_ms = STEP_LATENCY * (REQUEST.steps or 0) * 1000
    slow = await lane_gaps(bench, "gap-slow", GAP_SLOW_JOBS, bench.slow_stand_in_url)
    print(f"    jobs of ~{job_ms:.0f} ms (stand-in --step-latency {STEP_LATENCY}), {GAP_SLOW_JOBS} jobs: "
          f"{describe_gaps(slow)}")
    polled = await lane_gaps(bench, "gap-slow-poll", GAP_SLOW_JOBS, bench.slow_stand_in_url,
                             {"dramatiq_worker_timeout": "50"})
    print(f"    diagnostic, the same with Dramatiq's idle polling capped at 50 ms instead of 1000 ms (worker env "
          f"dramatiq_worker_timeout=50): {describe_gaps(polled)}")
    idle = gaps.idle_starts
    print(f"    submit -> start of a job on an idle worker ({len(idle)} jobs, each after {IDLE_SECONDS} s idle, "
          f"zero latency): median {statistics.median(idle) * 1000:.0f} ms, min {min(idle) * 1000:.0f} ms, "
          f"max {max(idle) * 1000:.0f} ms")


# -- (c) positions and (d) memory with 100k waiting jobs ------------------------------------------


async def batched_rate(queue: JobQueue, ids: list[str], batch: int, positions: int) -> float:
    """Positions per second read ``batch`` at a time through ``JobQueue.positions`` (one round trip
    per call of up to POSITIONS_BATCH jobs), one caller after another: the round trips are not overlapped."""
    batches = [random.sample(ids, batch) for _ in range(max(1, positions // batch))]
    started = time.perf_counter()
    for asked in batches:
        await queue.positions(asked)
    return len(batches) * batch / (time.perf_counter() - started)


async def pipelined_rate(queue: JobQueue, ids: list[str], batch: int, positions: int) -> float:
    """The other way to one round trip, for the choice: a pipeline of one status.lua call per job
    (what ``JobQueue.get`` runs), only position and total taken from each answer."""
    sha = queue._scripts.status.sha
    await queue.get(ids[0])  # the script is loaded (a pipeline does not load it on NOSCRIPT)
    batches = [random.sample(ids, batch) for _ in range(max(1, positions // batch))]
    started = time.perf_counter()
    for asked in batches:
        async with queue.redis.pipeline(transaction=False) as pipe:
            for job_id in asked:
                pipe.evalsha(sha, 1, queue.keys.job(job_id), queue.keys.prefix)
            replies = await pipe.execute()
        for flat in replies:
            fields = dict(zip(flat[::2], flat[1::2], strict=True))
            _ = (int(fields.get(b"_position", 0)), int(fields.get(b"_total", 0)))
    return len(batches) * batch / (time.perf_counter() - started)


async def lane_refresh(queue: JobQueue, ids: list[str], messages: int) -> tuple[float, float, int]:
    """What the delivery loop reads to refresh ``messages`` status messages of one lane after a pop:
    before, per message ``get`` + ``estimated_wait`` (three round trips); now ``LanePositions`` (one
    batch read and the averages beside it). Returns (ms before, ms now, batch reads now)."""
    chosen = random.sample(ids, messages)
    started = time.perf_counter()
    for job_id in chosen:
        job = await queue.get(job_id)
        if job is not None:
            await queue.estimated_wait(job)
    before = (time.perf_counter() - started) * 1000
    lanes = LanePositions(queue)
    for job in await queue.get_many(chosen):  # earlier refreshes read each job in full once
        lanes.remember(job)
    entries = [StatusEntry(job_id=i, chat=ChatRef(i, False), message_id="m", language="en", account="default")
               for i in chosen]
    started = time.perf_counter()
    lanes.moved("default", chosen)
    for entry in entries:
        assert await lanes.read(entry) is not None
    return before, (time.perf_counter() - started) * 1000, lanes.batch_reads


async def bench_positions(base: str, *, quick: bool = False) -> None:
    prefix = f"{base}:pos"
    redis = aioredis.Redis.from_url(REDIS_URL, max_connections=256)
    queue = JobQueue(redis, QueueSettings(), prefix)  # production defaults (10 waiting jobs per user)
    request = MEMORY_REQUEST.resolved()
    people = [Requester(platform="telegram", user_id=str(100_000_000 + u), display_name=f"Someone {u}",
                        chat_id=str(-1_000_000_000 - u % 50), reply={"chat_id": -1_000_000_000 - u % 50,
                                                                      "message_id": 12345})
              for u in range(POSITION_USERS)]
    used_before = int((await redis.info("memory"))["used_memory"])
    ids: list[str] = []

    async def one(n: int) -> None:
        job = await queue.submit(Job(request=request, requester=people[n % POSITION_USERS], account="default",
                                     max_anlas=MAX_ANLAS))
        ids.append(job.id)

    try:
        started = time.perf_counter()
        await gather_in_batches([lambda n=n: one(n) for n in range(POSITION_JOBS)], 200)
        submit_rate = POSITION_JOBS / (time.perf_counter() - started)
        used_after = int((await redis.info("memory"))["used_memory"])

        sequential_lookups = LOOKUPS_SEQUENTIAL // 3 if quick else LOOKUPS_SEQUENTIAL
        picks = [random.choice(ids) for _ in range(sequential_lookups)]
        started = time.perf_counter()
        for job_id in picks:
            await queue.get(job_id)
        sequential = sequential_lookups / (time.perf_counter() - started)
        sample = await queue.get(ids[POSITION_JOBS // 2])

        async def caller(count: int) -> None:
            for _ in range(count):
                await queue.get(random.choice(ids))

        per_caller = (LOOKUPS_CONCURRENT // 4 if quick else LOOKUPS_CONCURRENT) // LOOKUP_CALLERS
        started = time.perf_counter()
        await asyncio.gather(*(caller(per_caller) for _ in range(LOOKUP_CALLERS)))
        concurrent = per_caller * LOOKUP_CALLERS / (time.perf_counter() - started)

        # Many positions per round trip (a lane's status messages after a pop, `/queue` in a big group).
        batched_positions = BATCHED_POSITIONS // 4 if quick else BATCHED_POSITIONS
        batched = {size: await batched_rate(queue, ids, size, batched_positions) for size in BATCH_SIZES}
        pipelined = {size: await pipelined_rate(queue, ids, size, batched_positions // 2) for size in BATCH_SIZES}
        await queue.record_duration(Job(request=request, requester=people[0], account="default"), 20.0)
        refresh = {n: await lane_refresh(queue, ids, n) for n in REFRESH_MESSAGES}
        check = random.sample(ids, 200)
        agree = all((p.position, p.total) == ((j.position, j.total) if j else (None, None)) for p, j in
                    zip((await queue.positions(check)).values(), [await queue.get(i) for i in check], strict=True))

        # One Redis round trip alone (HGETALL of the job), for scale: get() is one EVALSHA plus the model.
        started = time.perf_counter()
        for job_id in picks:
            await redis.hgetall(queue.keys.job(job_id))
        floor = LOOKUPS_SEQUENTIAL / (time.perf_counter() - started)
        print(f"(c) position lookups with {POSITION_JOBS:,} jobs waiting in one lane (JobQueue.get, ZRANK included): "
              f"{sequential:,.0f}/s sequential, {concurrent:,.0f}/s with {LOOKUP_CALLERS} concurrent callers "
              f"(one process); for scale, a bare HGETALL round trip: {floor:,.0f}/s sequential; the lane was "
              f"filled by JobQueue.submit at {submit_rate:,.0f} jobs/s (200 at a time); sample: position "
              f"{sample.position if sample else None} of {sample.total if sample else None}")
        print(f"(c) batched positions with {POSITION_JOBS:,} jobs waiting (JobQueue.positions, one round trip per "
              f"call, calls one after another): "
              + ", ".join(f"batches of {size}: {rate:,.0f}/s" for size, rate in batched.items())
              + f" (target >= 20,000/s; one by one above: {sequential:,.0f}/s); a lane's refresh of N status "
              f"messages reads them in 1 round trip per {POSITIONS_BATCH} (before: N, and 2N more for the waits); "
              f"batched = one by one on 200 random jobs: {agree}; the alternative, a pipeline of one status.lua "
              f"call per job (also one round trip): "
              + ", ".join(f"batches of {size}: {rate:,.0f}/s" for size, rate in pipelined.items()))
        print("(c) a lane's status refresh after a pop, Redis reads only (delivery loop): " + "; ".join(
            f"{n} messages: {old:.0f} ms in {3 * n} round trips one by one (get + estimated_wait), now "
            f"{new:.1f} ms in {reads} batch read{'s' if reads > 1 else ''} (+1 for the averages, side by side)"
            for n, (old, new, reads) in refresh.items()))

        await bench_memory(redis, queue, ids, used_after - used_before, len(people))
    finally:
        await redis.aclose()


async def bench_memory(redis: aioredis.Redis, queue: JobQueue, ids: list[str], used_delta: int, users: int) -> None:
    keys = queue.keys
    people = [f"telegram:{100_000_000 + u}" for u in range(users)]
    groups = {
        "job hashes": [keys.job(i) for i in ids],
        "lane zset": [keys.lane("default")],
        "user zsets": [keys.user_queued(p) for p in people],
        "rounds hash": [keys.lane_rounds("default")],
        "lanes set + seq": [keys.lanes, keys.seq],
    }
    sizes: dict[str, int] = {}
    for name, group in groups.items():
        total = 0
        for start in range(0, len(group), 1000):
            async with redis.pipeline(transaction=False) as pipe:
                for key in group[start:start + 1000]:
                    pipe.memory_usage(key, samples=0)
                total += sum(size or 0 for size in await pipe.execute())
        sizes[name] = total
    events = await redis.memory_usage(keys.events, samples=0) or 0
    data_json = await redis.hget(keys.job(ids[0]), "data") or b""
    encoding = (await redis.object("encoding", keys.job(ids[0])) or b"?").decode()
    # The worst case the request rules allow: a 2000-character prompt (MAX_PROMPT_CHARS).
    long_prompt = ("masterpiece, 1girl, " * 100)[:2000]
    big = await queue.submit(Job(request=MEMORY_REQUEST.model_copy(update={"prompt": long_prompt}).resolved(),
                                 requester=Requester(platform="telegram", user_id="1"), account="default"))
    big_hash = await redis.memory_usage(keys.job(big.id), samples=0) or 0
    n = len(ids)
    per_job = sum(sizes.values()) / n
    parts = ", ".join(f"{name} {size / n:.0f}" for name, size in sizes.items())
    print(f"(d) Redis memory per waiting job: {per_job:.0f} B by MEMORY USAGE of the queue's keys (target < 2048 B; "
          f"{parts}; 832x1216 request with a {len(MEMORY_REQUEST.prompt)}-character prompt: its data JSON is "
          f"{len(data_json)} B, the hash is {encoding}-encoded); INFO used_memory delta {used_delta / n:.0f} B/job "
          f"(shared server; includes the event stream, capped at ~{queue.settings.events_max_length:,} entries = "
          f"{events / 1e6:.1f} MB); one job with a 2000-character prompt: {big_hash} B for its hash alone")


# -- (e) a busy lane for longer than two leases ----------------------------------------------------


@dataclass
class LeaseWatch:
    """The lane's lease as seen from outside every LEASE_POLL seconds: (wall time, PTTL ms, owner).

    A renewal (a pop, the check before a generation, or the keeper every lease/3) shows as the PTTL
    going up; an owner change as a new owner. Read to place a stall among the renewals."""

    samples: list[tuple[float, int, str]] = field(default_factory=list)

    async def run(self, redis: aioredis.Redis, key: str) -> None:
        while True:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.pttl(key)
                pipe.get(key)
                ttl, owner = await pipe.execute()
            self.samples.append((time.time(), int(ttl), owner.decode() if owner else ""))
            await asyncio.sleep(LEASE_POLL)

    def renewals(self) -> list[float]:
        return [now for (_t, before, _o), (now, after, _p) in itertools.pairwise(self.samples) if after > before]

    def owners(self) -> list[str]:
        return list(dict.fromkeys(owner for _t, _ttl, owner in self.samples if owner))

    def lowest_ttl(self, since: float) -> int | None:
        held = [ttl for t, ttl, owner in self.samples if t >= since and owner]
        return min(held) if held else None


def describe_stall(start: float, end: float, began: float, lease: float, watch: LeaseWatch) -> str:
    """Where a stall (one job's end -> the next one's start) sits among the lease renewals seen."""
    renewals = watch.renewals()
    before = [t for t in renewals if t <= start]
    inside = sum(1 for t in renewals if start < t < end)
    owners = {o for t, _ttl, o in watch.samples if start - 1 <= t <= end + 1 and o}
    last = f"last renewal seen {start - before[-1]:.2f} s before it" if before else "no renewal seen before it"
    return (f"at +{start - began:.1f} s ({(start - began) / lease:.2f} leases; the keeper renews every "
            f"{lease / 3:g} s from the drain's start) for {end - start:.2f} s; {last}, {inside} during it, "
            f"lane owners around it: {len(owners)}")


async def bench_busy_lane(session_base: str, tmp: Path, procs: Processes, redis: aioredis.Redis, *,
                          processes: int = 2, threads: int = 2, label: str = "busy", tag: str = "(e)") -> None:
    """One lane kept busy with 1-2 s jobs for BENCH_BUSY_SECONDS, drained by ``processes`` worker
    processes of ``threads`` threads: with two, the second one's threads idle, ready to take the lane
    over; with one process of one thread (``gap``), the gap figure of (b) over several lease periods."""
    user = f"{email(0)}:{password(0)}:3:100000000"
    url, _stand_in = await start_novelai_stand_in(procs, f"{label}-stand-in", [user], "--step-latency",
                                                  str(BUSY_STEP_LATENCY))
    prefix = f"{session_base}:{label}"
    env = deployment_env(prefix=prefix, tmp=tmp, novelai_url=url, email=email(0), password=password(0),
                         images=tmp / f"images-{label}", NAIBOT_QUEUE__MAX_WAITING_PER_USER="100000",
                         NAIBOT_QUEUE__LEASE_SECONDS=BUSY_LEASE)
    services = QueueServices.from_settings(load_settings(env=env))
    queue, keys = services.queue, services.queue.keys
    lease = services.settings.queue.lease_seconds
    rng = random.Random(7)
    steps = [rng.randint(*BUSY_STEPS) for _ in range(int(BUSY_SECONDS / (BUSY_STEP_LATENCY * sum(BUSY_STEPS) / 2)))]
    person = Requester(platform="bench", user_id="busy", display_name="Busy")
    names = tuple(f"worker-{label}-{chr(ord('a') + n)}" for n in range(processes))
    watch = LeaseWatch()
    watcher: asyncio.Task[None] | None = None
    try:
        workers = [await start_ready_worker(procs, services, env, threads=threads, name=name) for name in names]
        await services.redis.set(keys.lane_pause("default"), "bench", px=300_000)
        jobs = [await queue.submit(Job(request=REQUEST.model_copy(update={"steps": n}).resolved(), requester=person,
                                       account="default", max_anlas=MAX_ANLAS)) for n in steps]
        after = await queue.last_event_id()
        began = time.monotonic()
        watcher = asyncio.create_task(watch.run(services.redis, keys.lane_lease("default")))
        await services.redis.delete(keys.lane_pause("default"))
        await services.submitter.waker.wake("default")
        await wait_for_events(services.redis, prefix, after, lambda: {j.id for j in jobs}, workers[0],
                              lambda: "".join(procs.tail(name) for name in names), timeout=BUSY_SECONDS * 3 + 60)
        took = time.monotonic() - began
        done = [await queue.get(j.id) for j in jobs]
        runs = sorted((j.started_at, j.finished_at) for j in done if j and j.started_at and j.finished_at)
        gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(runs)]
        first = runs[0][0]
        stalls = [(earlier[1], later[0]) for earlier, later in itertools.pairwise(runs)
                  if later[0] - earlier[1] > STALL_SECONDS]
        logs = [(procs.logs / f"{name}.log").read_text(errors="replace") for name in names]
        losses = sum(text.count("lost the lease") + text.count("lease lost") for text in logs)
        warnings = [line for text in logs for line in text.splitlines() if "WARNING" in line or "ERROR" in line]
        retried = sum(1 for j in done if j and j.attempts > 1)
        async with httpx.AsyncClient(timeout=10) as http:
            stand_in = (await http.get(f"{url}/_sandbox/stats")).json()
        peak = stand_in["accounts"][email(0)]["peak_concurrency"]
        span = runs[-1][1] - first
        lowest = watch.lowest_ttl(first)
        print(f"{tag} a busy lane for {span:.0f} s of jobs ({took:.0f} s in all), lease {lease:g} s "
              f"({span / lease:.1f} leases), {len(runs)} jobs of {BUSY_STEPS[0] * BUSY_STEP_LATENCY:.2f}-"
              f"{BUSY_STEPS[1] * BUSY_STEP_LATENCY:.2f} s (stand-in --step-latency {BUSY_STEP_LATENCY}), 1 account, "
              f"{processes} worker process{'es' if processes > 1 else ''} x {threads} "
              f"thread{'s' if threads > 1 else ''}"
              f", started_at(k+1) - finished_at(k) from the job hashes: max gap {max(gaps) * 1000:.1f} ms "
              f"(target < 100 ms), p99 {pct(gaps, 0.99) * 1000:.1f} ms, median "
              f"{statistics.median(gaps) * 1000:.1f} ms, "
              f"stalls (gaps > {STALL_SECONDS:.0f} s) {len(stalls)} (target 0), overlaps "
              f"{sum(1 for g in gaps if g < 0)}, lease losses logged {losses}, jobs run more than once {retried}, "
              f"stand-in peak concurrency {peak}")
        print(f"    the lane's lease seen every {LEASE_POLL * 1000:.0f} ms: {len(watch.renewals())} renewals, lowest "
              f"time left while held {lowest / 1000 if lowest is not None else float('nan'):.1f} s of {lease:g} s, "
              f"lane owners {len(watch.owners())}; worker warnings/errors logged: {len(warnings)}")
        for start, end in stalls:
            print(f"    stall {describe_stall(start, end, first, lease, watch)}")
        for line in warnings[:10]:
            print(f"    log: {line.strip()[:200]}")
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await services.aclose()


# -- main --------------------------------------------------------------------------------------


async def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["positions"] or "--quick" in args:
        async with bench_session("queue") as session:
            print(await session.headline("queue positions" + (" (quick)" if "--quick" in args else "")))
            await bench_positions(session.base, quick="--quick" in args)
        return
    if args == ["busy-lane"]:
        async with bench_session("queue") as session:
            print(await session.headline("queue busy-lane"))
            await bench_busy_lane(session.base, session.tmp, session.procs, session.redis)
        return
    if args == ["gap"]:
        async with bench_session("queue") as session:
            print(await session.headline("queue gap"))
            await bench_busy_lane(session.base, session.tmp, session.procs, session.redis, processes=1, threads=1,
                                  label="gap-long", tag="(b)")
        return
    if args == ["e2e"]:
        async with bench_session("queue") as session:
            users = [f"{email(i)}:{password(i)}:3:100000000" for i in range(ACCOUNTS)]
            url, stand_in = await start_novelai_stand_in(session.procs, "stand-in", users)
            bench = Bench(base=session.base, tmp=session.tmp, stand_in_url=url, stand_in_pid=stand_in.pid,
                          slow_stand_in_url=url, procs=session.procs, redis=session.redis)
            print(await session.headline("queue e2e"))
            await bench_end_to_end(bench)
        return
    async with bench_session("queue") as session:
        users = [f"{email(i)}:{password(i)}:3:100000000" for i in range(ACCOUNTS)]
        url, stand_in = await start_novelai_stand_in(session.procs, "stand-in", users)
        slow_url, _slow = await start_novelai_stand_in(session.procs, "slow-stand-in", users[:1], "--step-latency",
                                                       str(STEP_LATENCY))
        bench = Bench(base=session.base, tmp=session.tmp, stand_in_url=url, stand_in_pid=stand_in.pid,
                      slow_stand_in_url=slow_url, procs=session.procs, redis=session.redis)
        print(await session.headline("queue"))
        await bench_end_to_end(bench)
        await bench_gaps(bench)
        await bench_busy_lane(session.base, session.tmp, session.procs, session.redis, processes=1, threads=1,
                              label="gap-long", tag="(b)")
        await bench_positions(bench.base)
        await bench_busy_lane(session.base, session.tmp, session.procs, session.redis)


if __name__ == "__main__":
    asyncio.run(main())
