"""What every subcommand module shares: exit statuses, the handler type, the async bridge and
the start-up check of the secret key. It imports no subcommand, so none of them needs
``bot.cli.main`` (which imports them all to build the parser)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from naibot.refusal import EXIT_FAILED, EXIT_USAGE
from naibot.settings import Settings
from novelai.factory import SecretKeyMissing, require_secret_key

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "Handler", "refuse_without_secret_key", "run_async"]

EXIT_OK = 0
Handler = Callable[[argparse.Namespace, Settings], int]


def run_async(coro_factory: Callable[[], Awaitable[object]]) -> int:
    """Run an async subcommand; Ctrl-C ends it quietly."""

    async def run() -> object:
        return await coro_factory()

    try:
        return int(asyncio.run(run()))  # type: ignore[call-overload]  # handlers return an exit status
    except KeyboardInterrupt:
        return EXIT_FAILED


def refuse_without_secret_key(settings: Settings) -> int | None:
    """EXIT_USAGE with the reason on stderr if this process must not start; None to go on."""
    try:
        require_secret_key(settings)
    except SecretKeyMissing as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return None
