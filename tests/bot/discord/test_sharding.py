"""Discord sharding end to end: the real discord.py ``AutoShardedClient`` against the stand-in's sharded
gateway, a real worker, the NovelAI stand-in and Redis. One process can run several shards; several
processes can each run a range of them on the same queue, each getting only its guilds' interactions,
and a job asked on any shard is delivered. Bad shard settings are refused at load with one line."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import discord
import pytest

from bot.discord.adapter import DiscordBot
from bot.discord.shards import IDENTIFY_WINDOW, IdentifyPacer, ShardPlan, shard_of, shard_ranges
from naibot.settings import DiscordSettings, SettingsError, load_settings
from sandbox.discord import StoredMessage
from tasks.launch import ROOT
from tests.fixtures.bot_process import NAIBOT, kill_group
from tests.fixtures.discord_e2e import ANN, BOB, GUILD, OWNER, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}
# A second guild that lands on shard 1 of 2 ((id >> 22) % 2 == 1); the fixture's GUILD is on shard 0.
ODD_GUILD, ODD_CHANNEL = (1 << 22) | 9100, 9101
BOTH_GUILDS = f"[{GUILD}, {ODD_GUILD}]"
# A bot process starts (imports, login, gateway) within this on a loaded machine.
PROCESS_TIMEOUT = 60.0


def add_odd_guild(world: DiscordWorld) -> None:
    world.discord.add_guild(ODD_GUILD, "Painters", owner=OWNER, channels={ODD_CHANNEL: False})
    for user in (ANN, BOB):
        world.discord.add_member(ODD_GUILD, user)


def spy_on_interactions(bot: DiscordBot) -> list[int | None]:
    """The guild of every interaction this bot's client receives (wrapping its ``on_interaction``)."""
    seen: list[int | None] = []
    handler: Callable[[discord.Interaction], Awaitable[None]] = bot.on_interaction

    async def spy(interaction: discord.Interaction) -> None:
        seen.append(interaction.guild_id)
        await handler(interaction)

    bot.client.on_interaction = spy  # type: ignore[attr-defined]
    return seen


async def both_done(world: DiscordWorld, responses: list[StoredMessage]) -> None:
    """Both jobs' status messages (one in each guild) say done, and each result was uploaded once,
    though both processes' delivery loops read every job's events."""
    channels = (SFW, ODD_CHANNEL)
    await world.wait(lambda: all("Done" in world.current(channel, response.id).content
                                 for channel, response in zip(channels, responses, strict=True)), timeout=60)
    assert [len(world.results(channel)) for channel in channels] == [1, 1]


def test_guild_ids_of_the_tests_are_on_different_shards() -> None:
    assert (shard_of(GUILD, 2), shard_of(ODD_GUILD, 2)) == (0, 1)


async def test_one_process_with_two_shards_identifies_both_and_answers_on_shard_1(discord_world: DiscordWorld
                                                                                  ) -> None:
    world = discord_world
    add_odd_guild(world)
    world.discord.max_concurrency = 2  # both IDENTIFYs may start at once
    bot = await world.start_bot(NAIBOT_DISCORD__SHARD_COUNT="2", NAIBOT_DISCORD__GUILDS=BOTH_GUILDS)
    assert world.discord.identified_shards() == [(0, 2), (1, 2)]
    assert world.discord.live_shards() == [(0, 2), (1, 2)]
    assert bot.client.shard_count == 2 and sorted(bot.shard_status()) == [0, 1]
    assert {guild.id: guild.shard_id for guild in bot.client.guilds} == {GUILD: 0, ODD_GUILD: 1}
    assert bot.bot_user_id == world.discord.bot_user_id
    await world.deployment.start_worker(threads=1)
    interaction = world.discord.slash_command(ODD_GUILD, ODD_CHANNEL, ANN, "generate", {"prompt": "a heron", **SMALL})
    response = await world.response(interaction)
    assert response.ephemeral_for is None and response.author_id == world.discord.bot_user_id
    await world.wait(lambda: len(world.results(ODD_CHANNEL)) == 1, timeout=60)
    assert world.results(ODD_CHANNEL)[0].attachments


async def test_the_shard_count_comes_from_discord_when_not_set(discord_world: DiscordWorld) -> None:
    world = discord_world
    add_odd_guild(world)
    world.discord.recommended_shards, world.discord.max_concurrency = 2, 2
    bot = await world.start_bot(NAIBOT_DISCORD__GUILDS=BOTH_GUILDS)
    assert bot.client.shard_count == 2
    assert world.discord.identified_shards() == [(0, 2), (1, 2)]


