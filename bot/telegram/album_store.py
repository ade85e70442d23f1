"""The Redis side of album gathering (``bot.telegram.albums``): the album's hash and the two Lua
scripts every Telegram bot process runs on it, so appending an item and taking a whole album are each
one atomic step on Redis' clock, whichever process does them.

Apart from the buffer because it is the protocol between processes (fields, scripts, bounds), which
the buffer only drives: when to add, who takes, what happens while Redis does not answer.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, NamedTuple

import redis.asyncio as aioredis
from telegram import Bot, Message

from bot.keys import BotKeys
from naibot.redisconn import text

log = logging.getLogger(__name__)

# Telegram's own limit on the items of a media group.
MAX_ITEMS = 10
# One item as JSON (``Message.to_dict``): a caption is at most 1,024 characters, the message it replies
# to up to 4,096 more, with their entities. Past this the replied-to message's text goes first, then
# the item itself (it is not gathered, and a warning says so).
MAX_ITEM_BYTES = 32 * 1024
# Fields of the replied-to message left out, in this order, when an item is too big to gather.
_TRIMMABLE = (("reply_to_message", "text"), ("reply_to_message", "entities"), ("reply_to_message", "caption"),
              ("reply_to_message", "caption_entities"), ("quote",), ("external_reply",), ("reply_to_message",))

# Adds one item to an album's hash on Redis' clock (every process reads the same one).
# KEYS[1]: the album's hash. ARGV: item field (``m:<message id>``), item JSON, max items, TTL in ms,
# owner (the adding buffer), a fresh album id (kept only when this item creates the album).
# Fields: ``first``/``last`` (ms, Redis time of the first and latest item), ``owner`` (the collector),
# ``id`` (this album, not a later one of the same media group), ``n`` (items kept), ``m:<id>`` (items).
# An item already there (Telegram sent the update again) or past max items is not kept, but still
# counts as activity. Returns {owner, album id, ms since the first item}.
_ADD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local first = tonumber(redis.call('HGET', KEYS[1], 'first'))
if not first then
  first = now
  redis.call('HSET', KEYS[1], 'first', string.format('%.0f', now), 'owner', ARGV[5], 'id', ARGV[6], 'n', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0
    and tonumber(redis.call('HGET', KEYS[1], 'n') or '0') < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'n', 1)
end
redis.call('HSET', KEYS[1], 'last', string.format('%.0f', now))
return {redis.call('HGET', KEYS[1], 'owner'), redis.call('HGET', KEYS[1], 'id'), now - first}
"""

# Takes a whole album (reads every item and deletes the hash) once it is due, on Redis' clock.
# KEYS[1]: the album's hash. ARGV: the album id expected, the quiet spell in ms (due once the last item
# is this old), ms after the first item it is due anyway.
# Returns {0} (gone: taken, expired, or a later album of the same media group), {1, ms until due}, or
# {2, item JSON, ...}.
_TAKE = """
local album = redis.call('HMGET', KEYS[1], 'id', 'first', 'last')
if album[1] ~= ARGV[1] then return {0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local first = tonumber(album[2])
local last = tonumber(album[3]) or first
local due = math.min(last + tonumber(ARGV[2]), first + tonumber(ARGV[3]))
if now < due then return {1, due - now} end
local taken = {2}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 2) == 'm:' then taken[#taken + 1] = fields[i + 1] end
end
redis.call('DEL', KEYS[1])
return taken
"""


class Added(NamedTuple):
    """Where an item went: the album's id, whether this buffer collects it, and its age in seconds."""

    album_id: str
    collector: bool
    age: float


class Taken(NamedTuple):
    """A take: the album's items (None: not taken), else how long until it is due (0: it is gone)."""

    messages: list[Message] | None
    wait: float = 0.0


def item_json(message: Message) -> str | None:
    """An item as compact JSON within ``MAX_ITEM_BYTES``, trimming what a command can do without (the
    replied-to message's text before the message itself); None when it cannot fit."""
    data = message.to_dict()
    for path in (None, *_TRIMMABLE):
        if path is not None:
            holder: Any = data
            for name in path[:-1]:
                holder = holder.get(name) if isinstance(holder, dict) else None
            if isinstance(holder, dict):
                holder.pop(path[-1], None)
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(encoded.encode()) <= MAX_ITEM_BYTES:
            return encoded
    return None


class AlbumStore:
    """The albums being gathered in Redis, shared by every bot process of the deployment (the key
    carries the deployment's prefix). ``bot`` is the one the rebuilt messages are bound to."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys, bot: Bot | None = None) -> None:
        self._keys = keys
        self._bot = bot
        self._add = redis.register_script(_ADD)
        self._take = redis.register_script(_TAKE)
        # Who this store's buffer is, as an album's owner in Redis.
        self.owner = uuid.uuid4().hex

    async def add(self, message: Message, ttl: float) -> Added | None:
        """Append an item to its album (creating it, with this buffer as its collector, if it is the
        first); None when the item is too big to gather."""
        assert message.media_group_id is not None
        encoded = item_json(message)
        if encoded is None:
            return None
        key = self._keys.telegram_album(str(message.chat_id), message.media_group_id)
        owner, album_id, age = await self._add(
            keys=[key], args=[f"m:{message.message_id}", encoded, MAX_ITEMS, int(ttl * 1000), self.owner,
                              uuid.uuid4().hex])
        return Added(text(album_id), text(owner) == self.owner, int(age) / 1000)

    async def take(self, chat_id: int, group: str, album_id: str, *, quiet: float, due: float) -> Taken:
        """Take the whole album if it has been quiet ``quiet`` seconds or exists ``due`` seconds (read
        and deleted in one script: one process gets it, once)."""
        key = self._keys.telegram_album(str(chat_id), group)
        reply = await self._take(keys=[key], args=[album_id, int(quiet * 1000), int(due * 1000)])
        status = int(reply[0])
        if status == 0:
            return Taken(None)
        if status == 1:
            return Taken(None, max(int(reply[1]), 1) / 1000)
        messages = []
        for raw in reply[1:]:
            try:
                messages.append(Message.de_json(json.loads(text(raw)), self._bot))
            except Exception:  # written by us; should one not read back, the others still count
                log.exception("an album item in Redis did not read back as a message")
        return Taken(messages)
