"""The Telegram adapter: python-telegram-bot in front, the platform-free command layer behind.

Everything Telegram-specific stays here and in ``bot.telegram.sender``: reading updates into a
``ChatContext``, the admin check, and the command list. Long polling by default; webhook mode
by setting, with our own receiver (``bot.telegram.webhook``, which says why not PTB's). The Bot API
base URL comes from settings, so the bot runs unchanged against a local Bot API server or the
offline stand-in.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from telegram import BotCommand, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    InlineQueryHandler,
    JobQueue,
    MessageHandler,
    filters,
)

from bot.chat.context import AdminCheck, ChatContext, PacedAnswerer
from bot.chat.pacer import Pacer, telegram_limits
from bot.chat.ports import ChatImage, ChatRef, ChatSender, parse_button_data
from bot.chat.router import CommandRouter, TextCommand
from bot.chat.runtime import ChatRuntime
from bot.chat.startup import StartFailed, refuse_another_secret_key
from bot.chat.texts.catalog import LANGUAGES, t
from bot.keys import BotKeys
from bot.telegram.album_store import AlbumStore
from bot.telegram.albums import AlbumBuffer
from bot.telegram.images import command_images
from bot.telegram.inline import answer_inline_query
from bot.telegram.sender import TelegramSender
from bot.telegram.startup import start_failure
from bot.telegram.webhook import WebhookReceiver
from naibot.logs import register_secret
from naibot.settings import Settings, TelegramSettings, secret, webhook_secret_problem

log = logging.getLogger(__name__)
PLATFORM = "telegram"
# How long a "is this person an admin of this group" answer is reused (getChatMember costs a call).
ADMIN_CACHE_SECONDS = 60.0
# Updates handled at once; more wait their turn (each may hold a Redis connection meanwhile).
CONCURRENT_UPDATES = 32
_ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}
# The update kinds the bot handles; Telegram does not even create the others for it.
ALLOWED_UPDATES = ["message", "callback_query", "inline_query"]
# getUpdates' long poll in production, seconds (PTB's default for ``run_polling``).
POLL_TIMEOUT = 10
# What ``Application.builder()...build()`` makes: PTB's default bot, context and data types
# (telegram.ext._applicationbuilder.InitApplicationBuilder).
TelegramApp: TypeAlias = Application[
    ExtBot[None], ContextTypes.DEFAULT_TYPE, dict[Any, Any], dict[Any, Any], dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]


def _polling_failed(exc: TelegramError) -> None:
    """A getUpdates call failed once the bot was running (a network blip, a Bot API restart): PTB's
    updater retries it (backing off up to 30 s); one line each, not PTB's traceback."""
    log.warning("polling: the Bot API call failed (%s: %s); retrying", type(exc).__name__, exc)


def message_text(update: Update) -> str:
    """A message's text, or a picture's caption (a command can be either)."""
    message = update.effective_message
    return (message.text or message.caption or "") if message is not None else ""


def command_text(update: Update) -> str:
    """What follows the command word (and its @botname), with the user's quoting intact."""
    parts = message_text(update).split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def webhook_secret(tg: TelegramSettings) -> str:
    """The secret Telegram must send with every pushed update; webhook mode has none without it.

    Settings validation already refuses a missing or weak one; this check is for settings made
    some other way (``model_copy``), because the cost of getting it wrong is anyone acting as anyone."""
    value = secret(tg.webhook_secret)
    problem = webhook_secret_problem(value, "webhook")
    if problem is not None or value is None:
        raise ValueError(f"telegram.webhook_secret: {problem}")
    return value


