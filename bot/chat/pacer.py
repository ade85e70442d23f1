"""Pacing every call a bot makes to its platform, per chat and overall, with coalescing.

Platforms limit bots per chat and overall (Telegram: about 1 message a second in a chat, 20 a
minute in a group, 30 a second in all). The delivery loop may want to edit hundreds of status
messages after every job; the pacer makes that safe:

* work is queued per chat under a key; queueing the same key again replaces the pending work
  (only the latest state of a message is ever sent), so pending work per chat is bounded by the
  number of messages, not the number of events;
* a chat's next call waits until every sliding window (per chat, per group, overall) has room;
* higher-priority work (answers to commands, results) goes before position updates;
* ``RateLimited`` from the platform blocks the chat (and the whole bot when it is global) for
  ``retry_after`` and puts the work back at the head; work that made no call costs nothing.

The windows the platform counts are the platform's, not one process's: with ``SharedWindows`` they
live in Redis, so a restarted bot (or a second bot process of the same platform) knows the calls
made before it. Each send is one Lua call that checks the chat's windows and the overall ones and
either records the call in all of them ("go") or says how long to wait. This process's own windows
are kept in memory too: they spare a round trip when they already say "wait", and they pace alone
while Redis is unreachable (an answer still goes out during an outage).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.chat.ports import ChatRef, ChatUnavailable, RateLimited
from bot.chat.windows import (
    SCOPE_OVERALL,
    SharedWindows,
    SlidingLimit,
    Window,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
# Paced work returns how many platform calls it actually made (0 = it found nothing to send).
PacedOp = Callable[[], Awaitable[int]]

PRIORITY_ANSWER, PRIORITY_RESULT, PRIORITY_STATE, PRIORITY_POSITION = 0, 1, 2, 3


@dataclass
class _Work:
    key: str
    op: PacedOp
    priority: int
    seq: int
    weight: int
    not_before: float = 0.0
    # The token its calls are recorded under in the shared windows, once they have room for it.
    reservation: tuple[str, int] | None = None  # (token, weight reserved)


# Keys run this recently are remembered for their minimum interval; beyond this many, old ones go.
_REMEMBERED_RUNS = 1000


@dataclass
class _Chat:
    ref: ChatRef
    limit: SlidingLimit
    pending: dict[str, _Work] = field(default_factory=dict)
    busy: bool = False
    last_run: dict[str, float] = field(default_factory=dict)

    def head(self, now: float) -> _Work | None:
        """The most urgent work whose key may run again now."""
        ready = (w for w in self.pending.values() if w.not_before <= now)
        return min(ready, key=lambda w: (w.priority, w.seq), default=None)

    def next_not_before(self, now: float) -> float:
        return min((w.not_before for w in self.pending.values() if w.not_before > now), default=float("inf"))

    def ran(self, key: str, when: float) -> None:
        self.last_run[key] = when
        if len(self.last_run) > _REMEMBERED_RUNS:
            for old in sorted(self.last_run, key=self.last_run.__getitem__)[: _REMEMBERED_RUNS // 2]:
                del self.last_run[old]


@dataclass(frozen=True)
class Limits:
    private: list[Window]
    group: list[Window]
    overall: list[Window]


class Pacer:
    def __init__(self, limits: Limits, *, shared: SharedWindows | None = None, max_in_flight: int = 8,
                 clock: Callable[[], float] = time.monotonic,
                 on_rate_limited: Callable[[], None] | None = None) -> None:
        self.limits = limits
        # The platform's windows in Redis; without them (tests) this process's windows are all there is.
        self.shared = shared
        # Told of every 429 the platform answered (metrics); must not block or raise.
        self.on_rate_limited = on_rate_limited
        self.overall = SlidingLimit(limits.overall)
        self.clock = clock
        self._chats: dict[str, _Chat] = {}
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(max_in_flight)
        self._in_flight: set[asyncio.Task[None]] = set()
        self.calls_made = 0
        self.rate_limited = 0

    def _chat(self, ref: ChatRef) -> _Chat:
        chat = self._chats.get(ref.chat_id)
        if chat is None:
            chat = _Chat(ref, SlidingLimit(self.limits.group if ref.group else self.limits.private))
            self._chats[ref.chat_id] = chat
        return chat

    def submit(self, chat: ChatRef, key: str, op: PacedOp, *, priority: int, weight: int = 1,
               min_interval: float = 0.0) -> None:
        """Queue work for a chat; the same key again replaces the pending work (latest wins).
        ``min_interval``: run this key at most that often, even where the platform would allow more
        (edits that do not count against the chat still have limits of their own)."""
        state = self._chat(chat)
        existing = state.pending.get(key)
        if existing is not None:
            existing.op = op
            existing.priority = min(existing.priority, priority)
            existing.weight = max(existing.weight, weight)
            if not min_interval:
                existing.not_before = 0.0  # urgent now (a result): no interval to wait out
        else:
            last = state.last_run.get(key)
            not_before = last + min_interval if last is not None and min_interval else 0.0
            state.pending[key] = _Work(key, op, priority, next(self._seq), weight, not_before)
        self._wake.set()

    async def call(self, chat: ChatRef, fn: Callable[[], Awaitable[T]], *, priority: int = PRIORITY_ANSWER,
                   weight: int = 1) -> T:
        """Run one call as soon as the limits allow and return its result (for direct answers)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        async def op() -> int:
            try:
                future.set_result(await fn())
            except RateLimited:
                raise
            except BaseException as exc:
                if not future.done():
                    future.set_exception(exc)
                if isinstance(exc, ChatUnavailable):
                    raise
            return weight

        self.submit(chat, f"call:{next(self._seq)}", op, priority=priority, weight=weight)
        return await future

    def pending(self) -> int:
        return sum(len(c.pending) for c in self._chats.values()) + len(self._in_flight)

    def _pick(self, now: float) -> tuple[_Chat | None, float]:
        best: tuple[int, int] | None = None
        chosen: _Chat | None = None
        soonest = float("inf")
        # The most urgent work held back only by the overall limit: nothing less urgent may take
        # the overall room it is waiting for (else a stream of edits starves a waiting album).
        starved: int | None = None
        for chat in self._chats.values():
            if chat.busy:
                continue
            work = chat.head(now)
            soonest = min(soonest, chat.next_not_before(now))
            if work is None:
                continue
            chat_ready = chat.limit.ready_at(now, work.weight)
            ready = max(chat_ready, self.overall.ready_at(now, work.weight))
            if ready > now:
                soonest = min(soonest, ready)
                if chat_ready <= now:
                    starved = work.priority if starved is None else min(starved, work.priority)
                continue
            if best is None or (work.priority, work.seq) < best:
                best, chosen = (work.priority, work.seq), chat
        if chosen is not None and starved is not None and best is not None and starved < best[0]:
            return None, soonest
        return chosen, soonest

    async def run(self) -> None:
        """The scheduling loop; runs until cancelled."""
        while True:
            await self._slots.acquire()
            now = self.clock()
            chat, soonest = self._pick(now)
            if chat is None:
                self._slots.release()
                self._wake.clear()
                timeout = None if soonest == float("inf") else max(0.0, soonest - now)
                # asyncio.timeout, not wait_for: 3.11's wait_for swallows a cancel that lands as the
                # event is set (new work during a stop), and the loop would then never end.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                continue
            work = chat.head(now)
            assert work is not None
            if self.shared is not None and not await self._reserve(chat, work):
                self._slots.release()
                continue
            del chat.pending[work.key]
            chat.busy = True
            entries = (chat.limit.record(now, work.weight), self.overall.record(now, work.weight))
            task = asyncio.create_task(self._execute(chat, work, entries))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _reserve(self, chat: _Chat, work: _Work) -> bool:
        """Record the work's calls in the shared windows; False (and the chat or every chat held
        back as long as Redis says) when another process's calls, or a dead one's, fill them.
        True without Redis: this process's windows, which said "go", are all there is then."""
        assert self.shared is not None
        token = self.shared.new_token()
        windows = self.limits.group if chat.ref.group else self.limits.private
        answer = await self.shared.reserve(chat.ref, windows, self.limits.overall, token, work.weight)
        if answer is None:
            work.reservation = None
            return True
        wait, scope = answer
        if wait <= 0:
            work.reservation = (token, work.weight)
            return True
        until = self.clock() + wait
        limit = self.overall if scope == SCOPE_OVERALL else chat.limit
        limit.blocked_until = max(limit.blocked_until, until)
        return False

    async def _execute(self, chat: _Chat, work: _Work, entries: tuple[list[float], list[float]]) -> None:
        # The platform counts a call when it arrives, not when it was picked: on a busy loop this
        # task may start a few milliseconds after the pick, so the windows count from now.
        started = self.clock()
        for entry in entries:
            entry[0] = max(entry[0], started)
        made = work.weight
        try:
            made = await work.op()
        except RateLimited as exc:
            self.rate_limited += 1
            if self.on_rate_limited is not None:
                self.on_rate_limited()
            until = self.clock() + exc.retry_after
            chat.limit.blocked_until = max(chat.limit.blocked_until, until)
            log.warning("chat %s: rate limited for %.1f s", chat.ref.chat_id, exc.retry_after)
            if self.shared is not None:
                await self.shared.block(chat.ref, exc.retry_after)
            if work.key not in chat.pending:  # nothing newer arrived: try this again first
                work.priority = min(work.priority, PRIORITY_ANSWER)
                chat.pending[work.key] = work
        except ChatUnavailable:
            log.info("chat %s is gone; dropping its pending work", chat.ref.chat_id)
            chat.pending.clear()
            made = 0
        except Exception:
            log.exception("chat %s: %s failed", chat.ref.chat_id, work.key)
        finally:
            for entry in entries:
                entry[1] = float(made)  # work that sent nothing costs nothing
            reservation, work.reservation = work.reservation, None
            if self.shared is not None and reservation is not None and made != reservation[1]:
                await self.shared.settle(chat.ref, reservation[0], reservation[1], made)
            self.calls_made += made
            chat.ran(work.key, self.clock())
            chat.busy = False
            self._slots.release()
            self._wake.set()

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until nothing is pending or in flight (tests, shutdown)."""
        deadline = self.clock() + timeout
        while self.pending():
            if self.clock() > deadline:
                raise TimeoutError(f"{self.pending()} paced calls still pending")
            await asyncio.sleep(0.01)


# Windows are stamped when a call is sent, but the platform counts it when it arrives, up to a
# round trip later; a little slack keeps the next burst from overlapping the previous one.
WINDOW_SLACK = 1.15


def telegram_limits(private_per_second: float, group_per_minute: int, global_per_second: int) -> Limits:
    per_chat = Window(1, WINDOW_SLACK / private_per_second)
    return Limits(private=[per_chat], group=[per_chat, Window(group_per_minute, 60.0 * WINDOW_SLACK)],
                  overall=[Window(global_per_second, WINDOW_SLACK)])

