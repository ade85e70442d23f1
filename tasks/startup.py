"""The checks a process runs at start: does NovelAI accept the deployment's default account (the
worker), and is this process's ``NAIBOT_SECRET_KEY`` the deployment's (every process that seals:
worker, chat bots, HTTP API; ``naibot.key_check``)?

A wrong ``NOVELAI_TOKEN`` otherwise shows up only as failed jobs, one by one, long after the
deployment was started. So the worker asks NovelAI once (the subscription call ``naibot account
status`` makes, through the same client the worker uses), bounded in time, and says what it found:
refused is an ERROR with the fix, unreachable a WARNING; either way the worker goes on (other
accounts may be fine, and NovelAI may come back). No default account, nothing to check.

Another secret key is different: a process holding one does harm (it seals logins and cached tokens
the others cannot open), so it does not start. Redis away at start is not a reason to stop: the
process says it could not check, and goes on as it would without the check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Iterator

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from naibot.key_check import KeyVerdict, SecretKeyMismatch, refuse_another_key
from naibot.redisconn import async_redis
from naibot.settings import Settings, secret
from novelai.accounts import Account
from novelai.errors import AuthError, NetworkError, NovelAIError, ServerError, Timeout
from novelai.factory import client_from_settings, default_account, secret_box
from tasks.accepted import AcceptedAccounts
from tasks.chat_presence import chat_processes
from tasks.keys import Keys
from tasks.metrics import alive_window

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


async def secret_key_refusal(settings: Settings, redis: aioredis.Redis) -> str | None:
    """The line saying why this process must not start (its secret key is not the deployment's), or
    None: the key is the deployment's (or the first: now recorded), there is no key, or Redis cannot
    tell now (a WARNING says so)."""
    try:
        verdict = await refuse_another_key(redis, settings.redis.prefix, secret_box(settings))
    except SecretKeyMismatch as exc:
        return str(exc)
    except (RedisError, OSError) as exc:
        log.warning("could not check NAIBOT_SECRET_KEY against the deployment's at start (Redis: %s); going on",
                    type(exc).__name__)
        return None
    if verdict is KeyVerdict.RECORDED:
        log.info("NAIBOT_SECRET_KEY recorded as this deployment's key (every process must hold the same one)")
    return None


async def other_hosts(redis: aioredis.Redis, settings: Settings) -> list[str]:
    """Hosts other than this one with a live naibot process: workers (their heartbeat ids begin with
    the host name) and chat bots (``tasks.chat_presence``)."""
    here, now = socket.gethostname(), time.time()
    workers = await redis.zrangebyscore(Keys(settings.redis.prefix).workers,
                                        now - alive_window(settings.queue.lease_seconds), "+inf")
    hosts = {(w.decode() if isinstance(w, bytes) else str(w)).rsplit(":", 2)[0] for w in workers}
    hosts |= {p["host"] for p in await chat_processes(redis, settings.redis.prefix, now) if p["alive"]}
    return sorted(hosts - {here})


async def unshared_storage(settings: Settings, redis: aioredis.Redis) -> str | None:
    """The ERROR line for local storage in a deployment that runs on several hosts (else None).

    Local storage is one machine's disk: a worker on another host stores pictures a bot or the API
    here cannot read (the person gets none, the delivery fails in a log). Nothing else notices, so
    each process looks at start; the first to start on a second host sees the others."""
    if settings.storage.backend != "local":
        return None
    try:
        elsewhere = await other_hosts(redis, settings)
    except (RedisError, OSError):
        return None  # the secret-key check has said Redis is away
    if not elsewhere:
        return None
    return (f"storage.backend is local ({settings.storage.dir}) but the deployment also runs on "
            f"{', '.join(elsewhere[:5])}: pictures stored on one host cannot be read on another. Use "
            "storage.backend: minio (S3) on every machine (deploy/SCALING.md)")


async def shared_start_checks(settings: Settings) -> str | None:
    """What every process checks at start (worker, chat bots, HTTP API): the secret key (the line
    saying why not to start, or None) and shared storage (an ERROR logged, the start goes on: the
    processes on one host still work)."""
    redis = async_redis(settings.redis)  # one client for both checks
    try:
        refusal = await secret_key_refusal(settings, redis)
        if refusal is None and (problem := await unshared_storage(settings, redis)) is not None:
            log.error("%s", problem)
    finally:
        await redis.aclose()
    return refusal


def run_start_checks(settings: Settings) -> bool:
    """The start-up checks, from synchronous code (before Dramatiq starts its processes). False:
    the worker must not start (its secret key is not the deployment's; said as an ERROR).

    Raises nothing: a check that cannot run must not keep the worker from starting."""
    try:
        refusal = asyncio.run(shared_start_checks(settings))
    except Exception as exc:  # a bug in a check must not stop the queue
        log.warning("the start-up check of NAIBOT_SECRET_KEY did not run: %s", type(exc).__name__)
        refusal = None
    if refusal is not None:
        log.error("the worker does not start: %s", refusal)
        return False
    try:
        with _client_quiet():
            asyncio.run(check_default_account(settings))
    except Exception as exc:  # a bug in a check must not stop the queue
        log.warning("the start-up check of the default NovelAI account did not run: %s", type(exc).__name__)
    return True
