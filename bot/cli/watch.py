"""``naibot generate --wait``: one job followed on the terminal until it ends.

It reads the queue's event stream from just before the job was queued (``tasks.events``), so it
sees every event of the job: ``started`` carries the attempt number, ``progress`` the step,
``retrying`` the error that sent the job back (``tasks/lua/retry.lua``). A retry is said as such
("retrying after <reason> (attempt 2 of 5)") instead of the job seeming to flip between queued and
generating, and the bar ends on the last step: the worker never announces that one (it is followed
at once by ``done``), so it is drawn here when the job is done.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from bot.cli.format import final_line, progress_line, status_line
from naibot.settings import Settings
from tasks.events import Event, follow
from tasks.job import Job, JobState
from tasks.queue import QueueUnavailable
from tasks.services import QueueServices


def _reason(error_json: str | None) -> str:
    """The user's sentence of the error a ``retrying`` event carries (a ``JobError`` as JSON)."""
    try:
        message = json.loads(error_json or "")["message"]
    except (ValueError, KeyError, TypeError):
        return "an error"
    return message if isinstance(message, str) and message else "an error"


@dataclass
class JobView:
    """What the terminal knows of one job beyond its stored state: the step, the attempt, the retry."""

    job_id: str
    max_attempts: int
    step: tuple[int, int] | None = None
    attempt: int = 0  # the attempt that started last (0: none yet)
    retry_reason: str | None = None

    def apply(self, event: Event) -> bool:
        """Take in one event; True when it was this job's retry (worth showing at once)."""
        if event.job != self.job_id:
            return False
        if event.type == "progress":
            self.step = (int(event.fields["step"]), int(event.fields["total"]))
        elif event.type == "started":
            self.attempt = int(event.fields.get("attempt", self.attempt + 1))
            self.step = None  # a new attempt starts from the first step
        elif event.type in ("retrying", "requeued"):
            # requeued: the sweeper took it back from a worker that stopped answering (recover.lua)
            self.retry_reason = (_reason(event.fields.get("error")) if event.type == "retrying"
                                 else "its worker stopped")
            self.step = None
            return True
        return False

    def retry_line(self, attempts: int) -> str:
        """``attempts``: how many attempts have run (the job's count); the next is one more."""
        tried = max(self.attempt, attempts)
        return (f"{self.job_id}: retrying after {self.retry_reason or 'an error'} "
                f"(attempt {tried + 1} of {self.max_attempts})")

    def line(self, job: Job, eta: float | None) -> str:
        if job.state is JobState.QUEUED and job.attempts > 0:
            return self.retry_line(job.attempts)
        line = status_line(job, eta, *(self.step or (None, None)))
        return line + self.attempt_note(job) if job.state is JobState.RUNNING else line

    def attempt_note(self, job: Job) -> str:
        """`` (attempt 2 of 5)`` once the job runs again after a retry; nothing on its first attempt."""
        attempt = max(self.attempt, job.attempts)
        return f" (attempt {attempt} of {self.max_attempts})" if attempt > 1 else ""

    def last_step(self, job: Job) -> tuple[int, int] | None:
        """The step the bar ends on when the job is done: every step of it."""
        # An upscale or a tool has no steps: its bar has nothing to end on.
        total = self.step[1] if self.step else (job.generation.steps if job.generation is not None else None)
        return (total, total) if total else None


class Terminal:
    """One line on stderr, rewritten in place as the job moves."""

    def __init__(self) -> None:
        self.last = ""

    def show(self, line: str) -> None:
        if line != self.last:
            sys.stderr.write("\r" + line.ljust(len(self.last)))
            sys.stderr.flush()
            self.last = line

    def end(self, *lines: str) -> None:
        """Leave the live line as it is and write ``lines`` below it."""
        if self.last:
            sys.stderr.write("\n")
        for line in lines:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        self.last = ""


async def watch(services: QueueServices, settings: Settings, job: Job, after: str, quiet: bool) -> Job:
    """Follow the event stream until the job ends; unless ``quiet``, show position, wait, progress and
    retries on stderr, then how it ended. Returns the job as it ended."""
    queue = services.queue
    view = JobView(job.id, settings.queue.max_attempts)
    terminal = Terminal()
    while True:
        current = await queue.get(job.id)
        if current is None:
            raise QueueUnavailable("the job disappeared (expired?)")
        if current.state.terminal:
            if not quiet:
                if current.state is JobState.DONE and (last := view.last_step(current)) is not None:
                    terminal.show(progress_line(current.id, *last) + view.attempt_note(current))
                terminal.end(final_line(current, settings))
            return current
        if not quiet:
            terminal.show(view.line(current, await queue.estimated_wait(current)))
        for event in await follow(services.redis, settings.redis.prefix, after, block_ms=1000):
            after = event.id
            if view.apply(event) and not quiet:
                terminal.show(view.retry_line(current.attempts))
