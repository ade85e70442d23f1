"""Benchmark of the NovelAI client: prints figures, asserts nothing.

1. access-key derivation time (Argon2id, as NovelAI's web client);
2. token lookups per second: from the Redis-backed encrypted cache, and through the client
   (in-process copy first);
3. generations per second with 8 accounts in parallel against the stand-in at zero latency,
   next to raw httpx posting the same prebuilt bodies, so the client's own overhead shows.

The stand-in runs as a separate process (``naibot sandbox novelai``) so it does not share the
benchmark's CPU time slice. Run: ``.venv/bin/python bench/novelai_client.py``.
"""

# ruff: noqa: E402 - the path fix below has to run before any import.
from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0], and its queue.py / telegram.py / discord.py would shadow the standard
# library's ``queue`` and the ``telegram`` and ``discord`` packages: the repo root takes its place (so
# ``bench.common`` is found).
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import statistics
import time

import httpx
import redis.asyncio as aioredis

from bench.common import SECRET_KEY, bench_session, start_novelai_stand_in
from naibot.secrets import SecretBox
from novelai.accesskey import derive_access_key
from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.payload import build_payload
from novelai.request import GenerationRequest
from novelai.tokens import CachedToken, TokenCache

ACCOUNTS = 8
PER_ACCOUNT = 40
REQUEST = GenerationRequest(prompt="benchmark cat", model="v4.5", width=832, height=1216, steps=28, seed=1)


def bench_access_key(rounds: int = 20) -> None:
    times = []
    for i in range(rounds):
        started = time.perf_counter()
        derive_access_key(f"user{i}@example.com", "a fairly long password")
        times.append(time.perf_counter() - started)
    print(f"access-key derivation: median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms ({rounds} rounds)")


async def bench_token_lookups(redis: aioredis.Redis, prefix: str, url: str, n: int = 5000) -> None:
    cache = TokenCache(redis, SecretBox(SECRET_KEY), prefix)
    now = time.time()
    await cache.put("bench", CachedToken("eyJ.bench.token", now + 20 * 86400, now, now))
    started = time.perf_counter()
    for _ in range(n):
        assert await cache.get("bench") is not None
    redis_rate = n / (time.perf_counter() - started)
    client = NovelAIClient(api_url=url, image_url=url, token_cache=cache)
    account = Account(name="bench", email="bench@example.com", access_key="k" * 64)
    await client.token_for(account)
    started = time.perf_counter()
    for _ in range(n * 20):
        await client.token_for(account)
    memory_rate = n * 20 / (time.perf_counter() - started)
    await client.aclose()
    print(f"token lookups: {redis_rate:,.0f}/s from Redis (decrypt included, one connection, sequential); "
          f"{memory_rate:,.0f}/s through the client (in-process copy)")


async def bench_generation(url: str, redis: aioredis.Redis, prefix: str, accounts: list[Account]) -> None:
    cache = TokenCache(redis, SecretBox(SECRET_KEY), prefix)
    request = REQUEST.resolved()
    async with NovelAIClient(api_url=url, image_url=url, token_cache=cache) as client:
        await asyncio.gather(*(client.token_for(a) for a in accounts))
        tokens = {a.name: await client.token_for(a) for a in accounts}

        async def run(account: Account) -> None:
            for _ in range(PER_ACCOUNT):
                await client.generate(account, request)

        started = time.perf_counter()
        await asyncio.gather(*(run(a) for a in accounts))
        client_rate = ACCOUNTS * PER_ACCOUNT / (time.perf_counter() - started)

    body = build_payload(request)
    async with httpx.AsyncClient() as raw:
        async def run_raw(account: Account) -> None:
            headers = {"Authorization": f"Bearer {tokens[account.name]}"}
            for _ in range(PER_ACCOUNT):
                response = await raw.post(f"{url}/ai/generate-image", json=body, headers=headers)
                response.raise_for_status()
                _ = response.content

        started = time.perf_counter()
        await asyncio.gather(*(run_raw(a) for a in accounts))
        raw_rate = ACCOUNTS * PER_ACCOUNT / (time.perf_counter() - started)
    # Both runs saturate this process's CPU, so the difference of the inverse rates is the CPU
    # time the client adds to each generation (validation, payload, locks, token, unzip).
    overhead_ms = (1 / client_rate - 1 / raw_rate) * 1000
    print(f"generation, {ACCOUNTS} accounts in parallel, zero latency, 832x1216: "
          f"client {client_rate:.1f}/s, raw httpx {raw_rate:.1f}/s "
          f"(ratio {client_rate / raw_rate:.2f}; the client adds about {overhead_ms:.2f} ms of CPU per generation)")


async def main() -> None:
    async with bench_session("novelai-client", report_cleanup=False) as session:
        users = [f"bench{i}@example.com:bench-password-{i}:3:1000000" for i in range(ACCOUNTS)]
        url, _stand_in = await start_novelai_stand_in(session.procs, "novelai", users)
        bench_access_key()
        await bench_token_lookups(session.redis, session.base, url)
        accounts = [Account.from_password(f"bench{i}", f"bench{i}@example.com", f"bench-password-{i}")
                    for i in range(ACCOUNTS)]
        await bench_generation(url, session.redis, session.base, accounts)


if __name__ == "__main__":
    asyncio.run(main())
