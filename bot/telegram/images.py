"""The pictures a Telegram command came with, as ``ChatImage``s the command layer fetches if it needs them.

Where they come from, in order: the message it replies to, then the message itself (a photo, or an
image sent as a file) or, for an album (``bot.telegram.albums``), its messages in the order sent. A photo is the
largest of its ``PhotoSize``s; Telegram re-encodes photos as JPEG, so a photo is ``compressed`` (no
NovelAI metadata) while a file keeps its bytes. A reply to one of this bot's results names that
result (``ResultMessages``), so the stored original is used and nothing is downloaded.

A download is bounded before it starts (the size Telegram declares against the limit), while it
runs (the bytes received), and in time (``DOWNLOAD_SECONDS``); the Bot API's own refusal of large
files ("file is too big", over 20 MB) reads as too big too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, Message
from telegram.error import BadRequest, TelegramError

from bot.chat.ports import ChatImage, ChatImageError, ImageFetch

# How long one picture may take to download, seconds: 10 MB at a slow 2 Mbit/s is 40 s.
DOWNLOAD_SECONDS = 45.0

# (chat id, message id) -> (job id, image index) of one of our results, or None.
ResultLookup = Callable[[str, str], Awaitable[tuple[str, int] | None]]


def _fetcher(bot: Bot, file_id: str, declared: int | None) -> ImageFetch:
    async def fetch(limit: int) -> bytes:
        if declared is not None and declared > limit:
            raise ChatImageError("too_big", f"{declared} bytes declared")
        try:
            async with asyncio.timeout(DOWNLOAD_SECONDS):
                file = await bot.get_file(file_id)
                if file.file_size is not None and file.file_size > limit:
                    raise ChatImageError("too_big", f"{file.file_size} bytes")
                data = bytes(await file.download_as_bytearray())
        except TimeoutError:
            raise ChatImageError("unavailable", "download timed out") from None
        except BadRequest as exc:
            reason = "too_big" if "too big" in str(exc).lower() else "unavailable"
            raise ChatImageError(reason, type(exc).__name__) from None
        except TelegramError as exc:
            raise ChatImageError("unavailable", type(exc).__name__) from None
        if len(data) > limit:
            raise ChatImageError("too_big", f"{len(data)} bytes")
        return data
    return fetch


def message_images(bot: Bot, message: Message) -> list[ChatImage]:
    """The picture a message carries itself (none, or one: a photo or an image file)."""
    if message.photo:
        largest = message.photo[-1]
        return [ChatImage(name=f"photo {message.message_id}", fetch=_fetcher(bot, largest.file_id, largest.file_size),
                          size=largest.file_size, compressed=True)]
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        name = document.file_name or f"file {message.message_id}"
        return [ChatImage(name=name, fetch=_fetcher(bot, document.file_id, document.file_size),
                          size=document.file_size)]
    return []


async def command_images(bot: Bot, message: Message, album: Sequence[Message], results: ResultLookup
                         ) -> tuple[ChatImage, ...]:
    """Every picture a command message came with: the replied message's first (the picture acted on),
    then its own, or its album's in message order (``album`` holds the captioned message too). So
    ``/inpaint`` sent as a mask in reply to a picture paints over that picture, and an album is the
    picture then the mask whichever of them carries the caption."""
    images: list[ChatImage] = []
    replied = message.reply_to_message
    if replied is not None:
        own = await results(str(message.chat_id), str(replied.message_id)) if _from_bot(bot, replied) else None
        if own is not None:
            job_id, index = own
            images.append(ChatImage(name=f"{job_id}:{index}", fetch=_unused, job_id=job_id, index=index))
        else:
            images += message_images(bot, replied)
    for item in album or [message]:  # an album in message order, whichever item has the caption
        images += message_images(bot, item)
    return tuple(images)


def _from_bot(bot: Bot, message: Message) -> bool:
    return message.from_user is not None and message.from_user.id == bot.id


async def _unused(limit: int) -> bytes:
    """A result of ours is read from storage; its fetch is never called."""
    raise ChatImageError("unavailable", "a stored result is not downloaded")
