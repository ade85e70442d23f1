"""The sweeper: recover jobs of dead workers and wake lanes nobody drains, once per round for the cluster.

Why not every worker: when each worker process swept on its own, every one of them listed every
lane every quarter lease (SMEMBERS, then one EXISTS per lane), so the cost grew with lanes x workers
and one reply held every lane. Now each worker process, every round (a quarter lease), beats its
heart and tries to take the sweep lease in one round trip (ZADD + SET NX PX one round). The worker
that gets it sweeps for everybody; the others are done. The lease is never released: it lapses by
itself, so whoever asks first in the next round sweeps it, and a sweeper that dies while holding it
delays the next sweep by less than one round.

A sweep:
- requeues running jobs whose lease lapsed (``recover.lua``, at most ``RECOVER_LIMIT`` a call), as
  promptly as before: within one round of the lapse;
- walks the set of lanes with waiting jobs in SSCAN batches of ``SWEEP_BATCH`` (``idle.lua``; the
  cursor is kept in Redis, so at most ``SWEEP_BATCHES`` calls a round, and a set larger than that
  is finished by the next rounds); each call answers only the lanes with jobs waiting and no lease,
  no pause and no wake-up on its way (see ``tasks.dispatch``), so a wake-up waiting in Dramatiq's
  queue for a free thread is not sent again;
- forgets heartbeats silent for a day.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis

from naibot.settings import Settings
from tasks.dispatch import WAKE_FRESH_SECONDS, LaneWaker
from tasks.queue import JobQueue
from tasks.scripts import Scripts

log = logging.getLogger(__name__)
# Heartbeats older than this are removed (/healthz counts only recent ones anyway).
WORKER_FORGET_SECONDS = 24 * 3600
# Lanes per idle.lua call: each call does ~4 cheap commands per lane, well under a millisecond a batch.
SWEEP_BATCH = 500
# Calls per round: 10,000 lanes a round; with more, the cursor makes the next rounds go on.
SWEEP_BATCHES = 20
# Lapsed jobs requeued per recover.lua call (more wait for the next round).
RECOVER_LIMIT = 100


def sweep_interval(settings: Settings) -> float:
    """Seconds between rounds: a quarter lease, so a lost lane or dead worker waits at most that."""
    return max(0.2, settings.queue.lease_seconds / 4)


class Sweeper:
    """One worker process's part in the sweep (``round`` every ``interval`` seconds). Built from the
    worker's Redis client, queue and waker (``tasks.worker.WorkerContext``), named by its worker id."""

    def __init__(self, redis: aioredis.Redis, queue: JobQueue, waker: LaneWaker, worker_id: str, interval: float,
                 *, batch: int = SWEEP_BATCH, batches: int = SWEEP_BATCHES) -> None:
        self.redis = redis
        self.queue = queue
        self.waker = waker
        self.worker_id = worker_id
        self.interval = interval
        self.batch = batch
        self.batches = batches
        self.keys = queue.keys
        self._idle = Scripts(redis).idle

    async def round(self) -> bool:
        """Beat this worker's heart and sweep if no other worker has this round; True if we swept."""
        if not await self.beat_and_claim():
            return False
        await self.sweep()
        return True

    async def beat_and_claim(self) -> bool:
        """The heartbeat and the sweep lease in one round trip; True if the lease is ours."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.keys.workers, {self.worker_id: time.time()})
            pipe.set(self.keys.sweep_lease, self.worker_id, nx=True, px=max(1, int(self.interval * 1000)))
            _beat, claimed = await pipe.execute()
        return bool(claimed)

    async def sweep(self) -> None:
        """Recover lapsed jobs, wake the idle lanes (one bounded batch a call), forget old heartbeats."""
        for account in await self.queue.recover(limit=RECOVER_LIMIT):
            log.warning("lane %s: requeued a job whose worker stopped renewing its lease", account)
            await self.waker.wake(account)
        for account in await self.idle_lanes():
            await self.waker.resend(account)
        await self.redis.zremrangebyscore(self.keys.workers, "-inf", time.time() - WORKER_FORGET_SECONDS)

    async def idle_lanes(self) -> list[str]:
        """Lanes needing a wake-up, from at most ``batches`` SSCAN batches (ending early at the end
        of a pass over the lanes set)."""
        waker = self.waker
        found: list[str] = []
        for _ in range(self.batches):
            reply = await self._idle(
                keys=[self.keys.lanes, self.keys.sweep_cursor, self.keys.dramatiq_messages(waker.queue_name)],
                args=[self.keys.prefix, self.batch, waker.marker_ms, int(WAKE_FRESH_SECONDS * 1000)])
            cursor, accounts = _text(reply[0]), reply[2:]
            found.extend(_text(a) for a in accounts)
            if cursor == "0":
                break
        return list(dict.fromkeys(found))  # SSCAN may answer a lane twice while the set grows


def _text(value: bytes | str | int) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
