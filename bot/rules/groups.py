"""A group's rules: its shared NovelAI account, members' quotas, priorities, pause, kept in Redis.

A group is a Telegram group/supergroup or a Discord guild, keyed ``<platform>:<id>``. Its rules
are one JSON document per group, changed only by its admins through ``/group``; a change reads,
modifies and writes under WATCH, so two admins typing at once never lose each other's edit.
"""

from __future__ import annotations

import time
from typing import Literal

import redis.asyncio as aioredis
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import WatchError

from bot.keys import BotKeys
from tasks.job import MAX_PRIORITY

# How many times a read-modify-write is retried when another admin changed the group meanwhile.
_WATCH_RETRIES = 20


class Lending(BaseModel):
    """A member's personal account lent to the group, within the caps its owner set."""

    model_config = ConfigDict(frozen=True)

    lender: str  # user key of the owner ("telegram:123")
    lender_name: str
    images_per_day: int = Field(0, ge=0)  # 0 = no limit on images
    anlas_per_day: int = Field(0, ge=0)  # 0 = free generations only
    until: float | None = None  # Unix time the loan ends; None = until unbound

    def expired(self, now: float | None = None) -> bool:
        return self.until is not None and (now or time.time()) >= self.until


class SharedAccount(BaseModel):
    """The group's shared account: one bound for the group, or one lent by a member."""

    model_config = ConfigDict(frozen=True)

    account: str  # name in the account store
    kind: Literal["bound", "lent"]
    owner_name: str  # who bound or lent it, for "paid by"
    lending: Lending | None = None


class Quota(BaseModel):
    """What one member may do in this group; 0 = no limit."""

    model_config = ConfigDict(frozen=True)

    images_per_day: int = Field(0, ge=0)
    max_waiting: int = Field(0, ge=0)
    cooldown_seconds: int = Field(0, ge=0)


class GroupConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    shared: SharedAccount | None = None
    # Use the shared account even for members who have their own.
    prefer_shared: bool = False
    # Whether the deployment's default account serves members without an account; None = settings.
    allow_default: bool | None = None
    # Discord: the shared account applies only in these channels (empty = every channel).
    channels: tuple[str, ...] = ()
    paused: bool = False
    quota: Quota = Quota()
    # Priority of members' jobs, and the most members / group admins may ask for; None = settings.
    member_priority: int | None = Field(None, ge=0, le=MAX_PRIORITY)
    member_max_priority: int | None = Field(None, ge=0, le=MAX_PRIORITY)
    admin_max_priority: int | None = Field(None, ge=0, le=MAX_PRIORITY)

    def shared_applies(self, channel_id: str | None) -> bool:
        if self.shared is None:
            return False
        if self.shared.lending is not None and self.shared.lending.expired():
            return False
        return not self.channels or channel_id in self.channels


def group_key(platform: str, group_id: str) -> str:
    return f"{platform}:{group_id}"


class GroupStore:
    def __init__(self, redis: aioredis.Redis, keys: BotKeys) -> None:
        self._redis = redis
        self._keys = keys

    def key(self, group: str) -> str:
        return self._keys.group(group)

    def _lent_index(self, account: str) -> str:
        # Which groups an account is lent or bound to, so /logout can unbind it everywhere.
        return self._keys.account_groups(account)

    async def get(self, group: str) -> GroupConfig:
        raw = await self._redis.get(self.key(group))
        return GroupConfig.model_validate_json(raw) if raw else GroupConfig()

    async def update(self, group: str, change: dict[str, object]) -> GroupConfig:
        """Apply ``change`` (field -> new value) atomically against concurrent edits."""
        key = self.key(group)
        for _ in range(_WATCH_RETRIES):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    current = GroupConfig.model_validate_json(raw) if raw else GroupConfig()
                    updated = GroupConfig.model_validate({**current.model_dump(), **change})
                    pipe.multi()
                    pipe.set(key, updated.model_dump_json())
                    old, new = current.shared, updated.shared
                    if old is not None and (new is None or new.account != old.account):
                        pipe.srem(self._lent_index(old.account), group)
                    if new is not None:
                        pipe.sadd(self._lent_index(new.account), group)
                    await pipe.execute()
                    return updated
                except WatchError:
                    continue
        raise RuntimeError(f"group {group} is being changed too often; try again")

    async def groups_using(self, account: str) -> list[str]:
        members = await self._redis.smembers(self._lent_index(account))
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)

    async def unbind_everywhere(self, account: str) -> list[str]:
        """Remove ``account`` from every group that shares it (its owner logged out)."""
        groups = await self.groups_using(account)
        for group in groups:
            config = await self.get(group)
            if config.shared is not None and config.shared.account == account:
                await self.update(group, {"shared": None})
        await self._redis.delete(self._lent_index(account))
        return groups
