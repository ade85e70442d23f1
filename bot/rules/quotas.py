"""Daily quotas and cooldowns, checked and charged in one Lua call.

A job may be counted against several limits at once (the member's images per day in the group,
the lender's images and Anlas per day, the member's cooldown). All are checked and charged
together in one script, so two commands racing for the last image of the day cannot both get
it, and a refused command charges nothing. A job that ends without images (canceled, failed) is
refunded once, by job id.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from bot.keys import BotKeys
from naibot.refusal import Refusal

# Counters live two days: long enough to cover the whole UTC day they count, then they go.
_COUNTER_TTL = 2 * 86400

_CHARGE = """
-- KEYS: counters..., cooldown key; ARGV: n, (amount, limit, name) x n, ttl, cooldown_ms
local n = tonumber(ARGV[1])
local cooldown_key = KEYS[n + 1]
local cooldown_ms = tonumber(ARGV[3 * n + 3])
if cooldown_ms > 0 then
  local left = redis.call('PTTL', cooldown_key)
  if left > 0 then return {'cooldown', left} end
end
for i = 1, n do
  local amount, limit = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if limit > 0 and used + amount > limit then return {'limit', ARGV[3 * i + 1], used, limit} end
end
local ttl = tonumber(ARGV[3 * n + 2])
for i = 1, n do
  redis.call('INCRBY', KEYS[i], tonumber(ARGV[3 * i - 1]))
  redis.call('EXPIRE', KEYS[i], ttl)
end
if cooldown_ms > 0 then redis.call('SET', cooldown_key, '1', 'PX', cooldown_ms) end
return {'ok'}
"""

_REFUND = """
-- KEYS: refunded marker, counters...; ARGV: ttl, amounts...
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
for i = 2, #KEYS do
  local left = redis.call('DECRBY', KEYS[i], tonumber(ARGV[i]))
  if left < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
end
return 1
"""


@dataclass(frozen=True)
class Limit:
    """One counter a job is charged against: ``amount`` more must stay within ``limit`` (0 = none)."""

    name: str  # what the user is told ran out: member_images | lender_images | lender_anlas
    key: str
    amount: int
    limit: int


class QuotaExceeded(Refusal):
    http_status = 429

    def __init__(self, name: str, used: int, limit: int) -> None:
        super().__init__(f"{name}: {used} of {limit} used", key=f"policy.quota.{name}", used=used, limit=limit)
        self.name, self.used, self.limit = name, used, limit


class CoolingDown(Refusal):
    key = "policy.cooldown"
    http_status = 429

    def __init__(self, seconds_left: float) -> None:
        super().__init__(f"cooling down for {seconds_left:.0f} s", seconds=max(1, round(seconds_left)))
        self.seconds_left = seconds_left


@dataclass(frozen=True)
class Charge:
    """What was charged for a job, kept with the job so it can be refunded."""

    counters: list[tuple[str, int]] = field(default_factory=list)
    cooldown_key: str | None = None

    def to_data(self) -> list[list[object]]:
        return [[key, amount] for key, amount in self.counters]


def utc_day(now: float | None = None) -> str:
    return time.strftime("%Y%m%d", time.gmtime(now if now is not None else time.time()))


class Quotas:
    def __init__(self, redis: aioredis.Redis, keys: BotKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._charge = redis.register_script(_CHARGE)
        self._refund = redis.register_script(_REFUND)

    def member_images_key(self, group: str, user_key: str, day: str | None = None) -> str:
        return self._keys.quota(group, user_key, day or utc_day())

    def lender_key(self, account: str, group: str, what: str, day: str | None = None) -> str:
        return self._keys.lending(account, group, what, day or utc_day())

    def cooldown_key(self, group: str, user_key: str) -> str:
        return self._keys.cooldown(group, user_key)

    async def used(self, key: str) -> int:
        return int(await self._redis.get(key) or 0)

    async def charge(self, limits: list[Limit], cooldown_key: str | None = None,
                     cooldown_seconds: float = 0) -> Charge:
        """Check every limit and the cooldown, then charge them all; raises QuotaExceeded or CoolingDown."""
        cooldown_ms = int(cooldown_seconds * 1000) if cooldown_key else 0
        if not limits and not cooldown_ms:
            return Charge()
        args: list[str | int] = [len(limits)]
        for limit in limits:
            args += [limit.amount, limit.limit, limit.name]
        args += [_COUNTER_TTL, cooldown_ms]
        keys = [limit.key for limit in limits] + [cooldown_key or self._keys.no_cooldown]
        result = await self._charge(keys=keys, args=args)
        status = _text(result[0])
        if status == "cooldown":
            raise CoolingDown(int(result[1]) / 1000)
        if status == "limit":
            raise QuotaExceeded(_text(result[1]), int(result[2]), int(result[3]))
        return Charge([(limit.key, limit.amount) for limit in limits], cooldown_key if cooldown_ms else None)

    async def refund(self, job_id: str, counters: list[tuple[str, int]], *, cooldown_key: str | None = None) -> bool:
        """Give back what a job was charged, at most once per job; False if already refunded."""
        marker = self._keys.refunded(job_id)
        refunded = bool(await self._refund(keys=[marker, *(key for key, _ in counters)],
                                           args=[_COUNTER_TTL, *(amount for _, amount in counters)]))
        if cooldown_key:
            await self._redis.delete(cooldown_key)
        return refunded


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
