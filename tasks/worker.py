"""What a worker does with a lane: hold its lease and run its jobs one by one (recovering dead
workers' jobs is ``tasks.sweeper``'s).

Runs on the process's bridge loop (``tasks.bridge``). One lane = one NovelAI account, drained by
one worker at a time, so an account never runs two generations at once while different
accounts run in parallel on as many worker threads as there are, across processes and machines.

One piece although just past 400 lines: the lease keeper, the drain loop and one job's attempt
(call, store, record) share the lane's hold and the job's lost-lease rules, read top to bottom.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from naibot.cancelling import cancel_and_wait
from naibot.redisconn import async_redis
from naibot.settings import Settings
from novelai.accounts import Account
from novelai.client import NovelAIClient, ProgressCallback
from novelai.errors import AuthError, NovelAIError
from novelai.factory import AccountDirectory, client_from_settings
from novelai.response import GeneratedImage, StreamEvent
from storage.base import Storage, image_key
from storage.factory import storage_from_settings
from tasks.accepted import NEVER_ACCEPTED, AcceptedAccounts, never_accepted_message
from tasks.calls import CallServices, call_novelai
from tasks.dispatch import LaneWaker
from tasks.inputs import InputMissing, keep_result, stored_result
from tasks.job import ImageResult, Job, JobError
from tasks.metrics import Metrics
from tasks.queue import JobQueue, Popped
from tasks.retry import decide
from tasks.spending import SpendRefused, SubscriptionCache
from tasks.vibe_cache import VibeCache

log = logging.getLogger(__name__)


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
    accepted: AcceptedAccounts
    vibes: VibeCache
    # Set when the worker process shuts down (SIGTERM): lanes are handed back after the job that
    # runs, which the client's generation deadline ends, so the process exits within that deadline.
    stopping: threading.Event = field(default_factory=threading.Event)
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
            accepted=AcceptedAccounts(redis, settings.redis.prefix),
            vibes=VibeCache(redis, settings.redis.prefix, settings.queue.retention_seconds),
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.redis.aclose()


class LaneLost(Exception):
    """This worker's lease of the lane lapsed (another worker may hold it): generate nothing more."""


# Redis errors that mean "not reachable right now" (a restart, a network blip), not a bug.
_REDIS_AWAY = (RedisConnectionError, RedisTimeoutError, OSError)


