"""Telegram pushing updates to a bot's webhook, as the Bot API does after setWebhook.

setWebhook keeps the URL, the ``secret_token`` and the update kinds; from then on getUpdates answers
409 Conflict and every update is POSTed to the URL as JSON, oldest first, with the header
``X-Telegram-Bot-Api-Secret-Token`` when a secret was set. A 2xx answer confirms the update; anything
else (or no connection) leaves it pending, becomes getWebhookInfo's ``last_error_date`` and
``last_error_message`` ("Wrong response from the webhook: 403 Forbidden", "Connection refused"), and
is tried again later. deleteWebhook (or setWebhook with an empty URL) stops the pushing, with
``drop_pending_updates`` the queue too, and getUpdates works again. The checks and messages are the
ones of Telegram's own server (tdlib/telegram-bot-api, ``Client::do_set_webhook``, ``WebhookActor``).

Differences from Telegram, on purpose: ``http://`` URLs on any port are accepted, because the
stand-in and the bot run locally without TLS (Telegram wants HTTPS on 443, 80, 88 or 8443); one
update is in flight at a time (Telegram opens up to ``max_connections``); a failed push is retried
after ``retry_seconds`` (short, for tests), not Telegram's growing delays.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.telegram.state import WebhookState, bad_request
from sandbox.telegram.wire import Params
from sandbox.telegram.world import World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's rule for secret_token: base64url characters, at most 256 of them.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]*$")
# How long Telegram waits for the bot to answer one push before counting it as failed.
PUSH_TIMEOUT = 10.0
# Waits until the predicate holds or the seconds pass; returns whether it holds.
Waiter = Callable[[Callable[[], bool], float], Awaitable[bool]]


async def set_webhook(world: World, p: Params) -> None:
    """setWebhook: check like Telegram, make sure something listens at the URL, then start pushing."""
    url = str(p.get("url") or "")
    if not url:
        delete_webhook(world, bool(p.get("drop_pending_updates")))
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("invalid webhook URL specified")
    secret_token = str(p.get("secret_token") or "")
    if len(secret_token) > 256:
        raise bad_request("secret token is too long")
    if not _SECRET_TOKEN.match(secret_token):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.get("max_connections") or 40
    if not isinstance(max_connections, int) or not 1 <= max_connections <= 100:
        raise bad_request("invalid max_connections specified")
    allowed = p.get("allowed_updates")
    # Telegram connects before it answers: a webhook nobody listens at is refused.
    await _probe(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    if p.get("drop_pending_updates"):
        world.updates.clear()
    world.webhook = WebhookState(url=url, secret_token=secret_token or None, max_connections=max_connections,
                                 allowed_updates=allowed if isinstance(allowed, list) else None)


def delete_webhook(world: World, drop_pending_updates: bool) -> None:
    if drop_pending_updates:
        world.updates.clear()
    world.webhook = WebhookState()


def webhook_info(world: World) -> dict[str, Any]:
    return world.webhook.to_api(len(world.updates))


async def _probe(host: str, port: int) -> None:
    try:
        async with asyncio.timeout(PUSH_TIMEOUT):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError) as exc:
        raise bad_request(f"bad webhook: {_connection_error(exc)}") from exc
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


def _connection_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Connection timed out"
    if isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
        return "Connection refused"
    return "Webhook connection closed"


class WebhookPusher:
    """Delivers the world's pending updates to its webhook, one at a time, on the sandbox's loop."""

    def __init__(self, world: World, wait: Waiter, changed: Callable[[], None], retry_seconds: float = 0.2) -> None:
        self._world = world
        self._wait = wait
        self._changed = changed
        self.retry_seconds = retry_seconds
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PUSH_TIMEOUT))
        self._task = asyncio.get_running_loop().create_task(self._run(), name="telegram-sandbox-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        world = self._world
        while True:
            webhook = world.webhook
            if not webhook.url or not world.updates:
                # Woken by every change the sandbox sees (a user message, a setWebhook, ...).
                await self._wait(lambda: bool(world.webhook.url and world.updates), 3600)
                continue
            update = world.updates[0]
            error = await self._push(webhook, update)
            if world.webhook is not webhook:
                continue  # set or deleted while the push was in flight: the new webhook decides
            if error is None:
                world.updates = [pending for pending in world.updates if pending is not update]
                webhook.delivered += 1
            else:
                webhook.last_error_date, webhook.last_error_message = int(time.time()), error
            self._changed()
            if error is not None:
                await self._back_off(webhook)

    async def _back_off(self, failed: WebhookState) -> None:
        """Wait ``retry_seconds`` before the next try, or less when a new setWebhook replaces this one."""
        world = self._world
        await self._wait(lambda: world.webhook is not failed, self.retry_seconds)

    async def _push(self, webhook: WebhookState, update: dict[str, Any]) -> str | None:
        """POST one update; None when the webhook confirmed it, else getWebhookInfo's error text."""
        assert self._session is not None
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with self._session.post(webhook.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Connection timed out"
        except aiohttp.ClientConnectorError as exc:
            return _connection_error(exc.os_error)
        except (aiohttp.ClientError, OSError):
            return "Webhook connection closed"
