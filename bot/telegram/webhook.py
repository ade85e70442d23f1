"""The Telegram webhook receiver: in webhook mode, the one door updates come in by.

Anyone who finds the webhook URL can POST an update "from" anyone, a deployment admin included. The
only proof that a request comes from Telegram is the ``X-Telegram-Bot-Api-Secret-Token`` header,
which Telegram sends with every update once ``setWebhook`` was given a ``secret_token``.

Why our own server and not python-telegram-bot's (``Application.run_webhook`` /
``Updater.start_webhook``, ``telegram/ext/_utils/webhookhandler.py`` in PTB 22):

- PTB compares the header with ``!=``, whose time grows with the length of the matching prefix: a
  timing side channel on the only credential guarding the door. Here: ``hmac.compare_digest``.
- PTB checks the header only when a secret was configured. Here there is no receiver without one
  (``naibot.settings.webhook_secret_problem``, checked again in the constructor).
- PTB reads and buffers the whole body (tornado's limit: 100 MB) before checking, and logs a wrong
  token and every raw update at DEBUG (the login conversation's passwords with it). Here the header
  is checked before the body is read, the body is capped, and nothing of a request is logged.
- PTB's server needs tornado (its ``webhooks`` extra); this one needs aiohttp, already a dependency.

Updates are put into ``Application.update_queue``, where PTB's own webhook handler and poller put
them (PTB's documented way to run a custom webhook server), so handlers, concurrency and shutdown
stay PTB's.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.ext import ExtBot

from naibot.settings import webhook_secret_problem

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Where the receiver listens; the reverse proxy forwards the public webhook_url's path here.
WEBHOOK_PATH = "/telegram"
# An Update is JSON text (files come as ids, never as bytes); Telegram's largest are a few kB.
MAX_UPDATE_BYTES = 1 << 20


def secret_matches(expected: str, offered: str | None) -> bool:
    """Whether a request's header holds the secret, in a time that does not depend on how much of it
    matches. Compared as bytes: a header may hold any characters, which compare_digest refuses in str."""
    if offered is None:
        return False
    return hmac.compare_digest(offered.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


class WebhookReceiver:
    """An HTTP server that accepts POSTed updates carrying the secret and queues them for PTB."""

    def __init__(self, bot: Bot, updates: asyncio.Queue[Any], secret: str, path: str = WEBHOOK_PATH) -> None:
        problem = webhook_secret_problem(secret, "webhook")
        if problem is not None:
            raise ValueError(f"telegram.webhook_secret: {problem}")
        self._bot = bot
        self._updates = updates
        self._secret = secret
        self._path = path
        self._runner: web.AppRunner | None = None
        # Requests refused for a missing or wrong secret since start (logged at 1, 2, 4, 8, ...).
        self.refused = 0

    async def start(self, host: str, port: int) -> None:
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self._path, self._receive)
        # No access log: a line per update would be noise, and a refused request's headers are not ours to keep.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()

    async def stop(self) -> None:
        """Stop accepting updates; Telegram keeps what it could not deliver for the next start."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        assert self._runner is not None, "the receiver is not started"
        return int(self._runner.addresses[0][1])

    async def _receive(self, request: web.Request) -> web.Response:
        # The header first: nothing of a stranger's request is read, parsed or logged.
        if not secret_matches(self._secret, request.headers.get(SECRET_HEADER)):
            self._refused()
            return web.Response(status=403, text="Forbidden")
        body = await request.read()  # past MAX_UPDATE_BYTES aiohttp answers 413 (client_max_size)
        try:
            update = Update.de_json(json.loads(body), self._bot)
        except Exception:  # PTB's de_json raises whatever a malformed dict makes it raise
            # Telegram never sends this; what did is not logged (it may be anyone's message).
            log.warning("a webhook request with the right secret held no readable update")
            return web.Response(status=400, text="Bad Request")
        if update is None:
            return web.Response(status=400, text="Bad Request")
        if isinstance(self._bot, ExtBot):
            self._bot.insert_callback_data(update)  # as PTB's own handler does (a no-op without arbitrary data)
        await self._updates.put(update)
        return web.Response(status=200)

    def _refused(self) -> None:
        self.refused += 1
        if self.refused & (self.refused - 1) == 0:
            log.warning("refused %d webhook request(s) without Telegram's secret token so far", self.refused)
