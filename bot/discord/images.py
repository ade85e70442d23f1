"""The pictures a Discord interaction came with, as ``ChatImage``s the command layer fetches if it needs them.

Where they come from: a slash command's attachment options (``resolved.attachments``) and, for a
message context menu, the target message's attachments (``resolved.messages``). An attachment the
bot itself posted is one of its results when its filename is ``<job id>-<index>.png`` (how delivery
names results): it becomes ``ChatImage(job_id=..., index=...)``, read from storage, never downloaded.

A download is bounded before it starts (the size Discord declares against the limit), while it runs
(the bytes received, streamed), and in time (``DOWNLOAD_SECONDS``, ``asyncio.timeout``). One aiohttp
session serves every download of a bot (``Downloads``), closed when the bot stops.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord

from bot.chat.ports import ChatImage, ChatImageError, ImageFetch

# How long one attachment may take to download, seconds: 10 MB at a slow 2 Mbit/s is 40 s.
DOWNLOAD_SECONDS = 45.0
_CHUNK = 64 * 1024
# How delivery names a result's files (bot.chat.delivery: f"{job.id}-{i}.png").
RESULT_FILENAME = re.compile(r"^(?P<job>[a-z0-9]{6,32})-(?P<index>[0-9])\.png$")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")


@dataclass(frozen=True)
class GenerateFiles:
    """`/generate`'s picture options as Discord resolved them."""

    image: discord.Attachment | None = None
    mask: discord.Attachment | None = None
    vibes: tuple[discord.Attachment, ...] = ()
    reference: discord.Attachment | None = None
    strength: float | None = None
    noise: float | None = None

    @property
    def attached(self) -> bool:
        return bool(self.image or self.mask or self.vibes or self.reference)

    def settings(self) -> dict[str, Any]:
        return {name: value for name, value in (("strength", self.strength), ("noise", self.noise))
                if value is not None}


class Downloads:
    """The bot's attachment downloads: one lazily opened aiohttp session, each fetch bounded."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def fetcher(self, url: str, declared: int | None) -> ImageFetch:
        async def fetch(limit: int) -> bytes:
            if declared is not None and declared > limit:
                raise ChatImageError("too_big", f"{declared} bytes declared")
            try:
                async with asyncio.timeout(DOWNLOAD_SECONDS), self._client().get(url) as response:
                    if response.status != 200:
                        raise ChatImageError("unavailable", f"HTTP {response.status}")
                    if response.content_length is not None and response.content_length > limit:
                        raise ChatImageError("too_big", f"{response.content_length} bytes")
                    data = bytearray()
                    async for chunk in response.content.iter_chunked(_CHUNK):
                        data += chunk
                        if len(data) > limit:
                            raise ChatImageError("too_big", f"over {limit} bytes")
                    return bytes(data)
            except TimeoutError:
                raise ChatImageError("unavailable", "download timed out") from None
            except (aiohttp.ClientError, OSError) as exc:
                raise ChatImageError("unavailable", type(exc).__name__) from None
        return fetch

    def attachment(self, attachment: discord.Attachment, *, from_bot: bool = False) -> ChatImage:
        """One attachment as a ChatImage: a result of ours by its name when the bot posted it."""
        if from_bot and (found := RESULT_FILENAME.match(attachment.filename)):
            return ChatImage(name=attachment.filename, fetch=_unused, job_id=found["job"], index=int(found["index"]))
        return ChatImage(name=attachment.filename, fetch=self.fetcher(attachment.url, attachment.size),
                         size=attachment.size)

    def of_message(self, message: discord.Message, bot_user_id: int | None) -> tuple[ChatImage, ...]:
        """The pictures a message carries (a context menu's target), in order."""
        from_bot = bot_user_id is not None and message.author.id == bot_user_id
        return tuple(self.attachment(a, from_bot=from_bot) for a in pictures(message.attachments))


def pictures(attachments: Iterable[discord.Attachment]) -> list[discord.Attachment]:
    """The attachments that are pictures: by declared type, else by the file's suffix."""
    return [a for a in attachments
            if (a.content_type or "").startswith("image/") or a.filename.lower().endswith(_IMAGE_SUFFIXES)]


async def _unused(limit: int) -> bytes:
    """A result of ours is read from storage; its fetch is never called."""
    raise ChatImageError("unavailable", "a stored result is not downloaded")
