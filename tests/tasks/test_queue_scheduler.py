"""The Redis scheduler itself (Lua scripts), driven directly: order, fairness, positions, cancel,
leases, recovery and exactly-once results. Worker processes are tested in test_queue_workers.py."""

from __future__ import annotations

import asyncio
import time

import pytest

from naibot.redisconn import async_redis
from naibot.settings import QueueSettings, RedisSettings
from tasks.events import EventReader
from tasks.job import ImageResult, JobError, JobState
from tasks.queue import Caller, JobQueue, QueueFull, QueueUnavailable
from tests.fixtures.queue_jobs import ACCOUNT, REQUEST, make_job, queue_for


async def drain_order(queue: JobQueue, account: str = ACCOUNT) -> list[str]:
    """Pop every job the way a worker does and return the ids in start order."""
    owner = "worker-1"
    assert await queue.acquire_lane(account, owner)
    order = []
    while (popped := await queue.pop(account, owner)).kind in ("job", "skip"):
        if popped.kind == "job":
            order.append(popped.job_id)
            job = await queue.get(popped.job_id)
            assert await queue.complete(job, [])
    assert popped.kind == "empty"
    return order


async def test_higher_priority_starts_first_and_fifo_within_a_priority(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    low = [await queue.submit(make_job(f"u{i}", priority=1)) for i in range(3)]
    high = [await queue.submit(make_job(f"v{i}", priority=9)) for i in range(3)]
    mid = await queue.submit(make_job("w", priority=5))
    assert await drain_order(queue) == [j.id for j in high] + [mid.id] + [j.id for j in low]


async def test_a_flood_from_one_user_delays_another_by_at_most_one_job(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    flood = [await queue.submit(make_job("flooder")) for _ in range(20)]
    single = await queue.submit(make_job("polite"))
    assert single.position == 2, "one flood job ahead, not twenty"
    order = await drain_order(queue)
    assert order.index(single.id) == 1
    assert [i for i in order if i != single.id] == [j.id for j in flood], "the flooder's own jobs stay FIFO"


async def test_users_interleave_round_robin_at_equal_priority(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    a = [await queue.submit(make_job("a")) for _ in range(3)]
    b = [await queue.submit(make_job("b")) for _ in range(3)]
    c = await queue.submit(make_job("c"))
    assert await drain_order(queue) == [a[0].id, b[0].id, c.id, a[1].id, b[1].id, a[2].id, b[2].id]


async def test_latecomer_joins_the_current_round_not_the_first(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    a = [await queue.submit(make_job("a")) for _ in range(4)]
    owner = "w"
    assert await queue.acquire_lane(ACCOUNT, owner)
    for expected in a[:2]:  # serve rounds 0 and 1 of user a
        popped = await queue.pop(ACCOUNT, owner)
        assert popped.job_id == expected.id
    late = await queue.submit(make_job("late"))
    assert late.position == 1, "the latecomer goes next: round 1 is being served, a's next job is round 2"
    assert (await queue.get(a[2].id)).position == 2


async def test_positions_and_totals_stay_exact_as_jobs_come_and_go(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    jobs = [await queue.submit(make_job(f"user{i}")) for i in range(6)]
    assert [(j.position, j.total) for j in jobs] == [(i + 1, i + 1) for i in range(6)]
    caller = Caller(user_key="test:user2")
    assert (await queue.cancel(jobs[2].id, caller)).canceled
    assert await queue.acquire_lane(ACCOUNT, "w")
    assert (await queue.pop(ACCOUNT, "w")).job_id == jobs[0].id
    extra = await queue.submit(make_job("user9"))
    now = [await queue.get(j.id) for j in (*jobs, extra)]
    assert [j.state for j in now[:3]] == [JobState.RUNNING, JobState.QUEUED, JobState.CANCELED]
    waiting = [now[1], *now[3:]]
    assert [(j.position, j.total) for j in waiting] == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


async def test_get_many_keeps_the_order_asked_and_skips_missing_jobs(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    first, second = await queue.submit(make_job("a")), await queue.submit(make_job("b"))
    jobs = await queue.get_many([second.id, "nosuchjob0", first.id])
    assert [(job.id, job.position) for job in jobs] == [(second.id, 2), (first.id, 1)]


async def test_cancel_removes_a_waiting_job_so_it_never_starts(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    keep, drop = await queue.submit(make_job("a")), await queue.submit(make_job("b"))
    outcome = await queue.cancel(drop.id, Caller(user_key="test:b"))
    assert outcome.canceled and outcome.job.state is JobState.CANCELED
    assert await drain_order(queue) == [keep.id]
    assert (await queue.get(drop.id)).state is JobState.CANCELED


async def test_running_job_cannot_be_canceled_and_says_so(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    job = await queue.submit(make_job("a"))
    assert await queue.acquire_lane(ACCOUNT, "w")
    await queue.pop(ACCOUNT, "w")
    outcome = await queue.cancel(job.id, Caller(user_key="test:a"))
    assert outcome.status == "running" and not outcome.canceled


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (Caller(user_key="test:owner"), True),
        (Caller(user_key="test:stranger"), False),
        (Caller(user_key="test:admin", admin_chats=frozenset({"test:group1"})), True),
        (Caller(user_key="test:admin", admin_chats=frozenset({"test:group2"})), False),
        (Caller(user_key="cli:root", deployment_admin=True), True),
    ],
    ids=["owner", "stranger", "group-admin", "admin-of-another-group", "deployment-admin"],
)
async def test_only_owner_or_an_admin_of_the_group_may_cancel(aredis, redis_prefix, caller: Caller,
                                                              allowed: bool) -> None:
    queue = queue_for(aredis, redis_prefix)
    job = await queue.submit(make_job("owner", chat="group1"))
    outcome = await queue.cancel(job.id, caller)
    assert outcome.canceled is allowed
    assert (await queue.get(job.id)).state is (JobState.CANCELED if allowed else JobState.QUEUED)


async def test_cancel_racing_start_has_exactly_one_winner(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    for round_ in range(30):
        job = await queue.submit(make_job(f"racer{round_}"))
        owner = f"w{round_}"
        assert await queue.acquire_lane(ACCOUNT, owner)
        outcome, popped = await asyncio.gather(queue.cancel(job.id, Caller(user_key=f"test:racer{round_}")),
                                               queue.pop(ACCOUNT, owner))
        started = popped.kind == "job"
        assert outcome.canceled != started, f"round {round_}: cancel={outcome.status} pop={popped.kind}"
        final = await queue.get(job.id)
        assert final.state is (JobState.RUNNING if started else JobState.CANCELED)
        if started:
            await queue.complete(final, [])
        assert await queue.release_lane(ACCOUNT, owner) == 1


async def test_per_user_waiting_limit_refuses_and_queues_nothing(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix, max_waiting_per_user=2)
    await queue.submit(make_job("a"))
    await queue.submit(make_job("a"))
    with pytest.raises(QueueFull, match="limit is 2"):
        await queue.submit(make_job("a"))
    assert (await queue.lane_depths()) == {ACCOUNT: 2}
    assert (await queue.submit(make_job("b"))).position == 2, "b is fair-queued behind a's first job"


async def test_result_is_recorded_once_even_when_two_attempts_finish(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix, lease_seconds=1)
    job = await queue.submit(make_job("a"))
    assert await queue.acquire_lane(ACCOUNT, "first")
    await queue.pop(ACCOUNT, "first")
    await aredis.zadd(queue.keys.running, {job.id: 0})  # the first worker's lease has lapsed
    assert await queue.recover() == [ACCOUNT]
    await aredis.delete(queue.keys.lane_lease(ACCOUNT))
    assert await queue.acquire_lane(ACCOUNT, "second")
    assert (await queue.pop(ACCOUNT, "second")).job_id == job.id
    image = ImageResult(key="k", url="u", seed=1, width=512, height=512)
    first_done = await queue.complete(job, [image], seconds=3.0)
    second_done = await queue.complete(job, [image], seconds=9.0)
    assert (first_done, second_done) == (True, False)
    assert await queue.average_duration() == 3.0, "only the recorded attempt's time counts"
    reader = EventReader(aredis, redis_prefix, "test", "c1")
    await reader.ensure_group("0")
    done_events = [e for e in await reader.read(1000, block_ms=10) if e.type == "done" and e.job == job.id]
    assert len(done_events) == 1


async def test_lapsed_lease_puts_the_job_back_at_the_head_of_its_lane(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    first = await queue.submit(make_job("a", priority=1))
    later = [await queue.submit(make_job(f"b{i}", priority=9)) for i in range(2)]
    assert await queue.acquire_lane(ACCOUNT, "dying")
    assert (await queue.pop(ACCOUNT, "dying")).job_id == later[0].id
    assert await queue.recover() == [], "lease still valid: nothing to recover"
    await aredis.zadd(queue.keys.running, {later[0].id: int(time.time() * 1000) - 1})
    assert await queue.recover() == [ACCOUNT]
    recovered = await queue.get(later[0].id)
    assert (recovered.state, recovered.position) == (JobState.QUEUED, 1)
    await aredis.delete(queue.keys.lane_lease(ACCOUNT))
    assert await drain_order(queue) == [later[0].id, later[1].id, first.id]


async def test_retry_goes_to_the_head_and_pauses_the_lane(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    flaky = await queue.submit(make_job("a"))
    other = await queue.submit(make_job("b"))
    assert await queue.acquire_lane(ACCOUNT, "w")
    await queue.pop(ACCOUNT, "w")
    job = await queue.get(flaky.id)
    assert await queue.retry(job, "w", 0.3, JobError(kind="server", message="boom", retryable=True))
    assert (await queue.get(flaky.id)).position == 1
    paused = await queue.pop(ACCOUNT, "w")
    assert paused.kind == "paused" and 0 < paused.pause_ms <= 300
    assert await queue.release_lane(ACCOUNT, "w") == 1, "a paused lane may be released"
    await asyncio.sleep(0.35)
    assert await drain_order(queue) == [flaky.id, other.id]
    assert (await queue.get(flaky.id)).attempts == 2


async def test_retry_by_a_worker_that_lost_the_job_is_ignored(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    job = await queue.submit(make_job("a"))
    assert await queue.acquire_lane(ACCOUNT, "w")
    await queue.pop(ACCOUNT, "w")
    assert not await queue.retry(await queue.get(job.id), "someone-else", 0, JobError(kind="x", message="y"))
    assert not await queue.renew(job.id, ACCOUNT, "someone-else")
    assert await queue.renew(job.id, ACCOUNT, "w")


async def test_release_keeps_the_lane_when_work_arrived_meanwhile(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    assert await queue.acquire_lane(ACCOUNT, "w")
    assert (await queue.pop(ACCOUNT, "w")).kind == "empty"
    await queue.submit(make_job("a"))
    assert await queue.release_lane(ACCOUNT, "w") == 0, "releasing now would strand the new job"
    assert await queue.release_lane(ACCOUNT, "w", force=True) == 1
    assert await queue.release_lane(ACCOUNT, "w") == -1
    assert await queue.idle_lanes() == [ACCOUNT]


async def test_finished_jobs_expire_after_the_retention_time(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix, retention_seconds=1)
    job = await queue.submit(make_job("a"))
    assert await drain_order(queue) == [job.id]
    ttl = await aredis.ttl(queue.keys.job(job.id))
    assert 0 < ttl <= 1
    deadline = time.monotonic() + 5
    while await queue.get(job.id) is not None:
        assert time.monotonic() < deadline, "the finished job never expired"
        await asyncio.sleep(0.1)


async def test_event_reader_catches_up_after_a_restart(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    reader = EventReader(aredis, redis_prefix, "bot", "bot-1")
    await reader.ensure_group()
    first = await queue.submit(make_job("a"))
    taken = await reader.read(block_ms=10)
    assert [e.type for e in taken] == ["queued"]  # handled, but the bot dies before acknowledging
    second = await queue.submit(make_job("b"))  # produced while the bot is down
    restarted = EventReader(aredis, redis_prefix, "bot", "bot-1")
    replay = await restarted.read(block_ms=10)
    assert [(e.type, e.job) for e in replay] == [("queued", first.id)], "unacknowledged entries come back first"
    await restarted.ack(*(e.id for e in replay))
    fresh = await restarted.read(block_ms=10)
    assert [(e.type, e.job) for e in fresh] == [("queued", second.id)]
    await restarted.ack(*(e.id for e in fresh))
    assert await restarted.read(block_ms=10) == []


async def test_abandoned_events_of_a_dead_consumer_can_be_claimed(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    dead = EventReader(aredis, redis_prefix, "bot", "dead")
    await dead.ensure_group()
    job = await queue.submit(make_job("a"))
    assert len(await dead.read(block_ms=10)) == 1
    heir = EventReader(aredis, redis_prefix, "bot", "heir")
    claimed = await heir.claim_abandoned(min_idle_ms=0)
    assert [(e.type, e.job) for e in claimed] == [("queued", job.id)]


async def test_event_stream_is_trimmed_to_a_bounded_length(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix, events_max_length=100)
    for i in range(400):
        await queue.emit("progress", job=f"j{i}", step=1, total=2)
    assert await aredis.xlen(queue.keys.events) <= 200  # approximate trimming keeps whole nodes


async def test_unreachable_redis_answers_queue_unavailable_at_once() -> None:
    dead = async_redis(RedisSettings(url="redis://127.0.0.1:1/0"))
    queue = JobQueue(dead, QueueSettings(), "naibot-test:dead")
    started = time.monotonic()
    with pytest.raises(QueueUnavailable):
        await queue.submit(make_job("a"))
    with pytest.raises(QueueUnavailable):
        await queue.get("whatever")
    assert time.monotonic() - started < 1.5
    await dead.aclose()


async def test_estimated_wait_uses_measured_durations(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    jobs = [await queue.submit(make_job(f"u{i}")) for i in range(3)]
    assert await queue.estimated_wait(jobs[2]) is None, "no measurement yet: no made-up number"
    await queue.record_duration(jobs[0], 10.0)
    await queue.record_duration(jobs[0], 20.0)
    average = await queue.average_duration(REQUEST.model, REQUEST.width, REQUEST.height)
    assert average == pytest.approx(12.0)  # 10 + 0.2 × (20 − 10)
    assert await queue.estimated_wait(await queue.get(jobs[2].id)) == pytest.approx(24.0)


async def test_a_slice_end_sees_another_lane_waiting_only_if_nobody_drains_it(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    await queue.submit(make_job("a"))
    assert not await queue.others_waiting(ACCOUNT), "its own lane does not count"
    await queue.submit(make_job("b", account="other"))
    assert await queue.others_waiting(ACCOUNT)
    assert await queue.acquire_lane("other", "w2")
    assert not await queue.others_waiting(ACCOUNT), "a lane with a worker on it is not waiting"


async def test_a_slice_end_looks_at_a_bounded_sample_of_many_lanes(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix)
    for i in range(200):
        await queue.submit(make_job(f"j{i}", account=f"lane{i}"))
    for i in range(199):
        assert await queue.acquire_lane(f"lane{i}", "w")
    # One lane of 200 waits: a sample of 200 always finds it, a sample of 5 mostly misses it.
    assert await queue.others_waiting("lane0", sample=200)
    found = [await queue.others_waiting("lane0", sample=5) for _ in range(40)]
    assert found.count(True) < 20
