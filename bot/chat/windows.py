"""The sliding windows the pacer counts platform calls in: in this process (``SlidingLimit``) and in
Redis (``SharedWindows``, shared by every bot process of a platform and surviving restarts).

Apart from ``bot.chat.pacer`` because they are a concept of their own (what the platform counts),
with their own Lua script and outage handling; the pacer decides what to send and when.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.chat.ports import ChatRef
from bot.keys import BotKeys
from naibot.redisconn import text

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    calls: int
    seconds: float


class SlidingLimit:
    """At most ``calls`` per ``seconds`` for each window, over the recorded history."""

    def __init__(self, windows: list[Window]) -> None:
        self.windows = windows
        self.history: deque[list[float]] = deque()  # [time, weight]
        self.blocked_until = 0.0
        self._horizon = max((w.seconds for w in windows), default=0.0)

    def _trim(self, now: float) -> None:
        while self.history and self.history[0][0] <= now - self._horizon:
            self.history.popleft()

    def ready_at(self, now: float, weight: int) -> float:
        """The earliest time a call of this weight fits every window."""
        self._trim(now)
        ready = max(now, self.blocked_until)
        for window in self.windows:
            # Work heavier than a whole window (an album in a 1-per-second chat) needs the window
            # empty, not more room than it can ever have.
            need = min(weight, window.calls)
            used = 0.0
            # Walk back from the newest entry until the window would have room for ``need``.
            for stamp, w in reversed(self.history):
                if stamp <= now - window.seconds:
                    break
                used += w
                if w and used + need > window.calls:
                    ready = max(ready, stamp + window.seconds)
                    break
        return ready

    def record(self, now: float, weight: int) -> list[float]:
        entry = [now, float(weight)]
        self.history.append(entry)
        return entry


# Checks the windows of one chat and the overall ones, on Redis' clock (every process reads the
# same one), and records the call in all of them or says how long to wait.
# KEYS: the chat's calls (sorted set), the overall calls (sorted set), the chat's 429 block (string).
# ARGV: member token, weight, then for the chat and for the overall windows: how many windows,
# then ``calls seconds`` for each. A member is ``<token>:<weight>`` scored by the time of the call.
# Returns {"0", 0} (recorded) or {seconds to wait, 1 = the chat's windows or block, 2 = overall}.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local token, weight = ARGV[1], tonumber(ARGV[2])
local wait, scope = 0, 0
local blocked = redis.call('PTTL', KEYS[3])
if blocked > 0 then wait, scope = blocked / 1000, 1 end
local i = 3
local horizons = {}
for k = 1, 2 do
  local n = tonumber(ARGV[i])
  i = i + 1
  local horizon = 0
  for _ = 1, n do
    local calls, seconds = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    i = i + 2
    if seconds > horizon then horizon = seconds end
    -- Work heavier than a whole window needs the window empty, not more room than it can have.
    local need = math.min(weight, calls)
    local used = 0
    local recent = redis.call('ZREVRANGEBYSCORE', KEYS[k], '+inf', string.format('(%.6f', now - seconds), 'WITHSCORES')
    for j = 1, #recent, 2 do
      local w = tonumber(string.match(recent[j], ':(%d+)$')) or 1
      used = used + w
      if w > 0 and used + need > calls then
        local ready = tonumber(recent[j + 1]) + seconds - now
        if ready > wait then wait, scope = ready, k end
        break
      end
    end
  end
  horizons[k] = horizon
end
if wait > 0 then return {tostring(wait), scope} end
local member = token .. ':' .. weight
for k = 1, 2 do
  if horizons[k] > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', now - horizons[k])
    redis.call('ZADD', KEYS[k], now, member)
    redis.call('PEXPIRE', KEYS[k], math.ceil(horizons[k] * 1000) + 1000)
  end
end
return {'0', 0}
"""

