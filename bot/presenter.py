"""How queue state reads to a person: progress bars, waits, positions. One place for the wording."""

from __future__ import annotations

from tasks.job import Job, JobState

BAR_WIDTH = 20


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total > 0 else 0
    filled = max(0, min(width, filled))
    return "█" * filled + "░" * (width - filled)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def status_line(job: Job, eta: float | None = None, step: int | None = None, steps: int | None = None) -> str:
    """One line for a job's current state, as a status message shows it."""
    if job.state is JobState.QUEUED:
        place = f"position {job.position} of {job.total}" if job.position else "queued"
        return f"{job.id}: queued, {place}, estimated wait {format_duration(eta)}"
    if job.state is JobState.RUNNING:
        if step is not None and steps:
            return f"{job.id}: generating {progress_bar(step, steps)} step {step}/{steps}"
        return f"{job.id}: generating…"
    if job.state is JobState.DONE:
        return f"{job.id}: done, {len(job.images)} image(s)"
    if job.state is JobState.FAILED:
        return f"{job.id}: failed: {job.error.message if job.error else 'unknown error'}"
    return f"{job.id}: canceled"
