"""Which chat message shows which job, kept in Redis so a restarted bot carries on.

The registry, not the event stream, is the delivery loop's source of truth: events only say
"look at job X" or "lane Y moved". After a restart the bot re-reads every live entry and brings
each message up to date, so nothing finished is left undelivered even if events were missed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

from bot.chat.ports import ChatRef
from bot.keys import BotKeys
from naibot.redisconn import text

# HSET the given field/value pairs only if the hash still exists.
_UPDATE_IF_PRESENT = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) end"


@dataclass
class StatusEntry:
    """``message_id`` is "" until the command's first answer has gone out (the entry is recorded
    before it): a restarted bot posts the status message of such an entry, replying to
    ``reply_to`` (the command's own message, where the platform has one) or, where there is none
    (a Discord interaction, whose token died with the bot), addressed to ``asker`` by name."""

    job_id: str
    chat: ChatRef
    message_id: str
    language: str
    account: str
    first_position: int | None = None
    reply_to: str | None = None
    delivered: bool = False
    message_gone: bool = False
    # The job ended and the chat has everything: nothing more to send, but buttons still work.
    retired: bool = False
    # Its command was not answered: the chat's queue board lists the job (and its Cancel button)
    # until it starts; then it gets its status message (``Delivery.refresh``).
    on_board: bool = False
    # Who sent the command (display name), for a first answer that cannot reply to it.
    asker: str = ""
    # The status message was posted by a restarted bot's delivery loop, not as the command's answer.
    late: bool = False
    # When the command recorded it (epoch seconds; 0: before this was kept): a young entry without a
    # message may be another bot process's command still answering (``Delivery.refresh``).
    registered_at: float = 0.0
    # Not stored: what this process last sent, so an unchanged text costs no call.
    last_text: str | None = field(default=None, compare=False)

    def to_hash(self) -> dict[str, str]:
        return {
            "chat_id": self.chat.chat_id, "group": "1" if self.chat.group else "0", "message_id": self.message_id,
            "language": self.language, "account": self.account,
            "first_position": "" if self.first_position is None else str(self.first_position),
            "delivered": "1" if self.delivered else "0", "message_gone": "1" if self.message_gone else "0",
            "retired": "1" if self.retired else "0", "reply_to": self.reply_to or "",
            "on_board": "1" if self.on_board else "0", "asker": self.asker,
            "late": "1" if self.late else "0", "registered_at": f"{self.registered_at:.3f}",
        }

    @classmethod
    def from_hash(cls, job_id: str, raw: dict[bytes | str, bytes | str]) -> StatusEntry:
        f = {text(k): text(v) for k, v in raw.items()}
        return cls(
            job_id=job_id, chat=ChatRef(f["chat_id"], f.get("group") == "1"), message_id=f["message_id"],
            language=f.get("language", "en"), account=f.get("account", ""),
            first_position=int(f["first_position"]) if f.get("first_position") else None,
            delivered=f.get("delivered") == "1", message_gone=f.get("message_gone") == "1",
            retired=f.get("retired") == "1", reply_to=f.get("reply_to") or None,
            on_board=f.get("on_board") == "1", asker=f.get("asker", ""),
            late=f.get("late") == "1", registered_at=float(f.get("registered_at") or 0),
        )


class StatusRegistry:
    """Entries under ``BotKeys.platform`` (``<prefix>:bot:<platform>:...``); an in-process copy
    saves Redis round trips."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys, platform: str, retention_seconds: int) -> None:
        self.redis = redis
        self.keys = keys
        self.platform = platform
        self.retention = retention_seconds
        self._memory: dict[str, StatusEntry] = {}

    def _key(self, job_id: str) -> str:
        return self.keys.status(self.platform, job_id)

    @property
    def _live(self) -> str:
        return self.keys.status_live(self.platform)

    def _lane(self, account: str) -> str:
        return self.keys.status_lane(self.platform, account)

    def _chat(self, chat: ChatRef) -> str:
        return self.keys.status_chat(self.platform, chat.chat_id)

    async def register(self, entry: StatusEntry) -> None:
        entry.registered_at = entry.registered_at or time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            # redis-py wants a Mapping keyed by any encodable (Mapping keys are invariant, so not dict[str, str]).
            mapping: dict[FieldT, EncodableT] = dict(entry.to_hash().items())
            pipe.hset(self._key(entry.job_id), mapping=mapping)
            pipe.expire(self._key(entry.job_id), self.retention)
            pipe.sadd(self._live, entry.job_id)
            pipe.sadd(self._lane(entry.account), entry.job_id)
            if entry.chat.group:
                pipe.sadd(self._chat(entry.chat), entry.job_id)
            await pipe.execute()
        self._memory[entry.job_id] = entry

    async def get(self, job_id: str) -> StatusEntry | None:
        entry = self._memory.get(job_id)
        if entry is None:
            raw = await self.redis.hgetall(self._key(job_id))
            if not raw:
                return None
            entry = self._memory[job_id] = StatusEntry.from_hash(job_id, raw)
        return entry

    async def reload(self, job_id: str) -> StatusEntry | None:
        """The entry as stored, not this process's copy (another bot process of the platform may
        have answered the command or delivered the results since)."""
        self._memory.pop(job_id, None)
        return await self.get(job_id)

    async def update(self, entry: StatusEntry, **fields: object) -> None:
        """Write only the fields changed, and only while the record exists.

        Writing the whole entry would let a holder of an older copy put back what another task
        changed meanwhile (a chat given up, ``retired``, un-retired by a late ``first_position``:
        its status message would then be retried on every event), and would re-create a record
        that was just forgotten.
        """
        for name, value in fields.items():
            setattr(entry, name, value)
        encoded = entry.to_hash()
        changed = [item for name in fields for item in (name, encoded[name])]
        await self.redis.eval(_UPDATE_IF_PRESENT, 1, self._key(entry.job_id), *changed)

    async def claim_delivery(self, job_id: str, seconds: float) -> bool:
        """Whether this process is the one to upload the job's results: no process of the platform
        is uploading them (a claim that lapses after ``seconds``, so one that dies mid-upload leaves
        the job to the next) and none has delivered them (the stored flag: this process's copy may
        be older than another process's upload)."""
        claimed = await self.redis.set(self.keys.status_delivering(self.platform, job_id), "1", nx=True,
                                       px=max(1, int(seconds * 1000)))
        if not claimed:
            return False
        if text(await self.redis.hget(self._key(job_id), "delivered") or b"") == "1":
            if (entry := self._memory.get(job_id)) is not None:
                entry.delivered = True
            return False
        return True

    async def release_delivery(self, job_id: str) -> None:
        """The upload failed: another attempt (of any process) may claim it at once."""
        await self.redis.delete(self.keys.status_delivering(self.platform, job_id))

    async def retire(self, entry: StatusEntry) -> None:
        """The job has ended and its chat has everything: stop refreshing it (buttons keep working)."""
        entry.retired = True
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(entry.job_id), "retired", "1")
            pipe.srem(self._live, entry.job_id)
            pipe.srem(self._lane(entry.account), entry.job_id)
            pipe.srem(self._chat(entry.chat), entry.job_id)
            await pipe.execute()
        self._memory.pop(entry.job_id, None)

    async def forget(self, job_id: str) -> None:
        entry = await self.get(job_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(job_id))
            pipe.srem(self._live, job_id)
            if entry is not None:
                pipe.srem(self._lane(entry.account), job_id)
                pipe.srem(self._chat(entry.chat), job_id)
            await pipe.execute()
        self._memory.pop(job_id, None)

    async def live(self) -> list[str]:
        return sorted(text(m) for m in await self.redis.smembers(self._live))

    async def in_lane(self, account: str) -> list[str]:
        return sorted(text(m) for m in await self.redis.smembers(self._lane(account)))

    async def in_chat(self, chat: ChatRef) -> list[str]:
        """The live entries of one group chat (private chats are not tracked: no board there)."""
        return sorted(text(m) for m in await self.redis.smembers(self._chat(chat)))

    async def forget_chat(self, chat_id: str) -> list[str]:
        """A chat that blocked or removed the bot: stop trying to reach it."""
        gone = []
        for job_id in await self.live():
            entry = await self.get(job_id)
            if entry is not None and entry.chat.chat_id == chat_id:
                await self.retire(entry)
                gone.append(job_id)
        return gone