class LaneHold:
    """The lease of one lane, held exactly as long as this worker drains it.

    ``acquire_lane`` sets the lease, every ``pop`` renews it (in pop.lua, atomically with the
    check), and one keeper task per drain renews it every third of ``lease_seconds`` whether a job
    runs or not, together with the lease of the job that runs (hold.lua). So a run of short jobs
    never lets it lapse, and a lane is never taken over while its worker is alive. A renewal that
    meets a Redis outage is retried on the next tick (the lease outlives a short blip).

    If the lane is found lost, nothing new is generated: ``confirm`` runs right before each
    generation and raises ``LaneLost``; a generation already under way is let finish (NovelAI would
    finish it anyway) and recorded. If the *job* is found lost (its lease lapsed and the sweeper
    requeued it), the attempt is abandoned as before.

    ``confirm`` asks Redis only when the leases were last renewed more than ``FRESH_SECONDS`` ago:
    the pop that handed out the job renewed the lane's lease and set the job's (pop.lua, atomically
    with the check that the lane is ours), so right after it a renewal would tell nothing new and
    cost one round trip per job. The lease then still has at least ``lease_seconds - FRESH_SECONDS``
    to run when the request leaves, and the keeper renews it every third of a lease.
    """

    # At most this long (and a tenth of the lease) after a renewal, confirm trusts it (see above).
    FRESH_SECONDS = 1.0

    def __init__(self, ctx: WorkerContext, account: str, owner: str) -> None:
        self.ctx, self.account, self.owner = ctx, account, owner
        self.job: Job | None = None
        self.work: asyncio.Task[Any] | None = None
        self.lost = False
        self.abandoned: asyncio.Task[Any] | None = None  # the attempt renew() cancelled, if any
        self._keeper: asyncio.Task[None] | None = None
        self._fresh_until = 0.0  # time.monotonic() until which the last renewal is trusted by confirm
        self._fresh_for = min(self.FRESH_SECONDS, ctx.settings.queue.lease_seconds / 10)

    def renewed(self, sent_at: float) -> None:
        """Both leases were renewed by a call sent at ``sent_at`` (monotonic; a pop that answered a job)."""
        self._fresh_until = sent_at + self._fresh_for

    def start(self) -> None:
        self._keeper = asyncio.create_task(self._keep(), name=f"lane-hold:{self.account}")

    async def stop(self) -> None:
        if self._keeper is not None:
            # Its renewals are Redis commands, which can lose a cancel (naibot.cancelling).
            await cancel_and_wait([self._keeper])
            self._keeper = None

    async def renew(self) -> bool:
        """Renew now; False once the lane is lost. Cancels the running attempt if its job is lost."""
        job, work = self.job, self.work
        sent_at = time.monotonic()
        lane_held, job_held = await self.ctx.queue.hold(self.account, self.owner, job.id if job else None)
        if not lane_held and not self.lost:
            self.lost = True
            log.warning("lost the lease of lane %s; starting nothing more on it", self.account)
        if lane_held and job_held and not self.lost:
            self.renewed(sent_at)
        if job is not None and not job_held and work is not None and not work.done():
            log.warning("job %s: lease lost (another worker took it over); abandoning this attempt", job.id)
            self.abandoned = work
            work.cancel()
        return not self.lost

    async def confirm(self) -> None:
        """Right before a generation: renew, and refuse to go on if the lane is no longer ours.

        The renewal gives a full ``lease_seconds`` from here (less at most ``FRESH_SECONDS`` when the
        last one is that recent and is trusted), so nobody can take the lane while the request is on
        its way to NovelAI."""
        if self.lost:
            raise LaneLost(self.account)
        if time.monotonic() < self._fresh_until:
            return
        if not await self.renew():
            raise LaneLost(self.account)

    async def _keep(self) -> None:
        interval = self.ctx.settings.queue.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self.renew()
            except _REDIS_AWAY as exc:
                log.warning("lane %s: could not renew its lease (%s); trying again in %.1f s",
                            self.account, exc, interval)
            except Exception:
                log.exception("lane %s: renewing its lease failed", self.account)


async def drain_lane(ctx: WorkerContext, account: str) -> int:
    """Run the lane's jobs until it is empty, paused, or this worker's time slice is used up."""
    await ctx.waker.woken(account)
    owner = f"{ctx.worker_id}:{uuid.uuid4().hex[:8]}"
    if not await ctx.queue.acquire_lane(account, owner):
        return 0  # another worker drains it; it will see our work (release is atomic with emptiness)
    hold = LaneHold(ctx, account, owner)
    hold.start()
    try:
        return await _drain(ctx, account, owner, hold)
    finally:
        await hold.stop()


async def _drain(ctx: WorkerContext, account: str, owner: str, hold: LaneHold) -> int:
    ran = 0
    # The lane's next pop when recording the last job took it in the same round trip (record_result).
    taken: Popped | None = None
    while True:
        popped, taken = taken, None
        if popped is None:
            if hold.lost:
                return ran  # the keeper found the lease gone (and said so): leave the lane to its new holder
            if ctx.stopping.is_set():
                # Shutting down: start nothing more here; whoever runs next takes the lane over.
                if await ctx.queue.release_lane(account, owner, force=True) == 1:
                    await ctx.waker.wake(account)
                return ran
            sent_at = time.monotonic()
            popped = await ctx.queue.pop(account, owner)
            if popped.job is not None:
                hold.renewed(sent_at)  # pop.lua renewed the lane's lease and set the job's
        if popped.job is not None:  # kind "job": pop answers a job together with it
            # Not the last job of the time slice: its recording may take the next job too.
            taken = await run_job(ctx, popped.job, owner, hold, pop_next=ran + 1 < ctx.settings.queue.slice_jobs)
            ran += 1
            if ran >= ctx.settings.queue.slice_jobs and not hold.lost:
                if not await ctx.queue.others_waiting(account):
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
            try:
                await ctx.queue.emit("progress", job=job.id, account=job.account, step=step, total=total)
            except _REDIS_AWAY as exc:  # progress is a courtesy: a Redis blip must not cost the generation
                log.debug("job %s: progress not sent (%s)", job.id, exc)

    return report