async def test_two_processes_with_one_shard_each_get_only_their_guilds_and_both_deliver(
        discord_world: DiscordWorld) -> None:
    world = discord_world
    add_odd_guild(world)
    # The process with shard 1 starts first: it registers no commands (shard 0's process does).
    odd = await world.start_bot(NAIBOT_DISCORD__SHARD_COUNT="2", NAIBOT_DISCORD__SHARD_IDS="1",
                                NAIBOT_DISCORD__GUILDS=BOTH_GUILDS)
    assert world.discord.calls("PUT", "/commands") == []
    even = await world.start_bot(NAIBOT_DISCORD__SHARD_COUNT="2", NAIBOT_DISCORD__SHARD_IDS="0",
                                 NAIBOT_DISCORD__GUILDS=BOTH_GUILDS)
    assert len(world.discord.calls("PUT", "/commands")) == 2  # one per configured guild, by shard 0's process
    assert world.discord.live_shards() == [(0, 2), (1, 2)]
    assert [g.id for g in even.client.guilds] == [GUILD] and [g.id for g in odd.client.guilds] == [ODD_GUILD]
    assert sorted(even.shard_status()) == [0] and sorted(odd.shard_status()) == [1]
    seen_even, seen_odd = spy_on_interactions(even), spy_on_interactions(odd)
    await world.deployment.start_worker(threads=1)
    asked_even = world.discord.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "a cat", **SMALL})
    asked_odd = world.discord.slash_command(ODD_GUILD, ODD_CHANNEL, BOB, "generate", {"prompt": "a dog", **SMALL})
    responses = [await world.response(interaction) for interaction in (asked_even, asked_odd)]
    assert all(response.ephemeral_for is None for response in responses)
    await both_done(world, responses)
    assert seen_even == [GUILD] and seen_odd == [ODD_GUILD]


# -- settings ---------------------------------------------------------------------------------


def discord_settings(**env: str) -> DiscordSettings:
    return load_settings(path="/nonexistent/settings.yaml",
                         env={f"NAIBOT_DISCORD__{name.upper()}": value for name, value in env.items()}).discord


def refusal(**env: str) -> str:
    with pytest.raises(SettingsError) as caught:
        discord_settings(**env)
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid settings:" and len(lines) == 2, lines
    return lines[1].strip()


def test_shard_settings_default_to_discords_count_and_every_shard() -> None:
    settings = discord_settings()
    assert (settings.shard_count, settings.shard_ids) == (None, None)
    assert ShardPlan.from_settings(settings).holds_first


@pytest.mark.parametrize(("text", "ids"), [("0-3", [0, 1, 2, 3]), ("0,1", [0, 1]), ("5", [5]), ("[6, 2]", [2, 6]),
                                           ("0-1, 4", [0, 1, 4])])
def test_shard_ids_are_read_from_ranges_lists_and_single_ids(text: str, ids: list[int]) -> None:
    assert discord_settings(shard_count="8", shard_ids=text).shard_ids == ids


@pytest.mark.parametrize(("env", "line"), [
    ({"shard_count": "2", "shard_ids": "2"}, "NAIBOT_DISCORD__SHARD_IDS: shard ids must be 0 to 1 (shard_count is 2)"),
    ({"shard_count": "4", "shard_ids": "2-5"},
     "NAIBOT_DISCORD__SHARD_IDS: shard ids must be 0 to 3 (shard_count is 4)"),
    ({"shard_ids": "0"},
     "NAIBOT_DISCORD__SHARD_IDS: shard ids need a fixed discord.shard_count (which shards exist depends on it)"),
    ({"shard_count": "2", "shard_ids": "one"},
     'NAIBOT_DISCORD__SHARD_IDS: shard ids are a list, a range like "0-3" or ids like "0,1"'),
    ({"shard_count": "2", "shard_ids": "[]"},
     "NAIBOT_DISCORD__SHARD_IDS: no shard ids: leave it unset (null) to run every shard"),
    ({"shard_count": "0"}, "NAIBOT_DISCORD__SHARD_COUNT: Input should be greater than or equal to 1"),
])
def test_bad_shard_settings_are_refused_with_one_line_naming_the_variable(env: dict[str, str], line: str) -> None:
    assert refusal(**env) == line


def test_the_shard_plan_names_its_shards_for_logs_and_its_delivery_consumer() -> None:
    plan = ShardPlan.from_settings(discord_settings(shard_count="8", shard_ids="0-2,5"))
    assert plan.label() == "shards 0-2,5 of 8" and plan.instance == "shards-0-2_5" and plan.holds_first
    later = ShardPlan.from_settings(discord_settings(shard_count="8", shard_ids="4"))
    assert later.label() == "shard 4 of 8" and not later.holds_first
    assert ShardPlan().label(3) == "shards 0-2 of 3" and ShardPlan().instance == ""
    assert shard_ranges([3, 1, 2, 7]) == "1-3,7"


async def test_identify_pacer_starts_max_concurrency_shards_together_and_waits_for_the_bucket() -> None:
    waits: list[tuple[int, float]] = []
    shard = 0

    async def sleep(seconds: float) -> None:
        waits.append((shard, seconds))

    pacer = IdentifyPacer(max_concurrency=2, sleep=sleep)
    for shard in range(4):  # buckets 0, 1, 0, 1: shards 2 and 3 wait for 0 and 1's five seconds
        await pacer.before_identify(shard, initial=shard == 0)
    assert [s for s, _ in waits] == [2, 3] and all(4.0 < seconds <= IDENTIFY_WINDOW for _, seconds in waits)
    waits.clear()
    shard = 1
    await pacer.before_identify(1)  # identifying again after a lost session: discord.py's 5 s
    assert waits == [(1, IDENTIFY_WINDOW)]


