"""Named things people keep for their prompts (styles and wildcards): who owns them, how they are
named and how many there may be, and the bounded Redis hash each owner's set lives in.

Two owners hold names: a person (``user:<user_key>``), everywhere they write, and a group
(``group:<group>``), which its admins manage and its members use. When a person and their group
both have a name, **the person's own wins** (``lookup`` asks the person first): someone who saved
their own ``hair`` list meant it, and a group admin adding one later must not silently change what
that person's prompts make. ``/style list`` and ``/wildcard list`` show both sets, the group's
shadowed names marked.

Everything is bounded before Redis is asked to keep it: a name is 1-32 characters of ``a-z 0-9 _ -``
(``check_name``), an owner keeps at most ``MAX_PER_OWNER`` names (checked and written in one Lua
call, so two commands at once cannot pass 50 together), and each value's own bounds are its
module's (``wildcards``, ``styles``). A refusal is an ``OptionError`` with an ``en``/``zh`` text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as aioredis

from bot.chat.generate_options import OptionError, shorten

MAX_NAME_CHARS = 32
MAX_PER_OWNER = 50
# A name: a letter or digit first, then letters, digits, "-" and single "_" (a "__" would end a
# ``__name__`` wildcard early), never ending in "_". Every quantifier here reads each character one way.
NAME_PATTERN = r"[a-z0-9](?:[a-z0-9-]|_(?!_)){0,31}"
_NAME = re.compile(NAME_PATTERN)

OwnerKind = Literal["user", "group"]

# Write one name unless the owner already has MAX names and this is not one of them.
_PUT = """
-- KEYS: the owner's hash; ARGV: name, value, max names
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HLEN', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""


def check_name(typed: str) -> str:
    """The name as kept (lower case); ``OptionError`` for anything else, quoting it shortened."""
    name = typed.strip().lower()
    if len(name) > MAX_NAME_CHARS or not _NAME.fullmatch(name) or name.endswith("_"):
        raise OptionError("library.bad_name", name=shorten(typed.strip(), 40), limit=MAX_NAME_CHARS)
    return name


@dataclass(frozen=True)
class Owner:
    """Whose set a name is in: a person's or a group's."""

    kind: OwnerKind
    key: str  # the user key, or the group key

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class Found:
    """A name looked up for someone: its stored value and whose it is."""

    owner: Owner
    raw: str


class OwnedNames:
    """One kind of named thing (styles or wildcards) in one Redis hash per owner: name -> JSON."""

    def __init__(self, redis: aioredis.Redis, key: Callable[[str], str]) -> None:
        self._redis = redis
        self._key = key
        self._put = redis.register_script(_PUT)

    async def put(self, owner: Owner, name: str, raw: str) -> None:
        """Keep ``raw`` under ``name``; ``OptionError`` if the owner has ``MAX_PER_OWNER`` others."""
        if not await self._put(keys=[self._key(owner.id)], args=[name, raw, MAX_PER_OWNER]):
            raise OptionError("library.too_many", limit=MAX_PER_OWNER)

    async def get(self, owner: Owner, name: str) -> str | None:
        raw = await self._redis.hget(self._key(owner.id), name)
        return _text(raw) if raw is not None else None

    async def delete(self, owner: Owner, name: str) -> bool:
        return bool(await self._redis.hdel(self._key(owner.id), name))

    async def all(self, owner: Owner) -> dict[str, str]:
        raw = await self._redis.hgetall(self._key(owner.id))
        return {_text(name): _text(value) for name, value in sorted(raw.items())}

    async def names(self, owner: Owner) -> list[str]:
        """Only the names, sorted (autocomplete reads these, not every value)."""
        return sorted(_text(name) for name in await self._redis.hkeys(self._key(owner.id)))

    async def lookup(self, user_key: str, group: str | None, name: str) -> Found | None:
        """The person's own ``name``, else their group's (personal shadows group), else None."""
        owners = [Owner("user", user_key), *([Owner("group", group)] if group else [])]
        for owner in owners:
            raw = await self.get(owner, name)
            if raw is not None:
                return Found(owner, raw)
        return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
