"""Turning a person's request into a queued job: validate, check the rules, queue, wake a worker.

Every front end (CLI, Telegram, Discord, HTTP API) submits through here, so the rules are the
same everywhere and nothing invalid reaches the queue, let alone NovelAI.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from naibot.refusal import Refusal
from novelai.errors import NovelAIError
from novelai.factory import AccountDirectory
from novelai.request import GenerationRequest
from tasks.dispatch import LaneWaker
from tasks.job import DEFAULT_PRIORITY, Job, Requester
from tasks.queue import JobQueue, QueueUnavailable
from tasks.spending import SubscriptionCache, check_spend

log = logging.getLogger(__name__)


class UnknownAccount(Refusal):
    key = "error.unknown_account"

    def __init__(self, name: str) -> None:
        super().__init__(f"there is no NovelAI account named {name!r}; ask an admin to add one")
        self.user_message = str(self)


class Submitter:
    def __init__(self, queue: JobQueue, waker: LaneWaker, accounts: AccountDirectory,
                 subscriptions: SubscriptionCache) -> None:
        self.queue = queue
        self.waker = waker
        self.accounts = accounts
        self.subscriptions = subscriptions

    async def submit(self, request: GenerationRequest, requester: Requester, *, account: str,
                     priority: int = DEFAULT_PRIORITY, max_anlas: int | None = None,
                     job_id: str | None = None, max_waiting: int | None = None) -> Job:
        """Queue the job and return it with its position. Raises InvalidRequest, SpendRefused,
        QueueFull, QueueUnavailable or UnknownAccount, each with a message for the user."""
        resolved = request.resolved()
        allowed = self.queue.settings.max_anlas_per_job if max_anlas is None else max_anlas
        try:
            credentials = await self.accounts.get(account)
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        if credentials is None:
            raise UnknownAccount(account)
        try:
            await check_spend(resolved, allowed, credentials, self.subscriptions)
        except NovelAIError as exc:
            # NovelAI unreachable now: the worker checks again before generating.
            log.warning("could not check the Anlas cost before queueing (%s); the worker will", exc.kind)
        job = Job(request=resolved, requester=requester, account=account, priority=priority, max_anlas=allowed)
        if job_id is not None:  # the chat layer names the job first, to register its status message
            job = job.model_copy(update={"id": job_id})
        job = await self.queue.submit(job, max_waiting=max_waiting)
        try:
            await self.waker.wake(account)
        except Exception as exc:  # the sweeper wakes lanes with waiting jobs anyway
            log.warning("could not send a wake-up for lane %s (%s); the sweeper will", account, exc)
        return job
