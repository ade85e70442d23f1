"""Reading the queue's event stream with a consumer group, so nothing is lost while a reader is down.

Every state change (queued, started, progress, retrying, requeued, done, failed, canceled) is
one entry in ``<prefix>:events``. Position changes are published per *lane* (``positions`` with
the lane's new total), not per job: a pop in a lane of 10,000 jobs is one event, not 10,000;
readers recompute the positions of the jobs they display (ZRANK, O(log n)).

Each chat adapter reads through its own consumer group and acknowledges an event only after
handling it; a restarted reader first re-reads what it had taken but not acknowledged, and can
claim entries a dead consumer of its group left behind.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tasks.keys import Keys


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    job: str | None
    account: str | None
    fields: dict[str, str]


def _decode(entry_id: bytes | str, raw: dict[bytes, bytes]) -> Event:
    fields = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
              for k, v in raw.items()}
    return Event(
        id=entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
        type=fields.get("type", ""),
        job=fields.get("job"),
        account=fields.get("account"),
        fields=fields,
    )


def _stream_events(reply: object) -> list[Event]:
    """The entries of an XREAD or XREADGROUP reply, ``[[stream, [(id, fields), ...]], ...]``.

    That is RESP2's shape, which our clients speak (naibot.redisconn); RESP3 answers a map instead.
    Entries whose fields are gone (trimmed while pending) are skipped.
    """
    if not reply:
        return []
    if not isinstance(reply, list):
        raise TypeError(f"unexpected stream reply {type(reply).__name__}: clients must speak RESP2")
    events: list[Event] = []
    for _stream, entries in reply:
        events.extend(_decode(entry_id, raw) for entry_id, raw in entries if raw)
    return events


class EventReader:
    """One consumer in one consumer group of the event stream."""

    def __init__(self, redis: aioredis.Redis, prefix: str, group: str, consumer: str) -> None:
        self.redis = redis
        self.stream = Keys(prefix).events
        self.group = group
        self.consumer = consumer
        # Start by re-reading our own unacknowledged entries, then switch to new ones.
        self._backlog = True

    async def ensure_group(self, start: str = "$") -> None:
        """Create the group if missing. ``$``: from now on; ``0``: everything still in the stream."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id=start, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, count: int = 100, block_ms: int = 1000) -> list[Event]:
        if self._backlog:
            pending = await self._read("0", count, None)
            if pending:
                return pending
            self._backlog = False
        return await self._read(">", count, block_ms)

    async def _read(self, start: str, count: int, block_ms: int | None) -> list[Event]:
        return _stream_events(await self.redis.xreadgroup(self.group, self.consumer, {self.stream: start},
                                                          count=count, block=block_ms))

    async def ack(self, *ids: str) -> None:
        if ids:
            await self.redis.xack(self.stream, self.group, *ids)

    async def claim_abandoned(self, min_idle_ms: int, count: int = 100) -> list[Event]:
        """Take over entries another consumer of this group read but never acknowledged."""
        reply = await self.redis.xautoclaim(self.stream, self.group, self.consumer, min_idle_time=min_idle_ms,
                                            start_id="0", count=count)
        return [_decode(entry_id, raw) for entry_id, raw in reply[1] if raw]


async def last_event_id(redis: aioredis.Redis, prefix: str) -> str:
    """The newest entry id, for a reader that only wants what comes next (no group)."""
    entries = await redis.xrevrange(Keys(prefix).events, count=1)
    if not entries:
        return "0-0"
    entry_id = entries[0][0]
    if entry_id is None:  # redis-py's StreamEntry allows it (XAUTOCLAIM of deleted entries); XREVRANGE never
        return "0-0"
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


async def follow(redis: aioredis.Redis, prefix: str, after: str, block_ms: int = 1000) -> list[Event]:
    """Entries after ``after`` (plain XREAD, no acknowledgement): for short-lived watchers like the CLI."""
    return _stream_events(await redis.xread({Keys(prefix).events: after}, block=block_ms, count=500))
