"""The Telegram stand-in pushes updates to a webhook as the Bot API does after setWebhook: JSON POSTs
with the secret header, 409 for getUpdates meanwhile, failed pushes kept pending with Telegram's error
text and retried, deleteWebhook back to polling, and Telegram's refusals of a bad setWebhook."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from sandbox.telegram import SandboxUser, TelegramSandbox

ANN = SandboxUser(4242, "Ann", "ann_draws", "en")
SECRET = "Zr1S2n7Wq0pXo8v-Kc3_dYh5LmTa9BuE6fGiJ4kN"


@dataclass
class Receiver:
    """A bot's webhook endpoint that records what reaches it and answers ``status``."""

    url: str = ""
    status: int = 200
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), json.loads(await request.read())))
        return web.Response(status=self.status)

    def texts(self) -> list[str]:
        return [update["message"]["text"] for _, update in self.received]


@pytest.fixture
def sandbox(telegram_sandbox: TelegramSandbox) -> TelegramSandbox:
    return telegram_sandbox


@pytest_asyncio.fixture
async def bot(sandbox: TelegramSandbox) -> AsyncIterator[Bot]:
    async with Bot(sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url) as client:
        yield client


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    endpoint.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield endpoint
    finally:
        await runner.cleanup()


async def test_set_webhook_pushes_updates_in_order_with_the_secret_header(
        sandbox: TelegramSandbox, bot: Bot, receiver: Receiver) -> None:
    assert await bot.set_webhook(receiver.url, secret_token=SECRET, allowed_updates=["message"])
    for text in ("/start", "/generate a cat"):
        sandbox.user_message(ANN.id, ANN, text)
    await sandbox.wait_for(lambda: len(receiver.received) == 2)
    assert receiver.texts() == ["/start", "/generate a cat"]
    headers, update = receiver.received[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert headers["Content-Type"].startswith("application/json")
    assert update["message"]["from"]["id"] == ANN.id and isinstance(update["update_id"], int)
    await sandbox.wait_for(lambda: sandbox.webhook_info()["pending_update_count"] == 0)
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.allowed_updates) == (receiver.url, 0, ("message",))
    assert info.last_error_message is None and sandbox.webhook_deliveries == 2


async def test_get_updates_is_a_conflict_while_a_webhook_is_set(
        sandbox: TelegramSandbox, bot: Bot, receiver: Receiver) -> None:
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()


async def test_without_a_secret_token_no_header_is_sent(
        sandbox: TelegramSandbox, bot: Bot, receiver: Receiver) -> None:
    await bot.set_webhook(receiver.url)
    sandbox.user_message(ANN.id, ANN, "/start")
    await sandbox.wait_for(lambda: len(receiver.received) == 1)
    assert "X-Telegram-Bot-Api-Secret-Token" not in receiver.received[0][0]


async def test_a_refused_push_stays_pending_with_telegrams_error_and_is_retried(
        sandbox: TelegramSandbox, bot: Bot, receiver: Receiver) -> None:
    receiver.status = 403
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    sandbox.user_message(ANN.id, ANN, "/start")
    await sandbox.wait_for(lambda: len(receiver.received) >= 2)  # tried, refused, tried again
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
    assert info.last_error_date is not None
    receiver.status = 200
    await sandbox.wait_for(lambda: sandbox.webhook_info()["pending_update_count"] == 0)
    assert set(receiver.texts()) == {"/start"} and sandbox.webhook_deliveries == 1


async def test_delete_webhook_stops_the_pushes_and_polling_works_again(
        sandbox: TelegramSandbox, bot: Bot, receiver: Receiver) -> None:
    receiver.status = 500
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    sandbox.user_message(ANN.id, ANN, "/dropped")
    await sandbox.wait_for(lambda: bool(receiver.received))
    assert await bot.delete_webhook(drop_pending_updates=True)
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("", 0)
    sandbox.user_message(ANN.id, ANN, "/polled")
    assert [update.message.text for update in await bot.get_updates()] == ["/polled"]


async def test_set_webhook_refuses_what_telegram_refuses(sandbox: TelegramSandbox, bot: Bot,
                                                          receiver: Receiver) -> None:
    with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
        await bot.set_webhook(receiver.url, secret_token="not allowed: spaces")
    with pytest.raises(BadRequest, match=r"(?i)secret token is too long"):
        await bot.set_webhook(receiver.url, secret_token="a" * 257)
    with pytest.raises(BadRequest, match=r"(?i)invalid webhook URL specified"):
        await bot.set_webhook("ftp://127.0.0.1/hook")
    nobody = receiver.url.rsplit(":", 1)[0] + ":1/hook"
    with pytest.raises(BadRequest, match=r"(?i)bad webhook: Connection refused"):
        await bot.set_webhook(nobody, secret_token=SECRET)
    assert (await bot.get_webhook_info()).url == "", "a refused setWebhook leaves no webhook behind"
