"""Benchmark: the scale run (issue 19): how the queue's costs grow with lanes (NovelAI accounts) and workers.

Prints figures, asserts nothing. Per row (10 / 100 / 1,000 / 10,000 lanes) a private redis-server on
a free port (no persistence, so its CPU and memory are the queue's alone), one NovelAI stand-in for all
rows (``--step-latency 0.1``, 28 steps: about 2.8 s an image, every lane its own ``pst-`` account),
and this process as the bots:

1. fill: every lane gets its waiting jobs through ``submit.lua`` in pipelined batches (the bots' path
   without the per-request checks, which would make 1M jobs take an hour), then one wake-up per lane
   as the first submit to a lane sends; Redis memory before/after;
2. submit latency while the queue is full: ``Submitter.submit`` (``tasks.submit``, as the bots
   submit: account lookup, price check, ``submit.lua``, wake-up) one at a time, p50/p99;
3. the sweeper, before and after ``tasks/sweeper.py``: 1 and 4 simulated worker processes doing
   rounds against the full queue, the old way (every worker: recover, SMEMBERS of every lane, one
   EXISTS per lane, a wake-up attempt per idle lane, the heartbeat) and the new way (heartbeat + SET
   NX of the sweep lease; the holder's recover and bounded ``idle.lua`` batches). Redis commands
   (those inside scripts included) and Redis CPU per round, from ``INFO``; the sweeping process's own
   CPU; shown per second at the real interval (a quarter lease: 7.5 s);
4. live: 4 worker processes x 4 threads drain the lanes for ``--window`` seconds: jobs started per
   second, wake-up messages per job (Dramatiq enqueues = RPUSH calls, counted by Redis), Redis CPU,
   event-stream lag (a reader's receive time minus the time in the entry id, p50/p99).

Run: ``.venv/bin/python bench/scale.py`` (all four rows; about 4.5 minutes on 2 shared cores: the 10,
100 and 1,000-lane rows take 47-64 s each, mostly worker start-up and the 30 s window; the 10,000-lane
row about 110 s with 10 jobs a lane, 100,000 jobs, which it uses by default to keep the whole run
short; ``--lanes 10000 --jobs-per-lane 100`` gives it the full 1,000,000 jobs: 150 s, of which the
fill is 73 s at about 14,000 jobs/s, and 1.2 GB of Redis memory); ``--quick`` (10/100/1,000 lanes x
10 jobs, a 15 s window: about 2.5 minutes); ``--lanes 10,100`` and ``--jobs-per-lane N`` to choose.
Traffic stays on 127.0.0.1; every process is
in its own process group and is killed at the end.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

sys.path[0] = __file__.rsplit("/bench/", 1)[0]  # the repo root, so ``bench.common`` is found

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.common import (
    SECRET_KEY,
    Processes,
    deployment_env,
    free_port,
    pct,
    spawn_logged_worker,
    start_novelai_stand_in,
)
from naibot.secrets import SecretBox
from naibot.settings import load_settings
from novelai.accounts import Account, AccountStore
from novelai.request import GenerationRequest
from tasks.job import Job, Requester
from tasks.launch import wait_for_heartbeats
from tasks.scripts import Scripts
from tasks.services import QueueServices
from tasks.stored_job import dump_request, dump_requester
from tasks.sweeper import SWEEP_BATCH, Sweeper

WORKERS, THREADS = 4, 4
STEP_LATENCY, STEPS = 0.1, 28  # about 2.8 s an image
LEASE_SECONDS = 30.0  # the default; the sweeper's interval is a quarter of it
INTERVAL = LEASE_SECONDS / 4
FILL_BATCH = 1000  # submit.lua calls per pipeline
USERS = 1000  # distinct people the waiting jobs belong to
SUBMIT_SAMPLES = 200
PROBE_ROUNDS = 4
REQUEST = GenerationRequest(prompt="scale benchmark cat", model="v4.5", width=512, height=512, steps=STEPS,
                            n_samples=1)


def token(i: int) -> str:
    return f"pst-scale{i:059d}"


def lane(i: int) -> str:
    return f"lane{i:05d}"


def start_redis(procs: Processes, folder: Path, name: str) -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed (Debian package redis-server)")
    port = free_port()
    procs.start(name, [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                       "--save", "", "--appendonly", "no"])
    return f"redis://127.0.0.1:{port}/0"


async def sample(redis: aioredis.Redis) -> dict[str, Any]:
    """Redis' CPU seconds, memory and per-command calls so far (INFO itself left out)."""
    cpu, memory, commands = await redis.info("cpu"), await redis.info("memory"), await redis.info("commandstats")
    per_command = {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in commands.items()}
    per_command.pop("info", None)
    return {"cpu": float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]), "memory": int(memory["used_memory"]),
            "per_command": per_command, "time": time.monotonic(), "process_cpu": time.process_time()}


