"""What the admin status page shows, read from Redis in four round trips (three pipelined, and
the chat processes' beats).

The page polls every two seconds, possibly from several tabs, so everything here is bounded:
a fixed number of lanes, waiting jobs per lane, running jobs and stream entries, whatever the
size of the queue. Progress and recent results come from the newest stretch of the event
stream (where the workers record them), not from a scan of job hashes.

Nothing secret leaves this module: no tokens or keys, and email addresses (as display names,
in prompts, or as account logins) are masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from naibot.secrets import SecretError
from naibot.settings import Settings
from novelai.account_status import account_names, mask_email, resolve_account, status_dict
from novelai.accounts import AccountStore
from novelai.client import NovelAIClient
from novelai.factory import secret_box
from storage.base import Storage
from tasks.chat_presence import chat_processes
from tasks.keys import Keys
from tasks.queue import lane_member_job

log = logging.getLogger(__name__)

MAX_LANES = 30
WAITING_PER_LANE = 25
MAX_RUNNING = 50
# Newest stream entries searched for progress and finished jobs (each is small: a few fields).
EVENT_SCAN = 1000
RECENT_RESULTS = 12
MAX_ACCOUNTS = 20
PROMPT_CHARS = 140
# NovelAI is asked about each account at most this often per API process, however many pages poll.
TOKEN_STATUS_SECONDS = 30.0
# How long a page load waits for the very first token check before showing the queue without it.
FIRST_STATUS_WAIT = 3.0
ACCOUNT_CHECK_TIMEOUT = 10.0

_JOB_FIELDS = ("data", "state", "created_at", "started_at", "finished_at", "attempts", "result", "error")
# Anchored at the start of a token (the lookbehind): without it, a failed match was retried from
# every position of a long run of non-space characters, quadratic (0.6 s per poll of 25 long
# prompts). Each token is now tried once, from its start; the matches are the same.
_EMAIL = re.compile(r"(?<![^\s@<>\"'])[^\s@<>\"']+@[^\s@<>\"']+\.[A-Za-z]{2,}")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _float(value: Any) -> float | None:
    try:
        return float(_text(value)) if value is not None else None
    except ValueError:
        return None


def redact(text: str) -> str:
    """Mask every email address in free text (display names and prompts are user-supplied)."""
    return _EMAIL.sub(lambda m: mask_email(m.group()), text)


def _owner(requester: dict[str, Any]) -> dict[str, str]:
    name = requester.get("display_name") or requester.get("user_id") or "?"
    return {"platform": str(requester.get("platform", "?")), "name": redact(str(name))}


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of a job's stored data every list shows."""
    request = data.get("request") or {}
    prompt = redact(str(request.get("prompt", "")))
    return {
        "owner": _owner(data.get("requester") or {}),
        "priority": data.get("priority"),
        "account": data.get("account"),
        "prompt": prompt if len(prompt) <= PROMPT_CHARS else prompt[:PROMPT_CHARS - 1] + "…",
        "model": request.get("model"),
        "size": f"{request.get('width', '?')}×{request.get('height', '?')}",
    }


def _job_fields(raw: Sequence[Any]) -> dict[str, str | None]:
    return {name: (_text(v) if v is not None else None) for name, v in zip(_JOB_FIELDS, raw, strict=True)}


