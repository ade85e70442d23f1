"""Telegram's flood control as a bot meets it: per private chat about one message a second (with a small
burst), per group 20 messages a minute, 30 messages a second overall. A refused call consumes nothing
and learns how many whole seconds to wait, as Telegram's ``retry_after`` says."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.telegram.state import FloodLimits

GROUP_WINDOW = 60.0
GLOBAL_WINDOW = 1.0


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

    def admit(self, limits: FloodLimits, chat_id: int, *, private: bool, units: int = 1) -> int | None:
        """Charge the call and return None, or return the seconds to wait (≥ 1) and charge nothing."""
        if not limits.enabled:
            return None
        now = self._clock()
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
        window.extend([now] * units)
        if private:
            self._buckets[chat_id].tokens -= 1
        else:
            self._group_windows[chat_id].extend([now] * units)
        return None

    def _refilled(self, chat_id: int, limits: FloodLimits, now: float) -> _Bucket:
        bucket = self._buckets.setdefault(chat_id, _Bucket(tokens=float(limits.private_burst), updated=now))
        bucket.tokens = min(float(limits.private_burst),
                            bucket.tokens + (now - bucket.updated) * limits.private_per_second)
        bucket.updated = now
        return bucket


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