# Work that made another number of calls than it reserved (0: it found nothing to send) is
# recorded with what it made. KEYS: the chat's and the overall calls; ARGV: token, reserved, made.
_SETTLE = """
local old = ARGV[1] .. ':' .. ARGV[2]
for k = 1, 2 do
  local score = redis.call('ZSCORE', KEYS[k], old)
  if score then
    redis.call('ZREM', KEYS[k], old)
    if tonumber(ARGV[3]) > 0 then redis.call('ZADD', KEYS[k], score, ARGV[1] .. ':' .. ARGV[3]) end
  end
end
return 0
"""

# A Redis call the pacer makes gives up after this long (a hung server must not hold an answer)...
SHARED_TIMEOUT = 1.0
# ...and after a failure the pacer paces alone for this long before it asks Redis again.
SHARED_RETRY = 5.0

SCOPE_CHAT, SCOPE_OVERALL = 1, 2


class SharedWindows:
    """The platform's windows in Redis, shared by every bot process of one platform and deployment.

    Every method answers even when Redis does not: a failure (or no answer within
    ``SHARED_TIMEOUT``) is logged once, and for ``SHARED_RETRY`` seconds the pacer is told to go on
    its own windows, without trying Redis on every send."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys, platform: str, *,
                 timeout: float = SHARED_TIMEOUT, retry: float = SHARED_RETRY) -> None:
        self.redis, self.keys, self.platform = redis, keys, platform
        self.timeout, self.retry = timeout, retry
        self._reserve = redis.register_script(_RESERVE)
        self._settle = redis.register_script(_SETTLE)
        self._token = uuid.uuid4().hex[:12]
        self._seq = itertools.count()
        self._down_until = 0.0
        self.down = False
        self.calls = 0  # Redis calls made (figures for tests and benchmarks)

    def new_token(self) -> str:
        return f"{self._token}.{next(self._seq)}"

    def _keys(self, chat: ChatRef) -> list[str]:
        return [self.keys.pace_chat(self.platform, chat.chat_id), self.keys.pace_overall(self.platform),
                self.keys.pace_block(self.platform, chat.chat_id)]

    async def _run(self, what: Callable[[], Awaitable[T]]) -> T | None:
        """``what()`` within the timeout, or None when Redis fails (then, for a while, without trying)."""
        if self._down_until and time.monotonic() < self._down_until:
            return None
        self.calls += 1
        try:
            async with asyncio.timeout(self.timeout):  # not wait_for, which can swallow a cancel on 3.11
                result = await what()
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + self.retry
            if not self.down:
                self.down = True
                log.warning("%s pacer: Redis unreachable (%s); pacing with this process's windows only",
                            self.platform, exc.__class__.__name__)
            return None
        if self.down:
            self.down = False
            log.info("%s pacer: Redis is back; the platform's windows are shared again", self.platform)
        self._down_until = 0.0
        return result

    async def reserve(self, chat: ChatRef, windows: list[Window], overall: list[Window], token: str,
                      weight: int) -> tuple[float, int] | None:
        """(0, 0) when the call is recorded in every window; (seconds to wait, which scope holds it
        back) when not; None when Redis did not answer (the caller goes on its own windows)."""
        args: list[str | int | float] = [token, weight]
        for group in (windows, overall):
            args.append(len(group))
            for window in group:
                args += [window.calls, window.seconds]
        reply = await self._run(lambda: self._reserve(keys=self._keys(chat), args=args))
        if reply is None:
            return None
        return float(text(reply[0])), int(reply[1])

    async def settle(self, chat: ChatRef, token: str, reserved: int, made: int) -> None:
        """Record that reserved work made ``made`` calls, not ``reserved``."""
        await self._run(lambda: self._settle(keys=self._keys(chat)[:2], args=[token, reserved, made]))

    async def block(self, chat: ChatRef, seconds: float) -> None:
        """The platform said "retry after": every process holds this chat for that long."""
        ms = max(1, math.ceil(seconds * 1000))
        await self._run(lambda: self.redis.set(self.keys.pace_block(self.platform, chat.chat_id), 1, px=ms))
