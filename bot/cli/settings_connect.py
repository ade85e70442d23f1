"""``naibot settings check --connect``: ask each service once whether it answers and accepts us.

A deployment that parses can still not run: Redis down or behind another password, a NovelAI token
revoked, a bot token from another bot. Each check is one request, with a short timeout, and prints
one line: ``ok`` with what answered, ``FAILED`` with a short reason and the fix, or ``skipped`` when
that service is not configured. Reasons never quote a token, and never the text of an HTTP error
either (a Bot API URL carries the token in its path).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from redis.exceptions import AuthenticationError, RedisError

from bot.cli.common import EXIT_FAILED, EXIT_OK
from naibot.redisconn import async_redis
from naibot.settings import Settings, Sources, secret
from novelai.client import NovelAIClient, Timeouts
from novelai.errors import AuthError, NetworkError, NovelAIError
from novelai.errors import Timeout as NovelAITimeout
from novelai.factory import default_account
from novelai.limits import Limits
from novelai.tokens import TokenCache

TIMEOUT_SECONDS = 10.0
_WIDTH = 9


@dataclass(frozen=True)
class Check:
    """One service's answer: ``ok`` None = skipped."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    def line(self) -> str:
        if self.ok is None:
            return f"{self.name:<{_WIDTH}} skipped ({self.detail})"
        if self.ok:
            return f"{self.name:<{_WIDTH}} ok ({self.detail})"
        return f"{self.name:<{_WIDTH}} FAILED: {self.detail}; fix: {self.fix}"


async def check_redis(settings: Settings, sources: Sources) -> Check:
    where = sources.name(("redis", "url"))
    client = async_redis(settings.redis)
    try:
        await client.ping()
    except AuthenticationError:
        return Check("redis", False, f"Redis at {settings.redis.address} refused the user or password",
                     f"correct the password in {where} (deploy/redis.conf has the naibot user's)")
    except (RedisError, OSError) as exc:
        return Check("redis", False, f"no answer from {settings.redis.address} ({type(exc).__name__}: {exc})",
                     f"start Redis there, or correct {where}")
    finally:
        await client.aclose()
    return Check("redis", True, f"PONG from {settings.redis.address}")


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Mute one logger: the token cache warns that it is off, which is what this check wants."""
    logger = logging.getLogger(logger_name)
    before = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = before


async def check_novelai(settings: Settings, sources: Sources) -> Check:
    """The deployment's own account (``default``) against ``/user/subscription``, as ``naibot account
    add`` checks a token, without the token cache: this asks NovelAI, not Redis."""
    nai = settings.novelai
    account = default_account(settings)
    token_path = ("novelai", "default_account", "token")
    if account is None:
        return Check("novelai", None, "no NOVELAI_TOKEN, nor NOVELAI_EMAIL with NOVELAI_PASSWORD")
    holder = sources.name(token_path) if account.token else (
        f"{sources.name(('novelai', 'default_account', 'email'))} with "
        f"{sources.name(('novelai', 'default_account', 'password'))}")
    with _quiet("novelai.tokens"):
        cache = TokenCache(None, None, settings.redis.prefix)
    client = NovelAIClient(api_url=nai.api_url, image_url=nai.image_url, token_cache=cache,
                           timeouts=Timeouts(connect=min(nai.timeouts.connect, TIMEOUT_SECONDS),
                                             login=min(nai.timeouts.login, TIMEOUT_SECONDS),
                                             user=min(nai.timeouts.user, TIMEOUT_SECONDS)),
                           limits=Limits(**nai.limits.model_dump()))
    api = sources.name(("novelai", "api_url"))
    try:
        async with asyncio.timeout(2 * TIMEOUT_SECONDS):  # a login, then the call, each maybe on two hosts
            subscription = await client.subscription(account)
    except AuthError:
        fix = ("copy a persistent API token (pst-...) from NovelAI's account settings into it" if account.token
               else "correct them (the NovelAI login), or use NOVELAI_TOKEN instead")
        return Check("novelai", False, f"NovelAI refused {holder}", fix)
    except (NetworkError, NovelAITimeout, TimeoutError):
        return Check("novelai", False, f"NovelAI could not be reached at {nai.api_url}",
                     f"check the network, or {api} and {sources.name(('novelai', 'image_url'))}")
    except NovelAIError as exc:
        return Check("novelai", False, f"NovelAI answered with an error ({exc.kind}: {exc.user_message})",
                     f"try again later; if it stays, check {holder}")
    finally:
        await client.aclose()
    return Check("novelai", True, f"{holder} accepted: {subscription.tier_name}, {subscription.anlas} Anlas")


async def _get(url: str, headers: dict[str, str] | None = None) -> httpx.Response | str:
    """The response, or the name of the error (never its text: the URL may hold a token)."""
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
        try:
            return await http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            return type(exc).__name__


async def check_telegram(settings: Settings, sources: Sources) -> Check:
    token = secret(settings.telegram.token)
    variable = sources.name(("telegram", "token"))
    if not token:
        return Check("telegram", None, f"{variable} is not set")
    api = sources.name(("telegram", "api_url"))
    answer = await _get(f"{settings.telegram.api_url}/bot{token}/getMe")
    if isinstance(answer, str):
        return Check("telegram", False, f"the Bot API at {settings.telegram.api_url} could not be reached ({answer})",
                     f"check the network, or {api}")
    if answer.status_code in (401, 404):
        return Check("telegram", False, f"Telegram rejected {variable} (HTTP {answer.status_code})",
                     "copy the bot's token from @BotFather (/token) into it")
    username = _field(answer, "result", "username")
    if answer.status_code != 200 or username is None:
        return Check("telegram", False, f"the Bot API answered getMe with HTTP {answer.status_code}",
                     f"check {api}; try again later")
    return Check("telegram", True, f"{variable} is the bot @{username}")


async def check_discord(settings: Settings, sources: Sources) -> Check:
    token = secret(settings.discord.token)
    variable = sources.name(("discord", "token"))
    if not token:
        return Check("discord", None, f"{variable} is not set")
    api = sources.name(("discord", "api_url"))
    answer = await _get(f"{settings.discord.api_url}/users/@me", {"Authorization": f"Bot {token}"})
    if isinstance(answer, str):
        return Check("discord", False, f"the Discord API at {settings.discord.api_url} could not be reached ({answer})",
                     f"check the network, or {api}")
    if answer.status_code == 401:
        return Check("discord", False, f"Discord rejected {variable} (HTTP 401)",
                     "copy the token from the Developer Portal's Bot page (Reset Token) into it")
    username = _field(answer, "username")
    if answer.status_code != 200 or username is None:
        return Check("discord", False, f"the Discord API answered /users/@me with HTTP {answer.status_code}",
                     f"check {api}; try again later")
    return Check("discord", True, f"{variable} is the bot {username}")


def _field(response: httpx.Response, *path: str) -> str | None:
    try:
        node = response.json()
        for part in path:
            node = node[part]
    except (ValueError, KeyError, TypeError):
        return None
    return node if isinstance(node, str) else None


async def check_all(settings: Settings, sources: Sources) -> int:
    """Run every check in turn, print its line; EXIT_FAILED if one failed."""
    failed = False
    for check in (check_redis, check_novelai, check_telegram, check_discord):
        result = await check(settings, sources)
        print(result.line(), flush=True)
        failed = failed or result.ok is False
    return EXIT_FAILED if failed else EXIT_OK
