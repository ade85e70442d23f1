"""One queue board per busy group chat: every waiting job of the chat, and its Cancel button, in ONE message.

A group's budget is small (Telegram: 20 messages a minute per group). One status message per job
cannot keep up once many jobs wait there: posting them alone takes minutes, so a new command's
Cancel button would appear only after every earlier one, and every lane move would want an edit of
each. When more jobs of one group chat wait than the chat's budget can answer promptly
(``board_threshold``), the chat gets one board message instead: the chat's waiting jobs with their
place in the queue and whose they are, one Cancel button each. It is paced work under one key
(``board``), so any number of changes become one edit with the latest state, and a new command
puts it at the front (the Cancel button of a new job shows within one pacing slot).

While the board shows, a new command gets no message of its own (its entry is ``on_board``); the
job's status message is posted when it starts, and its results still arrive as their own message,
replying to the command. When the chat's waiting jobs fall to half the threshold the board is
edited to a closing note and individual status messages resume (jobs still waiting get theirs).
The board's message id lives in Redis (``BotKeys.board``): a restarted bot edits the same message.

Only where the group budget is per minute (Telegram); Discord's 5 per 5 s per channel keeps up,
so there ``board_threshold`` is None and nothing changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from bot.chat.pacer import PRIORITY_ANSWER, PRIORITY_STATE, Limits, Pacer
from bot.chat.ports import ACTION_CANCEL, Button, ChatRef, ChatSender, ChatUnavailable, MessageGone, NotModified
from bot.chat.status_registry import StatusRegistry
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import board_closed_text, board_text
from bot.keys import BotKeys
from naibot.redisconn import text as decoded
from tasks.job import Job, JobState
from tasks.queue import JobQueue

log = logging.getLogger(__name__)

# Jobs listed (one Cancel button each): Telegram allows 100 buttons under a message; 50 listed
# lines of at most ~90 characters keep the text within 4,096. More waiting jobs are counted only.
BOARD_MAX_JOBS = 50
BUTTONS_PER_ROW = 2
# A board changed by events (not by a new command) is edited at most this often.
BOARD_MIN_INTERVAL = 1.0
COUNT_SECONDS = 1.0
# A budget window at least this long is "per minute": jobs there need a board.
_SLOW_WINDOW_SECONDS = 30.0


def board_threshold(limits: Limits) -> int | None:
    """More waiting jobs than this in one group chat and it gets a board; None: never.

    A quarter of the group's per-minute budget: each waiting job costs at least its status
    message, so beyond that many the next command's message (and Cancel button) would wait more
    than ~15 s for its slot behind the others. Telegram's 20 a minute: 5."""
    slow = [w for w in limits.group if w.seconds >= _SLOW_WINDOW_SECONDS]
    if not slow:
        return None
    window = min(slow, key=lambda w: w.calls * 60.0 / w.seconds)
    return max(2, window.calls // 4)


def board_buttons(jobs: list[Job], language: str) -> list[list[Button]]:
    buttons = [Button(t(language, "board.cancel", position=job.position or "?", name=_short_name(job)),
                      ACTION_CANCEL, job.id) for job in jobs[:BOARD_MAX_JOBS]]
    return [buttons[i:i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def _short_name(job: Job) -> str:
    name = " ".join((job.requester.display_name or job.requester.user_id).split())
    return name if len(name) <= 16 else name[:15] + "…"


def _order(job: Job) -> tuple[int, float]:
    return (job.position if job.position is not None else 1 << 30, job.created_at)


class QueueBoard:
    def __init__(self, *, platform: str, registry: StatusRegistry, queue: JobQueue, sender: ChatSender,
                 pacer: Pacer, threshold: int) -> None:
        self.platform = platform
        self.registry = registry
        self.queue = queue
        self.sender = sender
        self.pacer = pacer
        self.threshold = threshold
        self.redis: aioredis.Redis = registry.redis
        self.keys: BotKeys = registry.keys
        # What this process last sent to each board (an unchanged text costs no call).
        self._last_text: dict[str, str] = {}
        # How many of a chat's jobs waited, and when that was counted (``covers``).
        self._counts: dict[str, tuple[float, int]] = {}
        # Told when a chat's board closed: its entries are looked at again (their messages resume).
        self.on_closed: Callable[[ChatRef], Awaitable[None]] | None = None
        self.calls = 0  # board sends and edits (figures)

    def _key(self, chat: ChatRef) -> str:
        return self.keys.board(self.platform, chat.chat_id)

    async def _state(self, chat: ChatRef) -> dict[str, str]:
        raw = await self.redis.hgetall(self._key(chat))
        return {decoded(k): decoded(v) for k, v in raw.items()}

    async def waiting(self, chat: ChatRef) -> list[Job]:
        """The chat's waiting jobs, first in the queue first."""
        jobs = await self.queue.get_many(await self.registry.in_chat(chat))
        return sorted((job for job in jobs if job.state is JobState.QUEUED), key=_order)

    async def showing(self, chat: ChatRef) -> bool:
        """Whether the chat's board is up (one Redis read: every refresh of a waiting job asks)."""
        return chat.group and (await self._state(chat)).get("active") == "1"

    async def covers(self, chat: ChatRef, *, fresh: bool = True) -> bool:
        """Whether the chat's waiting jobs are (or are about to be) shown on its board. ``fresh``
        (a new command) counts them now; otherwise a count up to ``COUNT_SECONDS`` old will do (a
        lane move refreshes every waiting job of the chat: one count, not one per job)."""
        if not chat.group:
            return False
        if await self.showing(chat):
            return True
        # Cheap first: fewer live entries than the threshold cannot be more waiting jobs.
        if await self.redis.scard(self.keys.status_chat(self.platform, chat.chat_id)) <= self.threshold:
            return False
        now = time.monotonic()
        counted = self._counts.get(chat.chat_id)
        if fresh or counted is None or now - counted[0] > COUNT_SECONDS:
            counted = self._counts[chat.chat_id] = (now, len(await self.waiting(chat)))
        return counted[1] > self.threshold

    def touch(self, chat: ChatRef, *, urgent: bool = False) -> None:
        """Look at the chat's board when its turn comes (latest wins); ``urgent``: a new command
        waits on it for its Cancel button."""
        self.pacer.submit(chat, "board", lambda: self.refresh(chat),
                          priority=PRIORITY_ANSWER if urgent else PRIORITY_STATE,
                          min_interval=0.0 if urgent else BOARD_MIN_INTERVAL)

    async def refresh(self, chat: ChatRef) -> int:
        """The paced work: open, edit or close the board from the chat's state now."""
        state = await self._state(chat)
        showing = state.get("active") == "1"
        waiting = await self.waiting(chat)
        keep = len(waiting) > (self.threshold // 2 if showing else self.threshold)
        if not keep:
            return await self._close(chat, state) if showing else 0
        language = state.get("language") or await self._language(waiting)
        text = board_text(language, waiting, BOARD_MAX_JOBS)
        buttons = board_buttons(waiting, language)
        message_id = state.get("message_id", "")
        if message_id:
            if self._last_text.get(chat.chat_id) == text:
                return 0
            try:
                cost = await self.sender.edit_text(chat, message_id, text, buttons)
            except NotModified:
                cost = 1
            except MessageGone:  # someone deleted the board: post it again
                message_id = ""
            except ChatUnavailable:
                await self.redis.delete(self._key(chat))
                raise
            if message_id:
                self._last_text[chat.chat_id] = text
                self.calls += 1
                return cost
        try:
            message_id = await self.sender.send_text(chat, text, buttons)
        except ChatUnavailable:
            await self.redis.delete(self._key(chat))
            raise
        await self.redis.hset(self._key(chat), mapping={"message_id": message_id, "language": language,
                                                        "active": "1"})
        self._last_text[chat.chat_id] = text
        self.calls += 1
        log.info("chat %s: queue board %s shows %d waiting jobs", chat.chat_id, message_id, len(waiting))
        return 1

    async def _language(self, waiting: list[Job]) -> str:
        """The board speaks the language of the newest command's asker."""
        for job in reversed(sorted(waiting, key=lambda j: j.created_at)):
            entry = await self.registry.get(job.id)
            if entry is not None:
                return entry.language
        return "en"

    async def _close(self, chat: ChatRef, state: dict[str, str]) -> int:
        """Few jobs wait again: the board says so (no buttons) and individual messages resume."""
        await self.redis.delete(self._key(chat))
        self._last_text.pop(chat.chat_id, None)
        calls = 0
        message_id = state.get("message_id", "")
        if message_id:
            try:
                calls = await self.sender.edit_text(chat, message_id, board_closed_text(state.get("language", "en")),
                                                    [])
            except (NotModified, MessageGone):
                calls = 1
            self.calls += 1
        log.info("chat %s: queue board %s closed", chat.chat_id, message_id or "-")
        if self.on_closed is not None:
            await self.on_closed(chat)
        return calls
