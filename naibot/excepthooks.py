"""Uncaught exceptions reach stderr only through the redactor.

Why: the log filter (``naibot.logs``) sees only what goes through ``logging``. An exception nobody
catches takes other roads to stderr: ``sys.excepthook`` at process start or end (PTB's
``InvalidToken`` says "The token `<TOKEN>` was rejected", httpx errors quote the ``/bot<TOKEN>/``
URL), ``threading.excepthook`` for a thread that dies, ``sys.unraisablehook`` for errors in
``__del__`` and finalizers, and an event loop's exception handler for a task whose exception nobody
retrieved. ``install_exception_hooks`` (called first thing by every process: the ``naibot``
command line and the Dramatiq worker module) points each of them at ``redact`` before it prints.
Event loops are not global: whoever makes one calls ``install_loop_handler`` on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import Any

from naibot.logs import redact

log = logging.getLogger("naibot.uncaught")


def _write(text: str) -> None:
    """Redacted text on stderr; a closed stderr at shutdown must not raise a second error."""
    stream = sys.stderr
    if stream is None:  # pythonw, or stderr closed on purpose
        return
    with contextlib.suppress(Exception):
        stream.write(redact(text))
        stream.flush()


def _format(exc_type: type[BaseException], value: BaseException | None, tb: TracebackType | None) -> str:
    return "".join(traceback.format_exception(exc_type, value, tb))


def redacting_excepthook(exc_type: type[BaseException], value: BaseException,
                         tb: TracebackType | None) -> None:
    """``sys.excepthook``: the usual traceback, every secret in it replaced."""
    _write(_format(exc_type, value, tb))


def redacting_threading_excepthook(args: threading.ExceptHookArgs) -> None:
    """``threading.excepthook``: as Python's own (silent for SystemExit), but redacted."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else threading.get_ident()
    _write(f"Exception in thread {name}:\n" + _format(args.exc_type, args.exc_value, args.exc_traceback))


def redacting_unraisablehook(unraisable: Any) -> None:
    """``sys.unraisablehook`` (an exception in ``__del__``, a finalizer, a callback): redacted."""
    message = unraisable.err_msg or "Exception ignored in"
    where = f"{message}: {unraisable.object!r}\n"
    if unraisable.exc_type is not None:
        where += _format(unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback)
    _write(where)


def redacting_loop_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """An event loop's exception handler: the message and traceback go through logging, whose
    handlers redact (``setup_logging``), and are redacted here first in case a handler lacks it."""
    exception = context.get("exception")
    message = redact(str(context.get("message") or "Unhandled exception in event loop"))
    details = [f"{key}: {redact(repr(value))}" for key, value in sorted(context.items())
               if key not in {"message", "exception"}]
    text = "\n".join([message, *details])
    if isinstance(exception, BaseException):
        text += "\n" + redact(_format(type(exception), exception, exception.__traceback__))
    log.error("%s", text)


def install_loop_handler(loop: asyncio.AbstractEventLoop) -> None:
    """Route ``loop``'s unhandled task and callback errors through the redactor."""
    loop.set_exception_handler(redacting_loop_handler)


class _RedactingPolicy(asyncio.DefaultEventLoopPolicy):
    """Every loop made with ``asyncio.new_event_loop`` (``asyncio.run``, PTB's ``run_polling``,
    Dramatiq bridges) gets the redacting handler, so no caller can forget it."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        install_loop_handler(loop)
        return loop


def install_exception_hooks() -> None:
    """Point every road an uncaught exception takes to stderr at the redactor (idempotent)."""
    sys.excepthook = redacting_excepthook
    threading.excepthook = redacting_threading_excepthook
    sys.unraisablehook = redacting_unraisablehook
    if not isinstance(asyncio.get_event_loop_policy(), _RedactingPolicy):
        asyncio.set_event_loop_policy(_RedactingPolicy())
