"""Turning a person's request into a queued job: validate, check the rules, queue, wake a worker.

Every front end (CLI, Telegram, Discord, HTTP API) submits through here, so the rules are the
same everywhere and nothing invalid reaches the queue, let alone NovelAI.

A request with input images (img2img, inpainting, vibes, references, an upscale or a tool) names
them by ``ImageRef``s stored beforehand under the job's own folder, so a front end picks the job id
and time first::

    job_id, created_at = new_job_id(), time.time()
    ref = await submitter.store_input(job_id, created_at, prepare_img2img(decoded, 832, 1216))
    request = GenerationRequest(prompt="...", image=ref, strength=0.7, width=832, height=1216)
    job = await submitter.submit(request, requester, account="default", job_id=job_id, created_at=created_at)
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from naibot.refusal import Refusal
from novelai.errors import InvalidRequest, NovelAIError
from novelai.factory import AccountDirectory
from novelai.image_payload import vibe_keys
from novelai.images import PreparedImage
from novelai.inputs import ImageRef
from novelai.request import GenerationRequest
from novelai.tool_rules import check_tool, check_upscale
from novelai.tools import UpscaleRequest
from storage.base import Storage
from tasks.dispatch import LaneWaker
from tasks.inputs import check_inputs_belong, store_input
from tasks.job import DEFAULT_PRIORITY, AnyRequest, Job, Requester
from tasks.queue import JobQueue, QueueUnavailable
from tasks.spending import SubscriptionCache, check_spend
from tasks.vibe_cache import VibeCache

log = logging.getLogger(__name__)


class UnknownAccount(Refusal):
    key = "error.unknown_account"

    def __init__(self, name: str) -> None:
        super().__init__(f"there is no NovelAI account named {name!r}; ask an admin to add one")
        self.user_message = str(self)


def checked(request: AnyRequest) -> AnyRequest:
    """The request as it is queued: a generation resolved, an upscale or a tool checked (InvalidRequest)."""
    if isinstance(request, GenerationRequest):
        return request.resolved()
    if isinstance(request, UpscaleRequest):
        return check_upscale(request)
    return check_tool(request)


class Submitter:
    def __init__(self, queue: JobQueue, waker: LaneWaker, accounts: AccountDirectory,
                 subscriptions: SubscriptionCache, *, storage: Storage | None = None,
                 vibes: VibeCache | None = None) -> None:
        self.queue = queue
        self.waker = waker
        self.accounts = accounts
        self.subscriptions = subscriptions
        self.storage = storage
        self.vibes = vibes

    async def store_input(self, job_id: str, created_at: float, image: PreparedImage) -> ImageRef:
        """Store a prepared input for the job ``job_id`` (created at ``created_at``, the value later
        given to ``submit``); the ``ImageRef`` to put in its request."""
        if self.storage is None:
            raise RuntimeError("this Submitter has no storage for input images")
        return await store_input(self.storage, job_id, created_at, image)

    async def uncached_vibes(self, request: GenerationRequest) -> int:
        """The vibe encodings a resolved request would have to pay for; all of them without a cache."""
        keys = vibe_keys(request)
        if not keys or self.vibes is None:
            return len(keys)
        try:
            return await self.vibes.uncached(keys)
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc

    async def check_account_and_price(self, resolved: AnyRequest, account: str, max_anlas: int | None) -> int:
        """The account exists and the price of the (checked) request is allowed; the Anlas allowed.

        Raises UnknownAccount, SpendRefused, InvalidRequest or QueueUnavailable. NovelAI unreachable
        is let through with a warning: the worker checks the price again before anything is spent."""
        allowed = self.queue.settings.max_anlas_per_job if max_anlas is None else max_anlas
        try:
            credentials = await self.accounts.get(account)
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        if credentials is None:
            raise UnknownAccount(account)
        try:
            uncached = await self.uncached_vibes(resolved) if isinstance(resolved, GenerationRequest) else 0
            await check_spend(resolved, allowed, credentials, self.subscriptions, uncached_vibes=uncached)
        except NovelAIError as exc:
            if isinstance(exc, InvalidRequest):
                raise
            log.warning("could not check the Anlas cost before queueing (%s); the worker will", exc.kind)
        return allowed

    async def submit(self, request: AnyRequest, requester: Requester, *, account: str,
                     priority: int = DEFAULT_PRIORITY, max_anlas: int | None = None,
                     job_id: str | None = None, created_at: float | None = None,
                     max_waiting: int | None = None) -> Job:
        """Queue the job and return it with its position. Raises InvalidRequest, SpendRefused,
        QueueFull, QueueUnavailable or UnknownAccount, each with a message for the user.

        A request with input images needs the ``job_id`` and ``created_at`` they were stored under
        (``store_input``); its images must lie in that job's folder (ValueError otherwise)."""
        resolved = checked(request)
        check_inputs_belong(resolved, job_id, created_at)
        allowed = await self.check_account_and_price(resolved, account, max_anlas)
        job = Job(request=resolved, requester=requester, account=account, priority=priority, max_anlas=allowed,
                  created_at=created_at or 0.0)
        if job_id is not None:  # the chat layer names the job first, to register its status message
            job = job.model_copy(update={"id": job_id})
        job = await self.queue.submit(job, max_waiting=max_waiting)
        try:
            await self.waker.wake(account)
        except Exception as exc:  # the sweeper wakes lanes with waiting jobs anyway
            log.warning("could not send a wake-up for lane %s (%s); the sweeper will", account, exc)
        return job
