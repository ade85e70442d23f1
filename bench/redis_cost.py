"""Benchmark: what one job costs Redis (CPU and commands), to say where Redis becomes the limit.

Prints figures, asserts nothing. A private redis-server (its own port and folder, AOF ``everysec``
as deploy/redis.conf) serves one deployment: the NovelAI stand-in with instant steps, one real worker
process (4 threads) and this process as the submitter and the "bot" that follows the event stream
until every job is done, as a chat bot's delivery loop does. Its Redis does nothing else, so the
deltas of ``INFO cpu`` (``used_cpu_sys`` + ``used_cpu_user``) and ``INFO stats``
(``total_commands_processed``) over N jobs are naibot's alone: first over an idle stretch as long
as the run (the worker's sweeper and heartbeats, Dramatiq's polling), then over the jobs; the
idle rate is subtracted. Also the busiest commands (``INFO commandstats``). Not measured: a chat
bot's own reads (status messages, windows, quotas), which add a few commands per job.

Run: ``.venv/bin/python bench/redis_cost.py`` (600 jobs) or ``--quick`` (150 jobs, about 20 s).
The machine may be shared: CPU seconds are Redis' own (not wall time), so other load inflates them
little, but say so next to the figures.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

sys.path[0] = __file__.rsplit("/bench/", 1)[0]  # the repo root, so ``bench.common`` is found

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from bench.common import Processes, deployment_env, free_port, start_novelai_stand_in, start_ready_worker
from naibot.redisconn import text
from naibot.settings import load_settings
from novelai.request import GenerationRequest
from tasks.events import follow
from tasks.job import Requester
from tasks.services import QueueServices

EMAIL, PASSWORD = "bench@example.com", "bench-password-1"
CONCURRENT_SUBMITTERS = 20
REQUEST = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8)


def start_redis(procs: Processes, folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """A redis-server of the benchmark's own, persisting as deploy/redis.conf does (AOF everysec)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed (Debian package redis-server)")
    port = free_port()
    process = procs.start("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                                    "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"])
    return f"redis://127.0.0.1:{port}/0", process


async def sample(redis: aioredis.Redis) -> dict[str, Any]:
    """Redis' CPU seconds, commands processed and per-command calls so far."""
    cpu, stats, commands = await redis.info("cpu"), await redis.info("stats"), await redis.info("commandstats")
    return {"cpu": float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]),
            "commands": int(stats["total_commands_processed"]),
            "per_command": {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in commands.items()},
            "time": time.monotonic()}


def delta(after: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    per_command = {name: calls - before["per_command"].get(name, 0) for name, calls in after["per_command"].items()}
    return {"cpu": after["cpu"] - before["cpu"], "commands": after["commands"] - before["commands"],
            "per_command": {name: calls for name, calls in per_command.items() if calls},
            "seconds": after["time"] - before["time"]}


async def run_jobs(services: QueueServices, jobs: int) -> None:
    """Submit ``jobs`` jobs from ``CONCURRENT_SUBMITTERS`` people at once and follow the event stream
    until every one is done (as a bot's delivery loop would)."""
    ids: set[str] = set()
    numbers = iter(range(jobs))

    async def person(index: int) -> None:
        for _ in numbers:
            job = await services.submitter.submit(REQUEST, Requester(platform="bench", user_id=f"p{index}"),
                                                  account="default")
            ids.add(job.id)

    after = "0-0"  # the stream so far is skipped below
    latest = await services.redis.xrevrange(services.queue.keys.events, count=1)
    if latest:
        after = text(latest[0][0] or after)
    submitting = asyncio.gather(*(person(index) for index in range(CONCURRENT_SUBMITTERS)))
    done: set[str] = set()
    deadline = time.monotonic() + 300
    while not submitting.done() or done < ids:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(done)} of {jobs} jobs done in 300 s")
        for event in await follow(services.redis, services.settings.redis.prefix, after, block_ms=500):
            after = event.id
            if event.type in ("done", "failed") and event.job is not None:
                done.add(event.job)
    await submitting


async def main() -> None:
    quick = "--quick" in sys.argv[1:]
    jobs = 150 if quick else 600
    with tempfile.TemporaryDirectory(prefix="naibot-bench-redis-cost-") as tmp_dir:
        tmp = Path(tmp_dir)
        procs = Processes(tmp)
        try:
            redis_url, _redis = start_redis(procs, tmp)
            user = f"{EMAIL}:{PASSWORD}:3:100000000"
            stand_in_url, _stand_in = await start_novelai_stand_in(procs, "stand-in", [user])
            env = deployment_env(prefix=f"naibot-bench:{uuid.uuid4().hex[:8]}", tmp=tmp, novelai_url=stand_in_url,
                                 email=EMAIL, password=PASSWORD, images=tmp / "images",
                                 REDIS_URL=redis_url, NAIBOT_QUEUE__MAX_WAITING_PER_USER="1000")
            services = QueueServices.from_settings(load_settings(env=env))
            probe = aioredis.Redis.from_url(redis_url)
            try:
                for _ in range(100):  # the private server is up once it answers
                    try:
                        await probe.ping()
                        break
                    except OSError:
                        await asyncio.sleep(0.05)
                await start_ready_worker(procs, services, env, threads=4)
                version = (await probe.info("server"))["redis_version"]
                print(f"redis cost benchmark{' (quick)' if quick else ''}: {os.cpu_count()} CPUs (shared machine), "
                      f"private Redis {version} with AOF everysec, 1 worker x 4 threads, instant NovelAI stand-in")
                await run_jobs(services, 20)  # warm up: logins, caches, Dramatiq's queue
                # The run's own length of idleness first, so its rate can be subtracted.
                started = await sample(probe)
                await run_jobs(services, jobs)
                busy = delta(await sample(probe), started)
                idle_start = await sample(probe)
                await asyncio.sleep(min(busy["seconds"], 20.0))  # a measuring window, not a wait for something
                idle = delta(await sample(probe), idle_start)
            finally:
                await services.aclose()
                await probe.aclose()
        finally:
            procs.stop_all()
    report(jobs, busy, idle)


def report(jobs: int, busy: Mapping[str, Any], idle: Mapping[str, Any]) -> None:
    idle_cpu_rate = idle["cpu"] / idle["seconds"]
    idle_command_rate = idle["commands"] / idle["seconds"]
    cpu = busy["cpu"] - idle_cpu_rate * busy["seconds"]
    commands = busy["commands"] - idle_command_rate * busy["seconds"]
    rate = jobs / busy["seconds"]
    print(f"{jobs} jobs in {busy['seconds']:.1f} s ({rate:.0f} jobs/s); Redis busy {busy['cpu']:.2f} CPU s "
          f"({busy['cpu'] / busy['seconds']:.0%} of a core)")
    print(f"idle: {idle_cpu_rate * 1000:.1f} ms CPU/s, {idle_command_rate:.0f} commands/s "
          f"(sweeper, heartbeats, Dramatiq polling; subtracted below)")
    print(f"per job: {cpu / jobs * 1000:.2f} ms Redis CPU, {commands / jobs:.0f} commands")
    print(f"=> one Redis core is saturated at about {jobs / cpu:.0f} jobs/s (queue path only)")
    top = sorted(busy["per_command"].items(), key=lambda item: -item[1])[:8]
    print("busiest commands per job: " + ", ".join(f"{name} {calls / jobs:.1f}" for name, calls in top))


if __name__ == "__main__":
    asyncio.run(main())
