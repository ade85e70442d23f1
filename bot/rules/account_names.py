"""What a person's own NovelAI account is called, which is also the name of its lane.

An account's name travels far: it is the queue lane (``/queue_status`` shows lanes to every API
key, ``/metrics`` labels them for Prometheus), job records, and the status page. Named after the
person (``user:telegram:555``), it told all of those who uses the bot with an account of their
own. So a personal account is named by a keyed hash of the person's key: ``user:<20 hex>``,
stable for the person, and not reversible without the deployment's naming key (chat user ids
are small numbers; an unkeyed hash of one is guessed in seconds).

The naming key is 32 random bytes kept in Redis (``BotKeys.account_naming_key``), made once by
whichever process needs it first. It is not derived from the master secret, so ``rotate-key``
leaves every name, and so every stored account and lane, where it is.

Names from before (``user:<platform>:<id>``) are still honoured: an account stored under one keeps
working (its lane, its waiting jobs, groups it is lent to) until its owner logs out; every login
after that, and every new one, gets the hashed name. See ``Policy.personal_account``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import redis.asyncio as aioredis

from bot.keys import BotKeys
from naibot.redisconn import text

PERSONAL_PREFIX = "user:"
_DIGEST_CHARS = 20


def hashed_personal_name(naming_key: bytes, user_key: str) -> str:
    """``user:<HMAC-SHA256(naming key, user key), first 20 hex>``: 80 bits, no collision in practice."""
    digest = hmac.new(naming_key, user_key.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{PERSONAL_PREFIX}{digest[:_DIGEST_CHARS]}"


def legacy_personal_name(user_key: str) -> str:
    """The name personal accounts had before they were hashed (it shows the platform's user id)."""
    return f"{PERSONAL_PREFIX}{user_key}"


class AccountNames:
    """Personal account names under this deployment's naming key (read once per process)."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._naming_key: bytes | None = None

    async def naming_key(self) -> bytes:
        if self._naming_key is None:
            fresh = secrets.token_hex(32)
            # SET NX GET, one atomic call: two processes starting at once agree on the first one written.
            earlier = await self._redis.set(self._keys.account_naming_key, fresh, nx=True, get=True)
            self._naming_key = bytes.fromhex(text(earlier) if isinstance(earlier, bytes | str) else fresh)
        return self._naming_key

    async def personal(self, user_key: str) -> str:
        return hashed_personal_name(await self.naming_key(), user_key)