def context_of(update: Update, pacer: Pacer, sender: ChatSender, is_admin: AdminCheck | None = None,
               images: tuple[ChatImage, ...] = ()) -> ChatContext:
    """The platform-free context of an update; answers reply to the message that asked."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None
    group = chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    ref = ChatRef(str(chat.id), group)
    reply_to = str(message.message_id) if message is not None else None
    private_chat = ChatRef(str(user.id), False)
    return ChatContext(
        platform=PLATFORM, user_id=str(user.id), display_name=user.full_name or user.username or str(user.id),
        chat=ref, answerer=PacedAnswerer(pacer, sender, ref, reply_to), language_code=user.language_code,
        group_id=str(chat.id) if group else None, group_title=chat.title or "" if group else "",
        is_admin=is_admin, private=PacedAnswerer(pacer, sender, private_chat), message_id=reply_to,
        images=images, replying=message is not None and message.reply_to_message is not None,
    )


class TelegramBot:
    """One bot process: the PTB application, the pacer, the delivery loop and the commands."""

    def __init__(self, settings: Settings) -> None:
        token = secret(settings.telegram.token)
        if not token:
            raise ValueError("TELEGRAM_TOKEN is not set")
        register_secret(token)
        self.settings = settings
        tg = settings.telegram
        # Webhook mode refuses to exist without its secret, before anything starts.
        self._webhook_secret = webhook_secret(tg) if tg.mode == "webhook" else None
        register_secret(self._webhook_secret)
        self._receiver: WebhookReceiver | None = None
        api = settings.telegram.api_url
        self.application = (
            Application.builder().token(token).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
            .concurrent_updates(CONCURRENT_UPDATES).post_init(self._started).post_shutdown(self._stopped).build()
        )
        self.runtime: ChatRuntime | None = None
        self.commands: CommandRouter | None = None
        self._admins: dict[tuple[int, int], tuple[float, bool]] = {}
        # Albums arrive as one update per picture: held together until the album is complete (in Redis
        # once started, shared by every bot process; see bot.telegram.albums).
        self.albums = AlbumBuffer(self._album)
        self._install_handlers()

    # -- lifecycle ---------------------------------------------------------------------------

    async def _started(self, application: TelegramApp) -> None:
        settings = self.settings
        await refuse_another_secret_key(settings)
        tg = settings.telegram
        self.runtime = ChatRuntime.start(
            platform=PLATFORM, settings=settings,
            limits=telegram_limits(tg.private_per_second, tg.group_per_minute, tg.global_per_second),
            make_sender=lambda services: TelegramSender(application.bot), bot_username=application.bot.username,
            # Several webhook processes on one host each listen on their own port: one delivery consumer each.
            instance=f"webhook-{tg.webhook_port}" if tg.webhook_url else "",
            describe=lambda: {"mode": tg.mode, **({"webhook_port": tg.webhook_port} if tg.mode == "webhook" else {})})
        self.pacer, self.sender, self.commands = self.runtime.pacer, self.runtime.sender, self.runtime.commands
        # Albums are gathered in Redis: behind a webhook balancer one album's items reach several processes.
        self.albums.store = AlbumStore(self.runtime.services.redis, BotKeys(settings.redis.prefix), application.bot)
        await self._register_menu(application)
        log.info("Telegram bot @%s (pid %d) up: Bot API %s, Redis %s, prefix %s, %s mode",
                 application.bot.username, os.getpid(), settings.telegram.api_url,
                 settings.redis.address, settings.redis.prefix, settings.telegram.mode)

    async def _register_menu(self, application: TelegramApp) -> None:
        assert self.commands is not None
        menu = [(command.names[0], command.menu) for command in self.commands.text_commands if command.menu]
        for language in LANGUAGES:
            commands = [BotCommand(name, t(language, key)) for name, key in menu]
            try:
                await application.bot.set_my_commands(commands, language_code=None if language == "en" else language)
            except TelegramError as exc:  # a menu is nice to have; never a reason not to start
                log.warning("could not register the %s command menu: %s", language, exc)

    async def _stopped(self, application: TelegramApp) -> None:
        await self.albums.stop()
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def start(self, *, poll_timeout: int = 1) -> None:
        """Start polling inside an already running event loop (tests, the demo; ``run`` too, with
        the long poll production uses)."""
        await self.application.initialize()
        await self._started(self.application)
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(poll_interval=0.0, timeout=poll_timeout,
                                                     allowed_updates=ALLOWED_UPDATES, error_callback=_polling_failed)

    async def start_webhook(self) -> None:
        """Start webhook mode inside an already running event loop (tests; ``run`` uses it too).

        The receiver listens before ``setWebhook``: Telegram pushes (and the real one checks the URL)
        as soon as the webhook is set. The webhook stays set on stop, so Telegram keeps the updates
        that arrive meanwhile for the next start, as it does for PTB's own ``run_webhook``."""
        tg = self.settings.telegram
        if self._webhook_secret is None:
            raise ValueError("telegram.mode is not webhook")
        if not tg.webhook_url:
            raise ValueError("telegram.webhook_url is required in webhook mode")
        await self.application.initialize()
        await self._started(self.application)
        await self.application.start()
        self._receiver = WebhookReceiver(self.application.bot, self.application.update_queue, self._webhook_secret)
        await self._receiver.start(tg.webhook_listen, tg.webhook_port)
        await self.application.bot.set_webhook(tg.webhook_url, secret_token=self._webhook_secret,
                                               allowed_updates=ALLOWED_UPDATES)

    async def stop(self) -> None:
        if self._receiver is not None:
            await self._receiver.stop()  # no new updates while the ones in hand finish
            self._receiver = None
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self._stopped(self.application)
        await self.application.shutdown()

    def run(self) -> None:
        """Run until SIGINT or SIGTERM: long polling, or a webhook server when configured.

        Raises ``StartFailed`` (one line, no token) when the start fails for a reason the operator
        must fix: a token the Bot API rejects, a Bot API that cannot be reached. Polling runs through
        ``start``/``stop`` rather than PTB's ``run_polling``, whose bootstrap logs the failure with a
        traceback and re-raises PTB's own exception (which quotes the token); once started, PTB's
        updater retries network failures by itself, as before."""
        if self.settings.telegram.mode == "webhook":
            if not self.settings.telegram.webhook_url:
                raise StartFailed("telegram.webhook_url is required in webhook mode")
            asyncio.run(self._serve(self.start_webhook))
        else:
            asyncio.run(self._serve(lambda: self.start(poll_timeout=POLL_TIMEOUT)))

    async def _serve(self, start: Callable[[], Awaitable[None]]) -> None:
        """Start, then serve in the foreground until SIGINT or SIGTERM (as PTB's ``run_*`` do)."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        try:
            try:
                await start()
            except TelegramError as exc:
                raise start_failure(exc, self.settings.telegram.api_url) from None
            await stopping.wait()
        finally:
            await self.stop()

    # -- handlers ----------------------------------------------------------------------------

    def _install_handlers(self) -> None:
        """Commands (looked up in the router's table by name), the login conversation's private
        messages, and buttons."""
        app = self.application
        app.add_handler(MessageHandler(filters.COMMAND, self._command))
        # Pictures: a photo or an image file, captioned with a command, or one item of an album.
        app.add_handler(MessageHandler(filters.PHOTO | filters.Document.IMAGE, self._picture))
        # Plain private messages: the steps of a login conversation.
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, self._private_text))
        app.add_handler(CallbackQueryHandler(self._button))
        # Inline mode (`@bot 1girl, blue e`): tag completions to pick (bot.telegram.inline).
        app.add_handler(InlineQueryHandler(self._inline_query))
        app.add_error_handler(self._error)

    def _command_name(self, update: Update) -> str | None:
        """The typed command's name, lower-cased; None when it is addressed to another bot."""
        text = message_text(update)
        word = text.split(maxsplit=1)[0] if text.strip() else ""
        name, _, addressee = word.lstrip("/").partition("@")
        if addressee and addressee.lower() != (self.application.bot.username or "").lower():
            return None  # `/generate@otherbot` is for another bot
        return name.lower()

    def _lookup(self, name: str) -> TextCommand | None:
        assert self.commands is not None, "the bot has not finished starting"
        return next((command for command in self.commands.text_commands if name in command.names), None)

    async def _picture(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A picture: part of an album (held until the album is whole), or one captioned with a command."""
        message = update.effective_message
        if message is None:
            return
        if message.media_group_id is not None:
            await self.albums.add(message)
        elif (message.caption or "").startswith("/"):
            await self._run_command(update, ())
        # a picture without a command is chatter, not ours to answer

    async def _album(self, messages: list[Message]) -> None:
        """A whole album: the command in its caption (any item's) runs with all its pictures."""
        captioned = next((m for m in messages if (m.caption or "").startswith("/")), None)
        if captioned is not None:
            await self._run_command(Update(update_id=0, message=captioned), tuple(messages))

    async def _command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._run_command(update, ())

    async def _run_command(self, update: Update, album: tuple[Message, ...]) -> None:
        name = self._command_name(update)
        if name is None:
            return
        command = self._lookup(name)
        if command is None:
            assert self.commands is not None
            await self.commands.unknown_command(self._context(update), name)  # the router decides where to answer
            return
        args = command_text(update)
        assert self.commands is not None
        if "login" in command.names:
            # Whatever follows /login may be a token or a password: gone from the chat before anything else.
            deleted = await self._delete(update) if args.strip() else False
            ctx = self._context(update)
            await self.commands.conv.guarded(ctx, self.commands.account.login(ctx, args, deleted=deleted))
            return
        images: tuple[ChatImage, ...] = ()
        message = update.effective_message
        if command.images and message is not None:
            images = await command_images(self.application.bot, message, album, self.commands.results.find)
        # the router's table runs it inside the guard
        await command.handler(self._context(update, images), args)

    def _context(self, update: Update, images: tuple[ChatImage, ...] = ()) -> ChatContext:
        return context_of(update, self.pacer, self.sender, self._admin_check(update), images)

    def _admin_check(self, update: Update) -> AdminCheck:
        async def check() -> bool:
            chat, user = update.effective_chat, update.effective_user
            if chat is None or user is None:
                return False
            cached = self._admins.get((chat.id, user.id))
            if cached is not None and time.monotonic() - cached[0] < ADMIN_CACHE_SECONDS:
                return cached[1]
            try:
                member = await self.application.bot.get_chat_member(chat.id, user.id)
            except TelegramError:
                return False
            admin = member.status in _ADMIN_STATUSES
            self._admins[(chat.id, user.id)] = (time.monotonic(), admin)
            return admin
        return check

    async def _delete(self, update: Update) -> bool:
        """Delete the message that asked (it holds a secret); False if Telegram would not let us."""
        message = update.effective_message
        if message is None:
            return False
        try:
            return bool(await self.application.bot.delete_message(message.chat_id, message.message_id))
        except TelegramError as exc:
            log.info("could not delete a message holding credentials: %s", type(exc).__name__)
            return False

    async def _private_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert self.commands is not None
        ctx = self._context(update)
        await self.commands.conv.guarded(ctx, self._login_step(update, ctx))

    async def _login_step(self, update: Update, ctx: ChatContext) -> None:
        assert self.commands is not None
        if not await self.commands.account.in_login(ctx):
            return  # ordinary chatter: not ours to answer
        await self._delete(update)
        text = update.effective_message.text or "" if update.effective_message else ""
        await self.commands.account.login_text(ctx, text)

    async def _button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert self.commands is not None
        query = update.callback_query
        if query is None:
            return
        parsed = parse_button_data(query.data or "")
        if parsed is None:
            await query.answer()
            return
        notice, alert = await self.commands.button(self._context(update), parsed)
        await query.answer(notice, show_alert=alert)

    async def _inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.inline_query is not None and self.commands is not None:
            await answer_inline_query(self.commands, update.inline_query, PLATFORM, self.application.bot.username)

    async def _error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # One user's failing update must never take the bot down; log it (redacted) and go on.
        log.error("handling an update failed: %s", context.error, exc_info=context.error)
