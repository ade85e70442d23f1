"""What every subcommand module shares: exit statuses, the handler type, the async bridge and
the start-up checks of the secrets. It imports no subcommand, so none of them needs
``bot.cli.main`` (which imports them all to build the parser)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from naibot.refusal import EXIT_FAILED, EXIT_USAGE, Refusal
from naibot.secret_strength import weak_secrets
from naibot.settings import Settings
from novelai.errors import InvalidRequest
from novelai.factory import SecretKeyMissing, require_secret_key
from tasks.queue import QueueUnavailable

__all__ = [
    "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "REDIS_AWAY", "AsyncHandler", "Handler", "fail", "redis_unavailable",
    "refuse_weak_secrets", "refuse_without_secret_key", "refused", "run_async",
]

EXIT_OK = 0
Handler = Callable[[argparse.Namespace, Settings], int]
# What ``run_async`` bridges to a Handler: the async body of a subcommand.
AsyncHandler = Callable[[argparse.Namespace, Settings], Awaitable[int]]
# What a Redis client raises when the server cannot be reached (redis-py wraps the OSError):
# the admin commands that talk to Redis directly turn it into the queue commands' one line.
REDIS_AWAY: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)


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


def fail(message: str, *, kind: str, code: int = EXIT_FAILED, json_out: bool = False,
         extra: dict[str, Any] | None = None) -> int:
    """Say an error the one way the command was asked to speak, and return its exit status.

    Plain: ``naibot: <message>`` on stderr. With ``--json`` (``json_out``): ``{"error", "kind", ...}``
    on stdout, so a script that parses stdout gets JSON for every outcome, errors included, and
    the exit status is the same either way. ``extra`` adds fields to the JSON."""
    if json_out:
        print(json.dumps({"error": message, "kind": kind, **(extra or {})}))
    else:
        print(f"naibot: {message}", file=sys.stderr)
    return code


def refusal_kind(refusal: Refusal) -> str:
    """A short machine name for a refusal: a NovelAI error's kind, else its text key without ``error.``."""
    kind = getattr(refusal, "kind", None)
    return kind if isinstance(kind, str) else refusal.key.removeprefix("error.")


def refused(refusal: Refusal, *, json_out: bool = False) -> int:
    """Any refusal as the CLI says it: its sentence (with what failed inside, when it was the queue
    that could not be reached: an operator at a terminal wants the Redis error), and its exit
    status. With ``json_out`` an invalid request also lists its problems by field."""
    message = refusal.describe()
    detail = str(refusal)
    if isinstance(refusal, QueueUnavailable) and detail and detail != message:
        message = f"{message} ({detail})"
    extra: dict[str, Any] = {}
    if json_out and isinstance(refusal, InvalidRequest):
        extra["problems"] = [{"field": p.field, "code": p.code, "message": p.message} for p in refusal.problems]
    return fail(message, kind=refusal_kind(refusal), code=refusal.exit_code, json_out=json_out, extra=extra)


def redis_unavailable(exc: Exception, *, json_out: bool = False) -> int:
    """Redis could not be reached: the same line (and exit status 1) as the queue commands say."""
    return refused(QueueUnavailable(str(exc)), json_out=json_out)
