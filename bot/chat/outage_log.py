"""How a loop that retries through a Redis outage says so: once when it starts, a reminder at
most once a minute while it lasts, once when it is over.

The delivery loop retries about every second; a line per retry buried a 15-second outage under
a dozen identical warnings (and a long one fills the journal). An operator needs three facts:
that it started (and why), that it is still going on, and that it ended. The retry cadence is the
loop's business and does not change.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

# The least time between two "still unavailable" reminders during one outage.
REMINDER_SECONDS = 60.0


class OutageLog:
    """Counts a loop's failed attempts and logs the outage they make, not each attempt."""

    def __init__(self, logger: logging.Logger, what: str, *, reminder_seconds: float = REMINDER_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger, self.what = logger, what
        self.reminder_seconds, self.clock = reminder_seconds, clock
        self.failures = 0  # failed attempts in the current outage (0: none going on)
        self.outages = 0  # outages seen since start
        self._since = 0.0
        self._last_said = 0.0
        self._changed = asyncio.Event()

    @property
    def down(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> None:
        """An attempt failed: a WARNING if this starts an outage or a reminder is due, else nothing."""
        now = self.clock()
        self.failures += 1
        if self.failures == 1:
            self.outages += 1
            self._since = self._last_said = now
            self.logger.warning("%s: Redis unavailable (%s: %s); retrying, with a reminder at most once a minute "
                                "until it is back", self.what, type(exc).__name__, exc)
        elif now - self._last_said >= self.reminder_seconds:
            self._last_said = now
            self.logger.warning("%s: Redis still unavailable after %.0f s (%d attempts; last: %s: %s)",
                                self.what, now - self._since, self.failures, type(exc).__name__, exc)
        self._notify()

    def succeeded(self) -> None:
        """An attempt worked: if an outage was going on, say once that it is over."""
        if self.failures:
            self.logger.info("%s: Redis is back after %.0f s (%d failed attempts)", self.what,
                             self.clock() - self._since, self.failures)
            self.failures = 0
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, condition: Callable[[OutageLog], bool]) -> None:
        """Return once ``condition(self)`` holds, re-checked after every change (for tests and
        health checks: no polling)."""
        while not condition(self):
            await self._changed.wait()
