"""Telegram's flood control as a bot meets it: per private chat about one message a second (with a small
burst), per group 20 messages a minute, 30 messages a second overall. A refused call consumes nothing
and learns how many whole seconds to wait, as Telegram's ``retry_after`` says.

A call counts from when it ARRIVED (``FloodControl.arriving``, marked by the HTTP layer as a request comes
in), as Telegram counts it: the stand-in may reach a call later (an earlier upload's thumbnails, another
thread holding the GIL), and counting from then would bunch calls the bot spaced out into one window."""

from __future__ import annotations

import bisect
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from sandbox.telegram.state import FloodLimits

GROUP_WINDOW = 60.0
GLOBAL_WINDOW = 1.0
# When the call this task serves arrived (the flood clock); per task, so concurrent requests keep their own.
_ARRIVAL: ContextVar[float | None] = ContextVar("telegram_call_arrival", default=None)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class FloodControl:
    """Admits or refuses message-producing calls. ``units`` is how many messages a call makes (an album
    makes one per item); a private chat's bucket is charged per call, because Telegram shows an album
    there as one send and a 10-item album must not be impossible with a burst of 3."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._group_windows: dict[int, deque[float]] = {}
        self._global_window: deque[float] = deque()

    def reset(self) -> None:
        self._buckets.clear()
        self._group_windows.clear()
        self._global_window.clear()

    @contextlib.contextmanager
    def arriving(self) -> Iterator[None]:
        """Serve one call that arrives now: inside, ``admit`` counts it from now (per task, so concurrent
        requests keep their own arrival). Outside, a call counts from when it is admitted."""
        token = _ARRIVAL.set(self._clock())
        try:
            yield
        finally:
            _ARRIVAL.reset(token)

    def admit(self, limits: FloodLimits, chat_id: int, *, private: bool, units: int = 1) -> int | None:
        """Charge the call and return None, or return the seconds to wait (≥ 1) and charge nothing."""
        if not limits.enabled:
            return None
        arrival = _ARRIVAL.get()
        now = self._clock() if arrival is None else arrival
        window = self._global_window
        waits = [_window_wait(window, now, GLOBAL_WINDOW, limits.global_per_second, units)]
        if private:
            bucket = self._refilled(chat_id, limits, now)
            waits.append(0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / limits.private_per_second)
        else:
            group = self._group_windows.setdefault(chat_id, deque())
            waits.append(_window_wait(group, now, GROUP_WINDOW, limits.group_per_minute, units))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        _insert(window, now, units)
        if private:
            self._buckets[chat_id].tokens -= 1
        else:
            _insert(self._group_windows[chat_id], now, units)
        return None

    def _refilled(self, chat_id: int, limits: FloodLimits, now: float) -> _Bucket:
        bucket = self._buckets.setdefault(chat_id, _Bucket(tokens=float(limits.private_burst), updated=now))
        # A call reached after a later-arriving one (out of order) refills nothing and moves no clock back.
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(float(limits.private_burst), bucket.tokens + elapsed * limits.private_per_second)
        bucket.updated = max(bucket.updated, now)
        return bucket


def _insert(window: deque[float], at: float, units: int) -> None:
    """Record ``units`` calls at ``at``, keeping the window sorted: calls are reached roughly, not exactly,
    in the order they arrived, and the window drops its entries from the oldest."""
    for _ in range(units):
        if not window or window[-1] <= at:
            window.append(at)
        else:
            bisect.insort(window, at)


def _window_wait(window: deque[float], now: float, length: float, limit: int, units: int) -> float:
    """Seconds until ``units`` more fit into a sliding window of ``limit`` per ``length`` seconds."""
    while window and window[0] <= now - length:
        window.popleft()
    excess = len(window) + units - limit
    if excess <= 0:
        return 0.0
    if excess > len(window):
        # More units than the window can ever hold: wait a whole window (the closest Telegram analogue).
        return length
    return window[excess - 1] + length - now
