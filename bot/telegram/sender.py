"""``ChatSender`` for Telegram: one python-telegram-bot call per method, errors mapped to bot.chat.ports's.

Telegram cannot attach buttons to an album (``sendMediaGroup`` has no ``reply_markup``), so an
album's buttons live on the status message; a single picture carries them itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaDocument, InputMediaPhoto
from telegram import ReplyParameters as TgReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.chat.ports import Button, ChatRef, ChatUnavailable, MessageGone, NotModified, Picture, RateLimited

T = TypeVar("T")
# Telegram's caption limit; our captions are shorter, but a long prompt must never break a send.
CAPTION_LIMIT = 1024
ALBUM_LIMIT = 10


def keyboard(buttons: list[list[Button]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                 for row in buttons])


def _reply(message_id: str | None) -> TgReplyParameters | None:
    # Post anyway if the message we answer was deleted meanwhile.
    return TgReplyParameters(int(message_id), allow_sending_without_reply=True) if message_id else None


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _mapped(call: Awaitable[T]) -> T:
    try:
        return await call
    except RetryAfter as exc:
        with warnings.catch_warnings():
            # PTB warns that retry_after becomes a timedelta one day; _seconds reads either type.
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            retry_after = exc.retry_after
        raise RateLimited(_seconds(retry_after)) from exc
    except (Forbidden, ChatMigrated) as exc:
        raise ChatUnavailable(str(exc)) from exc
    except BadRequest as exc:
        text = str(exc).lower()
        if "not modified" in text:
            raise NotModified(str(exc)) from exc
        if "not found" in text or "can't be edited" in text:
            raise MessageGone(str(exc)) from exc
        if "chat not found" in text:
            raise ChatUnavailable(str(exc)) from exc
        raise


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(self, chat: ChatRef, text: str, buttons: list[list[Button]] | None = None,
                        reply_to: str | None = None) -> str:
        message = await _mapped(self.bot.send_message(int(chat.chat_id), text, reply_markup=keyboard(buttons),
                                                      reply_parameters=_reply(reply_to)))
        return str(message.message_id)

    async def edit_text(self, chat: ChatRef, message_id: str, text: str,
                        buttons: list[list[Button]] | None = None) -> int:
        await _mapped(self.bot.edit_message_text(text, chat_id=int(chat.chat_id), message_id=int(message_id),
                                                 reply_markup=keyboard(buttons)))
        return 1

    async def send_private(self, user_id: str, text: str) -> str:
        # A private chat's id is the user's id; Telegram refuses (403) until they started the bot.
        message = await _mapped(self.bot.send_message(int(user_id), text))
        return str(message.message_id)

    @property
    def has_forms(self) -> bool:
        return False

    def pictures_cost(self, count: int) -> int:
        return count

    async def send_pictures(self, chat: ChatRef, pictures: list[Picture], buttons: list[list[Button]] | None = None,
                            reply_to: str | None = None, summary: str | None = None) -> list[str]:
        if len(pictures) == 1:
            (picture,) = pictures
            sent = await _mapped(self.bot.send_photo(int(chat.chat_id), picture.png,
                                                     caption=picture.caption[:CAPTION_LIMIT],
                                                     filename=picture.filename, reply_markup=keyboard(buttons),
                                                     reply_parameters=_reply(reply_to)))
            return [str(sent.message_id)]
        ids: list[str] = []
        for start in range(0, len(pictures), ALBUM_LIMIT):
            media = [InputMediaPhoto(p.png, caption=p.caption[:CAPTION_LIMIT], filename=p.filename)
                     for p in pictures[start : start + ALBUM_LIMIT]]
            album = await _mapped(self.bot.send_media_group(int(chat.chat_id), media,
                                                            reply_parameters=_reply(reply_to)))
            ids += [str(message.message_id) for message in album]
        return ids

    async def send_files(self, chat: ChatRef, pictures: list[Picture], reply_to: str | None = None) -> None:
        if len(pictures) == 1:
            (picture,) = pictures
            await _mapped(self.bot.send_document(int(chat.chat_id), picture.png, filename=picture.filename,
                                                 caption=picture.caption[:CAPTION_LIMIT],
                                                 reply_parameters=_reply(reply_to)))
            return
        for start in range(0, len(pictures), ALBUM_LIMIT):
            media = [InputMediaDocument(p.png, filename=p.filename, caption=p.caption[:CAPTION_LIMIT])
                     for p in pictures[start : start + ALBUM_LIMIT]]
            await _mapped(self.bot.send_media_group(int(chat.chat_id), media, reply_parameters=_reply(reply_to)))
