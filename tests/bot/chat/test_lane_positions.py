"""After a lane moves, its status messages read their positions together (``LanePositions``): one
batch read instead of one per message, with what one-by-one reads would have shown."""

from __future__ import annotations

import itertools
import time
from typing import Any

import redis.asyncio as aioredis

from bot.chat.lane_positions import SNAPSHOT_SECONDS, LanePositions
from bot.chat.ports import ChatRef
from bot.chat.status_registry import StatusEntry
from bot.chat.texts.jobs import status_text
from naibot.settings import QueueSettings
from novelai.request import GenerationRequest
from tasks.events import Event
from tasks.job import Job, JobState, Requester
from tasks.queue import Caller, JobQueue
from tests.fixtures.chat import ChatWorld

ACCOUNT = "acct"
REQUEST = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8, seed=1).resolved()
_events = itertools.count(1)


def event(kind: str, job: str | None = None, account: str | None = None) -> Event:
    return Event(id=f"0-{next(_events)}", type=kind, job=job, account=account, fields={})


def entry_of(job: Job, account: str = ACCOUNT) -> StatusEntry:
    return StatusEntry(job_id=job.id, chat=ChatRef(f"c{job.id}", False), message_id="m1", language="en",
                       account=account)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def waiting_lane(aredis: aioredis.Redis, prefix: str, count: int) -> tuple[JobQueue, list[Job]]:
    """A lane of ``count`` waiting jobs behind a running one, with a measured average."""
    queue = JobQueue(aredis, QueueSettings(max_waiting_per_user=1000), prefix)
    jobs = [await queue.submit(Job(request=REQUEST, requester=Requester(platform="test", user_id=f"u{i}"),
                                   account=ACCOUNT)) for i in range(count + 1)]
    await queue.record_duration(jobs[0], 600.0)
    assert await queue.acquire_lane(ACCOUNT, "w")
    assert (await queue.pop(ACCOUNT, "w")).job_id == jobs[0].id
    await overdue(queue, ACCOUNT)
    return queue, jobs[1:]


async def overdue(queue: JobQueue, account: str) -> None:
    """The running job started long ago: a wait estimate is then whole averages, the same whenever read."""
    await queue.redis.hset(queue.keys.lane_rounds(account), "running_since", repr(time.time() - 10_000))


async def test_a_lane_move_reads_all_its_positions_once_and_agrees_with_reads_one_by_one(aredis, redis_prefix
                                                                                           ) -> None:
    queue, jobs = await waiting_lane(aredis, redis_prefix, 12)
    lanes = LanePositions(queue)
    for job in jobs:  # earlier refreshes read each job in full
        lanes.remember(job)
    lanes.moved(ACCOUNT, [job.id for job in jobs])
    for job in jobs:
        batched = await lanes.read(entry_of(job))
        assert batched is not None
        seen, eta = batched
        alone = await queue.get(job.id)
        assert seen is not None and alone is not None
        assert (seen.state, seen.position, seen.total) == (alone.state, alone.position, alone.total)
        expected_eta = await queue.estimated_wait(alone)
        assert eta == expected_eta == 600.0 * (seen.position - 1)  # type: ignore[operator]
        assert status_text(seen, "en", eta=eta) == status_text(alone, "en", eta=expected_eta)
    assert lanes.batch_reads == 1, "twelve refreshes, one batch read"
    assert await lanes.read(entry_of(jobs[0])) is None, "its refresh for this move is done: a later one reads alone"


async def test_a_refresh_after_the_snapshot_aged_or_of_a_changed_job_reads_alone(aredis, redis_prefix) -> None:
    queue, jobs = await waiting_lane(aredis, redis_prefix, 4)
    clock = Clock()
    lanes = LanePositions(queue, clock=clock)
    for job in jobs:
        lanes.remember(job)
    lanes.moved(ACCOUNT, [job.id for job in jobs])
    assert await lanes.read(entry_of(jobs[0])) is not None
    # Canceled after the batch read: its own event sends its refresh to a read of its own.
    assert (await queue.cancel(jobs[1].id, Caller(user_key="", deployment_admin=True))).canceled
    lanes.changed(jobs[1].id)
    assert await lanes.read(entry_of(jobs[1])) is None
    clock.now += SNAPSHOT_SECONDS + 0.1
    assert await lanes.read(entry_of(jobs[2])) is None, "older than SNAPSHOT_SECONDS: read alone"
    # The next move reads again, and sees the cancel.
    lanes.moved(ACCOUNT, [job.id for job in jobs])
    batched = await lanes.read(entry_of(jobs[3]))
    assert batched is not None and batched[0] is not None and (batched[0].position, batched[0].total) == (3, 3)
    assert lanes.batch_reads == 2


