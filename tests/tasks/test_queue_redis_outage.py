"""Redis going away and coming back: submitting says so at once, workers reconnect by themselves.

Uses a private redis-server on a free port (``tests.fixtures.redis.private_redis``: the shared one
must never be stopped).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tasks.job import JobState, Requester
from tasks.queue import QueueUnavailable
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.queue_jobs import SMALL
from tests.fixtures.redis import PrivateRedis

pytestmark = pytest.mark.xdist_group("workers")


async def test_outage_is_reported_at_once_and_everything_reconnects(deployment: Deployment,
                                                                    private_redis: PrivateRedis) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    person = Requester(platform="test", user_id="ann")
    await deployment.start_worker()
    services = deployment.services()
    try:
        before = await services.submitter.submit(SMALL, person, account="default")
        assert (await wait_until_finished(services, [before.id]))[before.id].state is JobState.DONE

        private_redis.stop()
        started = time.monotonic()
        with pytest.raises(QueueUnavailable):
            await services.submitter.submit(SMALL, person, account="default")
        assert time.monotonic() - started < 2, "an outage is reported at once, not after a hang"

        await asyncio.sleep(1.0)  # the worker's sweeper meets the outage too (and must survive it)
        private_redis.start()  # same port, empty: Redis kept nothing on disk
        after = await services.submitter.submit(SMALL, person, account="default")
        finished = await wait_until_finished(services, [after.id], timeout=30)
        assert finished[after.id].state is JobState.DONE, "the same worker process picked it up"
        assert deployment.workers[0].poll() is None
    finally:
        await services.aclose()
