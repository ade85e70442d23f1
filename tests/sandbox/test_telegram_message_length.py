"""The Telegram stand-in delivers no user message Telegram would not deliver: a text over 4096 characters
(or a caption over 1024) is refused by the control API with 400 and never reaches the bot, as a real
Telegram client cannot send one (first-run report, finding 22)."""

from __future__ import annotations

import base64

import httpx
import pytest
from telegram import Bot

from sandbox.telegram import SandboxUser, TelegramSandbox

ANN = {"id": 4242, "first_name": "Ann"}


@pytest.fixture
def sandbox(telegram_sandbox: TelegramSandbox) -> TelegramSandbox:
    return telegram_sandbox


async def test_the_control_api_refuses_a_user_message_over_4096_characters(sandbox: TelegramSandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as control:
        longest = await control.post("/_sandbox/message", json={"chat_id": 4242, "user": ANN, "text": "a" * 4096})
        too_long = await control.post("/_sandbox/message", json={"chat_id": 4242, "user": ANN,
                                                                  "text": "/generate " + "a" * 4087})
    assert longest.status_code == 201
    assert too_long.status_code == 400
    assert "too long" in too_long.json()["error"] and "4096" in too_long.json()["error"]
    bot = Bot(sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    async with bot:
        updates = await bot.get_updates()
    assert [len(update.message.text) for update in updates] == [4096]


async def test_the_control_api_refuses_a_photo_caption_over_1024_characters(sandbox: TelegramSandbox) -> None:
    photo = base64.b64encode(b"\x89PNG not really").decode()
    async with httpx.AsyncClient(base_url=sandbox.url) as control:
        refused = await control.post("/_sandbox/message", json={"chat_id": 4242, "user": ANN, "text": "c" * 1025,
                                                                "photo_base64": photo})
    assert refused.status_code == 400 and "caption is too long" in refused.json()["error"]
    assert sandbox.messages(4242) == []


async def test_the_python_api_refuses_the_same_over_long_message(sandbox: TelegramSandbox) -> None:
    with pytest.raises(ValueError, match="message is too long: 5000 characters"):
        sandbox.user_message(4242, SandboxUser(4242, "Ann"), "x" * 5000)
