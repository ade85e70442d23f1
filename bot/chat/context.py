"""Who asked, where, and how to answer them: what every command family is handed.

``ChatContext`` is one command's facts (built by an adapter from a platform update);
``Conversation`` is what every family needs to talk back (the asker's language, answering,
privately too, the ban check, who the asker is to the rules and to the queue). Families get a
``Conversation`` and the services they really use from ``bot.chat.router``, and never see the
router, so features depend downward only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from redis.exceptions import RedisError

from bot.chat.pacer import Pacer
from bot.chat.ports import Button, ChatError, ChatImage, ChatRef, ChatSender, Reply
from bot.chat.texts.catalog import pick_language, t
from bot.chat.texts.jobs import refusal_text
from bot.chat.user_settings import UserSettings
from bot.rules.policy import Actor, Policy
from naibot.settings import Settings
from tasks.queue import Caller, QueueUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
# What an outage of the queue looks like anywhere on a command's path: redis-py's errors, a socket
# that cannot connect (OSError, TimeoutError), or the queue's own refusal that wraps them.
OUTAGE = (RedisError, OSError, QueueUnavailable)


class Answerer(Protocol):
    """How a command answers on its platform: a reply to the command message on Telegram, the
    interaction response (then follow-ups) on Discord. ``private``: only the asker sees it where
    the platform can do that."""

    async def reply(self, text: str, buttons: list[list[Button]] | None = None, *, private: bool = False) -> str:
        """Send an answer; returns its message id."""
        ...

    async def edit(self, message_id: str, text: str) -> None: ...


@dataclass
class PacedAnswerer:
    """Answers as ordinary chat messages, paced like everything else the bot sends."""

    pacer: Pacer
    sender: ChatSender
    chat: ChatRef
    reply_to: str | None = None

    async def reply(self, text: str, buttons: list[list[Button]] | None = None, *, private: bool = False) -> str:
        return await self.pacer.call(self.chat, lambda: self.sender.send_text(self.chat, text, buttons,
                                                                              reply_to=self.reply_to))

    async def edit(self, message_id: str, text: str) -> None:
        await self.pacer.call(self.chat, lambda: self.sender.edit_text(self.chat, message_id, text))


AdminCheck = Callable[[], Awaitable[bool]]


@dataclass
class CommandProgress:
    """How far one command has got, for the guard that answers an outage: whether its job is
    safely queued. From then on its status message is the delivery loop's (it posts or edits it
    once Redis is back) and nothing may tell the person to send the command again. No status
    message is ever posted before that (record first, then answer), so none is left saying
    "adding your job…" for a job that never got queued."""

    queued: bool = False
    # The styles the command's request was built with (``RequestBuilder``), for the job's caption.
    styles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChatContext:
    """Who wrote, where, in which language, and how to answer them."""

    platform: str
    user_id: str
    display_name: str
    chat: ChatRef
    answerer: Answerer = field(compare=False, repr=False)
    language_code: str | None = None
    # Whether the channel is age-restricted, where the platform knows (Discord); None elsewhere.
    age_restricted: bool | None = None
    # The group the chat belongs to: the Telegram group itself, or the Discord guild of the channel.
    group_id: str | None = None
    group_title: str = ""
    # Whether the person administers that group (asked lazily: it may cost a platform call).
    is_admin: AdminCheck | None = field(default=None, compare=False, repr=False)
    # How to reach the person privately (Telegram: their private chat); None where ``answerer``
    # can already answer privately (Discord's ephemeral messages).
    private: Answerer | None = field(default=None, compare=False, repr=False)
    # The highest priority the person's roles grant (Discord roles in settings), if any.
    role_max_priority: int | None = None
    # The message that carried the command, where the platform has one (Telegram): a status message
    # a restarted bot has to post for it replies to it.
    message_id: str | None = None
    # The images the command came with, in order: attached to it (a photo, a file, an album, a
    # Discord attachment), then those of the message it replies to. Fetched only when used.
    images: tuple[ChatImage, ...] = field(default=(), compare=False, repr=False)
    # Whether the command replies to (or, on Discord, was used on) a message: "reply to a picture"
    # is then the answer when that message has none.
    replying: bool = False
    # Filled in as the command goes (``Conversation.guarded`` reads it).
    progress: CommandProgress = field(default_factory=CommandProgress, compare=False, repr=False)

    @property
    def user_key(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @property
    def group_key(self) -> str | None:
        return f"{self.platform}:{self.group_id}" if self.group_id else None

    async def admin(self) -> bool:
        return self.is_admin is not None and await self.is_admin()


@dataclass
class Conversation:
    """Talking back to the asker, the same way in every command family."""

    platform: str
    settings: Settings
    user_settings: UserSettings
    policy: Policy
    sender: ChatSender
    bot_username: str | None = None

    @property
    def bot(self) -> str:
        """The bot's @name for texts that tell people where to go ("" where the platform has none)."""
        return self.bot_username or ""

    async def language(self, ctx: ChatContext) -> str:
        return await self.language_of(ctx.user_key, ctx.language_code)

    async def language_of(self, user_key: str, platform_code: str | None = None) -> str:
        """The person's saved language, else their platform's, else the deployment default."""
        try:
            saved = await self.user_settings.language(user_key)
        except (RedisError, OSError):  # the language must never stop a reply
            saved = None
        return pick_language(saved, platform_code, self.settings.bot.default_language)

    async def answer(self, ctx: ChatContext, reply: Reply) -> str:
        return await ctx.answerer.reply(reply.text, reply.buttons or None, private=reply.private)

    async def say(self, ctx: ChatContext, key: str, *, private: bool = False, **params: object) -> None:
        """Answer with one text of the catalog, in the asker's language."""
        await self.answer(ctx, Reply(t(await self.language(ctx), key, **params), private=private))

    async def private(self, ctx: ChatContext, text: str, *, unreachable: str = "login.open_private") -> bool:
        """Say something only the person sees; False if it could not be said privately.

        In a group, someone who never opened a private chat with the bot is told so there instead,
        with the ``unreachable`` text (a caller whose own next words would repeat it passes one
        that says both, so the group gets one answer, not two)."""
        if ctx.private is None:
            await ctx.answerer.reply(text, private=True)
            return True
        try:
            await ctx.private.reply(text)
            return True
        except ChatError:
            if ctx.chat.group:  # they never opened a private chat with the bot
                lang = await self.language(ctx)
                await ctx.answerer.reply(t(lang, unreachable, bot=self.bot))
            return False

    async def tell_privately(self, user_id: str, key: str) -> None:
        """A message to someone who did not just ask (their token was rejected, ...), best effort."""
        language = await self.language_of(f"{self.platform}:{user_id}")
        try:
            await self.sender.send_private(user_id, t(language, key, bot=self.bot))
        except ChatError as exc:  # they never opened a private chat with the bot: nothing else to do
            log.info("could not tell user %s privately: %s", user_id, type(exc).__name__)

    async def refused_banned(self, ctx: ChatContext) -> bool:
        """Answer a banned person privately and say so; every command and button asks this first.
        Redis trouble is raised: the guard (``guarded``) answers it."""
        banned = await self.policy.is_banned(ctx.user_key)
        if banned:
            await self.say(ctx, "policy.banned", private=True)
        return banned

    # -- the one guard -------------------------------------------------------------------------

    async def guarded(self, ctx: ChatContext, work: Awaitable[T]) -> T | None:
        """Run one command (or button, or the Again button's submit) so that an outage of the queue
        anywhere on its path is answered, never dropped: the router wraps every command and button
        in it, the adapters their own entry points. None if it was answered as an outage."""
        try:
            return await work
        except OUTAGE as exc:
            await self.unavailable(ctx, exc)
            return None

    async def unavailable(self, ctx: ChatContext, exc: BaseException) -> None:
        """Say "the queue is unavailable, try again in a minute", privately where the platform can
        (Discord: ephemeral; Telegram: a reply to the command). A command whose job is queued
        already is not told to send it again: the delivery loop posts or edits its status message
        once Redis is back (its entry was recorded first)."""
        log.warning("a %s command met a queue outage: %s: %s", self.platform, type(exc).__name__, exc)
        if ctx.progress.queued:
            return
        lang = await self.language(ctx)  # never needs Redis: it falls back to the platform's language
        text = refusal_text(exc if isinstance(exc, QueueUnavailable) else QueueUnavailable(str(exc)), lang)
        try:
            await ctx.answerer.reply(text, private=True)
        except (ChatError, *OUTAGE) as error:  # the platform would not take it either (or the
            # answer was sent and only its bookkeeping needed Redis): nothing more to do
            log.info("could not say the queue is unavailable: %s", type(error).__name__)

    def deployment_admin(self, ctx: ChatContext) -> bool:
        return ctx.user_key in self.settings.bot.admins

    async def actor(self, ctx: ChatContext) -> Actor:
        """The asker as the rules see them (who pays, quotas, priorities)."""
        return Actor(user_key=ctx.user_key, display_name=ctx.display_name, group=ctx.group_key,
                     channel_id=ctx.chat.chat_id, group_admin=ctx.chat.group and await ctx.admin(),
                     deployment_admin=self.deployment_admin(ctx), role_max_priority=ctx.role_max_priority)

    async def caller(self, ctx: ChatContext) -> Caller:
        """The asker as the queue sees them (whose jobs they may cancel): derived from the actor."""
        return caller_of(await self.actor(ctx))


def caller_of(actor: Actor) -> Caller:
    """A group admin may cancel the jobs of that chat and group; a deployment admin every job."""
    platform = actor.user_key.partition(":")[0]
    chat = f"{platform}:{actor.channel_id}" if actor.group_admin and actor.channel_id else None
    group = actor.group if actor.group_admin else None
    return Caller(user_key=actor.user_key, admin_chats=frozenset({chat} if chat else ()),
                  admin_groups=frozenset({group} if group else ()), deployment_admin=actor.deployment_admin)