async def _generate_and_store(ctx: WorkerContext, job: Job, hold: LaneHold
                              ) -> tuple[list[ImageResult], float | None]:
    if job.attempts > 1 and (earlier := await stored_result(ctx.storage, job)) is not None:
        log.info("job %s: reusing the result attempt %d stored but could not record", job.id, job.attempts - 1)
        return earlier, None
    account = await ctx.accounts.get(job.account)
    if account is None:
        raise AccountMissing(f"the NovelAI account {job.account!r} is not configured any more")
    progress = _progress_reporter(ctx, job) if ctx.settings.queue.stream_progress else None
    # hold.confirm is the last step before each NovelAI call: never call on a lane that is not ours.
    services = CallServices(ctx.client, ctx.storage, ctx.subscriptions, ctx.vibes, hold.confirm)
    started = time.monotonic()
    images: list[GeneratedImage] = await call_novelai(services, job, account, progress)
    seconds = time.monotonic() - started
    await ctx.accepted.record(account)
    results = []
    for image in images:
        key = image_key(job.id, image.index)
        stored = await asyncio.to_thread(ctx.storage.put, key, image.png, "image/png")
        results.append(ImageResult(key=stored.key, url=stored.url, seed=image.seed, width=image.width,
                                   height=image.height))
    return results, seconds


async def run_job(ctx: WorkerContext, job: Job, owner: str, hold: LaneHold, *, pop_next: bool = False
                  ) -> Popped | None:
    """Run one popped job to its end. With ``pop_next`` the recording of its result also takes the lane's
    next job (``record_result``), which is returned; None when nothing was taken."""
    work = asyncio.create_task(_generate_and_store(ctx, job, hold))
    hold.job, hold.work = job, work
    try:
        try:
            results, seconds = await work
        except asyncio.CancelledError:
            if hold.abandoned is not work:
                raise  # we ourselves are being cancelled (shutdown)
            return None  # job lease lost: the job belongs to another attempt now
        except LaneLost:
            # Popped, but the lane is someone else's now: nothing was sent to NovelAI. The job keeps
            # its running lease, which nobody renews now, so the sweeper puts it back at the head.
            log.warning("job %s: not started, the lease of lane %s was lost", job.id, job.account)
            return None
        except SpendRefused as exc:
            # Not NovelAI's 402 ("payment"): nothing was sent, the price was not allowed.
            await fail_job(ctx, job, JobError(kind="spend_refused", message=exc.user_message, refusal_key=exc.key,
                                              refusal_params=dict(exc.params), refusal_hint=exc.hint or ""))
            return None
        except AccountMissing as exc:
            await fail_job(ctx, job, JobError(kind="account", message=str(exc)))
            return None
        except InputMissing as exc:
            await fail_job(ctx, job, JobError(kind="input_missing", message=str(exc)))
            return None
        except Exception as exc:
            decision = decide(exc, job.attempts, ctx.settings.queue)
            if isinstance(exc, NovelAIError):
                await ctx.metrics.novelai_error(decision.error.kind)
            if decision.retry:
                log.info("job %s attempt %d failed (%s: %s); retrying in %.1f s", job.id, job.attempts,
                         decision.error.kind, decision.error.message, decision.pause_seconds)
                await ctx.queue.retry(job, owner, decision.pause_seconds, decision.error)
            elif isinstance(exc, AuthError):
                await fail_job(ctx, job, await _refused_credentials(ctx, job, decision.error))
            else:
                await fail_job(ctx, job, decision.error, bug=decision.error.kind == "internal")
            return None
        hold.work = None  # recording is never abandoned, even if the job's lease turns out lost
        return await record_result(ctx, job, results, seconds, hold=hold if pop_next else None)
    finally:
        hold.job, hold.work = None, None


