"""One stop is one SIGTERM, however many copies of it reach a Dramatiq worker process.

Dramatiq's worker process (``dramatiq/cli.py`` ``worker_process``) stops gracefully at its first
SIGTERM and exits *at once* at the second ("Killing worker process..."): no ``worker.stop()``, so the
running jobs are cut off, their lanes are not handed back, and a cut-off generation is run (and
paid) again once its lease lapses. But a stop sent to the whole process group, as honcho, a
terminal's Ctrl-C or ``kill -- -PID`` do, reaches each worker process twice within milliseconds:
once directly, once forwarded by Dramatiq's main process. (systemd's ``KillMode=mixed`` signals the
main process only, which is why the unit sets it.) So a SIGTERM that arrives within
``ECHO_SECONDS`` of the first is taken as that same stop and ignored; a later one still kills at
once, as Dramatiq intends, for an operator who really means it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, cast

log = logging.getLogger("naibot.worker")
# Copies of one group-wide stop arrive well within this; a person's second stop comes later.
ECHO_SECONDS = 1.0


def _is_dramatiq_worker_handler(handler: object) -> bool:
    return callable(handler) and getattr(handler, "__module__", "") == "dramatiq.cli" \
        and "worker_process" in getattr(handler, "__qualname__", "")


def ignore_echoed_sigterm() -> bool:
    """In a Dramatiq worker process (its handler installed, main thread): wrap the SIGTERM handler
    so the copies of one stop count once. Elsewhere (a test importing the actors) nothing changes."""
    installed = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or not _is_dramatiq_worker_handler(installed):
        return False
    dramatiq_handler = cast(Callable[[int, FrameType | None], Any], installed)
    first: float | None = None

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        nonlocal first
        now = time.monotonic()
        if first is not None and now - first < ECHO_SECONDS:
            log.debug("SIGTERM again %.3f s after the first: the same stop (process group and Dramatiq's "
                      "main process); still stopping gracefully", now - first)
            return
        first = first if first is not None else now
        dramatiq_handler(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    return True
