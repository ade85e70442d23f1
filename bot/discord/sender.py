"""``ChatSender`` for Discord, over discord.py's REST client, with errors mapped to bot.chat.ports's.

A status message usually starts as an interaction response. While the interaction's token lives
(15 minutes) it is edited through the interaction webhook, which works even where the bot may
not post; after that, through the channel with the bot token, so a job that waited an hour still
lands where it was asked. Results are always posted as channel messages (several attachments in
one message, the caption in an embed).
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import discord
import redis.asyncio as aioredis

from bot.chat.ports import (
    ACTION_CANCEL,
    Button,
    ChatRef,
    ChatUnavailable,
    MessageGone,
    NotModified,
    Picture,
    RateLimited,
)
from bot.keys import BotKeys
from naibot.redisconn import text

T = TypeVar("T")
# Discord keeps interaction tokens 15 minutes; stop using one a minute early.
INTERACTION_TOKEN_SECONDS = 14 * 60
MAX_ATTACHMENTS = 10
EMBED_LIMIT = 4096
CONTENT_LIMIT = 2000
# Discord error codes that mean "this message is gone" and "we cannot reach this channel".
_MESSAGE_GONE = {10008}
_CHANNEL_GONE = {10003, 50001, 50007, 50013}
JOB_BUTTON_TEMPLATE = (r"(?P<action>cancel|again|png|var|enh|up|meta|edit):(?P<job>[a-z0-9]{6,32})"
                       r"(?::(?P<index>[0-9]))?")


class InteractionTokens:
    """Which interaction token can still edit which message (Redis, expiring with the token)."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys) -> None:
        self.redis = redis
        self.keys = keys

    def _key(self, message_id: str) -> str:
        return self.keys.interaction_token(message_id)

    async def remember(self, message_id: str, application_id: int, token: str) -> None:
        await self.redis.set(self._key(message_id), f"{application_id}:{token}", ex=INTERACTION_TOKEN_SECONDS)

    async def get(self, message_id: str) -> tuple[int, str] | None:
        value = await self.redis.get(self._key(message_id))
        if value is None:
            return None
        application_id, _, token = text(value).partition(":")
        return int(application_id), token

    async def forget(self, message_id: str) -> None:
        await self.redis.delete(self._key(message_id))


