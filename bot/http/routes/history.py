"""``GET /history``: an API identity's recent tasks, newest first, with their images and when they expire.

The twin of the chats' `/history` for the HTTP API. Every task an identity submits is remembered
in its history list (``BotKeys.user_history`` with no chat: an identity has none), at most
``HISTORY_TASKS``, expiring with the tasks (``queue.retention_seconds``); an id whose task is gone
is skipped. A task and its images stay as long as the retention setting says: ``expires_at`` is its
end plus that (null while it has not ended). Paging is by cursor: ``before`` = the last ``task_id``
of the previous answer (``next_before``), so new submissions never shift a page.

An admin key sees its own history here like any key (it may look at anyone's task by id with
``/task_status``); there is no listing of other identities' tasks.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from redis.exceptions import RedisError

from bot.http.auth import ApiIdentity, KeyFirstRoute, require_identity
from bot.http.deps import ApiState, api_state
from bot.http.models import ImageOut
from bot.http.routes.jobs import _absolute, _errors
from bot.keys import BotKeys
from naibot.redisconn import text
from tasks.job import Job

log = logging.getLogger(__name__)

# As many as the chats keep per person and chat (bot.chat.recent_jobs.HISTORY_JOBS).
HISTORY_TASKS = 60
DEFAULT_LIMIT = 20

router = APIRouter(route_class=KeyFirstRoute)


class HistoryItem(BaseModel):
    task_id: str
    kind: str = Field(description="generate, upscale or tool")
    state: str = Field(description="queued, running, done, failed or canceled")
    prompt: str = Field(description="the prompt it was made from ('' for an upscale)")
    created_at: float
    finished_at: float | None
    expires_at: float | None = Field(description="when the task and its images are deleted (its end + the "
                                                 "retention setting); null until it has ended")
    images: list[ImageOut]


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_before: str | None = Field(description="pass as ?before= for the next (older) page; null at the end")
    retention_seconds: int = Field(description="how long a task is kept after it ends")


def _key(state: ApiState, user_key: str) -> str:
    return BotKeys(state.settings.redis.prefix).user_history(user_key, "")


async def remember_api_job(state: ApiState, job: Job) -> None:
    """Put a submitted task at the head of its identity's history. Best effort: the task is queued
    already, and a Redis hiccup here must not turn its answer into an error."""
    key = _key(state, job.requester.user_key)
    try:
        async with state.services.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, job.id)
            pipe.ltrim(key, 0, HISTORY_TASKS - 1)
            pipe.expire(key, state.settings.queue.retention_seconds)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("task %s is not in its history: %s", job.id, exc)


def _urls(state: ApiState, job: Job) -> list[str]:
    return [state.storage.url(image.key) for image in job.images]


def _prompt(job: Job) -> str:
    return str(getattr(job.request, "prompt", "") or "")


@router.get("/history", response_model=HistoryPage, responses=_errors(400, 401, 503), tags=["jobs"],
            summary="your recent tasks, newest first, with images and when they expire")
async def history(limit: int = Query(DEFAULT_LIMIT, ge=1, le=HISTORY_TASKS, description="tasks per page"),
                  before: str | None = Query(None, min_length=1, max_length=64,
                                             description="the next_before of the previous page"),
                  identity: ApiIdentity = Depends(require_identity),
                  state: ApiState = Depends(api_state)) -> HistoryPage:
    ids = [text(raw) for raw in await state.services.redis.lrange(_key(state, identity.user_key), 0,
                                                                   HISTORY_TASKS - 1)]
    if before is not None:
        ids = ids[ids.index(before) + 1:] if before in ids else []
    jobs = await state.services.queue.get_many(ids)
    page, more = jobs[:limit], len(jobs) > limit
    retention = state.settings.queue.retention_seconds
    public_url = state.settings.api.public_url
    items = []
    for job in page:
        # S3 presigning may ask the server for the bucket's region: not on the event loop.
        urls = await asyncio.to_thread(_urls, state, job)
        items.append(HistoryItem(
            task_id=job.id, kind=job.kind, state=job.state.value, prompt=_prompt(job), created_at=job.created_at,
            finished_at=job.finished_at, expires_at=job.finished_at + retention if job.finished_at else None,
            images=[ImageOut(url=_absolute(url, public_url), seed=image.seed, width=image.width, height=image.height)
                    for image, url in zip(job.images, urls, strict=True)]))
    return HistoryPage(items=items, next_before=page[-1].id if more and page else None, retention_seconds=retention)
