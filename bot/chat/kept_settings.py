"""The settings ``/info`` read from an image, kept for its "Generate with these settings" button.

A button's data holds at most 64 bytes (Telegram), far too little for a prompt, so ``/info`` keeps
the request it read under a random token in Redis, with the chat it was shown in, for as long as
results are kept (``queue.retention_seconds``); the button names the token. A press in another chat
(a custom client can send any data) or after expiry is refused like a press on a vanished job.
"""

from __future__ import annotations

import json
import secrets

from pydantic import ValidationError
from redis import asyncio as aioredis

from bot.keys import BotKeys
from novelai.request import GenerationRequest


class KeptSettings:
    def __init__(self, redis: aioredis.Redis, keys: BotKeys, retention_seconds: int) -> None:
        self.redis, self.keys, self.retention = redis, keys, retention_seconds

    async def keep(self, request: GenerationRequest, platform: str, chat_id: str) -> str:
        """A new token for ``request`` shown in this chat (alphanumeric: it goes into button data)."""
        token = secrets.token_hex(6)
        record = {"chat": f"{platform}:{chat_id}", "request": request.model_dump(mode="json", exclude_defaults=True)}
        await self.redis.set(self.keys.kept_settings(token), json.dumps(record), ex=self.retention)
        return token

    async def get(self, token: str, platform: str, chat_id: str) -> GenerationRequest | None:
        """The request kept under ``token`` if it was shown in this chat and is still kept."""
        raw = await self.redis.get(self.keys.kept_settings(token))
        if raw is None:
            return None
        try:
            record = json.loads(raw)
            if record.get("chat") != f"{platform}:{chat_id}":
                return None
            return GenerationRequest.model_validate(record["request"])
        except (ValueError, KeyError, TypeError, ValidationError):
            return None
