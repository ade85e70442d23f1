"""The Telegram bot in webhook mode, end to end: the stand-in pushes updates to the real bot's
webhook as Telegram does, with the secret header; a forged POST without the secret, or with a wrong
one, is refused at the door and runs nothing; webhook mode does not start without a strong secret."""

from __future__ import annotations

import asyncio
import hmac
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from bot.cli.main import main
from bot.keys import BotKeys
from bot.telegram.adapter import TelegramBot
from naibot.settings import load_settings
from tests.fixtures.http_e2e import free_port
from tests.fixtures.redis import TEST_SECRET_KEY
from tests.fixtures.telegram_e2e import ANN, BOB, CAT, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "--size 512x512 --steps 8"
SECRET = "q8Zr1S2n7Wq0pXo8v-Kc3_dYh5LmTa9BuE6fGiJ4kN"
MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # what Telegram sends with each update


async def start_webhook_bot(world: TelegramWorld, **overrides: str) -> tuple[TelegramBot, str]:
    """The real bot in webhook mode on a free local port; returns it and its webhook URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    env = {**world.env(), "NAIBOT_TELEGRAM__MODE": "webhook", "NAIBOT_TELEGRAM__WEBHOOK_URL": url,
           "NAIBOT_TELEGRAM__WEBHOOK_LISTEN": "127.0.0.1", "NAIBOT_TELEGRAM__WEBHOOK_PORT": str(port),
           "NAIBOT_TELEGRAM__WEBHOOK_SECRET": SECRET, **overrides}
    bot = TelegramBot(load_settings(env=env))
    world.bots.append(bot)  # the fixture stops it, whatever happens here
    await bot.start_webhook()
    return bot, url


def forged_command(sender: Any, text: str, update_id: int = 990_001) -> dict[str, Any]:
    """A hand-made update, as anyone who finds the URL can write one, "from" ``sender``."""
    user = {"id": sender.id, "is_bot": False, "first_name": sender.first_name, "username": sender.username}
    word = text.split()[0]
    return {"update_id": update_id, "message": {
        "message_id": 77, "date": int(time.time()), "chat": {"id": sender.id, "type": "private"},
        "from": user, "text": text, "entities": [{"type": "bot_command", "offset": 0, "length": len(word)}]}}


async def test_webhook_bot_answers_a_generate_pushed_by_telegram(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await start_webhook_bot(world)
    set_webhook = world.telegram.calls("setWebhook")
    assert [c.status for c in set_webhook] == [200] and set_webhook[0].params["secret_token"] == SECRET
    command = world.say(ANN, f"/generate a cat on a roof {SMALL} --seed 3")
    status = await world.status_message(ANN.id, command)
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(ANN.id)), timeout=30)
    await world.wait(lambda: "Done" in (world.current(ANN.id, status.message_id).text or ""))
    assert world.telegram.webhook_deliveries >= 1 and world.telegram.webhook_info()["pending_update_count"] == 0
    assert not world.telegram.calls("getUpdates"), "every update came by the webhook"


async def test_two_webhook_processes_on_one_host_have_their_own_delivery_consumers(telegram_world: TelegramWorld
                                                                                  ) -> None:
    """Two processes sharing a consumer name would each re-read the other's unacknowledged events."""
    first, _ = await start_webhook_bot(telegram_world)
    second, _ = await start_webhook_bot(telegram_world)
    assert first.runtime is not None and second.runtime is not None
    consumers = {first.runtime.delivery.consumer, second.runtime.delivery.consumer}
    assert len(consumers) == 2 and all("-webhook-" in name for name in consumers)


async def test_naibot_telegram_serves_webhook_mode_until_sigterm(telegram_world: TelegramWorld) -> None:
    """The deployed path: ``naibot telegram`` with telegram.mode webhook, the declared dependencies only."""
    world = telegram_world
    port = free_port()
    env = {**world.env(), "NAIBOT_TELEGRAM__MODE": "webhook", "NAIBOT_TELEGRAM__WEBHOOK_PORT": str(port),
           "NAIBOT_TELEGRAM__WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
           "NAIBOT_TELEGRAM__WEBHOOK_SECRET": SECRET}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "telegram", env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await world.wait(lambda: any(c.status == 200 for c in world.telegram.calls("setWebhook")), timeout=30)
        command = world.say(ANN, "/help")
        await world.wait(lambda: bool(world.replies_to(ANN.id, command["message_id"])))
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, output.decode(errors="replace")[-2000:]
    assert SECRET.encode() not in output, "the webhook secret never reaches the log"