async def test_a_job_not_read_in_full_before_or_no_longer_waiting_is_read_alone(aredis, redis_prefix) -> None:
    queue, jobs = await waiting_lane(aredis, redis_prefix, 3)
    lanes = LanePositions(queue)
    lanes.remember(jobs[1])
    lanes.moved(ACCOUNT, [job.id for job in jobs] + ["gonejob123"])
    assert await lanes.read(entry_of(jobs[0])) is None, "nothing of it known but its place: read in full"
    batched = await lanes.read(entry_of(jobs[1]))
    assert batched is not None and batched[0] is not None and batched[0].position == 2
    gone = Job(request=REQUEST, requester=Requester(platform="test", user_id="x"), account=ACCOUNT, id="gonejob123")
    assert await lanes.read(entry_of(gone)) == (None, None), "a job that no longer exists, as get() says"
    lanes.remember((await queue.get(jobs[2].id)).model_copy(update={"state": JobState.RUNNING}))  # type: ignore[union-attr]
    assert await lanes.read(entry_of(jobs[2])) is None


async def test_a_read_begun_before_a_move_is_not_kept_for_the_move(aredis, redis_prefix) -> None:
    queue, jobs = await waiting_lane(aredis, redis_prefix, 3)
    lanes = LanePositions(queue)
    for job in jobs:
        lanes.remember(job)
    ids = [job.id for job in jobs]
    lanes.moved(ACCOUNT, ids)
    real = queue.positions

    async def racing(job_ids: Any) -> Any:
        found = await real(job_ids)
        lanes.moved(ACCOUNT, ids)  # the lane moved while the read was on its way
        return found

    queue.positions = racing  # type: ignore[method-assign]
    assert await lanes.read(entry_of(jobs[0])) is not None, "good for the refresh that made it"
    queue.positions = real  # type: ignore[method-assign]
    assert await lanes.read(entry_of(jobs[1])) is not None
    assert lanes.batch_reads == 2, "the move's refreshes read anew"


async def test_the_delivery_loop_refreshes_a_moved_lane_with_one_batch_read(chat: ChatWorld) -> None:
    delivery, queue = chat.runtime.delivery, chat.queue
    people = [chat.context(str(100 + i), f"P{i}") for i in range(6)]
    jobs = [await chat.generated(ctx) for ctx in people]
    await chat.settle()
    await queue.record_duration(jobs[0], 600.0)
    reads = 0
    real_get = queue.get

    async def counting_get(job_id: str) -> Job | None:
        nonlocal reads
        reads += 1
        return await real_get(job_id)

    queue.get = counting_get  # type: ignore[method-assign]
    assert await queue.acquire_lane("default", "w")
    assert (await queue.pop("default", "w")).job_id == jobs[0].id
    await overdue(queue, "default")
    await delivery.handle(event("started", jobs[0].id, "default"))
    await delivery.handle(event("positions", account="default"))
    await chat.settle()
    assert delivery.lanes.batch_reads == 1
    assert reads == 1, "only the started job is read alone; the five waiting ones come from the batch"
    queue.get = real_get  # type: ignore[method-assign]
    for place, job in enumerate(jobs[1:], start=1):
        edit = [call for call in chat.sender.of("edit_text") if f"/cancel {job.id}" in call.text][-1]
        alone = await queue.get(job.id)
        assert alone is not None and alone.position == place and alone.total == 5
        entry = await chat.registry.get(job.id)
        assert entry is not None
        expected = status_text(alone, "en", eta=await queue.estimated_wait(alone), first_position=entry.first_position)
        assert edit.text == expected
