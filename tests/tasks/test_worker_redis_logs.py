"""What a real worker says about Redis: "waiting for Redis" once and "ready" only when it answers; an
outage is one WARNING and one INFO at its end, not Dramatiq's lines every 3 s per consumer; a normal
stop says nothing alarming (and is graceful); every line has the format of the other processes."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tasks.job import JobState, Requester
from tasks.launch import spawn_worker, stop_worker
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.queue_jobs import SMALL
from tests.fixtures.redis import PrivateRedis, free_port
from tests.tasks.worker_log_lines import LINE, log_lines, log_path, matching, wait_for_line

pytestmark = pytest.mark.xdist_group("workers")

READY = r"worker \S+ ready: redis"
# Dramatiq's consumers retry every 3 s: this long covers two of their rounds and many of the sweeper's.
NOISY_SECONDS = 7.0


async def test_a_worker_started_without_redis_waits_once_and_is_ready_when_it_answers(
        deployment: Deployment, tmp_path: Path) -> None:
    password = f"redis-pw-{free_port()}-not-for-logs"
    redis = PrivateRedis(tmp_path, ["--requirepass", password])  # not started yet: Redis is down
    deployment.overrides["REDIS_URL"] = f"redis://:{password}@127.0.0.1:{redis.port}/0"
    path = log_path(deployment)
    try:
        with path.open("wb") as log:
            process = spawn_worker(deployment.env, deployment.settings.queue.dramatiq_queue, log=log)
        deployment.workers.append(process)
        masked = rf"(redis://)?127\.0\.0\.1:{redis.port}/0"  # RedisSettings.address: no credentials
        await wait_for_line(path, rf" WARNING naibot\.worker: waiting for Redis at {masked} ")
        await asyncio.sleep(NOISY_SECONDS)  # the time in which the old worker repeated itself
        assert not matching(path, READY), "not ready while Redis does not answer"
        redis.start()
        await wait_for_line(path, READY)
        stop_worker(process)
    finally:
        redis.stop()
    assert len(matching(path, "waiting for Redis")) == 1
    assert len(matching(path, READY)) == 1
    assert not matching(path, r"CRITICAL|Consumer encountered|Restarting consumer|sweep failed|unreachable")
    assert password not in path.read_text()


async def test_a_redis_outage_is_one_warning_then_one_info_when_it_ends(deployment: Deployment,
                                                                         private_redis: PrivateRedis) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    process = await deployment.start_worker()
    path = log_path(deployment)
    private_redis.stop()
    await wait_for_line(path, "is unreachable")
    await asyncio.sleep(NOISY_SECONDS)  # the outage goes on: the old worker logged ~10 lines a second
    private_redis.start()
    await wait_for_line(path, "answers again")
    services = deployment.services()
    try:  # and it works again
        job = await services.submitter.submit(SMALL, Requester(platform="test", user_id="ann"), account="default")
        assert (await wait_until_finished(services, [job.id]))[job.id].state is JobState.DONE
    finally:
        await services.aclose()
    stop_worker(process)
    down = matching(path, "unreachable")
    assert len(down) == 1 and " WARNING naibot.worker: Redis at redis://127.0.0.1:" in down[0], down
    back = matching(path, "answers again")
    assert len(back) == 1 and " INFO naibot.worker: Redis at " in back[0], back
    assert not matching(path, r"CRITICAL|Consumer encountered|Restarting consumer|sweep failed")


async def test_a_normal_stop_is_graceful_and_logs_no_warning(deployment: Deployment) -> None:
    process = await deployment.start_worker(processes=2)
    stop_worker(process)  # SIGTERM to the process group, as honcho and Ctrl-C do
    path = log_path(deployment)
    assert process.returncode == 0
    assert not matching(path, r"WARNING|ERROR|CRITICAL|Killing")
    assert len(matching(path, "Worker has been shut down")) == 2, "each process stopped gracefully"


async def test_every_worker_line_has_the_format_of_the_other_processes(deployment: Deployment) -> None:
    process = await deployment.start_worker()
    services = deployment.services()
    try:
        job = await services.submitter.submit(SMALL, Requester(platform="test", user_id="ann"), account="default")
        await wait_until_finished(services, [job.id])
    finally:
        await services.aclose()
    stop_worker(process)
    lines = log_lines(log_path(deployment))
    assert any(" dramatiq.MainProcess: " in line for line in lines), "Dramatiq's main process too"
    assert lines and [line for line in lines if not LINE.match(line)] == []


def test_an_outage_is_said_again_at_most_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    from tasks.worker_logs import RedisOutage  # here: the tests above run (and fail) without the module

    now = [0.0]
    outage = RedisOutage("redis://127.0.0.1:1/0", clock=lambda: now[0])
    outage.watching()
    with caplog.at_level(logging.INFO, logger="naibot.worker"):
        for second in range(0, 150, 3):  # every consumer and sweeper round for two and a half minutes
            now[0] = float(second)
            outage.failed("Connection refused")
        outage.answered()
    said = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert [level for level, _ in said] == ["WARNING", "WARNING", "WARNING", "INFO"], said
    assert "still unreachable after 60 s" in said[1][1] and "after 147 s" in said[3][1]