def test_the_guides_systemd_template_runs_the_discord_unit_with_its_instance_as_the_shard_range(
        tmp_path: Path) -> None:
    """deploy/SCALING.md's ``sed`` line, run as written: the template is the hardened unit plus one line."""
    guide = (ROOT / "deploy" / "SCALING.md").read_text()
    command = re.search(r"^  (sed .+?naibot-discord@\.service)$", guide, re.MULTILINE | re.DOTALL)
    assert command is not None, "SCALING.md shows how to make the template"
    script = command.group(1).replace("/etc/systemd/system/", f"{tmp_path}/")
    subprocess.run(["bash", "-c", script], cwd=ROOT, check=True)
    plain = (ROOT / "deploy" / "naibot-discord.service").read_text().splitlines()
    template = (tmp_path / "naibot-discord@.service").read_text().splitlines()
    added = [line for line in template if line not in plain]
    assert added == ["Environment=NAIBOT_DISCORD__SHARD_IDS=%i"] and len(template) == len(plain) + 1
    assert template.index(added[0]) < next(i for i, line in enumerate(template) if line.startswith("ExecStart="))


READY_LINE = "Discord bot ready on the gateway"


async def logged(log: Path, process: asyncio.subprocess.Process, line: str) -> None:
    """Until ``line`` is in a bot process's log file (looked at every 50 ms; a process has no other
    way to say it is ready)."""
    while line not in log.read_text(errors="replace"):
        assert process.returncode is None, f"the bot exited before it was ready:\n{log.read_text()[-3000:]}"
        await asyncio.sleep(0.05)


async def test_two_naibot_discord_processes_with_a_shard_each_answer_and_deliver_on_one_queue(
        discord_world: DiscordWorld, tmp_path: Path) -> None:
    """The deployment's shape: ``naibot discord`` twice, ``NAIBOT_DISCORD__SHARD_IDS`` 0 and 1 of 2."""
    world = discord_world
    add_odd_guild(world)
    settings = tmp_path / "settings.yaml"
    settings.write_text("# empty: defaults and the environment only\n")
    env = {**world.env(), "NAIBOT_SETTINGS": str(settings), "NAIBOT_DISCORD__GUILDS": BOTH_GUILDS,
           "NAIBOT_DISCORD__SHARD_COUNT": "2", "NAIBOT_LOGGING__LEVEL": "INFO", "PYTHONPATH": str(ROOT),
           "PYTHONUNBUFFERED": "1"}
    processes: list[tuple[asyncio.subprocess.Process, Path]] = []
    try:
        for shard in ("1", "0"):
            log = tmp_path / f"shard-{shard}.log"
            with log.open("wb") as output:  # a file, not a pipe nobody reads
                processes.append((await asyncio.create_subprocess_exec(
                    str(NAIBOT), "discord", env={**env, "NAIBOT_DISCORD__SHARD_IDS": shard}, cwd=tmp_path,
                    stdout=output, stderr=output, start_new_session=True), log))
        await world.discord.wait_for(lambda: world.discord.live_shards() == [(0, 2), (1, 2)], PROCESS_TIMEOUT)
        for process, log in processes:  # discord.py waits up to 2 s for the guilds after READY
            await asyncio.wait_for(logged(log, process, READY_LINE), PROCESS_TIMEOUT)
        assert len(world.discord.calls("PUT", "/commands")) == 2
        await world.deployment.start_worker(threads=1)
        asked = [world.discord.slash_command(GUILD, SFW, ANN, "generate", {"prompt": "a cat", **SMALL}),
                 world.discord.slash_command(ODD_GUILD, ODD_CHANNEL, BOB, "generate", {"prompt": "a dog", **SMALL})]
        responses = [await world.response(interaction, timeout=PROCESS_TIMEOUT) for interaction in asked]
        try:
            await both_done(world, responses)
        except TimeoutError:
            raise AssertionError("not delivered: " + "\n".join(p.read_text()[-3000:] for _, p in processes)) from None
        for process, _ in processes:
            assert process.returncode is None
            process.send_signal(signal.SIGTERM)
        for process, _ in processes:
            await asyncio.wait_for(process.wait(), PROCESS_TIMEOUT)
    finally:
        for process, _ in processes:
            if process.returncode is None:
                kill_group(process.pid)
                await process.wait()
    logs = {path.name: path.read_text(errors="replace") for _, path in processes}
    assert f"{READY_LINE}: shard 0 of 2 (1 guilds)" in logs["shard-0.log"], logs["shard-0.log"]
    assert f"{READY_LINE}: shard 1 of 2 (1 guilds)" in logs["shard-1.log"], logs["shard-1.log"]
    assert "commands registered by the process with shard 0" in logs["shard-1.log"]
    assert "Traceback" not in logs["shard-0.log"] + logs["shard-1.log"]
