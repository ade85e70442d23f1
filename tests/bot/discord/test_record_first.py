"""A `/generate` the Discord bot has taken is never lost, end to end: the bot process (`naibot
discord`, its own process group, as deployed) is killed with SIGKILL after the job is recorded and
queued but while its interaction answer is still on the wire (the stand-in answers callbacks
slowly). The interaction's token died with the bot, so the restarted bot posts the status message
in the channel, addressed to the asker by name, and the picture follows."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys

import pytest

from tests.fixtures.deployment import ROOT
from tests.fixtures.discord_e2e import ANN, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")


def spawn_bot(world: DiscordWorld) -> subprocess.Popen[bytes]:
    log = (world.deployment.storage_dir / "killed-discord-bot.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "discord"], env=world.env(), cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def test_a_bot_killed_while_its_interaction_answer_is_in_flight_posts_it_after_the_restart(
        discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.hold_lane()
    await world.deployment.start_worker()
    process = spawn_bot(world)
    try:
        await world.wait(lambda: bool(world.discord.commands(9000)) and world.discord.connected(), timeout=30)
        world.discord.limits = dataclasses.replace(world.discord.limits, callback_latency=60.0)
        interaction = world.generate(ANN, "a patient owl", size="512x512", steps=8)
        await world.deployment.wait_for_depth(1, timeout=20)  # recorded and queued
        assert world.discord.interaction_response(interaction) is None
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    world.discord.limits = dataclasses.replace(world.discord.limits, callback_latency=0.0)
    await world.start_bot()

    def late_status() -> list[str]:
        return [m.content for m in world.discord.messages(SFW) if "Job " in m.content and "Ann" in m.content]

    await world.wait(lambda: bool(late_status()), timeout=30)
    assert late_status()[0].startswith("For Ann, who asked before the bot restarted:")
    await world.deployment.release_lane()
    await world.wait(lambda: bool(world.results(SFW)), timeout=60)
    assert world.discord.interaction_response(interaction) is None, "the dead interaction was not reused"
