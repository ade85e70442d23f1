"""Errors users see and Redis keeps carry no token, even when NovelAI's answer quoted one."""

from __future__ import annotations

from bot.chat.texts.jobs import error_text
from naibot.settings import QueueSettings
from novelai.errors import BadRequest
from novelai.request import GenerationRequest
from tasks.events import follow
from tasks.job import Job, JobError, Requester
from tasks.queue import JobQueue
from tasks.retry import decide

PST = "pst-Zq3kX9mN2pL7vB4cR8tY1wE6uI0oA5sD"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHVzIiwiZXhwIjoxfQ.c2lnbmF0dXJl"
ECHOING = BadRequest(f"HTTP 400: bad token {PST}", status=400, user_message=f"NovelAI refused it (token {JWT})")
REQUEST = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8, seed=1).resolved()


def test_a_job_error_message_is_redacted_when_made() -> None:
    error = JobError(kind="auth", message=f"login with {PST} failed")
    assert PST not in error.message and "[REDACTED]" in error.message


def test_an_error_shown_in_a_chat_carries_no_token() -> None:
    for lang in ("en", "zh"):
        text = error_text(ECHOING, lang)
        assert PST not in text and JWT not in text


async def test_a_failed_job_keeps_no_token_in_redis_or_on_the_event_stream(aredis, redis_prefix) -> None:
    queue = JobQueue(aredis, QueueSettings(), redis_prefix)
    job = await queue.submit(Job(request=REQUEST, requester=Requester(platform="test", user_id="u"), account="a"))
    assert await queue.acquire_lane("a", "worker-1")
    assert (await queue.pop("a", "worker-1")).job_id == job.id
    assert await queue.fail(job, decide(ECHOING, 1, QueueSettings()).error)

    stored = await queue.get(job.id)
    assert stored.error is not None and "[REDACTED]" in stored.error.message
    raw = [key async for key in aredis.scan_iter(match=f"{redis_prefix}:*", _type="hash")]
    for key in raw:
        values = b" ".join(v for kv in (await aredis.hgetall(key)).items() for v in kv)
        assert PST.encode() not in values and JWT.encode() not in values, key
    events = await follow(aredis, redis_prefix, "0-0", block_ms=1)
    assert events, "the failure was announced"
    for event in events:
        assert all(PST not in str(v) and JWT not in str(v) for v in event.fields.values())
