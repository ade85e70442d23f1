"""What a worker process says about Redis going away, and how its lines look.

Dramatiq's consumers log ``[CRITICAL] Consumer encountered a connection error`` and ``Restarting
consumer in 3.00 seconds`` for every consumer (a queue and its delay queue) every 3 s while Redis
is away, and our sweeper would add a warning per round: about 100 lines for a 15-second outage, none
of which says more than the first. ``RedisOutage`` turns them into one WARNING when the outage
starts, at most one a minute while it lasts, and one INFO when it ends. ``DramatiqLogFilter`` feeds
it the consumers' lines and drops them.

(``Killing worker process...``, which every stop under honcho used to log at WARNING, is not
demoted here: it was true. ``tasks.stop_signal`` makes such a stop graceful instead.)

The texts matched here are Dramatiq 2.x's (``dramatiq/worker.py`` ``ConsumerThread.run``); a line
that does not match passes unchanged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from naibot.logs import LOG_FORMAT

log = logging.getLogger("naibot.worker")

# While Redis stays away, say so again at most this often.
REPORT_EVERY_SECONDS = 60.0

_CONSUMER_LOGGER = "dramatiq.worker.ConsumerThread"
_CONNECTION_ERROR = "Consumer encountered a connection error: "
_RESTARTING = "Restarting consumer in "


class RedisOutage:
    """One worker process's view of whether Redis answers, reported once per change (thread-safe).

    ``failed`` is called by whoever meets the outage (the sweeper, the consumers' log lines),
    ``answered`` by whoever finds Redis back (the sweeper). Only the first failure of an outage is
    logged, then a reminder at most every ``report_every`` seconds, and the end once. Until
    ``watching`` (the worker's first contact with Redis) nothing is said here: the worker says
    "waiting for Redis" once by itself.
    """

    def __init__(self, address: str, *, report_every: float = REPORT_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.address = address
        self.report_every = report_every
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._reported_at = 0.0
        self._watching = False

    def watching(self) -> None:
        """Redis answered for the first time: from now on a failure is an outage."""
        self._watching = True

    @property
    def active(self) -> bool:
        return self._since is not None

    def failed(self, detail: str) -> None:
        now = self._clock()
        with self._lock:
            if not self._watching:
                return
            if self._since is None:
                self._since, self._reported_at = now, now
                first = True
            elif now - self._reported_at >= self.report_every:
                self._reported_at = now
                first = False
            else:
                return
            since = self._since
        if first:
            log.warning("Redis at %s is unreachable (%s): jobs wait until it is back; reconnecting "
                        "(said again at most once a minute)", self.address, detail)
        else:
            log.warning("Redis at %s is still unreachable after %.0f s (%s)", self.address, now - since, detail)

    def answered(self) -> None:
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            log.info("Redis at %s answers again after %.0f s; the worker goes on", self.address,
                     self._clock() - since)


class DramatiqLogFilter(logging.Filter):
    """On the root handlers of a worker process: Dramatiq's outage lines go to ``RedisOutage``."""

    def __init__(self, outage: RedisOutage) -> None:
        super().__init__()
        self.outage = outage
        # Consumers whose last line was a connection error: their "Restarting consumer" goes too.
        self._reconnecting: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("dramatiq"):
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        if record.name.startswith(_CONSUMER_LOGGER):
            if message.startswith(_CONNECTION_ERROR):
                self._reconnecting.add(record.name)
                self.outage.failed(message[len(_CONNECTION_ERROR):])
                return False
            if message.startswith(_RESTARTING) and record.name in self._reconnecting:
                self._reconnecting.discard(record.name)
                return False
        return True


def install_worker_logging(outage: RedisOutage) -> None:
    """Give the handlers Dramatiq's CLI installed our line format and the outage filter.

    The filter goes first, so it sees each record before the redacting filter freezes its text.
    """
    formatter = logging.Formatter(LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
        if not any(isinstance(f, DramatiqLogFilter) for f in handler.filters):
            handler.filters.insert(0, DramatiqLogFilter(outage))
