"""The status page's login sessions, kept in Redis so every API process shares them.

The cookie used to hold the admin API key itself, for 7 days: whoever copied it had the API's
permanent admin credential (it worked as Bearer too), and logging out could not revoke it. Now a
login makes a random session id (256 bits) and the cookie holds only that:

* Redis keeps ``BotKeys.api_session(sha256(id))`` -> the SHA-256 of the key logged in with, with a
  TTL (``api.admin_session_seconds``). Neither a Redis dump nor the cookie yields a key, and a
  dump's session names do not yield usable cookies.
* Logout deletes it, so a copied cookie dies with the logout.
* Each use looks the key digest up among the keys configured *now*: remove (or demote) the key in
  settings, restart, and every session made with it is refused, and deleted on sight.
"""

from __future__ import annotations

import hashlib
import secrets

import redis.asyncio as aioredis

from bot.http.auth import ApiIdentity, ApiKeys
from bot.keys import BotKeys


def _name(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


class AdminSessions:
    def __init__(self, redis: aioredis.Redis, prefix: str, keys: ApiKeys, seconds: int) -> None:
        self._redis, self._keys, self.seconds = redis, keys, seconds
        self._bot_keys = BotKeys(prefix)

    async def create(self, key_digest: bytes) -> str:
        """A new session for the key with this digest; the id to put in the cookie."""
        session_id = secrets.token_urlsafe(32)
        await self._redis.set(self._bot_keys.api_session(_name(session_id)), key_digest.hex(), ex=self.seconds)
        return session_id

    async def identify(self, session_id: str) -> ApiIdentity | None:
        """The admin this session belongs to, or None (unknown, expired, revoked, or its key removed)."""
        key = self._bot_keys.api_session(_name(session_id))
        stored = await self._redis.get(key)
        if stored is None:
            return None
        try:
            digest = bytes.fromhex(stored.decode() if isinstance(stored, bytes) else str(stored))
        except ValueError:
            digest = b""
        identity = self._keys.identify_digest(digest)
        if identity is None or not identity.admin:
            await self._redis.delete(key)  # its key is gone (or no longer admin): so is the session
            return None
        return identity

    async def revoke(self, session_id: str) -> None:
        await self._redis.delete(self._bot_keys.api_session(_name(session_id)))
