"""Vibe encodings made once and reused: NovelAI charges 2 Anlas for every ``/ai/encode-vibe`` call.

An encoding depends only on its ``VibeKey`` (image SHA-256, information extracted, model), so the
same vibe used again, by anyone, needs no new call. The encoding's bytes live in storage, in the
folder of the job that made it (``YYYY/MM/DD/<job id>/vibe-…bin``), so clean-up removes them like
any job's files; a Redis key per ``VibeKey`` points at it, with the queue's retention as its TTL.
A pointer whose file is gone counts as not cached: the worker encodes it again.

Submission prices with ``uncached`` (the cost shown already knows what is cached); the worker,
under the lane and before generating, reads the cached ones (``cached``), encodes the rest and
records them (``record``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import redis.asyncio as aioredis

from novelai.inputs import VibeKey
from storage.base import Storage, validate_key
from tasks.inputs import SHA_CHARS, job_folder
from tasks.keys import Keys

log = logging.getLogger(__name__)


def _number(value: float) -> str:
    """The information extracted as a key segment: ``0.7`` → ``0p7`` (storage keys take no other dots
    in a segment name we would want to parse)."""
    return repr(float(value)).replace(".", "p")


class VibeCache:
    def __init__(self, redis: aioredis.Redis, prefix: str, retention_seconds: int) -> None:
        self.redis, self.prefix, self.retention_seconds = redis, prefix, retention_seconds
        self.keys = Keys(prefix)

    def redis_key(self, key: VibeKey) -> str:
        return self.keys.vibe(key.model, _number(key.information_extracted), key.sha256)

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
