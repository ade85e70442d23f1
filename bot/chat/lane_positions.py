"""A lane's status messages read their positions together: one round trip after a pop, not one per job.

A ``positions`` event (a pop, a cancel, a retry in the lane) schedules a refresh of every live
status message of the lane. Each refresh used to read its job alone (``JobQueue.get``: one round
trip) and then its wait estimate (two more). Here the first of those refreshes to run reads the
positions of all the lane's due messages in one call (``JobQueue.positions``, at most
``POSITIONS_BATCH`` jobs) and the averages beside it; the refreshes that follow take their job's
place from that read.

What a refresh shows stays what a read at its turn would show:

* the read is used only for ``SNAPSHOT_SECONDS`` (a refresh later than that reads alone, as
  before): the refreshes of one lane move run in a burst, and a read older than that could be
  overtaken by a move this process did not see (another bot process of the platform took it);
* a job's own event (started, canceled, retrying, ...) takes it out of the read, so its refresh
  reads it alone and sees the change;
* the rest of a waiting job (its request, requester, error) is the last full read of it, used only
  while the batch says it still waits with the same attempt count; anything else is read in full.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.chat.status_registry import StatusEntry
from tasks.job import Job, JobState, duration_class
from tasks.queue import POSITIONS_BATCH, JobQueue, Position, average_of, wait_estimate

# How long one batch read of a lane's positions stands in for each refresh's own read.
SNAPSHOT_SECONDS = 1.0
# Waiting jobs whose last full read is kept (the live status messages of this process; a bound).
MAX_JOBS = 10_000


@dataclass
class _Snapshot:
    read_at: float
    positions: dict[str, Position]
    durations: dict[str, float]


class LanePositions:
    """The delivery loop's batch reads of positions, per lane (see the module's docstring)."""

    def __init__(self, queue: JobQueue, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.queue = queue
        self.clock = clock
        # Per lane: the jobs whose refresh its last move scheduled and that have not read yet.
        self._due: dict[str, set[str]] = {}
        self._snapshots: dict[str, _Snapshot] = {}
        # Per lane: how many moves this process has seen (a read begun before a move is not kept).
        self._moves: dict[str, int] = {}
        self._jobs: dict[str, Job] = {}
        # Per lane: the batch read on its way (refreshes running side by side wait for the same one).
        self._reading: dict[str, tuple[int, asyncio.Task[_Snapshot]]] = {}
        self.batch_reads = 0  # calls of JobQueue.positions made (figures, tests)

    def moved(self, account: str, job_ids: Iterable[str]) -> None:
        """The lane moved and these refreshes are scheduled: a read made before it is void."""
        self._due[account] = set(job_ids)
        self._snapshots.pop(account, None)
        self._moves[account] = self._moves.get(account, 0) + 1

    def changed(self, job_id: str, account: str | None = None) -> None:
        """An event of the job itself: its refresh reads it alone (``account``: its lane, if known)."""
        self._jobs.pop(job_id, None)
        for due in [self._due.get(account, set())] if account else self._due.values():
            due.discard(job_id)

    def clear(self) -> None:
        """After a restart of the loop (events may have been missed): every refresh reads alone."""
        self._due.clear()
        self._snapshots.clear()
        self._jobs.clear()
        self._moves.clear()
        self._reading.clear()

    def remember(self, job: Job) -> None:
        """A full read of the job: kept while it waits, for its later refreshes."""
        if job.state is not JobState.QUEUED:
            self._jobs.pop(job.id, None)
            return
        self._jobs.pop(job.id, None)
        self._jobs[job.id] = job
        while len(self._jobs) > MAX_JOBS:
            self._jobs.pop(next(iter(self._jobs)))

    async def read(self, entry: StatusEntry) -> tuple[Job | None, float | None] | None:
        """The job and its wait estimate from the lane's batch read, or None: read it alone.
        A job the batch found gone answers ``(None, None)``."""
        due = self._due.get(entry.account)
        if due is None or entry.job_id not in due:
            return None
        due.discard(entry.job_id)
        snapshot = self._snapshots.get(entry.account)
        if snapshot is None:
            snapshot = await self._shared_read(entry.account, entry.job_id, due)
        elif self.clock() - snapshot.read_at > SNAPSHOT_SECONDS:
            return None  # too old to stand for a read now
        position = snapshot.positions.get(entry.job_id)
        if position is None:
            return None
        if position.state is None:
            self._jobs.pop(entry.job_id, None)
            return None, None
        known = self._jobs.get(entry.job_id)
        if (position.state is not JobState.QUEUED or known is None or known.attempts != position.attempts
                or known.account != position.account):
            return None
        job = known.model_copy(update={"position": position.position, "total": position.total})
        average = average_of(snapshot.durations, *duration_class(job.request))
        return job, wait_estimate(job, average, position.running_since, time.time())

    async def _shared_read(self, account: str, job_id: str, due: set[str]) -> _Snapshot:
        """The lane's batch read for this move: the one on its way, or a new one."""
        moves = self._moves.get(account, 0)
        reading = self._reading.get(account)
        if reading is None or reading[0] != moves:
            reading = self._reading[account] = (moves, asyncio.create_task(self._read_lane(account, job_id, due)))
        try:  # shielded: a refresh cancelled while it waits must not cancel the others' read
            return await asyncio.shield(reading[1])
        finally:
            if self._reading.get(account) is reading and reading[1].done():
                del self._reading[account]

    async def _read_lane(self, account: str, job_id: str, due: set[str]) -> _Snapshot:
        """One round trip for the positions (this job and up to POSITIONS_BATCH - 1 more of the due
        ones), the averages read beside it."""
        asked = [job_id, *list(due)[:POSITIONS_BATCH - 1]]
        moves = self._moves.get(account, 0)
        positions, durations = await asyncio.gather(self.queue.positions(asked), self.queue.durations())
        self.batch_reads += 1
        snapshot = _Snapshot(self.clock(), positions, durations)
        if self._moves.get(account, 0) == moves:  # else the lane moved meanwhile: good for this job only
            self._snapshots[account] = snapshot
        return snapshot
