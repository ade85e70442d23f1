"""Tag lookups for autocomplete: which account asks NovelAI, how often a person may make it ask, and the
Redis cache that answers when it may not or when NovelAI is slow.

Why in ``bot/rules``: it is "who pays and what a person may do" for one more call, and both the chat
product (Discord autocomplete, Telegram inline mode and ``/tags``) and the HTTP API (``GET /suggest-tags``)
use it; the HTTP API may not import ``bot.chat``.

The contract every caller relies on: ``suggest`` never raises and returns within about ``deadline``
seconds (Discord drops an autocomplete answer after 3 s). In order:

1. the cache for (model, normalised prefix); a hit answers at once;
2. a per-person budget of NovelAI lookups (atomic in Redis: one Lua INCR + PEXPIRE); past it, the cache only;
3. NovelAI, on the person's own account if they logged in, else the deployment's default (suggest-tags
   costs nothing); the lookup runs on after the deadline in the background and fills the cache, so the
   next keystroke finds it;
4. when nothing better is there: the cached answer for a shorter prefix, filtered to the typed one; else
   nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.keys import BotKeys
from bot.rules.policy import Policy
from naibot.cancelling import cancel_and_wait
from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.errors import NovelAIError
from novelai.models import resolve_model
from novelai.request import GenerationRequest
from novelai.tags import TagSuggestion, normalise_prefix, parse_suggestions

log = logging.getLogger(__name__)

# Shorter partial tags match too much to be worth a lookup.
MIN_PREFIX_CHARS = 2
# How long answers stay cached: tag counts change over months; an empty answer sooner (a new tag).
CACHE_SECONDS = 6 * 3600
EMPTY_CACHE_SECONDS = 600
# NovelAI lookups per person per window; Discord sends one autocomplete per keystroke or so.
LOOKUPS_PER_WINDOW = 10
WINDOW_SECONDS = 10.0
# How long an answer waits for NovelAI; the lookup itself may run on for LOOKUP_SECONDS to fill the cache.
DEADLINE_SECONDS = 1.5
LOOKUP_SECONDS = 8.0
# Lookups still running after their deadline, at most (a slow NovelAI must not pile them up).
MAX_BACKGROUND = 32

Source = Literal["novelai", "cache", "shorter", "none"]

# KEYS[1] the person's counter; ARGV[1] the window in ms. Returns the count including this lookup.
_TAKE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


@dataclass(frozen=True)
class TagAnswer:
    """Suggestions and where they came from (for tests, benchmarks and logs; never shown)."""

    suggestions: tuple[TagSuggestion, ...]
    source: Source


NOTHING = TagAnswer((), "none")


class TagLookup:
    """Suggestions for a partial tag, within a deadline, cached per (model, prefix), bounded per person."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys, client: NovelAIClient, policy: Policy, *,
                 deadline: float = DEADLINE_SECONDS, lookups_per_window: int = LOOKUPS_PER_WINDOW,
                 window: float = WINDOW_SECONDS) -> None:
        self.redis = redis
        self.keys = keys
        self.client = client
        self.policy = policy
        self.deadline = deadline
        self.lookups_per_window = lookups_per_window
        self.window = window
        self._take = redis.register_script(_TAKE)
        self._background: set[asyncio.Task[list[TagSuggestion] | None]] = set()

    async def suggest(self, user_key: str, model: str | None, prefix: str, *, account: str | None = None
                      ) -> TagAnswer:
        """Suggestions for ``prefix`` (a bare partial tag) on ``model`` (None: the default model).

        ``account`` names the account to ask with first (an HTTP API key's own), before the person's and
        the deployment's default."""
        typed = normalise_prefix(prefix)
        if len(typed) < MIN_PREFIX_CHARS:
            return NOTHING
        model_id = model_id_of(model)
        try:
            cached, shorter = await self._cached(model_id, typed)
            if cached is not None:
                return TagAnswer(tuple(cached), "cache")
            fallback = TagAnswer(tuple(shorter), "shorter") if shorter else NOTHING
            if await self.policy.is_banned(user_key) or not await self._may_look_up(user_key):
                return fallback
            found_account = await self._account(user_key, account)
        except (RedisError, OSError, NovelAIError) as exc:
            log.warning("tag lookup for %r could not use Redis or find an account: %s", typed, exc)
            return NOTHING
        if found_account is None:
            return fallback
        found = await self._look_up(found_account, model_id, typed)
        return TagAnswer(tuple(found), "novelai") if found is not None else fallback

    async def aclose(self) -> None:
        """Cancel lookups still running in the background (at shutdown)."""
        await cancel_and_wait(list(self._background))

    # -- the cache ---------------------------------------------------------------------------

    async def _cached(self, model_id: str, typed: str) -> tuple[list[TagSuggestion] | None, list[TagSuggestion]]:
        """The answer cached for ``typed`` (None if none), and else the longest shorter prefix's answer
        filtered to what was typed (one MGET for all of them)."""
        prefixes = [typed[:n] for n in range(len(typed), MIN_PREFIX_CHARS - 1, -1)]
        values = await self.redis.mget([self.keys.tag_suggestions(model_id, p) for p in prefixes])
        for index, value in enumerate(values):
            if value is None:
                continue
            suggestions = _decode(value)
            if index == 0:
                return suggestions, []
            return None, [s for s in suggestions if _matches(s.tag, typed)]
        return None, []

    async def _store(self, model_id: str, typed: str, suggestions: list[TagSuggestion]) -> None:
        body = json.dumps([[s.tag, s.count, s.confidence] for s in suggestions], ensure_ascii=False)
        await self.redis.set(self.keys.tag_suggestions(model_id, typed), body,
                             ex=CACHE_SECONDS if suggestions else EMPTY_CACHE_SECONDS)

    # -- who asks, how often -------------------------------------------------------------------

    async def _may_look_up(self, user_key: str) -> bool:
        count = await self._take(keys=[self.keys.tag_suggest_rate(user_key)], args=[int(self.window * 1000)])
        return int(count) <= self.lookups_per_window

    async def _account(self, user_key: str, named: str | None = None) -> Account | None:
        """The named account, else the person's own, else the deployment's default (a lookup is free on
        NovelAI, so whichever can ask may)."""
        policy = self.policy
        if named is not None and (account := await policy.directory.get(named)) is not None:
            return account
        if await policy.has_personal(user_key):
            account = await policy.directory.get(await policy.personal_account(user_key))
            if account is not None:
                return account
        return await policy.directory.get(policy.settings.bot.default_account)

    # -- NovelAI ----------------------------------------------------------------------------------

    async def _look_up(self, account: Account, model_id: str, typed: str) -> list[TagSuggestion] | None:
        """NovelAI's answer within the deadline, or None (slow, failing, or too many lookups running)."""
        if len(self._background) >= MAX_BACKGROUND:
            return None
        task = asyncio.create_task(self._fetch(account, model_id, typed), name=f"suggest-tags:{typed}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        try:
            async with asyncio.timeout(self.deadline):
                return await asyncio.shield(task)
        except TimeoutError:
            log.info("NovelAI's tag suggestions for %r took over %.1f s; answering from the cache", typed,
                     self.deadline)
            return None

    async def _fetch(self, account: Account, model_id: str, typed: str) -> list[TagSuggestion] | None:
        """One lookup, its answer cached; failures are logged and read as "no answer"."""
        try:
            suggestions = await self.client.suggest_tags(account, model_id, typed, timeout=LOOKUP_SECONDS)
        except NovelAIError as exc:
            log.info("NovelAI's tag suggestions for %r failed: %s", typed, exc)
            return None
        try:
            await self._store(model_id, typed, suggestions)
        except (RedisError, OSError) as exc:
            log.warning("could not cache tag suggestions for %r: %s", typed, exc)
        return suggestions


def model_id_of(model: str | None) -> str:
    """A model's canonical id for the lookup and its cache key; the default model for none or an unknown one."""
    default = str(GenerationRequest.model_fields["model"].default)
    if not model:
        return default
    try:
        return resolve_model(model).id
    except (ValueError, NovelAIError):
        return default


def _matches(tag: str, typed: str) -> bool:
    return tag.lower().startswith(typed) or any(word.startswith(typed) for word in tag.lower().split(" ")[1:])


def _decode(value: bytes | str) -> list[TagSuggestion]:
    try:
        items = json.loads(value)
        return parse_suggestions({"tags": [{"tag": tag, "count": count, "confidence": confidence}
                                           for tag, count, confidence in items]})
    except (ValueError, TypeError):
        return []
