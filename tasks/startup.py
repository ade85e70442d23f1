"""The worker's one check at start: does NovelAI accept the deployment's default account?

A wrong ``NOVELAI_TOKEN`` otherwise shows up only as failed jobs, one by one, long after the
deployment was started. So the worker asks NovelAI once (the subscription call ``naibot account
status`` makes, through the same client the worker uses), bounded in time, and says what it found:
refused is an ERROR with the fix, unreachable a WARNING; either way the worker goes on (other
accounts may be fine, and NovelAI may come back). No default account, nothing to check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from naibot.redisconn import async_redis
from naibot.settings import Settings, secret
from novelai.accounts import Account
from novelai.errors import AuthError, NetworkError, NovelAIError, ServerError, Timeout
from novelai.factory import client_from_settings, default_account
from tasks.accepted import AcceptedAccounts

log = logging.getLogger("naibot.worker")
# The start of the worker waits at most this long for NovelAI's answer.
CHECK_SECONDS = 10.0


def _source(settings: Settings) -> str:
    """Where the default account comes from, as the operator set it (a name, never a value)."""
    return "NOVELAI_TOKEN" if secret(settings.novelai.default_account.token) else "NOVELAI_EMAIL/NOVELAI_PASSWORD"


async def check_default_account(settings: Settings, timeout: float = CHECK_SECONDS) -> bool | None:
    """Ask NovelAI about the default account once. True accepted, False refused, None unknown/none."""
    account = default_account(settings)
    if account is None:
        return None
    source = _source(settings)
    client = client_from_settings(settings)
    try:
        async with asyncio.timeout(timeout):
            await client.subscription(account)
    except AuthError:
        what = "the token" if source == "NOVELAI_TOKEN" else "the email and password"
        log.error("the default NovelAI account (%s) was refused by NovelAI: check %s (naibot account status "
                  "default); the worker goes on for the other accounts", source, what)
        return False
    except (TimeoutError, Timeout, NetworkError, ServerError) as exc:
        log.warning("could not check the default NovelAI account (%s) at start: NovelAI at %s is unreachable "
                    "(%s); jobs will try it when they run", source, settings.novelai.api_url, _reason(exc))
        return None
    except NovelAIError as exc:
        log.warning("could not check the default NovelAI account (%s) at start: %s (%s)", source,
                    exc.user_message, exc.kind)
        return None
    finally:
        await client.aclose()
    await _record(settings, account)
    log.info("the default NovelAI account (%s) is accepted by NovelAI", source)
    return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer within the check's time"
    return exc.user_message if isinstance(exc, NovelAIError) else type(exc).__name__


async def _record(settings: Settings, account: Account) -> None:
    redis = async_redis(settings.redis)
    try:
        await AcceptedAccounts(redis, settings.redis.prefix).record(account)
    finally:
        await redis.aclose()


class _BelowError(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


@contextlib.contextmanager
def _client_quiet() -> Iterator[None]:
    """The check's own line says what it found; the client's warnings on the way ("refused the token
    ...; renewing it once", "token cache unreachable" while Redis is down, which the worker processes
    report themselves) would say it twice or out of place."""
    quiet = _BelowError()
    loggers = [logging.getLogger(name) for name in ("novelai.client", "novelai.tokens")]
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def run_start_checks(settings: Settings) -> None:
    """The start-up checks, from synchronous code (before Dramatiq starts its processes).

    Never raises: a check that cannot run must not keep the worker from starting."""
    try:
        with _client_quiet():
            asyncio.run(check_default_account(settings))
    except Exception as exc:  # a bug in a check must not stop the queue
        log.warning("the start-up check of the default NovelAI account did not run: %s", type(exc).__name__)
