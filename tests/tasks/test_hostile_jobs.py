"""Hostile NovelAI answers through real worker processes: a job fails once, in plain words, and is not
paid twice; a never-ending stream is ended by the generation deadline, so SIGTERM stops the worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

import pytest

from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_EMAIL
from tasks.job import JobState, Requester
from tests.fixtures.deployment import Deployment, wait_until_finished

pytestmark = pytest.mark.xdist_group("workers")

SMALL = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8)
DEADLINE = 3.0


def person() -> Requester:
    return Requester(platform="test", user_id="ann", display_name="Ann", chat_id="chat1")


async def wait_for_generation(deployment: Deployment, timeout: float = 30.0) -> None:
    """Until the stand-in has started the job's generation (it runs in this test's event loop)."""
    deadline = time.monotonic() + timeout
    while deployment.sandbox.stats.generations_started(OPUS_EMAIL) < 1:
        assert time.monotonic() < deadline, "the worker never started the generation"
        await asyncio.sleep(0.02)


async def exit_code(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return await asyncio.to_thread(process.wait, timeout)
    except subprocess.TimeoutExpired:
        return None


async def test_sigterm_during_a_never_ending_stream_exits_within_the_deadline(deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_NOVELAI__LIMITS__GENERATION_SECONDS"] = str(DEADLINE)
    deployment.sandbox.step_latency = 0.05  # a preview every 50 ms: the frame bound is never reached
    deployment.sandbox.faults.hostile.append("endless_stream")
    services = deployment.services()
    try:
        worker = await deployment.start_worker(threads=2)
        job = await services.submitter.submit(SMALL, person(), account="default")
        await wait_for_generation(deployment)
        stopped_at = time.monotonic()
        # To Dramatiq's main process only, as systemd's KillMode=mixed does (deploy/naibot-worker@.service):
        # it passes the signal on once. (A second SIGTERM makes a Dramatiq worker process exit at once.)
        os.kill(worker.pid, signal.SIGTERM)
        code = await exit_code(worker, DEADLINE + 15)
        assert code is not None, "the worker ignored SIGTERM while the stream went on"
        assert time.monotonic() - stopped_at < DEADLINE + 10
        failed = (await wait_until_finished(services, [job.id], timeout=10))[job.id]
        assert failed.state is JobState.FAILED and failed.attempts == 1
        assert failed.error is not None and failed.error.kind == "deadline"
        assert failed.error.message == f"NovelAI did not finish the image within {DEADLINE:g} s"
        assert deployment.sandbox.stats.started[OPUS_EMAIL] == 1, "not sent (and paid) twice"
    finally:
        await services.aclose()


async def test_hostile_answer_fails_the_job_once_in_plain_words(deployment: Deployment) -> None:
    deployment.sandbox.faults.hostile.append("huge_png")
    services = deployment.services()
    try:
        await deployment.start_worker()
        job = await services.submitter.submit(SMALL, person(), account="default")
        failed = (await wait_until_finished(services, [job.id]))[job.id]
        assert failed.state is JobState.FAILED and failed.attempts == 1
        assert failed.error is not None and failed.error.kind == "response_refused"
        assert "100000×100000 pixels" in failed.error.message and not failed.error.retryable
        assert deployment.sandbox.stats.started[OPUS_EMAIL] == 1, "not generated (and paid) twice"
    finally:
        await services.aclose()


async def test_huge_retry_after_pauses_the_lane_only_for_the_cap(deployment: Deployment) -> None:
    deployment.overrides["NAIBOT_NOVELAI__LIMITS__MAX_RETRY_AFTER_SECONDS"] = "1"
    deployment.sandbox.faults.hostile.append("retry_after")
    services = deployment.services()
    try:
        await deployment.start_worker()
        job = await services.submitter.submit(SMALL, person(), account="default")
        done = (await wait_until_finished(services, [job.id], timeout=20))[job.id]
        assert done.state is JobState.DONE and done.attempts == 2
        pause_ms = await services.redis.pttl(services.queue.keys.lane_pause("default"))
        assert pause_ms < 0, "no pause left over"
    finally:
        await services.aclose()
