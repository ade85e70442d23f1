"""Positions of many jobs at once (``JobQueue.positions``, ``get_many``, ``estimated_waits``): the
same answers as one-by-one lookups, in one round trip per ``POSITIONS_BATCH`` jobs."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis.asyncio as aioredis

from naibot.settings import QueueSettings
from novelai.request import GenerationRequest
from tasks import queue as queue_module
from tasks.job import Job, JobError, JobState, Requester
from tasks.queue import Caller, JobQueue, Position
from tasks.scripts import Scripts

REQUEST = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8, seed=1).resolved()


def queue_for(aredis: aioredis.Redis, prefix: str) -> JobQueue:
    return JobQueue(aredis, QueueSettings(max_waiting_per_user=1000), prefix)


def make_job(user: str, account: str, priority: int = 5) -> Job:
    return Job(request=REQUEST, requester=Requester(platform="test", user_id=user), account=account,
               priority=priority)


class CountingScript:
    """A registered script that counts its calls (each call is one EVALSHA: one round trip)."""

    def __init__(self, script: Any) -> None:
        self.script, self.calls = script, 0
        self.sizes: list[int] = []

    async def __call__(self, keys: list[str], args: list[Any]) -> Any:
        self.calls += 1
        self.sizes.append(len(keys))
        return await self.script(keys=keys, args=args)


def count_positions_calls(queue: JobQueue) -> CountingScript:
    scripts: Scripts = queue._scripts
    counter = CountingScript(scripts._scripts["positions"])
    scripts._scripts["positions"] = counter  # type: ignore[assignment]
    return counter


async def mixed_jobs(queue: JobQueue) -> dict[str, str]:
    """Jobs in three lanes, one running, one done, one canceled, one retried: id -> what it is."""
    kinds: dict[str, str] = {}
    for lane in ("a", "b", "c"):
        for n in range(4):
            job = await queue.submit(make_job(f"{lane}{n % 2}", lane, priority=3 + n % 3))
            kinds[job.id] = f"waiting in {lane}"
    assert await queue.acquire_lane("a", "w1")
    popped = await queue.pop("a", "w1")
    assert popped.job is not None
    kinds[popped.job_id or ""] = "running"
    assert await queue.acquire_lane("b", "w2")
    done = await queue.pop("b", "w2")
    assert done.job is not None and await queue.complete(done.job, [], seconds=4.0)
    kinds[done.job_id or ""] = "done"
    retried = await queue.pop("b", "w2")
    assert retried.job is not None
    assert await queue.retry(retried.job, "w2", 0.0, JobError(kind="network", message="flaky"))
    kinds[retried.job_id or ""] = "retried, waiting again"
    canceled = next(i for i, k in kinds.items() if k == "waiting in c")
    assert (await queue.cancel(canceled, Caller(user_key="", deployment_admin=True))).canceled
    kinds[canceled] = "canceled"
    return kinds


async def test_batch_positions_equal_the_one_by_one_lookups_in_every_state(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    kinds = await mixed_jobs(queue)
    asked = [*kinds, "nosuchjob1", "nosuchjob2"]
    batch = await queue.positions(asked)
    assert list(batch) == asked, "every id asked gets an answer, in the order asked"
    for job_id in asked:
        one = await queue.get(job_id)
        got = batch[job_id]
        if one is None:
            assert got == Position(state=None), job_id
            continue
        assert (got.state, got.account, got.attempts, got.position, got.total) == (
            one.state, one.account, one.attempts, one.position, one.total), kinds[job_id]
    waiting = [p for p in batch.values() if p.state is JobState.QUEUED]
    assert sorted((p.account, p.position) for p in waiting) == sorted(
        [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2), ("b", 3), ("c", 1), ("c", 2), ("c", 3)])
    assert {p.account: p.total for p in waiting} == {"a": 3, "b": 3, "c": 3}


async def test_get_many_reads_jobs_exactly_as_get_does(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    kinds = await mixed_jobs(queue)
    asked = ["nosuchjob1", *reversed(list(kinds))]
    many = await queue.get_many(asked)
    one_by_one = [job for job in [await queue.get(job_id) for job_id in asked] if job is not None]
    assert many == one_by_one
    assert any(job.state is JobState.DONE for job in many) and any(job.position for job in many)


async def test_a_waiting_job_knows_when_its_lane_started_the_running_one(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    jobs = [await queue.submit(make_job("u", "acct")) for _ in range(3)]
    before = time.time()
    assert await queue.acquire_lane("acct", "w")
    assert (await queue.pop("acct", "w")).job_id == jobs[0].id
    batch = await queue.positions([j.id for j in jobs])
    assert batch[jobs[0].id].running_since is None, "only a waiting job needs its lane's running start"
    since = batch[jobs[1].id].running_since
    assert since is not None and before - 1 <= since <= time.time() + 1
    assert (batch[jobs[1].id].position, batch[jobs[2].id].position) == (1, 2)


async def test_one_round_trip_per_batch_of_at_most_the_bound(aredis, redis_prefix, monkeypatch) -> None:
    monkeypatch.setattr(queue_module, "POSITIONS_BATCH", 4)
    queue = queue_for(aredis, redis_prefix)
    jobs = [await queue.submit(make_job(f"u{i % 3}", "acct")) for i in range(10)]
    counter = count_positions_calls(queue)
    batch = await queue.positions([j.id for j in jobs])
    assert (counter.calls, counter.sizes) == (3, [4, 4, 2]), "ten ids over a bound of four: three calls"
    expected = {(await queue.get(j.id)).position for j in jobs}  # type: ignore[union-attr]
    assert {p.position for p in batch.values()} == expected == set(range(1, 11))
    assert {p.total for p in batch.values()} == {10}

    counter.calls, counter.sizes = 0, []
    assert len(await queue.get_many([j.id for j in jobs])) == 10
    assert (counter.calls, counter.sizes) == (3, [4, 4, 2])


async def test_a_batch_within_the_bound_is_one_call_and_nothing_asked_is_none(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    jobs = [await queue.submit(make_job(f"u{i % 5}", "acct")) for i in range(30)]
    counter = count_positions_calls(queue)
    batch = await queue.positions([j.id for j in jobs] + [jobs[0].id])
    assert counter.calls == 1 and len(batch) == 30, "a repeated id is read once"
    assert await queue.positions([]) == {} and await queue.get_many([]) == []
    assert counter.calls == 1, "nothing asked, nothing sent"


async def test_estimated_waits_equal_the_one_by_one_estimates(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    jobs = [await queue.submit(make_job("u", lane)) for lane in ("a", "a", "a", "b", "b")]
    assert await queue.estimated_waits(jobs) == {j.id: None for j in jobs}, "no measurement yet: no estimate"
    await queue.record_duration(jobs[0], 12.0)
    assert await queue.acquire_lane("a", "w")
    assert (await queue.pop("a", "w")).job_id == jobs[0].id
    current = await queue.get_many([j.id for j in jobs])
    batch = await queue.estimated_waits(current)
    for job in current:
        alone = await queue.estimated_wait(job)
        if alone is None:
            assert batch[job.id] is None
        else:
            assert batch[job.id] == pytest.approx(alone, abs=0.5), job.id
    assert batch[jobs[0].id] == 0.0, "running: no wait"
    assert batch[jobs[4].id] == pytest.approx(12.0), "second in an idle lane: one job ahead"


async def test_any_account_name_and_prompt_come_back_intact_through_the_json_answer(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    account = 'ann\'s "main" / 帐号 \\ 🎨'
    request = REQUEST.model_copy(update={"prompt": 'a "quoted" cat / 猫 \\ 🐱\nnew line'})
    job = await queue.submit(Job(request=request, requester=Requester(platform="test", user_id="ü"),
                                 account=account))
    position = (await queue.positions([job.id]))[job.id]
    assert (position.account, position.position, position.total) == (account, 1, 1)
    (many,) = await queue.get_many([job.id])
    assert many == await queue.get(job.id) and many.request.prompt == request.prompt
