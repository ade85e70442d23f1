"""The queue end to end with real Dramatiq worker processes, the NovelAI stand-in and Redis."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.request import GenerationRequest
from novelai.tokens import TokenCache
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, PAPER_EMAIL, PAPER_PASSWORD, SandboxAccount
from storage.local import LocalStorage
from tasks.job import JobState, Requester
from tasks.spending import SpendRefused
from tests.fixtures.deployment import Deployment, all_events, wait_until_finished
from tests.fixtures.queue_jobs import SMALL

pytestmark = pytest.mark.xdist_group("workers")


def person(user: str) -> Requester:
    return Requester(platform="test", user_id=user, display_name=user.title(), chat_id="chat1")


async def test_jobs_start_by_priority_then_fair_then_fifo(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        # Hold the lane so every job is queued before the first can start.
        await services.redis.set(services.queue.keys.lane_pause("default"), "test", px=60_000)
        plan = [("ann", 5), ("ann", 5), ("ann", 5), ("bob", 5), ("cat", 9), ("dan", 1), ("bob", 5)]
        jobs = [await services.submitter.submit(SMALL, person(user), account="default", priority=priority)
                for user, priority in plan]
        await deployment.start_worker(threads=4)
        await services.redis.delete(services.queue.keys.lane_pause("default"))
        await services.submitter.waker.wake("default")
        finished = await wait_until_finished(services, [j.id for j in jobs])
        assert all(j.state is JobState.DONE for j in finished.values())
        started = [e.job for e in await all_events(services) if e.type == "started"]
        ann, bob, cat, dan = [j.id for j in jobs[:3]], [jobs[3].id, jobs[6].id], jobs[4].id, jobs[5].id
        assert started == [cat, ann[0], bob[0], ann[1], bob[1], ann[2], dan]
    finally:
        await services.aclose()


async def test_one_generation_per_account_while_accounts_run_in_parallel(deployment: Deployment) -> None:
    deployment.sandbox.step_latency = 0.02
    second = SandboxAccount(email="second@example.com", password="second-password", tier=3, anlas=1000)
    deployment.sandbox.add_account(second)
    await deployment.add_account(Account.from_password("second", second.email, second.password))
    services = deployment.services()
    try:
        jobs = [await services.submitter.submit(SMALL, person(f"u{i}"), account=account)
                for i in range(4) for account in ("default", "second")]
        await deployment.start_worker(threads=4)
        finished = await wait_until_finished(services, [j.id for j in jobs])
        assert all(j.state is JobState.DONE for j in finished.values())
        assert deployment.sandbox.stats.peak_concurrency[OPUS_EMAIL] == 1
        assert deployment.sandbox.stats.peak_concurrency[second.email] == 1
        spans = {account: [(j.started_at, j.finished_at) for j in finished.values() if j.account == account]
                 for account in ("default", "second")}
        overlapping = any(a0 < b1 and b0 < a1 for a0, a1 in spans["default"] for b0, b1 in spans["second"])
        assert overlapping, "the two accounts' lanes should have run side by side"
    finally:
        await services.aclose()


async def test_results_are_stored_untouched_with_urls_and_seeds(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        request = GenerationRequest(prompt="two cats", model="v4.5", width=512, height=512, steps=8, n_samples=2,
                                    seed=1234)
        # The second image is not free on Opus: allow the 2 Anlas it costs.
        job = await services.submitter.submit(request, person("ann"), account="default", max_anlas=2)
        await deployment.start_worker()
        done = (await wait_until_finished(services, [job.id]))[job.id]
        assert done.state is JobState.DONE and done.attempts == 1
        assert [(i.seed, i.width, i.height) for i in done.images] == [(1234, 512, 512), (1235, 512, 512)]
        storage = LocalStorage(deployment.storage_dir)
        for n, image in enumerate(done.images):
            assert image.key.endswith(f"/{job.id}/{n}.png")
            assert image.url == f"/static/images/{image.key}"
            assert storage.get(image.key).startswith(b"\x89PNG")
    finally:
        await services.aclose()


async def test_progress_events_follow_the_real_steps(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        job = await services.submitter.submit(SMALL, person("ann"), account="default")
        await deployment.start_worker()
        await wait_until_finished(services, [job.id])
        progress = [(int(e.fields["step"]), int(e.fields["total"])) for e in await all_events(services)
                    if e.type == "progress" and e.job == job.id]
        assert progress == [(step, 8) for step in range(1, 8)], "every step but the last (\"done\" follows it)"
    finally:
        await services.aclose()


async def test_transient_errors_are_retried_at_the_head_of_the_lane(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        await deployment.start_worker()
        await services.submitter.subscriptions.get(Account.from_password("x", OPUS_EMAIL, OPUS_PASSWORD))
        deployment.sandbox.faults.forced.extend([500, 503, 0])
        job = await services.submitter.submit(SMALL, person("ann"), account="default")
        done = (await wait_until_finished(services, [job.id]))[job.id]
        assert done.state is JobState.DONE
        assert done.attempts == 4
        retries = [e for e in await all_events(services) if e.type == "retrying" and e.job == job.id]
        assert len(retries) == 3
    finally:
        await services.aclose()


async def test_gives_up_after_the_configured_attempts(deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_QUEUE__MAX_ATTEMPTS"] = "3"
    services = deployment.services()
    try:
        await deployment.start_worker()
        job = await services.submitter.submit(SMALL, person("ann"), account="default")
        deployment.sandbox.faults.error_500_rate = 1.0
        failed = (await wait_until_finished(services, [job.id]))[job.id]
        assert failed.state is JobState.FAILED
        assert failed.attempts == 3
        assert failed.error.kind == "server" and "gave up after 3 attempts" in failed.error.message
    finally:
        await services.aclose()


async def test_concurrency_lock_pauses_the_lane_then_the_job_runs(deployment: Deployment) -> None:
    deployment.sandbox.step_latency = 0.05
    services = deployment.services()
    outsider = NovelAIClient(api_url=deployment.sandbox.url, image_url=deployment.sandbox.url,
                             token_cache=TokenCache(None, None, "x"))
    try:
        await deployment.start_worker()
        account = Account.from_password("outsider", OPUS_EMAIL, OPUS_PASSWORD)
        await outsider.token_for(account)
        # Someone else (another bot, the website) is generating on the same account.
        busy = asyncio.create_task(outsider.generate(account, SMALL.model_copy(update={"steps": 20})))
        while not deployment.sandbox.stats.generations_started():  # noqa: ASYNC110 - no event to await
            await asyncio.sleep(0.01)
        job = await services.submitter.submit(SMALL, person("ann"), account="default")
        done = (await wait_until_finished(services, [job.id]))[job.id]
        await busy
        assert done.state is JobState.DONE and done.attempts >= 2
        retries = [e for e in await all_events(services) if e.type == "retrying" and e.job == job.id]
        assert retries and all(int(e.fields["delay_ms"]) >= 300 for e in retries), "the lane paused"
        assert '"concurrency_locked"' in retries[0].fields["error"]
    finally:
        await outsider.aclose()
        await services.aclose()


@pytest.mark.parametrize(("forced", "kind"), [(400, "bad_request"), (402, "payment")])
async def test_final_errors_fail_at_once(deployment: Deployment, forced: int, kind: str) -> None:
    services = deployment.services()
    try:
        await deployment.start_worker()
        await services.submitter.subscriptions.get(Account.from_password("x", OPUS_EMAIL, OPUS_PASSWORD))
        deployment.sandbox.faults.forced.append(forced)
        job = await services.submitter.submit(SMALL, person("ann"), account="default")
        failed = (await wait_until_finished(services, [job.id]))[job.id]
        assert (failed.state, failed.attempts, failed.error.kind) == (JobState.FAILED, 1, kind)
    finally:
        await services.aclose()


async def test_account_without_anlas_fails_with_payment_required(deployment: Deployment) -> None:
    await deployment.add_account(Account.from_password("paper", PAPER_EMAIL, PAPER_PASSWORD))
    services = deployment.services()
    try:
        await deployment.start_worker()
        job = await services.submitter.submit(SMALL, person("ann"), account="paper", max_anlas=1000)
        failed = (await wait_until_finished(services, [job.id]))[job.id]
        assert (failed.state, failed.attempts, failed.error.kind) == (JobState.FAILED, 1, "payment")
    finally:
        await services.aclose()


async def test_job_that_would_spend_anlas_is_refused_before_queueing(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        costly = GenerationRequest(prompt="big", model="v4.5", width=1024, height=1536, steps=28)
        with pytest.raises(SpendRefused) as refused:
            await services.submitter.submit(costly, person("ann"), account="default")
        assert refused.value.cost == 30
        assert "30 Anlas" in refused.value.user_message
        assert await services.queue.lane_depths() == {}
    finally:
        await services.aclose()


async def test_worker_killed_mid_job_loses_nothing_and_announces_once(deployment: Deployment) -> None:
    deployment.sandbox.step_latency = 0.1
    services = deployment.services()
    try:
        victim = await deployment.start_worker()
        job = await services.submitter.submit(SMALL.model_copy(update={"steps": 20}), person("ann"),
                                              account="default")
        started = asyncio.Event()
        waiter = asyncio.create_task(wait_until_finished(
            services, [job.id], timeout=10, on_event=lambda e: started.set() if e.type == "started" else None))
        await asyncio.wait_for(started.wait(), 10)
        deployment.kill(victim)
        killed_at = time.time()
        waiter.cancel()
        await deployment.start_worker()
        done = (await wait_until_finished(services, [job.id], timeout=30))[job.id]
        lease = deployment.settings.queue.lease_seconds
        events = await all_events(services)
        requeued = [e for e in events if e.type == "requeued" and e.job == job.id]
        assert done.state is JobState.DONE and done.attempts >= 2
        assert len(requeued) == 1
        requeued_at = int(requeued[0].id.split("-")[0]) / 1000
        assert requeued_at - killed_at < 2 * lease + 3, "back in its lane within 2x the lease (+ worker boot)"
        assert [e.type for e in events if e.job == job.id and e.type in ("done", "failed")] == ["done"]
    finally:
        await services.aclose()


async def test_a_thread_hands_over_at_its_slice_end_when_another_lane_waits(deployment: Deployment) -> None:
    """One worker thread, two lanes of four jobs, slices of two: it drains two of one lane, sees the
    other waiting (``others_waiting``) and hands over, so the lanes take turns two by two."""
    second = SandboxAccount(email="second@example.com", password="second-password", tier=3, anlas=1000)
    deployment.sandbox.add_account(second)
    await deployment.add_account(Account.from_password("second", second.email, second.password))
    deployment.overrides["NAIBOT_QUEUE__SLICE_JOBS"] = "2"
    services = deployment.services()
    try:
        for account in ("default", "second"):
            await services.redis.set(services.queue.keys.lane_pause(account), "test", px=60_000)
        jobs = [await services.submitter.submit(SMALL, person(f"u{i}"), account=account)
                for account in ("default", "second") for i in range(4)]
        await deployment.start_worker(threads=1)
        # Both lanes are free to run before either is woken: at the first slice's end the other waits.
        await services.redis.delete(*(services.queue.keys.lane_pause(account) for account in ("default", "second")))
        for account in ("default", "second"):
            await services.submitter.waker.wake(account)
        finished = await wait_until_finished(services, [j.id for j in jobs], timeout=60)
        assert all(j.state is JobState.DONE for j in finished.values())
        lanes = [e.account for e in await all_events(services) if e.type == "started"]
        runs = [len(list(group)) for _, group in itertools.groupby(lanes)]
        assert runs == [2, 2, 2, 2], lanes
    finally:
        await services.aclose()
