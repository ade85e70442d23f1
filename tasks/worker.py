"""What a worker does with a lane: hold its lease, run its jobs one by one, and recover others' jobs.

Runs on the process's bridge loop (``tasks.bridge``). One lane = one NovelAI account, drained by
one worker at a time, so an account never runs two generations at once while different
accounts run in parallel on as many worker threads as there are, across processes and machines.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from naibot.redisconn import async_redis
from naibot.settings import Settings
from novelai.client import NovelAIClient, ProgressCallback
from novelai.errors import NovelAIError
from novelai.factory import AccountDirectory, client_from_settings
from novelai.response import GeneratedImage, StreamEvent
from storage.base import Storage, image_key
from storage.factory import storage_from_settings
from tasks.dispatch import LaneWaker
from tasks.job import ImageResult, Job, JobError
from tasks.metrics import Metrics
from tasks.queue import JobQueue
from tasks.retry import decide
from tasks.spending import SpendRefused, SubscriptionCache, check_spend

log = logging.getLogger(__name__)
# Heartbeats older than this are removed (/healthz counts only recent ones anyway).
WORKER_FORGET_SECONDS = 24 * 3600


class AccountMissing(Exception):
    """The job's account was removed (or never configured) after the job was queued."""


@dataclass
class WorkerContext:
    """Everything a worker process shares between its threads (created on the bridge loop)."""

    settings: Settings
    redis: aioredis.Redis
    queue: JobQueue
    waker: LaneWaker
    client: NovelAIClient
    storage: Storage
    accounts: AccountDirectory
    subscriptions: SubscriptionCache
    metrics: Metrics
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerContext:
        redis = async_redis(settings.redis)
        client = client_from_settings(settings)
        return cls(
            settings=settings, redis=redis,
            queue=JobQueue(redis, settings.queue, settings.redis.prefix),
            waker=LaneWaker.from_settings(redis, settings),
            client=client, storage=storage_from_settings(settings),
            accounts=AccountDirectory(settings), subscriptions=SubscriptionCache(client),
            metrics=Metrics(redis, settings.redis.prefix),
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.redis.aclose()


async def drain_lane(ctx: WorkerContext, account: str) -> int:
    """Run the lane's jobs until it is empty, paused, or this worker's time slice is used up."""
    await ctx.waker.woken(account)
    owner = f"{ctx.worker_id}:{uuid.uuid4().hex[:8]}"
    if not await ctx.queue.acquire_lane(account, owner):
        return 0  # another worker drains it; it will see our work (release is atomic with emptiness)
    ran = 0
    while True:
        popped = await ctx.queue.pop(account, owner)
        if popped.job is not None:  # kind "job": pop answers a job together with it
            await run_job(ctx, popped.job, owner)
            ran += 1
            if ran >= ctx.settings.queue.slice_jobs:
                if not [lane for lane in await ctx.queue.idle_lanes() if lane != account]:
                    ran = 0  # nobody else is waiting for a thread: keep going without a hand-over gap
                    continue
                # Let the waiting lanes have this thread; come back through the Dramatiq queue.
                if await ctx.queue.release_lane(account, owner, force=True) == 1:
                    await ctx.waker.wake(account)
                return ran
        elif popped.kind == "skip":
            continue
        elif popped.kind == "paused":
            if await ctx.queue.release_lane(account, owner) == 1:
                await ctx.waker.wake(account, delay_ms=popped.pause_ms + 50)
            return ran
        elif popped.kind == "empty":
            released = await ctx.queue.release_lane(account, owner)
            if released == 0:
                continue  # a job arrived between the pop and the release
            return ran
        else:  # lost: our lease lapsed and someone else holds the lane now
            log.warning("lost the lease of lane %s; leaving it to its new holder", account)
            return ran


async def _keep_lease(ctx: WorkerContext, job: Job, owner: str, work: asyncio.Task[object]) -> None:
    interval = ctx.settings.queue.lease_seconds / 3
    while not work.done():
        await asyncio.sleep(interval)
        if not await ctx.queue.renew(job.id, job.account, owner):
            log.warning("job %s: lease lost (another worker took it over); abandoning this attempt", job.id)
            work.cancel()
            return


def _progress_reporter(ctx: WorkerContext, job: Job) -> ProgressCallback:
    interval = ctx.settings.queue.progress_interval_seconds
    last = 0.0

    async def report(event: StreamEvent, total: int) -> None:
        nonlocal last
        if event.sample_index != 0 or event.step_index is None:
            return
        now = time.monotonic()
        step = event.step_index + 1
        # The last step is followed at once by "done": announcing it would only cost a chat edit.
        if now - last >= interval and step < total:
            last = now
            await ctx.queue.emit("progress", job=job.id, account=job.account, step=step, total=total)

    return report


async def _generate_and_store(ctx: WorkerContext, job: Job) -> tuple[list[ImageResult], float]:
    account = await ctx.accounts.get(job.account)
    if account is None:
        raise AccountMissing(f"the NovelAI account {job.account!r} is not configured any more")
    await check_spend(job.request, job.max_anlas, account, ctx.subscriptions)
    started = time.monotonic()
    progress = _progress_reporter(ctx, job) if ctx.settings.queue.stream_progress else None
    images: list[GeneratedImage] = await ctx.client.generate(account, job.request, on_progress=progress)
    seconds = time.monotonic() - started
    results = []
    for image in images:
        key = image_key(job.id, image.index)
        stored = await asyncio.to_thread(ctx.storage.put, key, image.png, "image/png")
        results.append(ImageResult(key=stored.key, url=stored.url, seed=image.seed, width=image.width,
                                   height=image.height))
    return results, seconds


async def run_job(ctx: WorkerContext, job: Job, owner: str) -> None:
    work = asyncio.create_task(_generate_and_store(ctx, job))
    keeper = asyncio.create_task(_keep_lease(ctx, job, owner, work))
    try:
        results, seconds = await work
    except asyncio.CancelledError:
        if work.cancelled() and not keeper.done():
            raise  # we ourselves are being cancelled (shutdown)
        return  # lease lost: the job belongs to another attempt now
    except SpendRefused as exc:
        await ctx.queue.fail(job, JobError(kind="payment", message=exc.user_message))
        return
    except AccountMissing as exc:
        await ctx.queue.fail(job, JobError(kind="account", message=str(exc)))
        return
    except Exception as exc:
        decision = decide(exc, job.attempts, ctx.settings.queue)
        if isinstance(exc, NovelAIError):
            await ctx.metrics.novelai_error(decision.error.kind)
        if decision.retry:
            log.info("job %s attempt %d failed (%s); retrying in %.1f s", job.id, job.attempts,
                     decision.error.kind, decision.pause_seconds)
            await ctx.queue.retry(job, owner, decision.pause_seconds, decision.error)
        else:
            if decision.error.kind == "internal":
                log.exception("job %s failed", job.id)
            await ctx.queue.fail(job, decision.error)
        return
    finally:
        keeper.cancel()
    if not await ctx.queue.complete(job, results, seconds=seconds):
        log.info("job %s already had a result; this attempt's is dropped", job.id)


async def sweep(ctx: WorkerContext) -> None:
    """Recover jobs of dead workers and wake lanes nobody is draining; beat our heart."""
    for account in await ctx.queue.recover():
        log.warning("lane %s: requeued a job whose worker stopped renewing its lease", account)
        await ctx.waker.wake(account)
    for account in await ctx.queue.idle_lanes():
        await ctx.waker.wake(account)
    now = time.time()
    async with ctx.redis.pipeline(transaction=False) as pipe:
        pipe.zadd(ctx.queue.keys.workers, {ctx.worker_id: now})
        # Every start is a new worker id: forget those silent for a day, so the set stays small.
        pipe.zremrangebyscore(ctx.queue.keys.workers, "-inf", now - WORKER_FORGET_SECONDS)
        await pipe.execute()
