"""The token cache: verified NovelAI tokens per account, in Redis, encrypted.

The cache is an optimisation, never a dependency: every failure here (Redis down, a record
that is corrupt or sealed under another key) is logged as a warning and reported as "no
entry", so the client falls back to a fresh login instead of failing a generation.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import asdict, dataclass, replace

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from naibot.secrets import SecretBox, SecretError

log = logging.getLogger(__name__)

DAY = 86400.0
# Tokens without a known expiry (persistent ``pst-`` tokens) are still re-verified this often.
_OPAQUE_TOKEN_TTL = 30 * DAY
# Release the login lock only if it is still ours.
_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class CachedToken:
    """A token and what we know of it. ``expires_at`` is None for opaque persistent tokens."""

    token: str
    expires_at: float | None
    verified_at: float
    obtained_at: float

    def seconds_left(self, now: float | None = None) -> float | None:
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)

    def usable(self, refresh_margin: float, now: float | None = None) -> bool:
        """Reuse only while more than the margin remains; opaque tokens are always usable."""
        left = self.seconds_left(now)
        return left is None or left > refresh_margin

    def verified(self, now: float | None = None) -> CachedToken:
        return replace(self, verified_at=time.time() if now is None else now)


class TokenCache:
    """Per-account token records under ``<prefix>:nai:token:<account>``."""

    def __init__(self, redis: aioredis.Redis | None, box: SecretBox | None, prefix: str) -> None:
        # Both or neither: the cache needs Redis to store and the box to seal.
        self._store = (redis, box) if redis is not None and box is not None else None
        self._prefix = prefix
        if self._store is None:
            log.warning("token cache disabled (no Redis or no NAIBOT_SECRET_KEY): every process logs in anew")

    @property
    def enabled(self) -> bool:
        return self._store is not None

    def key(self, account: str) -> str:
        return f"{self._prefix}:nai:token:{account}"

    def _lock_key(self, account: str) -> str:
        return f"{self._prefix}:nai:login-lock:{account}"

    async def get(self, account: str) -> CachedToken | None:
        if self._store is None:
            return None
        redis, box = self._store
        key = self.key(account)
        try:
            blob = await redis.get(key)
            if blob is None:
                return None
            return CachedToken(**box.open_json(blob, key))
        except (RedisError, OSError) as exc:
            log.warning("token cache unreachable for account %s, logging in instead: %s", account, exc)
        except (SecretError, TypeError, ValueError) as exc:
            log.warning("token cache entry for account %s is unreadable, logging in instead: %s", account, exc)
        return None

    async def put(self, account: str, entry: CachedToken) -> None:
        if self._store is None:
            return
        redis, box = self._store
        key = self.key(account)
        left = entry.seconds_left()
        ttl = int(left) if left is not None else int(_OPAQUE_TOKEN_TTL)
        if ttl <= 0:
            return
        try:
            await redis.set(key, box.seal_json(asdict(entry), key), ex=ttl)
        except (RedisError, OSError) as exc:
            log.warning("could not cache the token of account %s: %s", account, exc)

    async def delete(self, account: str) -> None:
        if self._store is None:
            return
        redis, _ = self._store
        try:
            await redis.delete(self.key(account))
        except (RedisError, OSError) as exc:
            log.warning("could not drop the cached token of account %s: %s", account, exc)

    async def acquire_login(self, account: str, ttl: float) -> str | None:
        """Take the cross-process login lock. Returns its owner id, "" if Redis is unusable
        (proceed without a lock), or None if another process is logging in right now."""
        if self._store is None:
            return ""
        redis, _ = self._store
        owner = os.urandom(8).hex()
        try:
            got = await redis.set(self._lock_key(account), owner, nx=True, px=int(ttl * 1000))
        except (RedisError, OSError):
            return ""
        return owner if got else None

    async def release_login(self, account: str, owner: str) -> None:
        if not owner or self._store is None:
            return
        redis, _ = self._store
        try:
            await redis.eval(_RELEASE_LOCK, 1, self._lock_key(account), owner)
        except (RedisError, OSError) as exc:
            log.warning("could not release the login lock of account %s: %s", account, exc)

    async def wait_for_login(self, account: str, stale: str | None, timeout: float) -> CachedToken | None:
        """Another process holds the login lock: wait for the token it will store."""
        if self._store is None:
            return None  # no cache, so no lock anyone could hold
        redis, _ = self._store
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entry = await self.get(account)
            if entry is not None and entry.token != stale:
                return entry
            try:
                if not await redis.exists(self._lock_key(account)):
                    return await self.get(account)
            except (RedisError, OSError):
                return None
            await asyncio.sleep(0.05)
        return None
