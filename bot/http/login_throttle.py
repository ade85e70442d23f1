"""Failed status-page logins: counted per client address, per key tried and overall, in Redis.

Before, nothing slowed guessing: 300 wrong keys in 10 s, then the right one, all answered. Now each
failed login (an unknown key, or a key that is not an admin's) counts against three scopes at once:

* ``addr:<client address>``: after ``PER_ADDRESS`` failures, that address is locked out;
* ``key:<digest of the key tried>``: after ``PER_KEY`` failures, logins with that key are refused
  from every address (a leaked non-admin key, or one key tried from many machines); only a
  truncated SHA-256 is stored, never the key;
* ``all``: after ``OVERALL`` failures from anywhere (a wrong guess names no real key, so a
  spread-out attack against the deployment's keys is only seen here), logins are locked out for
  everyone.

Each further failure doubles the lockout (``BASE_LOCK_SECONDS``, 2 s, 4 s, ... up to
``MAX_LOCK_SECONDS``). Failures are forgotten ``WINDOW_SECONDS`` after the last one; a successful
login clears its address's count. Counting and locking is one Lua script, so processes racing each
other cannot both slip under the limit. The address is the one uvicorn reports, which behind a
local reverse proxy is the ``X-Forwarded-For`` client (uvicorn trusts it from 127.0.0.1 only).

The overall lockout trades availability for safety: a flood of wrong keys also locks out the
real admin's *page* login for a while (Bearer requests keep working); ``OVERALL`` is set well above
what one address may try, so it takes a distributed attack to reach it.
"""

from __future__ import annotations

import hashlib
import logging
import math

import redis.asyncio as aioredis

from bot.keys import BotKeys

log = logging.getLogger(__name__)

PER_ADDRESS = 5
PER_KEY = 5
OVERALL = 100
BASE_LOCK_SECONDS = 1.0
MAX_LOCK_SECONDS = 900.0
WINDOW_SECONDS = 24 * 3600

# KEYS: failures and lock of each scope, in pairs. ARGV: window (s), base lock (ms), max lock (ms),
# then each scope's threshold. Returns the longest lock set now, in ms (0: none).
_FAIL = """
local longest = 0
for i = 1, #KEYS, 2 do
  local n = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
  local threshold = tonumber(ARGV[3 + (i + 1) / 2])
  if n >= threshold then
    local lock = math.min(tonumber(ARGV[2]) * 2 ^ (n - threshold), tonumber(ARGV[3]))
    lock = math.floor(lock)
    redis.call('SET', KEYS[i + 1], '1', 'PX', lock)
    if lock > longest then longest = lock end
  end
end
return longest
"""


class LoginThrottle:
    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = BotKeys(prefix)
        self._fail = redis.register_script(_FAIL)

    @staticmethod
    def _scopes(address: str, key: str | None) -> list[tuple[str, int]]:
        scopes = [(f"addr:{address}", PER_ADDRESS), ("all", OVERALL)]
        if key is not None:
            scopes.append((f"key:{hashlib.sha256(key.encode()).hexdigest()[:32]}", PER_KEY))
        return scopes

    async def locked_for(self, address: str, key: str | None = None) -> int:
        """Seconds until this address (and, once read, this key) may try again (0: it may now)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for scope, _ in self._scopes(address, key):
                pipe.pttl(self._keys.api_login_lock(scope))
            remaining = await pipe.execute()
        longest = max((int(ms) for ms in remaining if int(ms) > 0), default=0)
        return math.ceil(longest / 1000)

    async def failed(self, address: str, key: str) -> int:
        """Count a failed login; the lockout it started, in seconds (0: none)."""
        scopes = self._scopes(address, key)
        keys = [key for scope, _ in scopes
                for key in (self._keys.api_login_failures(scope), self._keys.api_login_lock(scope))]
        args = [WINDOW_SECONDS, int(BASE_LOCK_SECONDS * 1000), int(MAX_LOCK_SECONDS * 1000),
                *(threshold for _, threshold in scopes)]
        lock_ms = int(await self._fail(keys=keys, args=args))
        log.warning("failed status-page login from %s%s", address,
                    f"; logins locked for {lock_ms / 1000:g} s" if lock_ms else "")
        return math.ceil(lock_ms / 1000)

    async def succeeded(self, address: str) -> None:
        scope = f"addr:{address}"
        await self._redis.delete(self._keys.api_login_failures(scope), self._keys.api_login_lock(scope))
