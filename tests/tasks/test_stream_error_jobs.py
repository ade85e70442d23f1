"""A stream error frame from NovelAI, through a real worker on the stand-in: the job ends with NovelAI's
own message (in English and Chinese), retried only when the frame's code is worth another try."""

from __future__ import annotations

import pytest

from bot.chat.texts.jobs import error_text
from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_EMAIL
from tasks.job import JobState, Requester
from tests.fixtures.deployment import Deployment, wait_until_finished

pytestmark = pytest.mark.xdist_group("workers")

SMALL = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=6)


def person() -> Requester:
    return Requester(platform="test", user_id="ann", display_name="Ann", chat_id="chat1")


async def run_one(deployment: Deployment, *frames: dict):
    for frame in frames:
        deployment.sandbox.stream_frames.add(frame)
    services = deployment.services()
    try:
        await deployment.start_worker()
        job = await services.submitter.submit(SMALL, person(), account="default")
        return (await wait_until_finished(services, [job.id]))[job.id]
    finally:
        await services.aclose()


async def test_a_stream_error_frame_ends_the_job_with_novelais_message(deployment: Deployment) -> None:
    job = await run_one(deployment, {"event_type": "error", "code": 400, "at_step": 2,
                                     "message": "Prompt contains a blocked tag"})

    assert job.state is JobState.FAILED and job.error is not None
    assert job.error.kind == "stream_error" and "0 of" not in job.error.message
    english, chinese = error_text(job.error, "en", attempts=job.attempts), error_text(job.error, "zh")
    assert english == "NovelAI stopped making the image and said: “Prompt contains a blocked tag”."
    assert chinese == "NovelAI 中途停止了生成，它的说明是：“Prompt contains a blocked tag”。"


async def test_a_non_retryable_stream_error_is_not_retried(deployment: Deployment) -> None:
    job = await run_one(deployment, {"event_type": "error", "code": 400, "message": "Prompt contains a blocked tag"})

    assert job.attempts == 1
    assert deployment.sandbox.stats.started[OPUS_EMAIL] == 1


async def test_a_retryable_stream_error_is_retried_and_the_job_completes(deployment: Deployment) -> None:
    job = await run_one(deployment, {"event_type": "error", "code": 429, "at_step": 1,
                                     "message": "Concurrent generation is locked"})

    assert job.state is JobState.DONE and job.attempts == 2
    assert deployment.sandbox.stats.started[OPUS_EMAIL] == 2
    assert deployment.sandbox.stats.images[OPUS_EMAIL] == 1


async def test_a_retryable_stream_error_that_persists_says_novelais_message_and_the_attempts(
        deployment: Deployment) -> None:
    attempts = deployment.settings.queue.max_attempts
    job = await run_one(deployment, *[{"event_type": "error", "code": 500, "message": "Worker crashed"}] * attempts)

    assert job.state is JobState.FAILED and job.error is not None and job.attempts == attempts
    assert error_text(job.error, "en", attempts=job.attempts) == (
        f"NovelAI stopped making the image and said: “Worker crashed”. Tried {attempts} times.")
