"""Which of the bot's gateway shards this process runs, and how fast it may start them.

Discord requires a bot in more than 2,500 servers to split its gateway into shards: a guild's events
go to shard ``(guild_id >> 22) % shard_count``, DMs to shard 0. The adapter always runs discord.py's
``AutoShardedClient`` (one shard is a valid sharded bot), so a bot that outgrows one shard needs no
other code, only settings: ``discord.shard_count`` (None: what Discord's ``GET /gateway/bot``
recommends at each start) and ``discord.shard_ids`` (None: all of them; a range for one process of
several). Everything else the processes share lives in Redis (queue, pacer windows, interaction
tokens), and answers go out over REST, so any process can deliver any job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from naibot.settings import DiscordSettings

# Discord lets ``max_concurrency`` sessions start per 5 seconds: one per rate-limit bucket
# ``shard_id % max_concurrency`` (developer docs, Gateway: Session Start Limit / Max Concurrency).
IDENTIFY_WINDOW = 5.0
# Shard ids listed per state in a process's presence beat (as ranges, "0-15,20"); counts are whole.
MAX_LISTED_SHARDS = 256


@dataclass(frozen=True)
class ShardPlan:
    """The shards a process is configured for (the count may be known only once Discord answered)."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    @classmethod
    def from_settings(cls, settings: DiscordSettings) -> ShardPlan:
        ids = tuple(settings.shard_ids) if settings.shard_ids is not None else None
        return cls(settings.shard_count, ids)

    @property
    def holds_first(self) -> bool:
        """Whether this process runs shard 0: the one that registers the slash commands (every
        process would send the same ``PUT``; Discord rate-limits command updates per application) and
        the one Discord sends DMs to."""
        return self.ids is None or 0 in self.ids

    @property
    def instance(self) -> str:
        """Tells this process's delivery consumer from the other shard ranges' on the same host
        ("shards-0-3"); empty for a process that runs every shard."""
        return "" if self.ids is None else "shards-" + shard_ranges(self.ids).replace(",", "_")

    def label(self, count: int | None = None) -> str:
        """How logs name the shards: "shard 0 of 1", "shards 0-3 of 8", "shards 0,2 of 4"."""
        total = count or self.count
        ids = list(self.ids) if self.ids is not None else list(range(total)) if total else []
        of = f" of {total}" if total else " (count from Discord)"
        if not ids:
            return "all shards" + of
        return f"shard {ids[0]}{of}" if len(ids) == 1 else f"shards {shard_ranges(ids)}{of}"


def shard_ranges(ids: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` as "0-2,5" (the form ``discord.shard_ids`` accepts)."""
    parts: list[str] = []
    ordered = sorted(ids)
    start = previous = ordered[0]
    for shard in [*ordered[1:], None]:
        if shard is not None and shard == previous + 1:
            previous = shard
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if shard is not None:
            start = previous = shard
    return ",".join(parts)


def shard_summary(shard_count: int | None, states: dict[int, str]) -> dict[str, Any]:
    """A Discord process's shards: the bot's shard count, and this process's shards counted and
    listed (as ranges) by state. By state rather than one entry per shard, so a process of 500
    shards writes a few hundred bytes, and the ones that need a look (connecting, reconnecting)
    stand out."""
    by_state: dict[str, list[int]] = {}
    for shard_id, state in sorted(states.items()):
        by_state.setdefault(state, []).append(shard_id)
    return {"shard_count": shard_count, "shards": len(states),
            "shard_counts": {state: len(ids) for state, ids in by_state.items()},
            "shard_states": {state: shard_ranges(ids[:MAX_LISTED_SHARDS]) for state, ids in by_state.items()}}


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that gets a guild's events (and its interactions)."""
    return (guild_id >> 22) % shard_count


@dataclass
class IdentifyPacer:
    """discord.py's ``before_identify_hook``, honouring ``max_concurrency``.

    discord.py's own hook waits 5 s before every IDENTIFY but a process's first, so 16 shards take 75 s
    to start even where Discord allows 16 at once. Here a shard's first IDENTIFY waits only for its
    bucket (``shard_id % max_concurrency``) to be free for 5 s; an IDENTIFY after a lost session waits
    5 s as discord.py does (Discord asks for 1-5 s after INVALID_SESSION)."""

    max_concurrency: int = 1
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _last: dict[int, float] = field(default_factory=dict)
    _identified: set[int] = field(default_factory=set)

    async def before_identify(self, shard_id: int | None, *, initial: bool = False) -> None:
        shard = shard_id or 0
        if shard in self._identified:
            await self.sleep(IDENTIFY_WINDOW)
        else:
            bucket = shard % max(1, self.max_concurrency)
            last = self._last.get(bucket)
            if last is not None and (wait := last + IDENTIFY_WINDOW - time.monotonic()) > 0:
                await self.sleep(wait)
        self._identified.add(shard)
        self._last[shard % max(1, self.max_concurrency)] = time.monotonic()