async def test_forged_updates_are_refused_and_run_nothing(telegram_world: TelegramWorld,
                                                          aredis: aioredis.Redis) -> None:
    world = telegram_world
    _, url = await start_webhook_bot(world, NAIBOT_BOT__ADMINS=f'["telegram:{CAT.id}"]')
    banned = BotKeys(world.deployment.prefix).banned
    forged = forged_command(CAT, f"/admin ban {BOB.id}")
    near_miss = SECRET[:-1] + ("A" if SECRET[-1] != "A" else "B")
    async with httpx.AsyncClient() as client:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: near_miss}, {SECRET_HEADER: ""},
                        {SECRET_HEADER: SECRET + "x"}, {SECRET_HEADER: "é".encode("latin-1")}):
            answer = await client.post(url, json=forged, headers=headers)
            assert answer.status_code == 403, headers
    # The door works for Telegram: the admin's own /admin ban, pushed with the secret, runs ...
    world.say(CAT, f"/admin ban {ANN.id}")
    await world.wait(lambda: any("is banned" in (m.text or "") for m in world.telegram.bot_messages(CAT.id)))
    # ... and it is the only one that did.
    assert await aredis.hexists(banned, f"telegram:{ANN.id}")
    assert not await aredis.hexists(banned, f"telegram:{BOB.id}"), "a forged /admin ban banned someone"
    assert len([m for m in world.telegram.bot_messages(CAT.id) if "is banned" in (m.text or "")]) == 1


async def test_oversized_or_unreadable_bodies_are_refused_and_the_bot_goes_on(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    _, url = await start_webhook_bot(world)
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with httpx.AsyncClient() as client:
        huge = await client.post(url, content=b'{"update_id": 1, "pad": "' + b"x" * (2 << 20) + b'"}', headers=headers)
        assert huge.status_code == 413
        assert (await client.post(url, content=b"not json", headers=headers)).status_code == 400
        assert (await client.post(url, json=["not", "an", "update"], headers=headers)).status_code == 400
    command = world.say(ANN, "/help")
    await world.wait(lambda: bool(world.replies_to(ANN.id, command["message_id"])))


async def test_the_secret_is_compared_in_constant_time(telegram_world: TelegramWorld,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    world = telegram_world
    _, url = await start_webhook_bot(world)
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    async with httpx.AsyncClient() as client:
        answer = await client.post(url, json=forged_command(ANN, "/help"), headers={SECRET_HEADER: "guess"})
    assert answer.status_code == 403
    assert compared == [(b"guess", SECRET.encode())]


@pytest.mark.parametrize(("secret", "problem"), [
    (None, "required in webhook mode"),
    ("tooShort-123", "32 to 256 characters"),
    ("has spaces and is long enough to pass the length rule", "32 to 256 characters"),
    ("change-me-to-a-long-random-webhook-secret-value", "looks like a placeholder"),
    ("a" * 40, "looks like a placeholder"),
])
def test_webhook_mode_refuses_to_start_without_a_strong_secret(
        secret: str | None, problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:TEST-sandbox-token-aaaaaaaaaaaaaaaaaaaaaaaa")
    monkeypatch.setenv("NAIBOT_TELEGRAM__MODE", "webhook")
    monkeypatch.setenv("NAIBOT_TELEGRAM__WEBHOOK_URL", "https://bot.example.org/telegram")
    if secret is not None:
        monkeypatch.setenv("NAIBOT_TELEGRAM__WEBHOOK_SECRET", secret)
    settings_file = os.devnull  # no settings file: defaults and the environment
    for argv in (["telegram"], ["settings", "check"]):
        assert main(["--settings", settings_file, *argv]) == 2, argv
        err = capsys.readouterr().err
        line = next(line for line in err.splitlines() if "webhook_secret" in line.lower())
        assert problem in line and MAKE_ONE in line and "NAIBOT_TELEGRAM__WEBHOOK_SECRET" in line
        assert secret is None or secret not in err, "the refused secret is never printed"


def test_the_adapter_refuses_webhook_mode_without_a_secret_even_past_validation() -> None:
    settings = load_settings(env={"TELEGRAM_TOKEN": "123456:TEST-sandbox-token-aaaaaaaaaaaaaaaaaaaaaaaa",
                                  "NAIBOT_TELEGRAM__WEBHOOK_URL": "https://bot.example.org/telegram"})
    for weak in (None, "tooShort-123"):
        secret = SecretStr(weak) if weak is not None else None
        telegram = settings.telegram.model_copy(update={"mode": "webhook", "webhook_secret": secret})
        with pytest.raises(ValueError, match=r"telegram\.webhook_secret"):
            TelegramBot(settings.model_copy(update={"telegram": telegram}))


def test_settings_check_masks_the_webhook_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NAIBOT_TELEGRAM__MODE", "webhook")
    monkeypatch.setenv("NAIBOT_TELEGRAM__WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.setenv("NAIBOT_TELEGRAM__WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("NAIBOT_SECRET_KEY", TEST_SECRET_KEY)  # else settings check names its absence (exit 2)
    assert main(["--settings", os.devnull, "settings", "check"]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out and '"webhook_secret": "**********"' in out
