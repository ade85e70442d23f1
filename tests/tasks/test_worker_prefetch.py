"""A worker process takes no more wake-ups from Dramatiq than it has threads to run them.

Dramatiq's default prefetch is twice the threads: a process that starts first would take the
wake-ups of lanes it cannot run yet and keep them while another process sits idle, so lanes that
could run side by side waited for each other (seen in bench/scale.py with 10 lanes on 4 x 4 threads:
2.0 jobs/s instead of the 3.6 the lanes allow).
"""

from __future__ import annotations

import pytest

from novelai.accounts import Account
from sandbox.novelai import SandboxAccount
from tasks.job import JobState, Requester
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.queue_jobs import SMALL

pytestmark = pytest.mark.xdist_group("workers")


async def test_a_one_thread_worker_leaves_the_second_lane_to_the_next_worker(deployment: Deployment) -> None:
    deployment.sandbox.step_latency = 0.5  # 8 steps: 4 s, longer than the second worker takes to start
    second = SandboxAccount(email="second@example.com", password="second-password", tier=3, anlas=1000)
    deployment.sandbox.add_account(second)
    await deployment.add_account(Account.from_password("second", second.email, second.password))
    services = deployment.services()
    try:
        jobs = [await services.submitter.submit(SMALL, Requester(platform="test", user_id=f"u{n}"), account=account)
                for n, account in enumerate(("default", "second"))]
        await deployment.start_worker(threads=1)  # both wake-ups are waiting when it starts
        await deployment.start_worker(threads=1)
        finished = await wait_until_finished(services, [j.id for j in jobs], timeout=60)
    finally:
        await services.aclose()
    assert all(j.state is JobState.DONE for j in finished.values())
    (a0, a1), (b0, b1) = [(j.started_at, j.finished_at) for j in finished.values()]
    assert a0 < b1 and b0 < a1, "the two lanes ran one after the other on the first worker"
