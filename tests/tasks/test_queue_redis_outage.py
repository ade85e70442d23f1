"""Redis going away and coming back: submitting says so at once, workers reconnect by themselves.

Uses a private redis-server on a free port (the shared one must never be stopped).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.job import JobState, Requester
from tasks.queue import QueueUnavailable
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.tasks.test_queue_workers import SMALL

pytestmark = pytest.mark.xdist_group("workers")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for this test (Debian package redis-server)"
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "private redis-server did not start"
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


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
