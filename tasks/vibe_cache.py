"""Vibe encodings made once and reused: NovelAI charges 2 Anlas for every ``/ai/encode-vibe`` call.

An encoding depends only on its ``VibeKey`` (image SHA-256, information extracted, model), so the
same vibe used again, by anyone, needs no new call. The encoding's bytes live in storage, in the
folder of the job that made it (``YYYY/MM/DD/<job id>/vibe-…bin``), so clean-up removes them like
any job's files; a Redis key per ``VibeKey`` points at it, with the queue's retention as its TTL.
A pointer whose file is gone counts as not cached: the worker encodes it again.

Submission prices with ``uncached`` (the cost shown already knows what is cached); the worker,
under the lane and before generating, reads the cached ones (``cached``), encodes the rest and
records them (``encode_once``, ``record``).

Two workers on different accounts (different lanes, so nothing else keeps them apart) may want the
same uncached vibe at the same moment; both would pay 2 Anlas for the same bytes. So an encoding is
made under a short lock per ``VibeKey`` (``SET NX PX`` with a random token, released by
``unlock.lua`` only while it is still ours): the one who takes it looks at the cache again and
encodes; the others wait, bounded by the lock's lifetime, for the cache entry and use it. A holder
that dies leaves the lock to expire (``LOCK_SECONDS``), after which a waiter takes it and encodes;
one that fails releases it at once. An encoding slower than the lock may be paid twice, as it was
before the lock: costly, never wrong.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as aioredis

from novelai.inputs import VibeKey
from storage.base import Storage, validate_key
from tasks.inputs import SHA_CHARS, job_folder
from tasks.keys import Keys
from tasks.scripts import source

# How long one encoding may hold its vibe's lock: an encode-vibe call takes a second or two, so this
# is ample; it is also the longest a waiter waits for a holder that died.
LOCK_SECONDS = 30.0
# How often a waiter looks for the encoding (doubling from the first to the last).
FIRST_LOOK_SECONDS, LAST_LOOK_SECONDS = 0.02, 0.25

log = logging.getLogger(__name__)


def _number(value: float) -> str:
    """The information extracted as a key segment: ``0.7`` → ``0p7`` (storage keys take no other dots
    in a segment name we would want to parse)."""
    return repr(float(value)).replace(".", "p")


class VibeCache:
    def __init__(self, redis: aioredis.Redis, prefix: str, retention_seconds: int, *,
                 lock_seconds: float = LOCK_SECONDS) -> None:
        self.redis, self.prefix, self.retention_seconds = redis, prefix, retention_seconds
        self.lock_seconds = lock_seconds
        self.keys = Keys(prefix)
        self._unlock = redis.register_script(source("unlock"))

    def redis_key(self, key: VibeKey) -> str:
        return self.keys.vibe(key.model, _number(key.information_extracted), key.sha256)

    def lock_key(self, key: VibeKey) -> str:
        return self.keys.vibe_lock(key.model, _number(key.information_extracted), key.sha256)

    @staticmethod
    def storage_key(key: VibeKey, job_id: str, created_at: float) -> str:
        return validate_key(f"{job_folder(job_id, created_at)}/vibe-{key.sha256[:SHA_CHARS]}-"
                            f"{_number(key.information_extracted)}-{key.model}.bin")

    async def uncached(self, keys: Iterable[VibeKey]) -> int:
        """How many of ``keys`` have no encoding recorded (each distinct key once): what pricing adds."""
        distinct = list(dict.fromkeys(keys))
        if not distinct:
            return 0
        pointers = await self.redis.mget([self.redis_key(key) for key in distinct])
        return sum(pointer is None for pointer in pointers)

    async def cached(self, storage: Storage, keys: Iterable[VibeKey]) -> dict[VibeKey, bytes]:
        """The encodings recorded and still in storage; the rest must be encoded."""
        distinct = list(dict.fromkeys(keys))
        if not distinct:
            return {}
        pointers = await self.redis.mget([self.redis_key(key) for key in distinct])
        found: dict[VibeKey, bytes] = {}
        for key, pointer in zip(distinct, pointers, strict=True):
            if pointer is None:
                continue
            stored = pointer.decode() if isinstance(pointer, bytes) else str(pointer)
            try:
                found[key] = await asyncio.to_thread(storage.get, stored)
            except KeyError:
                log.info("vibe %s: its encoding is gone from storage; it will be encoded again", key.sha256[:12])
        return found

    async def record(self, storage: Storage, key: VibeKey, encoding: bytes, job_id: str, created_at: float) -> str:
        """Store an encoding in the job's folder and point the key at it for ``retention_seconds``."""
        stored = await asyncio.to_thread(storage.put, self.storage_key(key, job_id, created_at), encoding,
                                         "application/octet-stream")
        await self.redis.set(self.redis_key(key), stored.key, ex=self.retention_seconds)
        return stored.key

    async def encode_once(self, storage: Storage, key: VibeKey, encode: Callable[[], Awaitable[bytes]],
                          job_id: str, created_at: float) -> tuple[bytes, bool]:
        """The encoding of ``key``: from the cache, or made by ``encode`` and recorded, by one worker at a
        time (see the module docstring). Returns it and whether ``encode`` was called (2 Anlas spent)."""
        lock, token = self.lock_key(key), secrets.token_hex(16)
        deadline = time.monotonic() + self.lock_seconds + 1.0
        pause = FIRST_LOOK_SECONDS
        while not await self.redis.set(lock, token, nx=True, px=int(self.lock_seconds * 1000)):
            found = await self.cached(storage, [key])
            if key in found:
                return found[key], False
            if time.monotonic() > deadline:  # cannot happen while locks expire; never wait for ever
                log.warning("vibe %s: its lock outlived its lifetime; encoding without it", key.sha256[:12])
                token = ""
                break
            await asyncio.sleep(pause)  # the holder writes the cache entry; no event to wait on
            pause = min(pause * 2, LAST_LOOK_SECONDS)
        try:
            found = await self.cached(storage, [key])  # recorded by the holder just before we took the lock
            if key in found:
                return found[key], False
            encoding = await encode()
            await self.record(storage, key, encoding, job_id, created_at)
            return encoding, True
        finally:
            if token:
                await self._unlock(keys=[lock], args=[token])
