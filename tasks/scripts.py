"""The queue's Lua scripts, loaded once and called by name.

Every change to queue state that two processes can touch at once is one of these scripts, so
Redis runs it atomically: no read-then-write races between submitters, workers and sweepers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

_DIR = Path(__file__).parent / "lua"
NAMES = ("submit", "pop", "finish", "retry", "recover", "cancel", "renew", "hold", "release", "duration",
         "status", "positions", "idle", "others_waiting")


@cache
def source(name: str) -> str:
    """The script with the shared helpers of lib.lua in front (Redis scripts cannot include)."""
    lib = (_DIR / "lib.lua").read_text(encoding="utf-8")
    return lib + "\n" + (_DIR / f"{name}.lua").read_text(encoding="utf-8")


class Scripts:
    """Registered scripts of one Redis client (EVALSHA, re-loaded by redis-py if flushed)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._scripts: dict[str, AsyncScript] = {name: redis.register_script(source(name)) for name in NAMES}

    def __getattr__(self, name: str) -> AsyncScript:
        try:
            return self._scripts[name]
        except KeyError:
            raise AttributeError(name) from None
