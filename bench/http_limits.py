"""Benchmark of the HTTP API's size limits (issue 13, H4 and M1): prints figures, asserts nothing.

``GET /healthz`` latency (median and worst) while attackers keep sending what once froze the API:

* a 60 KB ``Cookie`` of backslashes (CVE-2024-7592: 17 s of one core per request on Python 3.11.7),
* 8 KB backslash cookies (nginx's default header-line limit),
* the head of a 10 MB JSON body and its first 200 KB, with a valid key,
* an endless chunked body, with a valid key,

and the same probes with no attack, as the baseline. The API runs as ``naibot api`` in its own
process (one uvicorn worker, as in production); the attackers and the prober run in this one, over
real TCP. No worker runs (/healthz answers 503 "no live worker", which costs the same Redis reads).
Every Redis key lives under one ``naibot-bench:<random>`` prefix, deleted afterwards.
Run: ``.venv/bin/python bench/http_limits.py``.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import contextlib
import time
from collections import Counter
from urllib.parse import urlsplit

import httpx

from bench.api import API_KEY, start_api
from bench.common import bench_session, pct

ATTACK_SECONDS = 10.0
ATTACKERS_PER_KIND = 2
PROBE_INTERVAL = 0.05
BACKSLASH_60K = 'naibot_admin="' + "\\" * 60_000 + '"'
BACKSLASH_8K = 'naibot_admin="' + "\\" * 8_000 + '"'


async def probe(url: str, seconds: float) -> list[float]:
    """/healthz latencies, one probe every PROBE_INTERVAL for ``seconds``."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        while time.monotonic() < deadline:
            started = time.monotonic()
            with contextlib.suppress(httpx.TimeoutException):  # counted with the time it waited (60 s)
                await http.get("/healthz")
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(PROBE_INTERVAL)
    return latencies


async def raw_status(url: str, head: bytes, body: bytes) -> int:
    """Send a request head and part of its body, and read only the status line of the answer."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(head + body)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 30)
        return int(line.split()[1])
    finally:
        writer.close()


async def attack(url: str, kind: str, stop: asyncio.Event, seen: Counter[str]) -> None:
    host = urlsplit(url).netloc.encode()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        while not stop.is_set():
            try:
                if kind == "cookie 60 KB":
                    status = (await http.get("/", headers={"Cookie": BACKSLASH_60K})).status_code
                elif kind == "cookie 8 KB":
                    status = (await http.get("/admin/state", headers={"Cookie": BACKSLASH_8K})).status_code
                elif kind == "body 10 MB":
                    head = (b"POST /generate HTTP/1.1\r\nHost: " + host + b"\r\nAuthorization: Bearer "
                            + API_KEY.encode() + b"\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 10000000\r\n\r\n")
                    status = await raw_status(url, head, b'{"prompt": "' + b"a" * 200_000)
                else:  # an endless chunked body
                    head = (b"POST /generate HTTP/1.1\r\nHost: " + host + b"\r\nAuthorization: Bearer "
                            + API_KEY.encode() + b"\r\nContent-Type: application/json\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n")
                    chunk = b"2000\r\n" + b"a" * 0x2000 + b"\r\n"
                    status = await raw_status(url, head, chunk * 20)
                seen[f"{kind} -> {status}"] += 1
            except (httpx.HTTPError, OSError, TimeoutError) as error:
                seen[f"{kind} -> {type(error).__name__}"] += 1


def figures(latencies: list[float]) -> str:
    return (f"{len(latencies)} probes, p50 {pct(latencies, 0.5) * 1000:.1f} ms, "
            f"p99 {pct(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")


async def main() -> None:
    async with bench_session("http-limits") as session:
        print(await session.headline("http-limits"))
        # No NovelAI is needed: nothing here generates or checks a subscription.
        url = await start_api(session, "api", "http://127.0.0.1:9", 1.0)
        print(f"/healthz, no attack:   {figures(await probe(url, ATTACK_SECONDS / 2))}")
        stop, seen = asyncio.Event(), Counter[str]()
        kinds = ("cookie 60 KB", "cookie 8 KB", "body 10 MB", "chunked endless")
        attackers = [asyncio.create_task(attack(url, kind, stop, seen))
                     for kind in kinds for _ in range(ATTACKERS_PER_KIND)]
        latencies = await probe(url, ATTACK_SECONDS)
        stop.set()
        await asyncio.gather(*attackers)
        print(f"/healthz, under attack ({len(attackers)} attackers, {ATTACK_SECONDS:.0f} s): {figures(latencies)}")
        for outcome, count in sorted(seen.items()):
            print(f"  {outcome}: {count:,}")


if __name__ == "__main__":
    asyncio.run(main())
