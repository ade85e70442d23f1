"""A lane's lease lasts exactly as long as its worker drains it, and a finished generation is never
thrown away: checked where it matters, at the NovelAI stand-in (overlaps, idle gaps, generations).

Real Dramatiq worker processes (tests/fixtures/deployment.py); the Redis outage uses a private
redis-server that is shut down gracefully and started again with its data, as a restart would.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from sandbox.novelai import OPUS_EMAIL
from storage.local import LocalStorage
from tasks.job import JobState, Requester
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.queue_jobs import ACCOUNT, SMALL, make_job, queue_for
from tests.fixtures.redis import PrivateRedis

pytestmark = pytest.mark.xdist_group("workers")

LEASE_SECONDS = 3
BUSY_JOBS = 28  # ~0.4 s each: well over two leases of one lane, every job shorter than a third of one


def worker_logs(deployment: Deployment) -> str:
    return "".join(path.read_text(errors="replace") for path in sorted(deployment.storage_dir.glob("worker-*.log")))


async def test_a_busy_lane_of_short_jobs_keeps_its_lease_without_overlap_or_stall(deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_QUEUE__LEASE_SECONDS"] = str(LEASE_SECONDS)
    deployment.sandbox.step_latency = 0.05  # 8 steps: ~0.4 s per generation
    services = deployment.services()
    try:
        await deployment.hold_lane()
        person = Requester(platform="test", user_id="ann")
        jobs = [await services.submitter.submit(SMALL, person, account="default") for _ in range(BUSY_JOBS)]
        # Two processes, so the NovelAI client's per-account lock inside one process cannot hide
        # an overlap: whichever takes the lane, the other one's threads sit idle, ready to take it.
        await deployment.start_worker(threads=2)
        await deployment.start_worker(threads=2)
        await deployment.release_lane()
        finished = await wait_until_finished(services, [j.id for j in jobs], timeout=120)
    finally:
        await services.aclose()

    assert all(j.state is JobState.DONE and j.attempts == 1 for j in finished.values()), \
        {j.id: (j.state, j.attempts) for j in finished.values()}
    stats = deployment.sandbox.stats
    assert stats.peak_concurrency[OPUS_EMAIL] == 1, "two generations of one account ran at once"
    spans = sorted(stats.spans[OPUS_EMAIL])
    assert len(spans) == BUSY_JOBS
    assert spans[-1][1] - spans[0][0] > 2 * LEASE_SECONDS, "the lane was busy for more than two leases"
    gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(spans)]
    assert min(gaps) >= 0, "generations of one account overlapped at NovelAI"
    sweep_interval = max(0.2, LEASE_SECONDS / 4)  # tasks/actors.py: a lost lane waits for the sweeper
    assert max(gaps) < sweep_interval, f"the lane stalled: gaps {sorted(gaps)[-3:]}"
    assert "lost the lease" not in worker_logs(deployment)


@pytest.mark.parametrize(("lease", "record_retry", "attempts"), [
    (10, "120", 1),  # Redis back within the retry window: the same attempt records its result
    (3, "0.3", 2),  # the worker gives up: the next attempt records the images already stored
], ids=["retried-until-redis-is-back", "next-attempt-reuses-the-stored-images"])
async def test_redis_down_while_a_result_is_recorded_costs_no_second_generation(
        deployment: Deployment, private_redis: PrivateRedis, lease: int, record_retry: str, attempts: int) -> None:
    deployment.overrides.update({"REDIS_URL": private_redis.url, "NAIBOT_QUEUE__LEASE_SECONDS": str(lease),
                                 "NAIBOT_QUEUE__RECORD_RETRY_SECONDS": record_retry})
    deployment.sandbox.step_latency = 0.25  # 8 steps: ~2 s, time to take Redis away mid-generation
    stats = deployment.sandbox.stats
    await deployment.start_worker()
    services = deployment.services()
    try:
        job = await services.submitter.submit(SMALL, Requester(platform="test", user_id="ann"), account="default")
        deadline = time.monotonic() + 20
        while not stats.generations_started():  # the stand-in has no event to await
            assert time.monotonic() < deadline, "the job never started"
            await asyncio.sleep(0.02)
        private_redis.shutdown()  # graceful, with its data: Redis is away for about 5 s
        down_at = time.monotonic()
        while not stats.generations[OPUS_EMAIL]:
            assert time.monotonic() - down_at < 20, "the generation never finished"
            await asyncio.sleep(0.02)
        assert time.monotonic() - down_at < 4, "the generation finished while Redis was away"
        await asyncio.sleep(max(0.0, 5 - (time.monotonic() - down_at)))
        private_redis.start()
        done = (await wait_until_finished(services, [job.id], timeout=60))[job.id]
    finally:
        await services.aclose()

    assert done.state is JobState.DONE
    assert stats.generations[OPUS_EMAIL] == 1, "the finished generation was thrown away and paid for again"
    assert done.attempts == attempts
    storage = LocalStorage(deployment.storage_dir)
    assert [storage.get(image.key)[:4] for image in done.images] == [b"\x89PNG"]
    assert deployment.workers[0].poll() is None


async def test_pop_and_hold_renew_the_lane_lease_only_for_its_holder(aredis, redis_prefix) -> None:
    queue = queue_for(aredis, redis_prefix, lease_seconds=10)
    lease = queue.keys.lane_lease(ACCOUNT)
    first = await queue.submit(make_job("a"))
    await queue.submit(make_job("b"))
    assert await queue.acquire_lane(ACCOUNT, "w")
    await aredis.pexpire(lease, 500)  # most of the lease used up by earlier jobs
    assert (await queue.pop(ACCOUNT, "w")).job_id == first.id
    assert await aredis.pttl(lease) > 9000, "every pop renews the lane's lease"
    await aredis.pexpire(lease, 500)
    await aredis.zadd(queue.keys.running, {first.id: 1})
    assert await queue.hold(ACCOUNT, "w") == (True, True)
    assert await aredis.pttl(lease) > 9000, "the holder's timer renews it with no job running"
    assert await queue.hold(ACCOUNT, "w", first.id) == (True, True)
    assert await aredis.zscore(queue.keys.running, first.id) > time.time() * 1000 + 9000, "and the job's too"
    assert await queue.hold(ACCOUNT, "other", first.id) == (False, False)
    assert await aredis.get(lease) == b"w"
    await aredis.delete(lease)
    assert await queue.hold(ACCOUNT, "w", first.id) == (False, True), "a lost lane is never taken back"
    assert not await aredis.exists(lease)
    assert (await queue.pop(ACCOUNT, "w")).kind == "lost"