async def fail_job(ctx: WorkerContext, job: Job, error: JobError, *, bug: bool = False) -> None:
    """Fail the job for good, and say so in the log: the one place an operator sees why jobs fail.

    WARNING with the id, the kind and the reason (``error.message``, redacted by ``JobError``); a
    bug of ours (kind ``internal``) at ERROR with its traceback."""
    recorded = await ctx.queue.fail(job, error)
    log.log(logging.ERROR if bug else logging.WARNING, "job %s failed (%s): %s%s", job.id, error.kind,
            error.message, "" if recorded else " (it had ended already)", exc_info=bug)


async def _refused_credentials(ctx: WorkerContext, job: Job, error: JobError) -> JobError:
    """NovelAI refused the account: "check the token" if it never worked here, else as it was."""
    account: Account | None = await ctx.accounts.get(job.account)
    if account is None or await ctx.accepted.ever(account):
        return error
    return error.model_copy(update={"message": never_accepted_message(job.account), "reason": NEVER_ACCEPTED})


async def record_result(ctx: WorkerContext, job: Job, results: list[ImageResult], seconds: float | None, *,
                        hold: LaneHold | None = None) -> Popped | None:
    """Record a finished generation. A finished generation is never thrown away.

    With ``hold`` (the lane's, when this is not the last job of the time slice) the first try also pops
    the lane's next job in the same round trip (``JobQueue.complete_and_pop``) and returns what the pop
    found, unless the lane is lost or the worker is stopping by then; retries after a Redis error only
    record, and the drain pops as usual. None when nothing was popped.

    The images are in storage already, and generating them again would cost Anlas. So if Redis
    cannot be reached, the worker keeps the lane and the job (its ``LaneHold`` keeper goes on
    renewing both, best effort) and retries with back-off (0.1 s doubling to 2 s) until Redis
    answers, for at most ``queue.record_retry_seconds``; only then does it move on.

    At the first failure it also writes the result (the ``ImageResult`` list) to storage under
    ``result_key(job)``: storage, because Redis is what is failing, and only on failure, so the
    normal path costs nothing. Any later attempt of the job (after this worker gives up, or if the
    job's lease lapsed during a long outage and the sweeper requeued it meanwhile) finds that file
    before it generates and records these images instead (``_generate_and_store``); ``finish.lua``
    accepts only the first outcome, so whichever records first wins and nothing is generated twice.
    """
    limit = ctx.settings.queue.record_retry_seconds
    deadline = time.monotonic() + limit
    delay, kept, first = 0.1, False, True
    while True:
        popped: Popped | None = None
        try:
            if first and hold is not None and not hold.lost and not ctx.stopping.is_set():
                sent_at = time.monotonic()
                recorded, popped = await ctx.queue.complete_and_pop(job, results, hold.owner, seconds=seconds)
                if popped.job is not None:
                    hold.renewed(sent_at)  # pop.lua renewed the lane's lease and set the job's
            else:
                recorded = await ctx.queue.complete(job, results, seconds=seconds)
            if not recorded:
                log.info("job %s already had a result; this attempt's is dropped", job.id)
            elif kept:
                log.info("job %s: result recorded after Redis came back", job.id)
            return popped
        except _REDIS_AWAY as exc:
            first = False
            if not kept:
                kept = await keep_result(ctx.storage, job, results)
            if time.monotonic() + delay > deadline:
                log.error("job %s: could not record its result for %.0f s (%s); giving up, its next attempt "
                          "reuses the stored images", job.id, limit, exc)
                raise
            log.warning("job %s: could not record its result (%s); retrying in %.1f s", job.id, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
