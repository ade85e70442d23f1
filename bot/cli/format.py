"""The CLI's English one-liners: a job's state on one line, a duration as the terminal shows it.

The CLI speaks English only, so these take no language. They draw with the chat texts' ``progress_bar``
and ``duration_text`` (``bot.chat.texts.jobs``) so both front ends count the same way; the import goes
from here to the chat texts only, since ``bot.chat`` never imports ``bot.cli`` (DESIGN.md §1.3: moving the
bar here once closed a texts ↔ cli circle).
"""

from __future__ import annotations

from bot.chat.texts.jobs import duration_text, progress_bar
from naibot.settings import Settings
from tasks.job import ImageResult, Job, JobState


def format_duration(seconds: float | None) -> str:
    """English only, as the CLI speaks: "2 min 05 s"."""
    return duration_text(seconds, "en")


def images_count(n: int) -> str:
    return f"{n} image" if n == 1 else f"{n} images"


def image_location(settings: Settings, image: ImageResult) -> str:
    """Where an image can be opened: its file with local storage (the operator is on that machine),
    else its URL."""
    if settings.storage.backend == "local":
        return str((settings.storage.dir / image.key).resolve())
    return image.url


def progress_line(job_id: str, step: int, steps: int) -> str:
    return f"{job_id}: generating {progress_bar(step, steps)} step {step}/{steps}"


def status_line(job: Job, eta: float | None = None, step: int | None = None, steps: int | None = None) -> str:
    """One line for a job's current state, as a status message shows it."""
    if job.state is JobState.QUEUED:
        place = f"position {job.position} of {job.total}" if job.position else "queued"
        return f"{job.id}: queued, {place}, estimated wait {format_duration(eta)}"
    if job.state is JobState.RUNNING:
        if step is not None and steps:
            return progress_line(job.id, step, steps)
        return f"{job.id}: generating…"
    if job.state is JobState.DONE:
        return f"{job.id}: done, {images_count(len(job.images))}"
    if job.state is JobState.FAILED:
        return f"{job.id}: failed: {job.error.message if job.error else 'unknown error'}"
    return f"{job.id}: canceled" + (f": {job.error.message}" if job.error else "")


def final_line(job: Job, settings: Settings) -> str:
    """How a job ended, as the last line of ``generate --wait``: where the images are, or why not."""
    if job.state is JobState.DONE:
        return f"done: {images_count(len(job.images))} → {', '.join(image_location(settings, i) for i in job.images)}"
    if job.state is JobState.FAILED:
        return f"failed: {job.error.message if job.error else 'unknown error'}"
    return "canceled" + (f": {job.error.message}" if job.error else "")
