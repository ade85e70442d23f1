"""The deployment's random salt for deriving the secrets-at-rest key, kept in Redis beside the data.

Why: the key that seals stored NovelAI credentials is derived from ``NAIBOT_SECRET_KEY`` with
scrypt. With one salt for every installation (the first version's), a dictionary of derived keys
computed once would open every naibot Redis dump; a random salt per deployment makes each dump
its own work. It is not secret, only unique, so it lives where the sealed records live: every
process of the deployment finds the same one there, and a backup of Redis carries it along.

The first process that needs it creates it with SET NX, so processes starting together agree on
one; it never expires and nothing rewrites it. Deleting it makes every record sealed under it
unreadable (as losing the secret key would): a fresh salt would derive another key.

Two ways to read it, because ``SecretBox`` seals and opens synchronously inside async code:
``salt_loader`` (a sync client, on first use only, then cached for the process) for the boxes
every process builds, and ``load_salt`` for code that already holds an async client.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

import redis.asyncio as aioredis

from naibot.redisconn import sync_redis
from naibot.settings import RedisSettings

SALT_BYTES = 32


def salt_key(prefix: str) -> str:
    """Where a deployment's salt lives: under its prefix, like everything it stores."""
    return f"{prefix}:secrets:salt"


def _decode(stored: bytes | str) -> bytes:
    # Stored as hex text, so it never looks like a sealed record to a scan (``naibot rotate-key``).
    return bytes.fromhex(stored.decode("ascii") if isinstance(stored, bytes) else stored)


async def load_salt(redis: aioredis.Redis, prefix: str) -> bytes:
    """The deployment's salt, created (SET NX: one winner among racing processes) if missing."""
    key = salt_key(prefix)
    await redis.set(key, secrets.token_hex(SALT_BYTES), nx=True)
    stored = await redis.get(key)
    if stored is None:  # deleted between the two commands: try once more
        await redis.set(key, secrets.token_hex(SALT_BYTES), nx=True)
        stored = await redis.get(key)
    if stored is None:
        raise RuntimeError(f"the secrets salt {key} keeps disappearing from Redis")
    return _decode(stored)


_cache: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def salt_loader(settings: RedisSettings) -> Callable[[], bytes]:
    """A function that returns the deployment's salt, asking Redis the first time in this process.

    Lazy, so building a box (at start, Redis perhaps away) costs nothing; the first seal or open
    of a record under the salted derivation asks Redis once (a few milliseconds, blocking; the
    caller has just read or is about to write that record in Redis anyway).
    """
    cache_key = (settings.url, settings.prefix)

    def load() -> bytes:
        with _lock:
            if cache_key not in _cache:
                client = sync_redis(settings)
                try:
                    key = salt_key(settings.prefix)
                    client.set(key, secrets.token_hex(SALT_BYTES), nx=True)
                    stored = client.get(key)
                    if stored is None:
                        raise RuntimeError(f"the secrets salt {key} disappeared from Redis")
                    _cache[cache_key] = _decode(stored)
                finally:
                    client.close()
            return _cache[cache_key]

    return load
