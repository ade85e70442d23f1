"""A busy group's queue board, end to end on the Bot API stand-in: one message lists the group's waiting
jobs with a Cancel button each, so a new command's Cancel shows within seconds even at Telegram's 20
messages a minute per group; results still arrive one job at a time; a restarted bot edits the same board."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.keys import BotKeys
from bot.telegram.adapter import TelegramBot
from sandbox.telegram import FloodLimits, SandboxUser, StoredMessage
from tests.fixtures.telegram_e2e import GROUP, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "--size 512x512 --steps 8"
# Telegram's real group budget for the bot under test (20 a minute: boards open above 5 waiting jobs).
REAL = {"NAIBOT_TELEGRAM__PRIVATE_PER_SECOND": "1", "NAIBOT_TELEGRAM__GROUP_PER_MINUTE": "20",
        "NAIBOT_TELEGRAM__GLOBAL_PER_SECOND": "30"}
UNLIMITED = {"NAIBOT_TELEGRAM__PRIVATE_PER_SECOND": "10000", "NAIBOT_TELEGRAM__GROUP_PER_MINUTE": "1000000",
             "NAIBOT_TELEGRAM__GLOBAL_PER_SECOND": "100000"}


def boards(world: TelegramWorld) -> list[StoredMessage]:
    return [m for m in world.telegram.bot_messages(GROUP) if (m.text or "").startswith("📋 Queue board")]


def cancel_of(message: StoredMessage, name: str) -> str | None:
    """The callback data of the board's Cancel button for ``name``'s job, if it is there."""
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"].endswith(f". {name}"):
                return str(button["callback_data"])
    return None


async def fill_group(world: TelegramWorld, users: list[SandboxUser]) -> None:
    """Setup, not under test: each user queues one job in the group (stand-in limits off, a bot paced
    for none: individual status messages), then the bot stops and the windows it filled are forgotten."""
    world.telegram.limits = FloodLimits(enabled=False)
    await world.deployment.hold_lane()
    setup_bot = await world.start_bot(**UNLIMITED)
    for user in users:
        world.say(user, f"/generate@naibot_test_bot a cat {SMALL}", chat_id=GROUP)
    await world.deployment.wait_for_depth(len(users))
    await world.wait(lambda: len(world.telegram.bot_messages(GROUP)) == len(users))
    await world.stop_bot(setup_bot)
    services = world.deployment.services()
    keys = BotKeys(world.deployment.prefix)
    async for key in services.redis.scan_iter(match=f"{keys.platform('telegram')}:pace:*"):
        await services.redis.delete(key)
    await services.aclose()
    world.telegram.limits = FloodLimits()  # Telegram's real limits from here on


async def test_busy_group_shows_a_new_commands_cancel_on_one_board_within_seconds(telegram_world: TelegramWorld
                                                                                  ) -> None:
    world = telegram_world
    users = [SandboxUser(10_000 + i, f"user{i}", None, "en") for i in range(51)]
    await fill_group(world, users[:49])
    bot = await world.start_bot(**REAL)
    await world.wait(lambda: len(boards(world)) == 1, timeout=10)  # the 49 waiting jobs: one board
    (board,) = boards(world)

    # Under test: the 50th command's Cancel button is on the board within a few seconds.
    sent_at = time.monotonic()
    command = world.say(users[49], f"/generate@naibot_test_bot a cat {SMALL}", chat_id=GROUP)
    await world.wait(lambda: cancel_of(world.current(GROUP, board.message_id), "user49") is not None, timeout=10)
    visible = time.monotonic() - sent_at
    print(f"\n50th command -> its Cancel button on the board: {visible:.2f} s")
    assert visible < 5.0
    assert "user49" in (world.current(GROUP, board.message_id).text or "")
    assert not world.replies_to(GROUP, command["message_id"]), "no status message of its own while it waits"
    assert world.telegram.stats.too_many_requests == 0

    # Pressing it cancels the job, and the board drops it.
    data = cancel_of(world.current(GROUP, board.message_id), "user49")
    assert data is not None
    job_id = data.split(":", 1)[1]
    world.telegram.press_button(GROUP, board.message_id, users[49], data)
    await world.wait(lambda: "user49" not in (world.current(GROUP, board.message_id).text or ""), timeout=10)
    services = world.deployment.services()
    try:
        job = await services.queue.get(job_id)
        assert job is not None and job.state.value == "canceled"
    finally:
        await services.aclose()
    assert not world.replies_to(GROUP, command["message_id"])

    # A restarted bot keeps editing the same board message.
    await world.stop_bot(bot)
    await world.start_bot(**REAL)
    world.say(users[50], f"/generate@naibot_test_bot a cat {SMALL}", chat_id=GROUP)
    await world.wait(lambda: cancel_of(world.current(GROUP, board.message_id), "user50") is not None, timeout=10)
    assert [m.message_id for m in boards(world)] == [board.message_id]
    assert world.telegram.stats.too_many_requests == 0


async def test_board_jobs_still_get_their_results_one_by_one_and_the_board_closes(telegram_world: TelegramWorld
                                                                                ) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.deployment.start_worker()
    bot: TelegramBot = await world.start_bot()  # fast limits; the board opens above 2 waiting jobs here
    assert bot.runtime is not None and bot.runtime.delivery.board is not None
    bot.runtime.delivery.board.threshold = 2
    users = [SandboxUser(20_000 + i, f"member{i}", None, "en") for i in range(6)]
    commands = []
    for user in users:
        commands.append(world.say(user, f"/generate@naibot_test_bot a heron {SMALL}", chat_id=GROUP))
        await world.deployment.wait_for_depth(len(commands))
    await world.wait(lambda: len(boards(world)) == 1 and all(
        cancel_of(boards(world)[0], u.first_name) for u in users))
    (board,) = boards(world)
    answered = [c for c in commands if world.replies_to(GROUP, c["message_id"])]
    assert len(answered) <= 3, "commands after the board opened get no message of their own"

    await world.deployment.release_lane()
    # Every job: its status message (replying to the command) and its picture (replying to that).
    for command in commands:
        status = await world.status_message(GROUP, command, timeout=60)
        await world.wait(lambda s=status: any(m.photo for m in world.replies_to(GROUP, s.message_id)), timeout=60)
    photos = [m for m in world.telegram.bot_messages(GROUP) if m.photo]
    assert len(photos) == len(commands)
    await world.wait(lambda: "short again" in (world.current(GROUP, board.message_id).text or ""))
    assert not world.current(GROUP, board.message_id).reply_markup
    assert world.telegram.stats.too_many_requests == 0
    await asyncio.sleep(0)
