"""A job: one person's request (a generation, an upscale or a Director Tool), who asked, where the
answer goes, and its fate.

The reply address is plain data (platform, chat, message id): the queue carries it without
knowing what a Telegram chat or a Discord interaction is; only the bot side turns it into edits
and uploads.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from naibot.logs import redact
from novelai.request import GenerationRequest
from novelai.tools import ToolRequest, UpscaleRequest

MIN_PRIORITY, MAX_PRIORITY, DEFAULT_PRIORITY = 0, 10, 5
# Lower-case base32 without look-alikes: short enough to type in `/cancel`, and to fit many
# into Telegram's 64-byte callback data.
_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_ID_LENGTH = 10


def _request_kind(value: Any) -> str:
    """The kind of a stored or given request. Jobs queued before images came in have no ``kind``:
    every one of them was a generation, so a missing kind reads as ``"generate"``."""
    if isinstance(value, dict):
        return str(value.get("kind") or "generate")
    return str(getattr(value, "kind", "generate"))


JobRequest = Annotated[
    Annotated[GenerationRequest, Tag("generate")] | Annotated[UpscaleRequest, Tag("upscale")]
    | Annotated[ToolRequest, Tag("tool")],
    Discriminator(_request_kind),
]
AnyRequest = GenerationRequest | UpscaleRequest | ToolRequest


def quota_images(request: AnyRequest) -> int:
    """How many images a request counts for quotas and lenders' caps: a generation its ``n_samples``,
    an upscale or a tool call one (bg-removal's three answers are one call on one image)."""
    return request.n_samples if isinstance(request, GenerationRequest) else 1


def duration_class(request: AnyRequest) -> tuple[str, int, int]:
    """What a job's duration is averaged under: (model or tool, width, height). Upscales and tools get
    their own names so their times do not blur the generations' estimates."""
    if isinstance(request, GenerationRequest):
        return request.model, request.width, request.height
    name = "upscale" if isinstance(request, UpscaleRequest) else f"tool-{request.tool}"
    return name, request.image.width, request.image.height


def new_job_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELED)


class Requester(BaseModel):
    """Who asked, and where to answer. ``reply`` is platform-specific plain data."""

    model_config = ConfigDict(frozen=True)

    platform: str = Field(min_length=1, max_length=32)
    user_id: str = Field(min_length=1, max_length=64)
    display_name: str = ""
    chat_id: str | None = None
    reply: dict[str, Any] = Field(default_factory=dict)

    @property
    def user_key(self) -> str:
        """One id per person across the deployment (the same number on two platforms is two people)."""
        return f"{self.platform}:{self.user_id}"


class ImageResult(BaseModel):
    key: str
    url: str
    seed: int | None
    width: int
    height: int


class JobError(BaseModel):
    """A failure as a user should read it, plus its kind for programs."""

    kind: str
    message: str
    retryable: bool = False
    # A finer case of the kind that a chat says in its own words (``error.<kind>_<reason>``), such
    # as "unverified" for credentials NovelAI refused that never worked here (tasks.accepted).
    reason: str = ""
    # A refusal the worker met before anything reached NovelAI (a price nobody allowed, found out only
    # when the job's turn came): kind "spend_refused", and the refusal's own chat text key, its
    # params and its hint, so a chat says it exactly as it would have said it at submission.
    refusal_key: str = ""
    refusal_params: dict[str, int | str] = Field(default_factory=dict)
    refusal_hint: str = ""

    @field_validator("message")
    @classmethod
    def _no_secrets(cls, value: str) -> str:
        """Messages quote NovelAI's answers and exceptions, which may echo a token; this one is
        stored in Redis, sent on the event stream and shown in chats, so redact it once here."""
        return redact(value)


class Job(BaseModel):
    """Everything about a job; stored in Redis as a hash (see ``tasks.store``)."""

    id: str = Field(default_factory=new_job_id)
    request: JobRequest
    requester: Requester
    account: str
    priority: int = Field(DEFAULT_PRIORITY, ge=MIN_PRIORITY, le=MAX_PRIORITY)
    # The most Anlas this job may spend (0 = only free generations).
    max_anlas: int = Field(0, ge=0)
    state: JobState = JobState.QUEUED
    attempts: int = 0
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    images: list[ImageResult] = Field(default_factory=list)
    error: JobError | None = None
    # Only while queued: place in the lane (1 = next) and how many wait there.
    position: int | None = None
    total: int | None = None

    @property
    def kind(self) -> str:
        """``generate``, ``upscale`` or ``tool``."""
        return self.request.kind

    @property
    def generation(self) -> GenerationRequest | None:
        """The request when the job is a generation, else None (prompt, seed, steps only exist there)."""
        return self.request if isinstance(self.request, GenerationRequest) else None