def job_view(buttons: list[list[Button]] | None) -> discord.ui.View | None:
    """Buttons as a persistent view: custom ids carry the job, so they work after restarts."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for row, line in enumerate(buttons):
        for button in line:
            style = discord.ButtonStyle.danger if button.action == ACTION_CANCEL else discord.ButtonStyle.secondary
            view.add_item(discord.ui.Button(label=button.label, custom_id=button.data, style=style, row=row))
    return view


def _code(exc: discord.HTTPException) -> int:
    return int(getattr(exc, "code", 0) or 0)


async def mapped(call: Awaitable[T]) -> T:
    try:
        return await call
    except discord.RateLimited as exc:  # only when discord.py gives up waiting itself
        raise RateLimited(exc.retry_after) from exc
    except discord.NotFound as exc:
        if _code(exc) in _MESSAGE_GONE:
            raise MessageGone(str(exc)) from exc
        raise ChatUnavailable(str(exc)) from exc
    except discord.Forbidden as exc:
        raise ChatUnavailable(str(exc)) from exc
    except discord.HTTPException as exc:
        if exc.status == 429:  # discord.py normally waits these out itself; back off a little
            raise RateLimited(1.0) from exc
        if "not modified" in str(exc).lower():
            raise NotModified(str(exc)) from exc
        raise


class RateLimitTrace:
    """Notices every 429 Discord answers, through an aiohttp trace on discord.py's session.

    discord.py waits most 429s out by itself, so they never reach our code as exceptions; counting
    them on the wire is the only way to see how often the bot hits Discord's limits.
    """

    def __init__(self) -> None:
        self.config = aiohttp.TraceConfig()
        self.config.on_request_end.append(self._ended)
        self.on_rate_limited: Callable[[], None] | None = None

    async def _ended(self, session: aiohttp.ClientSession, context: object,
                     params: aiohttp.TraceRequestEndParams) -> None:
        if params.response.status == 429 and self.on_rate_limited is not None:
            self.on_rate_limited()


class DiscordSender:
    # Its 429s are counted on the wire (RateLimitTrace), not by the pacer: see bot.chat.runtime.
    counts_rate_limits = True

    def __init__(self, client: discord.Client, tokens: InteractionTokens) -> None:
        self.client = client
        self.tokens = tokens

    def _channel(self, chat: ChatRef) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(chat.chat_id))

    def _extras(self, chat: ChatRef, buttons: list[list[Button]] | None, reply_to: str | None) -> dict[str, Any]:
        """Buttons and the reply reference, only when there are any (discord.py rejects None)."""
        extras: dict[str, Any] = {}
        view = job_view(buttons)
        if view is not None:
            extras["view"] = view
        if reply_to:
            extras["reference"] = discord.MessageReference(message_id=int(reply_to), channel_id=int(chat.chat_id),
                                                           fail_if_not_exists=False)
        return extras

    async def send_text(self, chat: ChatRef, text: str, buttons: list[list[Button]] | None = None,
                        reply_to: str | None = None) -> str:
        kwargs = self._extras(chat, buttons, reply_to)
        message = await mapped(self._channel(chat).send(content=text[:CONTENT_LIMIT], **kwargs))
        return str(message.id)

    async def edit_text(self, chat: ChatRef, message_id: str, text: str,
                        buttons: list[list[Button]] | None = None) -> int:
        view = job_view(buttons)
        token = await self.tokens.get(message_id)
        if token is not None:
            application_id, secret = token
            webhook = discord.Webhook.partial(application_id, secret, client=self.client)
            try:
                await mapped(webhook.edit_message(int(message_id), content=text[:CONTENT_LIMIT], view=view))
                return 0  # interaction webhooks have their own bucket, not the channel's
            except (ChatUnavailable, discord.HTTPException):
                await self.tokens.forget(message_id)  # expired early: the channel route still works
        message = self._channel(chat).get_partial_message(int(message_id))
        await mapped(message.edit(content=text[:CONTENT_LIMIT], view=view))
        return 1

    async def send_private(self, user_id: str, text: str) -> str:
        """A DM; ChatUnavailable when the person does not take DMs from the bot (403 50007)."""
        try:
            channel = await mapped(self.client.create_dm(discord.Object(id=int(user_id))))
            message = await mapped(channel.send(content=text[:CONTENT_LIMIT]))
        except discord.HTTPException as exc:  # e.g. 400 50033: not a user the bot can reach
            raise ChatUnavailable(str(exc)) from exc
        return str(message.id)

    @property
    def has_forms(self) -> bool:
        return True

    def pictures_cost(self, count: int) -> int:
        return -(-count // MAX_ATTACHMENTS)

    async def send_pictures(self, chat: ChatRef, pictures: list[Picture], buttons: list[list[Button]] | None = None,
                            reply_to: str | None = None, summary: str | None = None) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(pictures), MAX_ATTACHMENTS):
            batch = pictures[start : start + MAX_ATTACHMENTS]
            embed = discord.Embed(description=(summary or batch[0].caption)[:EMBED_LIMIT])
            files = [discord.File(io.BytesIO(p.png), filename=p.filename) for p in batch]
            kwargs = self._extras(chat, buttons, reply_to)
            message = await mapped(self._channel(chat).send(embed=embed, files=files, **kwargs))
            ids += [str(message.id)] * len(batch)
        return ids

    async def send_files(self, chat: ChatRef, pictures: list[Picture], reply_to: str | None = None) -> None:
        # Discord keeps attachments byte for byte, so the "original" is the same file again.
        await self.send_pictures(chat, pictures, None, reply_to)
