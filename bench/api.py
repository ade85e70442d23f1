"""Benchmark of the HTTP API (``naibot api``): prints figures, asserts nothing.

(a) ``GET /task_status/<id>`` requests per second with 200 concurrent pollers (spread over a few
    queued jobs, as many clients following a handful of shared jobs), with the status cache on
    (``api.status_cache_seconds`` 1 s, the default) and off (0), and each run's latency;
(b) ``POST /generate`` latency (median, p95, p99) for 500 submits, 20 at a time: validation, the
    Anlas check, the queue script and the worker wake-up, through HTTP.

The API runs as ``naibot api`` in its own process (as in production: one uvicorn worker), the
pollers in this one, over real TCP; no worker runs, so jobs stay queued and positions stay put.
The NovelAI stand-in answers the subscription check. Every Redis key lives under one
``naibot-bench:<random>`` prefix, deleted afterwards (never FLUSHDB).
Run: ``.venv/bin/python bench/api.py``.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0]: the repo root takes its place (bench/queue.py would shadow
# the standard library's ``queue``, and ``bench.common`` is found).
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field

import httpx

from bench.common import (
    BenchSession,
    bench_session,
    deployment_env,
    free_port,
    pct,
    start_novelai_stand_in,
    wait_until_answering,
)
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD

POLLERS = 200
POLLED_JOBS = 20
POLL_SECONDS = 10.0
SUBMITS = 500
SUBMIT_CONCURRENCY = 20
API_KEY = "pJ1II0cKcK2JXj2zBrpYNBHuWOKVdE7npusTzmBI9zc="  # random: `naibot api` refuses a guessable key
BODY = {"prompt": "a cat in a hat", "width": 512, "height": 512, "steps": 8}


@dataclass
class PollRun:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


async def start_api(session: BenchSession, name: str, novelai_url: str, cache_seconds: float) -> str:
    """``naibot api`` on a free port with one benchmark key; its base URL once it answers."""
    port = free_port()
    env = deployment_env(prefix=session.base, tmp=session.tmp, novelai_url=novelai_url, email=OPUS_EMAIL,
                         password=OPUS_PASSWORD, images=session.tmp / "images",
                         NAIBOT_API__KEYS=json.dumps([{"key": API_KEY, "identity": "bench", "max_priority": 10}]),
                         NAIBOT_API__STATUS_CACHE_SECONDS=str(cache_seconds),
                         NAIBOT_QUEUE__MAX_WAITING_PER_USER="100000")
    process = session.procs.start(name, [sys.executable, "-m", "bot.cli", "api", "--port", str(port)], env)
    url = f"http://127.0.0.1:{port}"
    await wait_until_answering(session.procs, name, process, f"{url}/openapi.json")
    return url


def client(url: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30,
                             limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))


async def submit_jobs(url: str, count: int, concurrency: int) -> tuple[list[str], list[float], int]:
    """``count`` submits, ``concurrency`` at a time: (task ids, latencies in s, refusals)."""
    ids: list[str] = []
    latencies: list[float] = []
    refused = 0
    left = iter(range(count))

    async def submitter(http: httpx.AsyncClient) -> None:
        nonlocal refused
        for _ in left:
            began = time.perf_counter()
            response = await http.post("/generate", json=BODY)
            latencies.append(time.perf_counter() - began)
            if response.status_code == 200:
                ids.append(response.json()["task_id"])
            else:
                refused += 1

    async with client(url, concurrency) as http:
        await asyncio.gather(*(submitter(http) for _ in range(concurrency)))
    return ids, latencies, refused


class RawConnection:
    """One keep-alive HTTP/1.1 connection written by hand: httpx spends more CPU per request than
    the server does, and on a small machine the pollers would measure themselves, not the API."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, url: str) -> RawConnection:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer, f"{host}:{port}")

    async def get(self, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {API_KEY}\r\n\r\n"
                          .encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await self.reader.readexactly(length)
        return int(head.split(b" ", 2)[1])

    def close(self) -> None:
        self.writer.close()


async def poll(url: str, ids: list[str], seconds: float) -> PollRun:
    run = PollRun()
    connections = [await RawConnection.open(url) for _ in range(POLLERS)]
    await connections[0].get(f"/task_status/{ids[0]}")  # the app's first-request work done
    deadline = time.perf_counter() + seconds

    async def poller(connection: RawConnection, task_id: str) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            status = await connection.get(f"/task_status/{task_id}")
            run.latencies.append(time.perf_counter() - began)
            run.requests += 1
            run.errors += status != 200

    try:
        await asyncio.gather(*(poller(c, ids[i % len(ids)]) for i, c in enumerate(connections)))
    finally:
        for connection in connections:
            connection.close()
    return run


def latency(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:.1f} ms, p95 {pct(values, 0.95) * 1000:.1f} ms, "
            f"p99 {pct(values, 0.99) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms")


async def main() -> None:
    async with bench_session("api") as session:
        novelai_url, _ = await start_novelai_stand_in(session.procs, "stand-in",
                                                      [f"{OPUS_EMAIL}:{OPUS_PASSWORD}:3:100000000"])
        print(await session.headline("api"))
        cached = await start_api(session, "api-cached", novelai_url, 1.0)
        uncached = await start_api(session, "api-uncached", novelai_url, 0.0)

        await submit_jobs(cached, 20, 5)  # warm-up: login, subscription cache, scripts loaded
        ids, submit_latencies, refused = await submit_jobs(cached, SUBMITS, SUBMIT_CONCURRENCY)
        print(f"(b) POST /generate, {SUBMITS} submits, {SUBMIT_CONCURRENCY} at a time (512x512, queued, no worker): "
              f"{latency(submit_latencies)}; {refused} refused")

        polled = ids[:POLLED_JOBS]
        for label, url in (("cache on (1 s)", cached), ("cache off", uncached)):
            run = await poll(url, polled, POLL_SECONDS)
            print(f"(a) GET /task_status, {POLLERS} concurrent pollers over {len(polled)} jobs, {POLL_SECONDS:.0f} s, "
                  f"{label}: {run.requests / POLL_SECONDS:,.0f} requests/s ({run.errors} errors); "
                  f"{latency(run.latencies)}")


if __name__ == "__main__":
    asyncio.run(main())