def delta(after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    calls = {name: n - before["per_command"].get(name, 0) for name, n in after["per_command"].items()}
    calls = {name: n for name, n in calls.items() if n}
    return {"cpu": after["cpu"] - before["cpu"], "commands": sum(calls.values()), "per_command": calls,
            "seconds": after["time"] - before["time"], "process_cpu": after["process_cpu"] - before["process_cpu"]}


@dataclass
class Row:
    lanes: int
    jobs_per_lane: int
    fill_seconds: float = 0.0
    memory_mb: float = 0.0
    submit_ms: list[float] = field(default_factory=list)
    # sweeper figures per mode ("old"/"new") and simulated worker count: per second at the real interval
    sweep: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    started_per_s: float = 0.0
    wakeups_per_job: float = 0.0
    fill_wakeups: int = 0
    redis_cpu_live: float = 0.0
    lag_ms: list[float] = field(default_factory=list)


async def add_accounts(services: QueueServices, prefix: str, lanes: int) -> None:
    store = AccountStore(services.redis, SecretBox(SECRET_KEY), prefix)
    for start in range(0, lanes, 200):
        await asyncio.gather(*(store.add(Account(name=lane(i), token=token(i)))
                               for i in range(start, min(lanes, start + 200))))


async def fill(services: QueueServices, lanes: int, per_lane: int) -> int:
    """Queue ``per_lane`` jobs on every lane (submit.lua, pipelined), then wake each lane once."""
    queue = services.queue
    k = queue.keys
    script = Scripts(services.redis).submit
    template = Job(request=REQUEST.resolved(), requester=Requester(platform="bench", user_id="u0"), account="x")
    request = dump_request(template.request, template.id, 1.0)
    requester_cache: dict[int, tuple[str, Any]] = {}
    now = time.time()
    total = lanes * per_lane
    for first in range(0, total, FILL_BATCH):
        async with services.redis.pipeline(transaction=False) as pipe:
            for n in range(first, min(total, first + FILL_BATCH)):
                lane_index = n % lanes  # round-robin over lanes, as many chats submitting at once
                user = n % USERS
                if user not in requester_cache:
                    person = Requester(platform="bench", user_id=f"u{user}")
                    requester_cache[user] = (person.user_key, dump_requester(person))
                user_key, requester = requester_cache[user]
                account = lane(lane_index)
                job_id = uuid.uuid4().hex
                data = {"request": request, "requester": requester, "account": account, "priority": 5,
                        "max_anlas": 0}
                await script(keys=[k.job(job_id), k.lane(account), k.lanes, k.lane_rounds(account), k.seq, k.events,
                                   k.user_queued(user_key)],
                             args=[job_id, 5, user_key, json.dumps(data, separators=(",", ":")), 10**9, repr(now),
                                   queue.settings.events_max_length, account], client=pipe)
            await pipe.execute()
    waker = services.submitter.waker
    for start in range(0, lanes, 100):
        await asyncio.gather(*(waker.wake(lane(i)) for i in range(start, min(lanes, start + 100))))
    return total


async def submit_latency(services: QueueServices, lanes: int, samples: int) -> list[float]:
    """Milliseconds per ``Submitter.submit`` (the bots' path), one at a time, to a few lanes."""
    chosen = [lane(i) for i in random.Random(1).sample(range(lanes), min(lanes, 10))]
    people = [Requester(platform="bench", user_id=f"s{n}") for n in range(20)]
    for account in chosen:  # warm: the price check's subscription cache, connections
        await services.submitter.submit(REQUEST, people[0], account=account)
    times = []
    for n in range(samples):
        began = time.perf_counter()
        await services.submitter.submit(REQUEST, people[n % len(people)], account=chosen[n % len(chosen)])
        times.append((time.perf_counter() - began) * 1000)
    return times


async def legacy_sweep(services: QueueServices, worker_id: str) -> None:
    """The sweep as every worker ran it before tasks/sweeper.py (the removed ``tasks.worker.sweep``)."""
    queue, waker = services.queue, services.submitter.waker
    for account in await queue.recover():
        await waker.wake(account)
    for account in await queue.idle_lanes():
        await waker.wake(account)
    now = time.time()
    async with services.redis.pipeline(transaction=False) as pipe:
        pipe.zadd(queue.keys.workers, {worker_id: now})
        pipe.zremrangebyscore(queue.keys.workers, "-inf", now - 24 * 3600)
        await pipe.execute()


class RoundTrips:
    """Counts the round trips a client makes (a command, a script call or a whole pipeline = 1)."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.count = 0
        self.client = client
        self._execute: Any = client.execute_command
        self._pipeline_execute: Any = Pipeline.execute

    def __enter__(self) -> RoundTrips:
        async def command(*args: Any, **options: Any) -> Any:
            self.count += 1
            return await self._execute(*args, **options)

        async def pipeline(pipe: Pipeline, raise_on_error: bool = True) -> list[Any]:
            self.count += 1
            replies: list[Any] = await self._pipeline_execute(pipe, raise_on_error)
            return replies

        self.client.execute_command = command  # type: ignore[method-assign]
        Pipeline.execute = pipeline  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.execute_command = self._execute  # type: ignore[method-assign]
        Pipeline.execute = self._pipeline_execute  # type: ignore[method-assign]


async def probe_sweeper(services: QueueServices, probe: aioredis.Redis, mode: str, workers: int) -> dict[str, float]:
    """Cluster-wide sweeper cost per second at the real interval, from ``PROBE_ROUNDS`` rounds of
    ``workers`` simulated worker processes (one after another, as their timers are not aligned)."""
    ids = [f"probe-{mode}-{w}" for w in range(workers)]
    sweepers = [Sweeper(services.redis, services.queue, services.submitter.waker, w, INTERVAL) for w in ids]
    await sweepers[0].idle_lanes()  # load the script once, outside the measure
    before = await sample(probe)
    with RoundTrips(services.redis) as trips:
        for _ in range(PROBE_ROUNDS):
            for w in range(workers):
                if mode == "old":
                    await legacy_sweep(services, ids[w])
                else:
                    await sweepers[w].round()
            if mode == "new":
                await probe.delete(services.queue.keys.sweep_lease)  # the round's lease lapses
    spent = delta(await sample(probe), before)
    if mode == "new":
        spent["commands"] -= PROBE_ROUNDS  # the DELs above stand in for a lapse
    per_second = 1 / (PROBE_ROUNDS * INTERVAL)
    return {"round_trips": trips.count * per_second, "commands": spent["commands"] * per_second,
            "redis_cpu_ms": spent["cpu"] * 1000 * per_second, "client_cpu_ms": spent["process_cpu"] * 1000 * per_second,
            "wakeups": spent["per_command"].get("rpush", 0) * per_second}


async def follow_lag(redis: aioredis.Redis, stream: str, stop: asyncio.Event, lags: list[float],
                     started: list[int]) -> None:
    """Read the event stream as a bot would (XREAD BLOCK); the lag of every entry, and the started count."""
    last = "$"
    while not stop.is_set():
        reply: Any = await redis.xread({stream: last}, block=500, count=1000)
        now_ms = time.time() * 1000
        for _name, entries in reply or []:
            for entry_id, fields in entries:
                last = entry_id.decode()
                lags.append(now_ms - int(last.split("-")[0]))
                if fields.get(b"type") == b"started":
                    started[0] += 1


async def live(row: Row, env: dict[str, str], services: QueueServices, probe: aioredis.Redis, procs: Processes,
               window: float, name: str) -> None:
    known = cast("set[bytes]", set(await probe.zrange(services.queue.keys.workers, 0, -1)))
    workers: list[subprocess.Popen[bytes]] = []
    for w in range(WORKERS):
        workers.append(spawn_logged_worker(procs, f"{name}-worker{w}", env, THREADS))
    try:
        for w, process in enumerate(workers):
            await wait_for_heartbeats(probe, services.settings.redis.prefix, process, known, w + 1, timeout=90)
        await asyncio.sleep(3)  # not measured: the first lanes' subscription checks and connections
        stop, lags, started = asyncio.Event(), cast("list[float]", []), [0]
        reader = asyncio.create_task(follow_lag(services.redis, services.queue.keys.events, stop, lags, started))
        before = await sample(probe)
        await asyncio.sleep(window)  # the measuring window
        spent = delta(await sample(probe), before)
        stop.set()
        await reader
    finally:
        for process in workers:
            procs.stop(process)
    row.started_per_s = started[0] / spent["seconds"]
    row.wakeups_per_job = spent["per_command"].get("rpush", 0) / max(1, started[0])
    row.redis_cpu_live = spent["cpu"] / spent["seconds"]
    row.lag_ms = lags


async def run_row(lanes: int, per_lane: int, stand_in_url: str, tmp: Path, procs: Processes, window: float) -> Row:
    row = Row(lanes, per_lane)
    name = f"r{lanes}"
    redis_url = start_redis(procs, tmp, f"{name}-redis")
    prefix = "naibot-scale"
    env = deployment_env(prefix=prefix, tmp=tmp, novelai_url=stand_in_url, email="scale@example.com",
                         password="scale-password-1", images=tmp / f"images-{name}", REDIS_URL=redis_url,
                         NAIBOT_QUEUE__MAX_WAITING_PER_USER="1000000",
                         NAIBOT_QUEUE__LEASE_SECONDS=str(LEASE_SECONDS))
    probe = aioredis.Redis.from_url(redis_url)
    for _ in range(200):
        try:
            await probe.ping()
            break
        except (OSError, RedisConnectionError):
            await asyncio.sleep(0.05)
    services = QueueServices.from_settings(load_settings(env=env))
    try:
        await add_accounts(services, prefix, lanes)
        empty = await sample(probe)
        began = time.monotonic()
        await fill(services, lanes, per_lane)
        row.fill_seconds = time.monotonic() - began
        full = await sample(probe)
        row.memory_mb = (full["memory"] - empty["memory"]) / 2**20
        row.fill_wakeups = full["per_command"].get("rpush", 0) - empty["per_command"].get("rpush", 0)
        row.submit_ms = await submit_latency(services, lanes, SUBMIT_SAMPLES)
        for mode in ("old", "new"):
            for workers in (1, WORKERS):
                row.sweep[(mode, workers)] = await probe_sweeper(services, probe, mode, workers)
        await probe.delete(services.queue.keys.sweep_lease, services.queue.keys.workers)
        await live(row, env, services, probe, procs, window, name)
    finally:
        await services.aclose()
        await probe.aclose()
    return row


def growth(values: list[float]) -> str:
    """How a figure grows per row (x10 lanes): the ratio row to row."""
    ratios = [b / a for a, b in itertools.pairwise(values) if a > 0]
    return " ".join(f"x{r:.1f}" for r in ratios) or "-"


def report(rows: list[Row]) -> None:
    def cols(label: str, values: list[float], fmt: str) -> None:
        print(f"  {label:<58}" + "".join(f"{format(v, fmt):>12}" for v in values) + f"   per row {growth(values)}")

    print(f"  {'lanes':<58}" + "".join(f"{r.lanes:>12,}" for r in rows))
    print(f"  {'waiting jobs (per lane)':<58}" + "".join(f"{f'{r.lanes * r.jobs_per_lane:,} ({r.jobs_per_lane})':>12}"
                                                         for r in rows))
    cols("fill (pipelined submit.lua), s", [r.fill_seconds for r in rows], ".1f")
    cols("Redis memory of the full queue, MB", [r.memory_mb for r in rows], ".1f")
    cols("submit p50 while full, ms", [pct(r.submit_ms, 0.5) for r in rows], ".2f")
    cols("submit p99 while full, ms", [pct(r.submit_ms, 0.99) for r in rows], ".2f")
    for mode in ("old", "new"):
        for workers in (1, WORKERS):
            s = [r.sweep[(mode, workers)] for r in rows]
            cols(f"sweeper {mode}, {workers} worker(s): round trips/s per worker",
                 [x["round_trips"] / workers for x in s], ".3f")
            cols(f"sweeper {mode}, {workers} worker(s): commands/s per worker*",
                 [x["commands"] / workers for x in s], ".2f")
            cols(f"sweeper {mode}, {workers} worker(s): Redis CPU ms/s, cluster", [x["redis_cpu_ms"] for x in s], ".3f")
            cols(f"sweeper {mode}, {workers} worker(s): client CPU ms/s per worker",
                 [x["client_cpu_ms"] / workers for x in s], ".3f")
    cols("sweeper old: lanes in one reply / EXISTS in one pipeline", [float(r.lanes) for r in rows], ".0f")
    cols("sweeper new: lanes per idle.lua call (SSCAN COUNT)", [float(min(r.lanes, SWEEP_BATCH)) for r in rows], ".0f")
    cols("live: jobs started/s (4 x 4 threads)", [r.started_per_s for r in rows], ".2f")
    cols("live: wake-up messages per job started", [r.wakeups_per_job for r in rows], ".2f")
    # Before tasks/sweeper.py a wake marker lived one lease, so while a lane waited longer than that
    # for a thread, every lease the sweepers (and the next submit) sent it another message.
    cols("before (derived): wake-ups per job, idle lanes re-woken a lease",
         [max(0, r.lanes - WORKERS * THREADS) / LEASE_SECONDS / max(r.started_per_s, 1e-9) for r in rows], ".2f")
    cols("fill: wake-up messages per lane", [r.fill_wakeups / r.lanes for r in rows], ".2f")
    cols("live: Redis CPU, % of a core", [r.redis_cpu_live * 100 for r in rows], ".1f")
    cols("live: event-stream lag p50, ms", [pct(r.lag_ms, 0.5) if r.lag_ms else 0 for r in rows], ".1f")
    cols("live: event-stream lag p99, ms", [pct(r.lag_ms, 0.99) if r.lag_ms else 0 for r in rows], ".1f")
    print("  * commands counted by Redis, those run inside a script included (idle.lua: ~4 per lane it reads)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--lanes", default=None, help="comma-separated lane counts (default 10,100,1000,10000)")
    parser.add_argument("--jobs-per-lane", type=int, default=None)
    parser.add_argument("--window", type=float, default=None, help="seconds of live draining measured per row")
    args = parser.parse_args()
    lanes = [int(x) for x in args.lanes.split(",")] if args.lanes else (
        [10, 100, 1000] if args.quick else [10, 100, 1000, 10000])
    window = args.window or (15.0 if args.quick else 30.0)

    def per_lane(count: int) -> int:
        if args.jobs_per_lane:
            return int(args.jobs_per_lane)
        return 10 if args.quick or count >= 10000 else 100

    rows = []
    with tempfile.TemporaryDirectory(prefix="naibot-bench-scale-") as tmp_dir:
        tmp = Path(tmp_dir)
        procs = Processes(tmp)
        try:
            users = ["scale@example.com:scale-password-1:3:100000000",
                     *(f"{token(i)}:3:100000000" for i in range(max(lanes)))]
            url, _stand_in = await start_novelai_stand_in(procs, "stand-in", users, "--step-latency",
                                                          str(STEP_LATENCY))
            print(f"scale benchmark{' (quick)' if args.quick else ''}: {os.cpu_count()} CPUs (shared), private Redis "
                  f"per row (no persistence), {WORKERS} worker processes x {THREADS} threads, stand-in "
                  f"{STEP_LATENCY * STEPS:.1f} s an image, lease {LEASE_SECONDS:.0f} s (sweep every {INTERVAL} s), "
                  f"window {window:.0f} s", flush=True)
            for count in lanes:
                began = time.monotonic()
                rows.append(await run_row(count, per_lane(count), url, tmp, procs, window))
                print(f"  row {count:,} lanes x {per_lane(count)} jobs: {time.monotonic() - began:.0f} s", flush=True)
        finally:
            procs.stop_all()
    report(rows)


if __name__ == "__main__":
    asyncio.run(main())
