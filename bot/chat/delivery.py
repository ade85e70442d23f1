"""The delivery loop: queue events in, status-message edits and result uploads out, paced.

Events are triggers, the registry and the queue are the truth: for every event the loop asks
the pacer to refresh the job's one status message, and the refresh reads the job's state *when
its turn comes*. So a hundred position changes of one message collapse into one edit with the
latest text, an unchanged text costs no call at all, and a restarted bot (which re-reads every
live registry entry) converges on the right state even if it missed events while down.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from bot.chat.lane_positions import LanePositions
from bot.chat.outage_log import OutageLog
from bot.chat.pacer import PRIORITY_ANSWER, PRIORITY_POSITION, PRIORITY_RESULT, PRIORITY_STATE, Pacer
from bot.chat.ports import (
    ACTION_AGAIN,
    ACTION_CANCEL,
    ACTION_EDIT,
    ACTION_ENHANCE,
    ACTION_PNG,
    ACTION_UPSCALE,
    ACTION_VARIATIONS,
    Button,
    ChatRef,
    ChatSender,
    ChatUnavailable,
    MessageGone,
    NotModified,
    Picture,
)
from bot.chat.queue_board import QueueBoard, board_threshold
from bot.chat.result_messages import ResultMessages
from bot.chat.status_registry import StatusEntry, StatusRegistry
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import caption, status_text
from storage.base import Storage
from tasks.events import Event, EventReader
from tasks.job import Job, JobState
from tasks.metrics import DELIVERY_LAG, Metrics
from tasks.queue import JobQueue, QueueUnavailable

log = logging.getLogger(__name__)

_PRIORITY_BY_EVENT = {
    "done": PRIORITY_RESULT, "failed": PRIORITY_STATE, "canceled": PRIORITY_STATE, "started": PRIORITY_STATE,
    "queued": PRIORITY_STATE, "requeued": PRIORITY_STATE, "retrying": PRIORITY_STATE, "progress": PRIORITY_POSITION,
}
# How long an idle delivery loop blocks on the stream before looking again.
_BLOCK_MS = 1000
_RECONNECT_SECONDS = 1.0
# A status message is edited at most this often, even where edits do not count against the chat
# (Discord's interaction webhooks): nobody reads faster, and each token has a limit of its own.
STATUS_MIN_INTERVAL = 0.5
# An entry without a status message younger than this may be another bot process's command still
# answering (that process schedules the job itself once it has); older, its process died first.
ANSWER_GRACE_SECONDS = 10.0
# How long a process's claim to upload a job's results holds others off (StatusRegistry.claim_delivery):
# longer than any upload, short enough that a process that died mid-upload delays it only this much.
DELIVERY_CLAIM_SECONDS = 120.0


def _stop_if_cancelled() -> None:
    """Honour a cancel that redis-py swallowed: one landing early in a command (a blocking
    XREADGROUP just sent) can be lost inside redis-py 8, and the loop would read on for ever while
    the bot's stop waits for it (a bot that failed to start then never exits)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


# Rows of per-image buttons under a result: Discord's limit of five rows, less the first.
MAX_IMAGE_ROWS = 4


def status_buttons(job: Job, language: str, *, forms: bool = False) -> list[list[Button]]:
    if job.state is JobState.QUEUED:
        return [[Button(t(language, "button.cancel"), ACTION_CANCEL, job.id)]]
    if job.state is JobState.DONE:
        return result_buttons(job, language, forms=forms)
    if job.state is JobState.FAILED:
        return [[Button(t(language, "button.again"), ACTION_AGAIN, job.id)]]
    return []


def result_buttons(job: Job, language: str, *, forms: bool = False) -> list[list[Button]]:
    """Under a finished job: Again and Original PNG (and ✏️ Edit & re-run where the platform has
    forms), then what to make of an image. One image: 🎲 Variations, ✨ Enhance (generations only:
    they need the settings it was made with), ⬆️ Upscale. Several: one numbered row per image, at most
    ``MAX_IMAGE_ROWS`` (Discord allows five rows; Telegram puts an album's buttons on its status message)."""
    first = [Button(t(language, "button.again"), ACTION_AGAIN, job.id),
             Button(t(language, "button.original"), ACTION_PNG, job.id)]
    if forms and job.generation is not None:
        first.append(Button(t(language, "button.edit"), ACTION_EDIT, job.id))
    count = min(len(job.images), MAX_IMAGE_ROWS)
    actions = ([(ACTION_VARIATIONS, "variations"), (ACTION_ENHANCE, "enhance")] if job.generation is not None
               else []) + [(ACTION_UPSCALE, "upscale")]
    if count == 1:
        return [first, [Button(t(language, f"button.{name}"), action, job.id, 0) for action, name in actions]]
    return [first] + [[Button(t(language, f"button.{name}_n", number=index + 1), action, job.id, index)
                       for action, name in actions] for index in range(count)]


