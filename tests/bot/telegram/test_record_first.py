"""A `/generate` the Telegram bot has taken is never lost, end to end: the bot process is killed
(SIGKILL, no shutdown) while a group's first answer waits for its pacing slot, after python-telegram-
bot has confirmed the update; the restarted bot posts the status message, and the picture follows.

The bot runs as `naibot telegram` in its own process group (as deployed), paced at one message a
minute per group, so the second command's answer waits; the stand-in is the Bot API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.fixtures.deployment import ROOT
from tests.fixtures.telegram_e2e import ANN, BOB, GROUP, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "--size 512x512 --steps 8"


def spawn_bot(world: TelegramWorld, **overrides: str) -> subprocess.Popen[bytes]:
    log = (world.deployment.storage_dir / "killed-bot.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], env={**world.env(), **overrides},
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def test_a_bot_killed_while_a_groups_first_answer_waits_answers_it_after_the_restart(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.deployment.start_worker()
    process = spawn_bot(world, NAIBOT_TELEGRAM__GROUP_PER_MINUTE="1")
    try:
        await world.wait(lambda: bool(world.telegram.calls("getUpdates")), timeout=30)
        ann = world.say(ANN, f"/generate@naibot_test_bot an early fox {SMALL}", chat_id=GROUP)
        await world.status_message(GROUP, ann, timeout=20)  # the group's one message this minute
        bob = world.say(BOB, f"/generate@naibot_test_bot a late heron {SMALL}", chat_id=GROUP)
        # Bob's command is taken and recorded (his job waits in the lane) while its answer waits.
        await world.deployment.wait_for_depth(2, timeout=20)
        polls = len(world.telegram.calls("getUpdates"))
        await world.wait(lambda: len(world.telegram.calls("getUpdates")) > polls, timeout=20)  # update confirmed
        assert not world.replies_to(GROUP, bob["message_id"]), "its answer is still waiting for the group's slot"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    await world.start_bot()
    await world.deployment.release_lane()
    status = await world.status_message(GROUP, bob, timeout=30)
    assert "Job " in (status.text or "")
    await world.wait(lambda: sum(1 for m in world.telegram.bot_messages(GROUP) if m.photo) == 2, timeout=60)
    assert any("Bob" in (m.caption or "") for m in world.telegram.bot_messages(GROUP) if m.photo)
    assert len(world.replies_to(GROUP, bob["message_id"])) == 1, "one status message for Bob's command"
