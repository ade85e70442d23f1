"""The CLI's English one-liners (bot/cli/format.py)."""

from __future__ import annotations

import random

from bot.cli.format import format_duration, status_line
from novelai.request import GenerationRequest
from tasks.job import ImageResult, Job, JobError, JobState, Requester


def make_job(state: JobState = JobState.QUEUED, **update: object) -> Job:
    request = GenerationRequest(prompt="1girl, red hair, beach", seed=100, n_samples=2, steps=28,
                                width=1024, height=1024).resolved(random.Random(1))
    job = Job(request=request, requester=Requester(platform="cli", user_id="7", display_name="Alice"),
              account="acc", state=state)
    return job.model_copy(update=update)


def test_format_duration_is_english() -> None:
    assert format_duration(125) == "2 min 05 s"
    assert format_duration(None) == "unknown"


def test_status_line_per_state() -> None:
    job = make_job(position=2, total=5)
    assert status_line(job, 30) == f"{job.id}: queued, position 2 of 5, estimated wait 30 s"
    running = make_job(JobState.RUNNING)
    assert status_line(running, None, 14, 28) == f"{running.id}: generating ██████████░░░░░░░░░░ step 14/28"
    assert status_line(running) == f"{running.id}: generating…"
    done = make_job(JobState.DONE, images=[ImageResult(key="a.png", url="", width=1024, height=1024, seed=100)])
    assert status_line(done) == f"{done.id}: done, 1 image"
    failed = make_job(JobState.FAILED, error=JobError(kind="server", message="boom"))
    assert status_line(failed) == f"{failed.id}: failed: boom"
    assert status_line(make_job(JobState.CANCELED)).endswith(": canceled")