class Delivery:
    def __init__(self, *, platform: str, queue: JobQueue, registry: StatusRegistry, sender: ChatSender,
                 pacer: Pacer, storage: Storage, consumer: str, results: ResultMessages | None = None) -> None:
        self.platform = platform
        # Which chat messages show which results, so a reply to one uses the original.
        self.results = results
        self.queue = queue
        self.registry = registry
        self.sender = sender
        self.pacer = pacer
        self.storage = storage
        self.consumer = consumer
        self.progress: dict[str, tuple[int, int]] = {}
        # A lane move's refreshes read their positions together (one round trip, not one per job).
        self.lanes = LanePositions(queue)
        # Jobs whose command is still posting its first answer in this process (the status entry
        # is recorded before it): refreshes leave them alone until it has gone out.
        self.answering: set[str] = set()
        # Jobs a resync found (at start or after an outage), or whose grace below has passed: a
        # missing first answer is posted at once.
        self._answer_now: set[str] = set()
        # Jobs left to another process's answering command, and when to look at them again (then a
        # missing first answer is posted: that command failed, or its process died).
        self._recheck: dict[str, float] = {}
        # Called once when a job of ours has ended (refund its quotas, tell an owner their token
        # is rejected); set by the command layer.
        self.on_ended: Callable[[Job], Awaitable[None]] | None = None
        self.metrics = Metrics(queue.redis, queue.keys.prefix)
        self.outage = OutageLog(log, f"{platform} delivery")
        # A busy group's waiting jobs share one message (where the group budget is per minute).
        threshold = board_threshold(pacer.limits)
        self.board: QueueBoard | None = None
        if threshold is not None:
            self.board = QueueBoard(platform=platform, registry=registry, queue=queue, sender=sender, pacer=pacer,
                                    threshold=threshold)
            self.board.on_closed = self._board_closed

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        reader = EventReader(self.queue.redis, self.queue.keys.prefix, f"{self.platform}-delivery", self.consumer)
        while True:
            try:
                await reader.ensure_group("$")
                self.outage.succeeded()
                await self.resync()
                while True:
                    _stop_if_cancelled()
                    events = await reader.read(count=500, block_ms=_BLOCK_MS)
                    for event in events:
                        await self.handle(event)
                    await reader.ack(*(event.id for event in events))
                    await self.rechecks_due()
            except (RedisError, OSError) as exc:
                self.outage.failed(exc)  # logged when it starts, once a minute, and when it ends
                await asyncio.sleep(_RECONNECT_SECONDS)

    async def rechecks_due(self, now: float | None = None) -> None:
        """Schedule the jobs left to another process's command whose grace has passed (by ``now``)."""
        now = time.time() if now is None else now
        for job_id in [job_id for job_id, due in self._recheck.items() if due <= now]:
            del self._recheck[job_id]
            self._answer_now.add(job_id)
            await self.schedule(job_id, PRIORITY_STATE)

    async def resync(self) -> None:
        """Bring every live status message up to date (after a start or a Redis outage)."""
        self.lanes.clear()  # events may have been missed: every refresh reads its job alone
        for job_id in await self.registry.live():
            self._answer_now.add(job_id)
            await self.schedule(job_id, PRIORITY_STATE)

    async def handle(self, event: Event) -> None:
        if event.type == "positions" and event.account:
            job_ids = await self.registry.in_lane(event.account)
            self.lanes.moved(event.account, job_ids)
            for job_id in job_ids:
                await self.schedule(job_id, PRIORITY_POSITION)
            return
        if not event.job:
            return
        if event.type == "progress":
            self.progress[event.job] = (int(event.fields.get("step", 0)), int(event.fields.get("total", 0)))
        else:  # its own change (started, canceled, ...): its refresh reads it, not the lane's batch
            self.lanes.changed(event.job, event.account)
        await self.schedule(event.job, _PRIORITY_BY_EVENT.get(event.type, PRIORITY_STATE))

    async def schedule(self, job_id: str, priority: int) -> None:
        entry = await self.registry.get(job_id)
        if entry is None or entry.retired:
            return  # not ours (another platform's job, or the CLI's), or already complete
        # A finished job is looked at at once; other changes wait out the message's edit interval.
        interval = 0.0 if priority <= PRIORITY_RESULT else STATUS_MIN_INTERVAL
        self.pacer.submit(entry.chat, f"status:{job_id}", lambda: self.refresh(job_id), priority=priority,
                          min_interval=interval)
        if self.board is not None and entry.chat.group:
            self.board.touch(entry.chat, urgent=priority <= PRIORITY_ANSWER)

    async def takes_to_board(self, entry: StatusEntry) -> bool:
        """Whether a new command in this chat is shown on the chat's queue board rather than
        answered with a status message of its own (the chat has too many waiting jobs). Redis
        trouble answers False: the job is queued, and its command must hear so."""
        if self.board is None or not entry.chat.group:
            return False
        try:
            return await self.board.covers(entry.chat)
        except (RedisError, OSError, QueueUnavailable) as exc:
            log.warning("queue board of chat %s unreadable (%s): answering the command", entry.chat.chat_id, exc)
            return False

    async def _board_closed(self, chat: ChatRef) -> None:
        """The chat's board closed: its jobs get (or again keep up) their own status messages."""
        assert self.board is not None
        for job_id in await self.registry.in_chat(chat):
            entry = await self.registry.get(job_id)
            if entry is None or entry.retired:
                continue
            self.pacer.submit(entry.chat, f"status:{job_id}", functools.partial(self.refresh, job_id),
                              priority=PRIORITY_STATE)

    # -- the paced work ----------------------------------------------------------------------

    async def refresh(self, job_id: str) -> int:
        entry = await self.registry.get(job_id)
        if entry is None or entry.retired:
            return 0  # finished while this refresh waited its turn
        answer_now = job_id in self._answer_now
        self._answer_now.discard(job_id)
        if not entry.message_id:
            if job_id in self.answering:
                return 0  # its command is answering right now, and schedules a refresh after
            # Another bot process of the platform may have answered it since this one read it.
            entry = await self.registry.reload(job_id)
            if entry is None or entry.retired:
                return 0
        if not entry.message_id:
            if entry.on_board and await self._left_on_board(entry):
                return 0
            if not (answer_now or entry.on_board) and time.time() - entry.registered_at < ANSWER_GRACE_SECONDS:
                # Another process's command may be answering it (it schedules the job after); if
                # none has in a while, the run loop schedules it again and this posts it.
                self._recheck[job_id] = entry.registered_at + ANSWER_GRACE_SECONDS
                return 0
            return await self._first_answer(entry)
        # After a lane move, from the lane's batch read (with its wait estimate); else read alone.
        batched = await self.lanes.read(entry)
        job, eta = batched if batched is not None else (await self.queue.get(job_id), None)
        if job is None:
            await self.registry.forget(job_id)
            return 0
        if batched is None:
            self.lanes.remember(job)
        if job.state is JobState.QUEUED and self.board is not None and await self.board.showing(entry.chat):
            return 0  # the board shows where it stands; its own message waits for the start
        if job.state is JobState.DONE and not entry.delivered:
            self.pacer.submit(entry.chat, f"result:{job_id}", lambda: self.deliver(job_id),
                              priority=PRIORITY_RESULT, weight=max(1, self.sender.pictures_cost(len(job.images))))
            return 0  # the status edit follows the upload
        if batched is None:
            eta = await self.queue.estimated_wait(job) if job.state is JobState.QUEUED else None
        progress = self.progress.get(job_id) if job.state is JobState.RUNNING else None
        text = self._addressed(entry, status_text(job, entry.language, eta=eta, progress=progress,
                                                  first_position=entry.first_position))
        calls = 0
        if not entry.message_gone and text != entry.last_text:
            calls = await self._edit(entry, text, status_buttons(job, entry.language, forms=self.sender.has_forms))
        if job.state.terminal:
            self.progress.pop(job_id, None)
            await self.registry.retire(entry)
            await self._ended(job)
        return calls

    async def _left_on_board(self, entry: StatusEntry) -> bool:
        """A job the board shows, with no message of its own: True while nothing needs one (it
        still waits on a board, or it was canceled there: the presser was told, the board updates)."""
        job = await self.queue.get(entry.job_id)
        if job is None:
            return False  # _first_answer says it was lost
        if job.state is JobState.QUEUED:
            return self.board is not None and await self.board.covers(entry.chat, fresh=False)
        if job.state is JobState.CANCELED:
            await self.registry.retire(entry)
            await self._ended(job)
            return True
        return False

    async def _first_answer(self, entry: StatusEntry) -> int:
        """A status entry whose command never got its first answer (the bot died while that answer
        waited for its pacing slot): post the status message now, replying to the command; or, if
        the job never reached the queue, say so. The record was written first, so nothing taken
        is lost."""
        job = await self.queue.get(entry.job_id)
        if job is None:  # recorded, but the bot died before it was queued
            entry.late = True
            await self.sender.send_text(entry.chat, self._addressed(entry, t(entry.language, "status.lost")),
                                        reply_to=entry.reply_to)
            await self.registry.forget(entry.job_id)
            return 1
        eta = await self.queue.estimated_wait(job) if job.state is JobState.QUEUED else None
        entry.late = True
        text = self._addressed(entry, status_text(job, entry.language, eta=eta, first_position=job.position))
        try:
            buttons = status_buttons(job, entry.language, forms=self.sender.has_forms)
            message_id = await self.sender.send_text(entry.chat, text, buttons, reply_to=entry.reply_to)
        except ChatUnavailable:
            await self.registry.forget_chat(entry.chat.chat_id)
            raise
        entry.last_text = text
        await self.registry.update(entry, message_id=message_id, first_position=job.position, late=True)
        await self.schedule(entry.job_id, PRIORITY_STATE)  # a result to deliver, an end to retire
        return 1

    @staticmethod
    def _addressed(entry: StatusEntry, text: str) -> str:
        """A first answer that cannot reply to its command (none to reply to: a Discord interaction
        whose bot died before answering) names whose it is, so a busy channel knows."""
        if not entry.late or entry.reply_to or not entry.asker:
            return text
        return t(entry.language, "status.for", name=" ".join(entry.asker.split())[:64]) + "\n" + text

    async def _ended(self, job: Job) -> None:
        if self.on_ended is None:
            return
        try:
            await self.on_ended(job)
        except Exception:  # bookkeeping after the fact must never stop deliveries
            log.exception("after job %s ended", job.id)

    async def _edit(self, entry: StatusEntry, text: str, buttons: list[list[Button]]) -> int:
        cost = 1
        try:
            cost = await self.sender.edit_text(entry.chat, entry.message_id, text, buttons)
        except NotModified:
            pass
        except MessageGone:
            await self.registry.update(entry, message_gone=True)
        except ChatUnavailable:
            await self.registry.forget_chat(entry.chat.chat_id)
            raise
        entry.last_text = text
        return cost

    async def deliver(self, job_id: str) -> int:
        """Upload the results once, then let the status message say "done"."""
        entry = await self.registry.get(job_id)
        job = await self.queue.get(job_id)
        if entry is None or job is None or entry.delivered or entry.retired:
            return 0
        # Several processes of one platform (Discord shard ranges, webhook replicas) read the events of
        # one job: the first to claim it uploads, the others leave it.
        if not await self.registry.claim_delivery(job_id, DELIVERY_CLAIM_SECONDS):
            return 0
        try:
            return await self._upload(entry, job)
        except BaseException:
            with contextlib.suppress(RedisError, OSError):  # Redis away: the claim lapses by itself
                await self.registry.release_delivery(job_id)
            raise

    async def _upload(self, entry: StatusEntry, job: Job) -> int:
        job_id = job.id
        # Results made on a shared account say whose account paid.
        paid_by = str(job.requester.reply.get("paid_by") or "") or None
        pictures = [
            Picture(png=await asyncio.to_thread(self.storage.get, image.key),
                    caption=caption(job, entry.language, image_index=i, paid_by=paid_by), filename=f"{job.id}-{i}.png")
            for i, image in enumerate(job.images)
        ]
        buttons = status_buttons(job, entry.language, forms=self.sender.has_forms)
        reply_to = None if entry.message_gone or not entry.message_id else entry.message_id
        summary = caption(job, entry.language, paid_by=paid_by)
        try:
            sent = await self.sender.send_pictures(entry.chat, pictures, buttons, reply_to=reply_to, summary=summary)
        except MessageGone:  # the message we replied to is gone: post without replying
            sent = await self.sender.send_pictures(entry.chat, pictures, buttons, summary=summary)
        except ChatUnavailable:
            await self.registry.forget_chat(entry.chat.chat_id)
            raise
        if job.finished_at:  # delivery lag: from the job's end to its pictures being in the chat
            self.metrics.fire(self.metrics.observe(DELIVERY_LAG, time.time() - job.finished_at, self.platform))
        await self.registry.update(entry, delivered=True)
        if self.results is not None and len(set(sent)) == len(sent):  # one message per picture
            await self.results.remember(entry.chat.chat_id, sent, job.id)
        await self.schedule(job_id, PRIORITY_STATE)
        return self.sender.pictures_cost(len(pictures))