def _scan_events(entries: list[tuple[Any, dict[Any, Any]]], running: set[str]
                 ) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Newest first: the latest progress of each running job, and the most recently finished jobs."""
    progress: dict[str, tuple[int, int]] = {}
    finished: list[str] = []
    for _entry_id, raw in entries:
        fields = {_text(k): _text(v) for k, v in raw.items()}
        job, kind = fields.get("job"), fields.get("type")
        if not job:
            continue
        if kind == "progress" and job in running and job not in progress:
            try:
                progress[job] = (int(fields["step"]), int(fields["total"]))
            except (KeyError, ValueError):
                continue
        elif kind == "done" and job not in finished and len(finished) < RECENT_RESULTS * 2:
            finished.append(job)  # twice as many as shown: some may have expired meanwhile
    return progress, finished


async def queue_state(redis: aioredis.Redis, settings: Settings, storage: Storage) -> dict[str, Any]:
    """Lanes with their waiting jobs, running jobs with progress, recent results and totals."""
    keys = Keys(settings.redis.prefix)
    now = time.time()
    alive_window = max(5.0, settings.queue.lease_seconds)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.smembers(keys.lanes)
        pipe.zrange(keys.running, 0, MAX_RUNNING - 1)
        pipe.zcard(keys.running)
        pipe.zcount(keys.workers, now - alive_window, "+inf")
        pipe.hget(keys.durations, "all")
        pipe.xrevrange(keys.events, count=EVENT_SCAN)
        lanes_raw, running_raw, running_total, workers, average, events = await pipe.execute()
    running_ids = [_text(i) for i in running_raw]
    progress, finished_ids = _scan_events(events, set(running_ids))
    lanes = sorted(_text(a) for a in lanes_raw)[:MAX_LANES]

    async with redis.pipeline(transaction=False) as pipe:
        for account in lanes:
            pipe.zcard(keys.lane(account))
            pipe.zrange(keys.lane(account), 0, WAITING_PER_LANE - 1)
            pipe.pttl(keys.lane_pause(account))
            pipe.exists(keys.lane_lease(account))
        lane_replies = await pipe.execute()
    waiting_ids: dict[str, list[str]] = {}
    lane_info: dict[str, dict[str, Any]] = {}
    for index, account in enumerate(lanes):
        depth, members, pause_ms, leased = lane_replies[index * 4:index * 4 + 4]
        waiting_ids[account] = [lane_member_job(m) for m in members]
        lane_info[account] = {"account": account, "depth": int(depth), "paused": int(pause_ms) > 0,
                              "draining": bool(leased)}

    all_ids = [*(i for ids in waiting_ids.values() for i in ids), *running_ids, *finished_ids]
    async with redis.pipeline(transaction=False) as pipe:
        for job_id in all_ids:
            pipe.hmget(keys.job(job_id), list(_JOB_FIELDS))
        jobs = {job_id: _job_fields(raw) for job_id, raw in zip(all_ids, await pipe.execute(), strict=True)}

    def data_of(job_id: str) -> dict[str, Any] | None:
        raw = jobs[job_id].get("data")
        return json.loads(raw) if raw else None

    lane_list = []
    for account in lanes:
        waiting = []
        for position, job_id in enumerate(waiting_ids[account], start=1):
            data = data_of(job_id)
            if data is None:
                continue  # expired between the two reads
            created = _float(jobs[job_id]["created_at"])
            waiting.append({"id": job_id, "position": position, **_summary(data),
                            "age_seconds": None if created is None else round(max(0.0, now - created), 1)})
        info = lane_info[account]
        lane_list.append({**info, "waiting": waiting, "more": max(0, info["depth"] - len(waiting))})

    running = []
    for job_id in running_ids:
        data = data_of(job_id)
        if data is None:
            continue
        started = _float(jobs[job_id]["started_at"])
        step, total = progress.get(job_id, (None, None))
        running.append({"id": job_id, **_summary(data), "step": step, "steps": total or data["request"].get("steps"),
                        "attempt": int(jobs[job_id]["attempts"] or 1),
                        "running_seconds": None if started is None else round(max(0.0, now - started), 1)})

    recent = await _recent_results(storage, [(i, jobs[i], data_of(i)) for i in finished_ids], now)
    chats = await chat_processes(redis, settings.redis.prefix, now)
    waiting_total = sum(info["depth"] for info in lane_info.values())
    return {
        "generated_at": now,
        "totals": {"waiting": waiting_total, "running": int(running_total), "lanes": len(lanes_raw),
                   "workers": int(workers), "chat_processes": sum(1 for c in chats if c["alive"]),
                   "average_seconds": None if average is None else round(float(average), 1)},
        "lanes": lane_list,
        "running": running,
        "recent": recent,
        "chat_processes": chats,
    }


async def _recent_results(storage: Storage, finished: list[tuple[str, dict[str, str | None], dict[str, Any] | None]],
                          now: float) -> list[dict[str, Any]]:
    picked = []
    for job_id, fields, data in finished:
        if data is None or fields.get("state") != "done" or not fields.get("result"):
            continue
        images = json.loads(fields["result"] or "[]")
        if not images:
            continue
        started, ended = _float(fields["started_at"]), _float(fields["finished_at"])
        picked.append((job_id, data, images, started, ended))
        if len(picked) == RECENT_RESULTS:
            break

    def urls() -> list[list[str]]:  # S3 URLs may be presigned: computed off the event loop
        return [[storage.url(image["key"]) for image in images] for _, _, images, _, _ in picked]

    all_urls = await asyncio.to_thread(urls)
    results = []
    for (job_id, data, images, started, ended), image_urls in zip(picked, all_urls, strict=True):
        results.append({
            "id": job_id, **_summary(data),
            "finished_seconds_ago": None if ended is None else round(max(0.0, now - ended), 1),
            "generation_seconds": None if started is None or ended is None else round(ended - started, 1),
            "images": [{"url": url, "width": image.get("width"), "height": image.get("height"),
                        "seed": image.get("seed")} for url, image in zip(image_urls, images, strict=True)],
        })
    return results


class TokenStatuses:
    """Each account's token status (days left, tier, Anlas), refreshed in the background.

    A page poll never waits on NovelAI except for the very first check of the process (briefly):
    a stale answer is returned at once while a single refresh runs, so ten open tabs cost NovelAI
    one request per account every ``TOKEN_STATUS_SECONDS``.
    """

    def __init__(self, settings: Settings, client: NovelAIClient, redis: aioredis.Redis) -> None:
        self._settings = settings
        self._client = client
        box = secret_box(settings)
        self._store = AccountStore(redis, box, settings.redis.prefix) if box else None
        self._checked_at = 0.0
        self._statuses: list[dict[str, Any]] | None = None
        self._refresh: asyncio.Task[None] | None = None

    async def get(self) -> list[dict[str, Any]]:
        stale = time.monotonic() - self._checked_at >= TOKEN_STATUS_SECONDS
        if stale and (self._refresh is None or self._refresh.done()):
            self._refresh = asyncio.create_task(self._check_all())
        if self._statuses is None and self._refresh is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FIRST_STATUS_WAIT):
                    await asyncio.shield(self._refresh)
        return self._statuses or []

    async def aclose(self) -> None:
        if self._refresh is not None and not self._refresh.done():
            self._refresh.cancel()

    async def _check_all(self) -> None:
        try:
            names = (await account_names(self._settings, self._store))[:MAX_ACCOUNTS]
            self._statuses = list(await asyncio.gather(*(self._check(name) for name in names)))
        except Exception as exc:  # Redis away: keep what we had, try again next time
            log.warning("admin page: could not list NovelAI accounts (%s)", exc)
        self._checked_at = time.monotonic()

    async def _check(self, name: str) -> dict[str, Any]:
        try:
            account = await resolve_account(self._settings, name, self._store)
            if account is None:
                return {"name": name, "error": "not configured"}
            async with asyncio.timeout(ACCOUNT_CHECK_TIMEOUT):
                info = status_dict(await self._client.status(account))
            info["login"] = mask_email(account.email) if account.email else None
            return info
        except SecretError:
            return {"name": name, "error": "stored credentials cannot be read (was NAIBOT_SECRET_KEY changed?)"}
        except TimeoutError:
            return {"name": name, "error": "NovelAI did not answer in time"}
        except Exception as exc:
            log.warning("admin page: status of account %s failed: %s", name, type(exc).__name__)
            return {"name": name, "error": f"check failed ({type(exc).__name__})"}
