"""An offline stand-in for Telegram's Bot API server, for tests, benchmarks and the demo.

The real python-telegram-bot talks to it over HTTP exactly as to api.telegram.org (platform-notes §1):
``Application.builder().base_url(sandbox.base_url).base_file_url(sandbox.base_file_url)``. What matters
to a bot is reproduced on purpose: long polling with offsets or pushes to a webhook (``webhook``), uploads
kept byte for byte, Telegram's error answers (blocked user, kicked bot, message not modified / not found)
and its flood limits with ``retry_after``, so pacing is really tested. Tests act as users through the
Python methods below or, from other processes, through the control API under ``/_sandbox/``.

Everything runs on the sandbox's event loop. The Python methods may also be called from another thread
(see :func:`running_telegram`); they then hop onto that loop, so state is never touched concurrently.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from aiohttp import web

from sandbox.observed import ObservedServer, run_in_thread
from sandbox.telegram.control import ControlAPI
from sandbox.telegram.flood import FloodControl
from sandbox.telegram.inline import InlineMode, InlineQueryRecord
from sandbox.telegram.methods import BotAPI
from sandbox.telegram.state import (
    DEFAULT_TOKEN,
    MEMBER_STATUSES,
    ApiError,
    Call,
    FloodLimits,
    SandboxUser,
    StoredMessage,
    TelegramStats,
)
from sandbox.telegram.webhook import WebhookPusher, webhook_info
from sandbox.telegram.wire import Params, error, ok, read_params
from sandbox.telegram.world import AlbumItem, World

__all__ = ["DEFAULT_TOKEN", "ApiError", "Call", "ControlAPI", "FloodControl", "FloodLimits", "SandboxUser",
           "StoredMessage", "TelegramSandbox", "TelegramStats", "running_telegram"]

T = TypeVar("T")
# Enough for any test; a long benchmark keeps the newest calls only.
KEEP_CALLS = 100_000
# Room for Telegram's own 50 MB upload limit, so that limit (not aiohttp's) answers.
MAX_REQUEST_BYTES = 64 * 1024 * 1024


class TelegramSandbox(ObservedServer):
    """Telegram's Bot API for one bot on a local port, with users and chats driven by the test."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "naibot_test_bot",
                 limits: FloodLimits | None = None, privacy_mode: bool = True) -> None:
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError("a bot token starts with the bot's numeric id, e.g. '123456:ABC…'")
        super().__init__()
        self.token = token
        self.limits = limits or FloodLimits()
        self.stats = TelegramStats()
        self.base_url = ""
        self.base_file_url = ""
        self._world = World({
            "id": int(bot_id), "is_bot": True, "first_name": "NAI Bot (sandbox)", "username": bot_username,
            "can_join_groups": True, "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False,
        }, privacy_mode=privacy_mode)
        self._flood = FloodControl()
        self._api = BotAPI(self._world, lambda: self.limits, self._flood, self._poll_wait)
        self._inline = InlineMode(self._world)
        self._api.add("answerInlineQuery", self._inline.answer)
        self._pusher = WebhookPusher(self._world, self._wait_until, self._changed)
        self._calls: deque[Call] = deque(maxlen=KEEP_CALLS)
        self._long_polls = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.add_routes([
            web.route("*", "/bot{token}/{method}", self._bot_call),
            web.get("/file/bot{token}/{file_path:.+}", self._download),
            *ControlAPI(self).routes(),
        ])
        await self._serve(app, host, port)
        self.base_url = f"{self.url}/bot"
        self.base_file_url = f"{self.url}/file/bot"
        self._pusher.start()
        return self.url

    async def stop(self) -> None:
        """Stop pushing to a webhook, answer pending long polls at once (empty), then close the server."""
        await self._pusher.stop()  # first: once closing, every wait returns at once
        await self._begin_shutdown()
        await self._finish_shutdown()

    # -- acting as users -------------------------------------------------------------------

    def user_message(self, chat_id: int, user: SandboxUser, text: str, *, chat_type: str = "private",
                     chat_title: str | None = None, reply_to: int | None = None, photo: bytes | None = None,
                     document: bytes | None = None, file_name: str | None = None) -> dict[str, Any]:
        """A user writes in a chat (created on first use) and the bot gets the update, subject to group
        privacy mode. With ``photo`` or ``document`` bytes, ``text`` is the caption. Returns the Message."""
        return self._mutate(lambda: self._world.user_message(
            chat_id, user, text, chat_type=chat_type, chat_title=chat_title, reply_to=reply_to, photo=photo,
            document=document, file_name=file_name))

    def user_album(self, chat_id: int, user: SandboxUser, items: list[AlbumItem], *, caption: str = "",
                   caption_index: int = 0, chat_type: str = "private", chat_title: str | None = None,
                   reply_to: int | None = None) -> list[dict[str, Any]]:
        """A user sends an album of 2–10 items (``("photo" | "document", bytes, file name or None)``):
        one update per item, sharing a ``media_group_id``, the caption on the item at ``caption_index``
        only. Returns the Messages in order, as the bot will receive them."""
        return self._mutate(lambda: self._world.user_album(
            chat_id, user, items, caption=caption, caption_index=caption_index, chat_type=chat_type,
            chat_title=chat_title, reply_to=reply_to))

    def press_button(self, chat_id: int, message_id: int, user: SandboxUser, data: str) -> str:
        """A user presses an inline button of a bot message; returns the callback query id."""
        return self._mutate(lambda: self._world.press(chat_id, message_id, user, data))

    def set_inline_mode(self, enabled: bool = True, placeholder: str = "") -> None:
        """BotFather's /setinline: with inline mode on, ``user_inline_query`` reaches the bot and getMe's
        ``supports_inline_queries`` is true."""
        self._mutate(lambda: self._inline.set_enabled(enabled, placeholder))

    def user_inline_query(self, user: SandboxUser, query: str, *, chat_type: str = "sender") -> str:
        """A user types ``@bot <query>`` in a chat of ``chat_type`` ("sender" = their private chat with the
        bot); the bot gets an ``inline_query`` update. Returns the query id; see ``inline_answer``."""
        return self._mutate(lambda: self._inline.ask(user, query, chat_type=chat_type))

    def inline_answer(self, query_id: str) -> InlineQueryRecord:
        """A snapshot of an inline query: ``answer`` is None until the bot called answerInlineQuery, then
        its options, and ``results`` the results it sent."""
        return self._read(lambda: copy.deepcopy(self._inline.queries[query_id]))

    def choose_inline_result(self, query_id: str, result_id: str, chat_id: int, *, chat_type: str = "private",
                             chat_title: str | None = None) -> dict[str, Any]:
        """The user picks a result of the bot's answer in a chat: its message text is sent there as the
        user's message via the bot (and reaches the bot like any such message). Returns the Message."""
        return self._mutate(lambda: self._inline.choose(query_id, result_id, chat_id, chat_type=chat_type,
                                                        chat_title=chat_title))

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """A user's (or, with the bot's id, the bot's) status in a group; the bot "left"/"kicked" makes
        every call for that chat a 403, "administrator" lets it see all messages and delete others'."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(MEMBER_STATUSES)}")
        world = self._world

        def apply() -> None:
            world.set_member(chat_id, user_id, status)
            if user_id != world.bot_id:
                world.users.setdefault(user_id, SandboxUser(user_id, f"User {user_id}"))

        self._mutate(apply)

    def kick(self, chat_id: int) -> None:
        """The bot is removed from a group."""
        self.set_member(chat_id, self._world.bot_id, "kicked")

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The user of a private chat blocks (or unblocks) the bot; writing to the bot also unblocks."""

        def apply() -> None:
            chat = self._world.chats.get(chat_id)
            if chat is None or not chat.private:
                raise ValueError(f"no private chat {chat_id}; a user message creates it")
            chat.blocked = blocked

        self._mutate(apply)

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """A user deletes a message (any message, as chat admins and private-chat users can)."""

        def apply() -> None:
            chat = self._world.chats.get(chat_id)
            message = chat.live_message(message_id) if chat is not None else None
            if message is None:
                raise ValueError(f"no message {message_id} in chat {chat_id}")
            message.deleted = True

        self._mutate(apply)

    def reset(self) -> None:
        """Forget chats, users, files, updates, calls, statistics and flood history; keep the limits and
        the webhook."""

        def apply() -> None:
            self._world.reset()
            self._inline.reset()
            self._flood.reset()
            self._calls.clear()
            self.stats.clear()

        self._mutate(apply)

    # -- observing -------------------------------------------------------------------------

    def calls(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        """Every Bot API call so far (oldest first), optionally of one method and/or for one chat."""
        return self._read(lambda: [call for call in self._calls
                                   if (method is None or call.method.lower() == method.lower())
                                   and (chat_id is None or call.chat_id == chat_id)])

    def messages(self, chat_id: int) -> list[StoredMessage]:
        """Snapshots of a chat's messages (bot's and users', deleted ones flagged), oldest first."""

        def snapshot() -> list[StoredMessage]:
            chat = self._world.chats.get(chat_id)
            return [copy.deepcopy(message) for message in chat.messages.values()] if chat is not None else []

        return self._read(snapshot)

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [message for message in self.messages(chat_id) if message.from_bot]

    def file_bytes(self, file_id: str) -> bytes:
        """The exact bytes behind a file id (uploads unchanged; small photo sizes are JPEG thumbnails)."""

        def read() -> bytes:
            try:
                return self._world.files.get(file_id).data
            except ApiError as exc:
                raise KeyError(file_id) from exc

        return self._read(read)

    @property
    def bot_id(self) -> int:
        return self._world.bot_id

    def webhook_info(self) -> dict[str, Any]:
        """getWebhookInfo's answer now (``pending_update_count``, ``last_error_message``, ...): await
        ``webhook_info()["pending_update_count"] == 0`` to know the bot confirmed every update."""
        return self._read(lambda: webhook_info(self._world))

    @property
    def webhook_deliveries(self) -> int:
        """Updates the current webhook confirmed with a 2xx (a new setWebhook starts again at 0)."""
        return self._read(lambda: self._world.webhook.delivered)

    @property
    def long_polls(self) -> int:
        """getUpdates requests waiting right now: await ``long_polls > 0`` to know the bot is polling."""
        return self._long_polls

    # -- change notification and thread hopping ---------------------------------------------

    async def _poll_wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        self._long_polls += 1
        self._changed()
        try:
            return await self._wait_until(predicate, timeout)
        finally:
            self._long_polls -= 1
            self._changed()

    # -- HTTP ------------------------------------------------------------------------------

    async def _bot_call(self, request: web.Request) -> web.Response:
        """One Bot API call: decode, authenticate, dispatch, record, wake waiters."""
        method = request.match_info["method"]
        started = time.time()
        params: Params | None = None
        # Telegram counts a call when it arrives, not when the stand-in gets to it.
        with self._flood.arriving():
            try:
                params = await read_params(request)
                if request.match_info["token"] != self.token:
                    raise ApiError(401, "Unauthorized")
                handler = self._api.handler(method)
                if handler is None:
                    raise ApiError(404, "Not Found: method not found")
                response = ok(await handler(params))
                failure = None
            except ApiError as exc:
                response, failure = error(exc), exc.description
        self._record(method, params, started, response.status, failure)
        self._changed()
        return response

    def _record(self, method: str, params: Params | None, started: float, status: int,
                description: str | None) -> None:
        recorded = params.recorded() if params is not None else {}
        chat_id = recorded.get("chat_id")
        chat_id = chat_id if isinstance(chat_id, int) else None
        self._calls.append(Call(method, recorded, started, status, chat_id, description, answered=time.time()))
        self.stats.calls_by_method[method] += 1
        if chat_id is not None:
            self.stats.per_chat[chat_id] += 1
        if status == 429:
            self.stats.too_many_requests += 1

    async def _download(self, request: web.Request) -> web.Response:
        self._changed()
        stored = self._world.files.by_path(request.match_info["file_path"])
        if request.match_info["token"] != self.token or stored is None:
            return error(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type="application/octet-stream")


@contextlib.contextmanager
def running_telegram(*, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Iterator[TelegramSandbox]:
    """Run the sandbox in a background thread with its own event loop (for sync code, benchmarks, the demo,
    subprocess tests). ``kwargs`` go to :class:`TelegramSandbox`."""
    async def create() -> TelegramSandbox:
        sandbox = TelegramSandbox(**kwargs)
        await sandbox.start(host, port)
        return sandbox

    with run_in_thread(create, "telegram-sandbox") as sandbox:
        yield sandbox
