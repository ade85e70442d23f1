"""How often credentials may be checked with NovelAI: a few tries per person and per chat.

Without a limit, chat ``/login`` is an oracle for credential stuffing: anyone can have the bot test
leaked email/password pairs against NovelAI from the deployment's address (which NovelAI may then
block), each try costing an Argon2id derivation. So every check with NovelAI first takes an
attempt from two windows, the person's and the chat's (a Discord channel where several people
open the login form; on Telegram logins happen in the private chat, the same as the person). A
rejected try keeps its attempt; a saved login, or one NovelAI could not be asked about, gives it
back, so only rejections use the allowance up.

Taking is one Lua call over both counters: parallel tries cannot both take the last attempt (each
would have passed a "check, then count" done in two steps).
"""

from __future__ import annotations

import math

import redis.asyncio as aioredis

from bot.keys import BotKeys

# Rejected tries allowed in a window: per person, and per chat (several people may log in there).
PER_PERSON = 5
PER_CHAT = 10
WINDOW_SECONDS = 600

_TAKE = """
-- KEYS: person, chat; ARGV: person limit, chat limit, window ms.
-- Returns 0 after counting the attempt in both windows, or the ms until the full one ends.
local wait = 0
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    local left = redis.call('PTTL', KEYS[i])
    if left < 0 then
      left = tonumber(ARGV[3])
      redis.call('PEXPIRE', KEYS[i], left)
    end
    if left > wait then wait = left end
  end
end
if wait > 0 then return wait end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return 0
"""

_GIVE_BACK = """
-- KEYS: person, chat. Never below zero, never a counter without its expiry.
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
"""


class LoginAttempts:
    """The two windows of login attempts (``BotKeys.login_attempts_person`` / ``_chat``)."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys, *, per_person: int = PER_PERSON,
                 per_chat: int = PER_CHAT, window_seconds: float = WINDOW_SECONDS) -> None:
        self._keys = keys
        self._limits = (per_person, per_chat)
        self._window_ms = int(window_seconds * 1000)
        self._take = redis.register_script(_TAKE)
        self._give_back = redis.register_script(_GIVE_BACK)

    def _pair(self, user_key: str, chat: str) -> list[str]:
        return [self._keys.login_attempts_person(user_key), self._keys.login_attempts_chat(chat)]

    async def take(self, user_key: str, chat: str) -> float:
        """Count one attempt for the person and the chat (``<platform>:<chat id>``); returns 0 if
        it may go ahead, else the seconds until it may (nothing counted then)."""
        wait_ms = int(await self._take(keys=self._pair(user_key, chat), args=[*self._limits, self._window_ms]))
        return 0.0 if wait_ms <= 0 else math.ceil(wait_ms / 1000)

    async def give_back(self, user_key: str, chat: str) -> None:
        """The attempt did not test a password (saved, or NovelAI unreachable): it does not count."""
        await self._give_back(keys=self._pair(user_key, chat), args=[])
