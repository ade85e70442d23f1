"""What every subcommand module shares: exit statuses, the handler type, the async bridge and
the start-up checks of the secrets. It imports no subcommand, so none of them needs
``bot.cli.main`` (which imports them all to build the parser)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from naibot.refusal import EXIT_FAILED, EXIT_USAGE, Refusal
from naibot.secret_strength import weak_secrets
from naibot.settings import Settings
from novelai.factory import SecretKeyMissing, require_secret_key
from tasks.queue import QueueUnavailable

__all__ = [
    "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "AsyncHandler", "Handler", "refuse_weak_secrets",
    "refuse_without_secret_key", "run_async",
]

EXIT_OK = 0
Handler = Callable[[argparse.Namespace, Settings], int]
# What ``run_async`` bridges to a Handler: the async body of a subcommand.
AsyncHandler = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def run_async(coro_factory: Callable[[], Awaitable[int | None]]) -> int:
    """Run an async subcommand; Ctrl-C ends it quietly. Its exit status, or EXIT_OK for None (a
    server that serves until stopped returns nothing)."""

    async def run() -> int | None:
        return await coro_factory()

    try:
        status = asyncio.run(run())
        return EXIT_OK if status is None else status
    except KeyboardInterrupt:
        return EXIT_FAILED


def refuse_without_secret_key(settings: Settings, *, api_keys: bool = False) -> int | None:
    """EXIT_USAGE with the reason on stderr if this process must not start (the secret key is
    missing while accounts are on, or is set but guessable; with ``api_keys``, an API key is
    guessable too); None to go on."""
    try:
        require_secret_key(settings)
    except SecretKeyMissing as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return refuse_weak_secrets(settings, api_keys=api_keys, secret_key=True, redis=False)


def refuse_weak_secrets(settings: Settings, *, api_keys: bool = False, secret_key: bool = False,
                        redis: bool = True) -> int | None:
    """EXIT_USAGE with one line per weak secret this process uses (by variable, never the value,
    see ``naibot.secret_strength``); None to go on."""
    weak = weak_secrets(settings, api_keys=api_keys, secret_key=secret_key, redis=redis)
    for item in weak:
        print(f"naibot: {item}", file=sys.stderr)
    return EXIT_USAGE if weak else None


def refused(refusal: Refusal) -> int:
    """Any refusal as the CLI says it: its sentence on stderr (with what failed inside, when it was
    the queue that could not be reached: an operator at a terminal wants the Redis error), and its
    exit status."""
    message = refusal.describe()
    detail = str(refusal)
    if isinstance(refusal, QueueUnavailable) and detail and detail != message:
        message = f"{message} ({detail})"
    print(f"naibot: {message}", file=sys.stderr)
    return refusal.exit_code
