"""The job queue in Redis: submit, look up, position, cancel — and the worker's side of a lane.

Ordering is ours, execution is Dramatiq's: each NovelAI account has a *lane* (a sorted set of
waiting jobs, ordered by priority, fairness round and arrival), one worker at a time drains a
lane under a lease, and a Dramatiq message only says "this lane has work". See ``tasks/lua/``
for the atomic state changes and ``tasks/worker.py`` for the draining loop.

One piece although past 400 lines: every method is one call of one script (or one read) on the
same keys, and the asking side and the worker's side must agree on them; what is not a Redis call
lives elsewhere (``tasks/job.py``, ``tasks/stored_job.py``, ``tasks/worker.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from naibot.refusal import EXIT_FAILED, Refusal
from naibot.settings import QueueSettings
from tasks import metrics
from tasks.events import last_event_id
from tasks.job import ImageResult, Job, JobError, JobState, Requester, duration_class
from tasks.keys import Keys
from tasks.scripts import Scripts
from tasks.stored_job import dump_request, dump_requester, load_request

T = TypeVar("T")
# How fast the moving average of durations follows new measurements.
DURATION_WEIGHT = 0.2
# Size classes for duration estimates: up to ~0.5 MP, up to ~1 MP, larger.
_SIZE_CLASSES = ((512 * 768, "s"), (1024 * 1024, "m"))
# Jobs per call of positions.lua: a bigger batch is split into calls of this many (one round trip
# each), so one call never holds Redis for long (~1 ms for 500 jobs of a 100,000-job lane).
POSITIONS_BATCH = 500
LUA_DIR = Path(__file__).parent / "lua"


class QueueUnavailable(Refusal):
    """Redis cannot be reached: answer "try again" at once instead of hanging."""

    key = "error.queue_unavailable"
    http_status = 503
    exit_code = EXIT_FAILED
    user_message = "the queue is unavailable right now, please try again in a minute"

    def describe(self) -> str:
        return self.user_message  # what failed inside (the Redis error) is for the logs


class QueueFull(Refusal):
    """The user already has the most waiting jobs the settings allow."""

    key = "error.queue_full"
    http_status = 429

    def __init__(self, waiting: int, limit: int) -> None:
        super().__init__(f"you already have {waiting} jobs waiting (the limit is {limit}); "
                         "wait for one to finish or cancel one", waiting=waiting, limit=limit)
        self.waiting, self.limit = waiting, limit


@dataclass(frozen=True)
class Caller:
    """Who is asking to act on a job; the chat layer fills in what it knows about admins."""

    user_key: str
    admin_chats: frozenset[str] = frozenset()
    deployment_admin: bool = False
    # Groups (Discord guilds, Telegram groups) the caller administers: "<platform>:<id>".
    admin_groups: frozenset[str] = frozenset()

    def may_cancel(self, job: Job) -> bool:
        if self.deployment_admin or job.requester.user_key == self.user_key:
            return True
        if job.requester.reply.get("group_key") in self.admin_groups:
            return True
        chat = job.requester.chat_id
        return chat is not None and f"{job.requester.platform}:{chat}" in self.admin_chats


@dataclass(frozen=True)
class CancelOutcome:
    """``canceled``, or why not: ``running``, ``done``, ``failed``, ``missing``, ``forbidden``."""

    status: str
    job: Job | None = None

    @property
    def canceled(self) -> bool:
        return self.status == "canceled"


@dataclass(frozen=True)
class Popped:
    """What ``pop`` found: a job to run, or why the worker should stop (or skip and go on)."""

    kind: str  # job | skip | empty | paused | lost
    job_id: str | None = None
    attempt: int = 0
    pause_ms: int = 0
    job: Job | None = None


@dataclass(frozen=True)
class Position:
    """Where one job stands, as ``JobQueue.positions`` reads it with many others in one round trip."""

    state: JobState | None  # None: no such job (never queued, or expired)
    account: str = ""
    attempts: int = 0
    position: int | None = None  # 1-based place in its lane while it waits
    total: int | None = None  # the lane's size then
    running_since: float | None = None  # when the lane's running job started (for the wait estimate)


def size_class(width: int, height: int) -> str:
    area = width * height
    return next((name for limit, name in _SIZE_CLASSES if area <= limit), "l")


def duration_field(model: str, width: int, height: int) -> str:
    return f"{model}:{size_class(width, height)}"


def average_of(durations: dict[str, float], model: str | None = None, width: int = 0, height: int = 0
               ) -> float | None:
    """The moving average for this model and size class (else overall), from the durations hash."""
    for field in ([duration_field(model, width, height)] if model else []) + ["all"]:
        if field in durations:
            return durations[field]
    return None


def wait_estimate(job: Job, average: float | None, running_since: float | None, now: float) -> float | None:
    """Seconds until a job starts: jobs ahead × average, plus what the running one has left
    (``JobQueue.estimated_wait`` with what it reads already read, for reads made in bulk)."""
    if job.state is not JobState.QUEUED or job.position is None:
        return 0.0 if job.state is JobState.RUNNING else None
    if average is None:
        return None
    remaining = max(0.0, average - (now - running_since)) if running_since else 0.0
    return (job.position - 1) * average + remaining


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def lane_member_job(member: bytes | str) -> str:
    """The job id in a lane member. Members are ``<order>|<job id>`` (written by submit.lua: the
    order part sorts by priority, fairness round and arrival); this is their one reader in Python."""
    return _text(member).split("|", 1)[1]


def job_from_hash(job_id: str, raw: Mapping[Any, Any]) -> Job:
    """A job from its hash's fields (bytes as Redis answers them, or text as positions.lua's JSON)."""
    fields = {_text(k): _text(v) for k, v in raw.items()}
    data = json.loads(fields["data"])
    result = json.loads(fields["result"]) if "result" in fields else []
    error = fields.get("error") or None
    created_at = float(fields.get("created_at", 0))
    return Job(
        id=job_id,
        request=load_request(data["request"], job_id, created_at),
        requester=Requester.model_validate(data["requester"]),
        account=data["account"],
        priority=data["priority"],
        max_anlas=data.get("max_anlas", 0),
        state=JobState(fields["state"]),
        attempts=int(fields.get("attempts", 0)),
        created_at=created_at,
        started_at=float(fields["started_at"]) if "started_at" in fields else None,
        finished_at=float(fields["finished_at"]) if "finished_at" in fields else None,
        images=[ImageResult.model_validate(item) for item in result],
        error=JobError.model_validate_json(error) if error else None,
    )


def finish_pop_source() -> str:
    """finish_pop.lua with finish.lua and pop.lua in front of it as functions (``KEYS``/``ARGV`` their
    parameters, so each runs unchanged on its own part of the call's keys and arguments)."""
    def text(name: str) -> str:
        return (LUA_DIR / f"{name}.lua").read_text(encoding="utf-8")

    return (f"{text('lib')}\nlocal function finish_script(KEYS, ARGV)\n{text('finish')}\nend\n"
            f"local function pop_script(KEYS, ARGV)\n{text('pop')}\nend\n{text('finish_pop')}")


# Lanes a time slice's end looks at for another one waiting (``JobQueue.others_waiting``): every
# lane up to this many, a random sample beyond.
OTHERS_SAMPLE = 64


class JobQueue:
    """One process's handle on the queue (async; workers use it through their bridge loop)."""

    def __init__(self, redis: aioredis.Redis, settings: QueueSettings, prefix: str) -> None:
        self.redis = redis
        self.settings = settings
        self.keys = Keys(prefix)
        self._scripts = Scripts(redis)
        self._finish_pop = redis.register_script(finish_pop_source())

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc

    # -- the asking side -------------------------------------------------------------------

    async def submit(self, job: Job, *, max_waiting: int | None = None) -> Job:
        """Queue a (validated) job; returns it with its position and the lane's total.

        ``max_waiting`` narrows the per-user limit of waiting jobs (a group's quota); it never widens it.
        """
        limit = self.settings.max_waiting_per_user
        if max_waiting:
            limit = min(limit, max_waiting)
        job = job.model_copy(update={"created_at": job.created_at or time.time(), "state": JobState.QUEUED})
        data = {
            "request": dump_request(job.request, job.id, job.created_at),
            "requester": dump_requester(job.requester),
            "account": job.account,
            "priority": job.priority,
            "max_anlas": job.max_anlas,
        }
        k = self.keys
        result = await self._guarded(lambda: self._scripts.submit(
            keys=[k.job(job.id), k.lane(job.account), k.lanes, k.lane_rounds(job.account), k.seq, k.events,
                  k.user_queued(job.requester.user_key)],
            args=[job.id, job.priority, job.requester.user_key, json.dumps(data, separators=(",", ":")),
                  limit, repr(job.created_at), self.settings.events_max_length,
                  job.account],
        ))
        status = _text(result[0])
        if status == "limit":
            raise QueueFull(int(result[1]), limit)
        if status == "exists":
            raise ValueError(f"job {job.id} exists already")
        return job.model_copy(update={"position": int(result[1]), "total": int(result[2])})

    async def get(self, job_id: str) -> Job | None:
        """The job with, while it waits, its exact position (ZRANK: O(log n)), read atomically."""
        flat = await self._guarded(lambda: self._scripts.status(keys=[self.keys.job(job_id)],
                                                                args=[self.keys.prefix]))
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        if b"data" not in raw:
            return None
        job = job_from_hash(job_id, raw)
        if b"_position" in raw:
            job = job.model_copy(update={"position": int(raw[b"_position"]), "total": int(raw[b"_total"])})
        return job

    async def get_many(self, job_ids: Iterable[str]) -> list[Job]:
        """The jobs that still exist, in the order asked, each as ``get`` reads it (position
        included); one round trip per ``POSITIONS_BATCH`` jobs (positions.lua), not one per job."""
        ids = list(job_ids)
        jobs: list[Job] = []
        for start in range(0, len(ids), POSITIONS_BATCH):
            chunk = ids[start:start + POSITIONS_BATCH]
            for job_id, fields in zip(chunk, json.loads(await self._read_positions(chunk, "full")), strict=True):
                if "data" not in fields:
                    continue
                job = job_from_hash(job_id, fields)
                if "_position" in fields:
                    job = job.model_copy(update={"position": int(fields["_position"]), "total": int(fields["_total"])})
                jobs.append(job)
        return jobs

    async def _read_positions(self, job_ids: list[str], mode: str) -> Any:
        """One call of positions.lua (one round trip) for at most ``POSITIONS_BATCH`` jobs."""
        keys = [self.keys.job(job_id) for job_id in job_ids]
        return await self._guarded(lambda: self._scripts.positions(keys=keys, args=[self.keys.prefix, mode]))

    async def positions(self, job_ids: Iterable[str]) -> dict[str, Position]:
        """Where each job stands (state, place and lane size while it waits), for many jobs at
        once: one round trip per ``POSITIONS_BATCH`` jobs (positions.lua), each batch read at one
        moment. Every id asked gets an answer; an unknown one has ``state`` None."""
        ids = list(dict.fromkeys(job_ids))
        found: dict[str, Position] = {}
        for start in range(0, len(ids), POSITIONS_BATCH):
            chunk = ids[start:start + POSITIONS_BATCH]
            flat = json.loads(await self._read_positions(chunk, "lean"))
            for index, job_id in enumerate(chunk):
                state, account, attempts, position, total, since = flat[index * 6:index * 6 + 6]
                found[job_id] = Position(
                    state=JobState(state) if state else None, account=account, attempts=int(attempts),
                    position=int(position) or None, total=int(total) or None,
                    running_since=float(since) if since else None)
        return found

    async def durations(self) -> dict[str, float]:
        """The moving averages of generation time (``average_of`` picks a job's), in one read."""
        raw = await self._guarded(lambda: self.redis.hgetall(self.keys.durations))
        return {_text(k): float(v) for k, v in raw.items() if not _text(k).startswith("n:")}

    async def estimated_waits(self, jobs: Iterable[Job]) -> dict[str, float | None]:
        """``estimated_wait`` of many jobs in one round trip (the averages and each lane's running
        start read together), e.g. for `/queue` in a big group."""
        jobs = list(jobs)
        lanes = sorted({job.account for job in jobs if job.state is JobState.QUEUED and job.position is not None})

        async def read() -> tuple[dict[str, float], dict[str, float | None]]:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(self.keys.durations)
                for account in lanes:
                    pipe.hget(self.keys.lane_rounds(account), "running_since")
                raw, *since = await pipe.execute()
            averages = {_text(k): float(v) for k, v in raw.items() if not _text(k).startswith("n:")}
            return averages, {a: float(s) if s else None for a, s in zip(lanes, since, strict=True)}

        averages, since = await self._guarded(read) if lanes else ({}, {})
        now = time.time()
        return {job.id: wait_estimate(job, average_of(averages, *duration_class(job.request)),
                                      since.get(job.account), now) for job in jobs}

    async def cancel(self, job_id: str, caller: Caller) -> CancelOutcome:
        """Cancel a waiting job (owner or an admin of its group); a running one is not stopped."""
        job = await self.get(job_id)
        if job is None:
            return CancelOutcome("missing")
        if not caller.may_cancel(job):
            return CancelOutcome("forbidden", job)
        k = self.keys
        status = await self._guarded(lambda: self._scripts.cancel(
            keys=[k.job(job_id), k.lane(job.account), k.events, k.lanes, k.user_queued(job.requester.user_key),
                  k.metrics],
            args=[job_id, repr(time.time()), self.settings.retention_seconds, self.settings.events_max_length,
                  job.account],
        ))
        return CancelOutcome(_text(status), await self.get(job_id))

    async def lane_depths(self) -> dict[str, int]:
        """Waiting jobs per account lane."""
        async def read() -> dict[str, int]:
            accounts = sorted(_text(a) for a in await self.redis.smembers(self.keys.lanes))
            async with self.redis.pipeline(transaction=False) as pipe:
                for account in accounts:
                    pipe.zcard(self.keys.lane(account))
                counts = await pipe.execute()
            return {a: c for a, c in zip(accounts, counts, strict=True) if c}
        return await self._guarded(read)

    async def waiting_ids(self, account: str, limit: int = 50) -> list[str]:
        """The first ``limit`` waiting job ids of a lane, in the order they will start."""
        members = await self._guarded(lambda: self.redis.zrange(self.keys.lane(account), 0, limit - 1))
        # Without withscores ZRANGE answers bare members; redis-py's type also admits the scored pairs.
        return [lane_member_job(m) for m in members if isinstance(m, (bytes, str))]

    async def running_ids(self) -> list[str]:
        return [_text(m) for m in await self._guarded(lambda: self.redis.zrange(self.keys.running, 0, -1))]

    async def user_waiting_ids(self, user_key: str) -> list[str]:
        ids = await self._guarded(lambda: self.redis.zrange(self.keys.user_queued(user_key), 0, -1))
        return [_text(i) for i in ids]

    async def average_duration(self, model: str | None = None, width: int = 0, height: int = 0) -> float | None:
        """Moving average of generation time for this model and size class (else overall)."""
        fields = [duration_field(model, width, height)] if model else []
        values = await self._guarded(lambda: self.redis.hmget(self.keys.durations, [*fields, "all"]))
        for value in values:
            if value is not None:
                return float(value)
        return None

    async def estimated_wait(self, job: Job) -> float | None:
        """Seconds until the job starts: jobs ahead × average, plus what the running one has left."""
        if job.state is not JobState.QUEUED or job.position is None:
            return 0.0 if job.state is JobState.RUNNING else None
        average = await self.average_duration(*duration_class(job.request))
        if average is None:
            return None
        since = await self._guarded(lambda: self.redis.hget(self.keys.lane_rounds(job.account), "running_since"))
        return wait_estimate(job, average, float(since) if since else None, time.time())

    # -- the worker side -------------------------------------------------------------------

    async def acquire_lane(self, account: str, owner: str) -> bool:
        lease_ms = int(self.settings.lease_seconds * 1000)
        return bool(await self.redis.set(self.keys.lane_lease(account), owner, nx=True, px=lease_ms))

    def _pop_call(self, account: str, owner: str) -> tuple[list[str], list[str | int]]:
        k = self.keys
        now = time.time()
        return ([k.lane(account), k.lane_lease(account), k.lane_pause(account), k.running, k.lane_rounds(account),
                 k.events, k.lanes],
                [owner, int(now * 1000), int(self.settings.lease_seconds * 1000), k.prefix,
                 self.settings.events_max_length, account, repr(now)])

    async def pop(self, account: str, owner: str) -> Popped:
        keys, args = self._pop_call(account, owner)
        return self._popped(await self._scripts.pop(keys=keys, args=args))

    @staticmethod
    def _popped(result: list[Any]) -> Popped:
        kind = _text(result[0])
        if kind == "job":
            job_id, fields = _text(result[1]), result[3:]
            job = job_from_hash(job_id, dict(zip(fields[::2], fields[1::2], strict=True)))
            return Popped(kind, job_id, int(result[2]), job=job)
        if kind == "paused":
            return Popped(kind, pause_ms=int(result[1]))
        return Popped(kind, _text(result[1]) if len(result) > 1 else None)

    async def renew(self, job_id: str, account: str, owner: str) -> bool:
        """Extend the job's and lane's lease; False means another worker has taken over."""
        lease_ms = int(self.settings.lease_seconds * 1000)
        k = self.keys
        return bool(await self._scripts.renew(
            keys=[k.job(job_id), k.running, k.lane_lease(account)],
            args=[job_id, owner, int(time.time() * 1000) + lease_ms, lease_ms],
        ))

    async def hold(self, account: str, owner: str, job_id: str | None = None) -> tuple[bool, bool]:
        """Renew the lane's lease and, if given, the running job's, each only if still ``owner``'s.

        Returns (lane still held, job still held); the job part is True when no job is given.
        """
        lease_ms = int(self.settings.lease_seconds * 1000)
        k = self.keys
        keys = [k.lane_lease(account), k.running]
        args: list[str | int] = [owner, lease_ms, int(time.time() * 1000) + lease_ms]
        if job_id is not None:
            keys.append(k.job(job_id))
            args.append(job_id)
        lane, job = await self._scripts.hold(keys=keys, args=args)
        return bool(int(lane)), bool(int(job))

    def _finish_call(self, job: Job, state: JobState, field: str, payload: str, seconds: float | None = None
                     ) -> tuple[list[str], list[str | int | float]]:
        k = self.keys
        duration = duration_field(*duration_class(job.request)) if seconds else ""
        gen = metrics.GENERATION
        histogram = [metrics.bucket_field(gen, seconds or 0), *metrics.histogram_fields(gen)]
        return ([k.job(job.id), k.running, k.events, k.lane(job.account), k.durations, k.metrics],
                [job.id, state.value, field, payload, repr(time.time()), self.settings.retention_seconds,
                 self.settings.events_max_length, k.prefix, job.account, duration, seconds or 0, DURATION_WEIGHT,
                 *histogram])

    async def _finish(self, job: Job, state: JobState, field: str, payload: str, seconds: float | None = None
                      ) -> bool:
        keys, args = self._finish_call(job, state, field, payload, seconds)
        return bool(await self._scripts.finish(keys=keys, args=args))

    @staticmethod
    def _result_payload(images: list[ImageResult]) -> str:
        return json.dumps([image.model_dump(mode="json") for image in images], separators=(",", ":"))

    async def complete(self, job: Job, images: list[ImageResult], *, seconds: float | None = None) -> bool:
        """Record the result (and, once, its generation time); False if some attempt already had."""
        return await self._finish(job, JobState.DONE, "result", self._result_payload(images), seconds)

    async def complete_and_pop(self, job: Job, images: list[ImageResult], owner: str, *,
                               seconds: float | None = None) -> tuple[bool, Popped]:
        """``complete``, then ``pop`` on the job's lane for ``owner``, in one round trip (finish_pop.lua):
        what a worker draining a lane does after every job but the last of its time slice."""
        finish_keys, finish_args = self._finish_call(job, JobState.DONE, "result", self._result_payload(images),
                                                     seconds)
        pop_keys, pop_args = self._pop_call(job.account, owner)
        recorded, popped = await self._finish_pop(keys=[*finish_keys, *pop_keys],
                                                  args=[len(finish_args), *finish_args, *pop_args])
        return bool(recorded), self._popped(popped)

    async def fail(self, job: Job, error: JobError) -> bool:
        return await self._finish(job, JobState.FAILED, "error", error.model_dump_json())

    async def retry(self, job: Job, owner: str, pause_seconds: float, error: JobError) -> bool:
        """Back to the head of its lane, the lane paused for ``pause_seconds``."""
        k = self.keys
        return bool(await self._scripts.retry(
            keys=[k.job(job.id), k.lane(job.account), k.lanes, k.running, k.lane_pause(job.account), k.events,
                  k.user_queued(job.requester.user_key)],
            args=[job.id, owner, int(pause_seconds * 1000), error.model_dump_json(),
                  self.settings.events_max_length, job.account],
        ))

    async def release_lane(self, account: str, owner: str, *, force: bool = False) -> int:
        """1 released; 0 kept because work arrived meanwhile (go on draining); -1 not ours."""
        k = self.keys
        return int(await self._scripts.release(
            keys=[k.lane_lease(account), k.lane(account), k.lane_pause(account)], args=[owner, "1" if force else "0"],
        ))

    async def recover(self, limit: int = 100) -> list[str]:
        """Requeue running jobs whose lease lapsed; returns the accounts whose lanes need waking."""
        k = self.keys
        accounts = await self._scripts.recover(
            keys=[k.running, k.lanes, k.events], args=[int(time.time() * 1000), k.prefix,
                                                       self.settings.events_max_length, limit],
        )
        return sorted({_text(a) for a in accounts})

    async def idle_lanes(self) -> list[str]:
        """Lanes with waiting jobs, no worker holding them and no pause: they need a wake-up."""
        accounts = [_text(a) for a in await self.redis.smembers(self.keys.lanes)]
        if not accounts:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for account in accounts:
                pipe.exists(self.keys.lane_lease(account), self.keys.lane_pause(account))
            busy = await pipe.execute()
        return sorted(a for a, b in zip(accounts, busy, strict=True) if not b)

    async def others_waiting(self, account: str, sample: int = OTHERS_SAMPLE) -> bool:
        """Whether a lane other than ``account`` waits with nobody draining it, from a random sample
        of at most ``sample`` lanes (``others_waiting.lua``): one bounded call at a time slice's end,
        where ``idle_lanes`` read every lane (10,000 EXISTS a slice with 10,000 lanes)."""
        return bool(await self._scripts.others_waiting(keys=[self.keys.lanes],
                                                       args=[self.keys.prefix, account, sample]))

    async def record_duration(self, job: Job, seconds: float) -> None:
        field = duration_field(*duration_class(job.request))
        await self._scripts.duration(keys=[self.keys.durations], args=[field, seconds, DURATION_WEIGHT])

    async def last_event_id(self) -> str:
        """The newest event id: a watcher that starts here sees only what happens next."""
        return await self._guarded(lambda: last_event_id(self.redis, self.keys.prefix))

    async def emit(self, event_type: str, **fields: str | int | float) -> None:
        """An event that is not part of a state change script (e.g. step progress)."""
        await self.redis.xadd(self.keys.events, {"type": event_type, **{k: str(v) for k, v in fields.items()}},
                              maxlen=self.settings.events_max_length, approximate=True)
