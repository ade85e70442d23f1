"""What to do with a failed attempt: try again (and after how long), or fail for good.

A pure function of the error and the attempt count, so the policy is tested without a worker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from naibot.settings import QueueSettings
from novelai.errors import NovelAIError, RateLimited
from storage.base import StorageError
from tasks.job import JobError


@dataclass(frozen=True)
class Decision:
    retry: bool
    pause_seconds: float
    error: JobError


def backoff(attempt: int, settings: QueueSettings, rng: random.Random | None = None) -> float:
    """Exponential back-off with jitter: base·2^(attempt-1), capped, times a factor in [0.5, 1]."""
    jitter = rng.random() if rng is not None else random.random()
    raw = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2.0 ** max(0, attempt - 1))
    return raw * (0.5 + jitter / 2)


def decide(exc: BaseException, attempts: int, settings: QueueSettings, rng: random.Random | None = None
           ) -> Decision:
    if isinstance(exc, NovelAIError):
        error = JobError(kind=exc.kind, message=exc.user_message, retryable=exc.retryable)
        retryable = exc.retryable
    elif isinstance(exc, StorageError):
        error = JobError(kind="storage", message="the image store could not save the result", retryable=True)
        retryable = True
    else:
        error = JobError(kind="internal", message="something went wrong on our side", retryable=True)
        retryable = True
    if not retryable or attempts >= settings.max_attempts:
        if retryable:
            error = error.model_copy(update={
                "retryable": False, "message": f"{error.message} (gave up after {attempts} attempts)"})
        return Decision(False, 0.0, error)
    pause = backoff(attempts, settings, rng)
    if isinstance(exc, NovelAIError) and exc.holds_account:
        # The account stays locked until NovelAI finishes the abandoned generation.
        pause = max(pause, settings.lock_pause_seconds)
    if isinstance(exc, RateLimited) and exc.retry_after:
        pause = max(pause, exc.retry_after)
    return Decision(True, pause, error)
