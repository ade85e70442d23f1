"""``naibot discord`` that cannot start: a token Discord rejects (401 on ``/users/@me``), a REST API
or a gateway nobody answers at. One line on stderr naming what to check, exit 2, no traceback, and
never the token."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.cli.common import EXIT_USAGE
from sandbox.discord import DiscordSandbox
from tests.fixtures.bot_process import NAIBOT, Finished, bot_env, kill_group, run_naibot
from tests.fixtures.discord_e2e import GUILD, OWNER, SFW
from tests.fixtures.redis import free_port

# The shape of a real bot token (three base64url parts), but not the stand-in's.
WRONG_TOKEN = "MTIwMDk5OTk5OTk5OTk5OTk5OQ.GxYzAb.wrong-discord-token-zzzzzzzzzzzzzzzzzzz"
BLIP_TIMEOUT = 60.0
RECONNECT_TIMEOUT = 180.0
READY_LINE = "Discord bot ready on the gateway"


@pytest.fixture
def discord(discord_sandbox: DiscordSandbox) -> DiscordSandbox:
    return discord_sandbox


def assert_ends_with_one_line(finished: Finished, line: str) -> None:
    """Exit 2, the line last on stderr, no traceback, no ERROR from discord.py before it."""
    assert finished.returncode == EXIT_USAGE, finished.output
    assert finished.stderr.strip().splitlines()[-1] == line, finished.output
    assert "Traceback" not in finished.output and " ERROR " not in finished.output, finished.output


async def test_a_token_discord_rejects_is_one_line_and_exit_2_without_the_token(
        discord: DiscordSandbox, redis_prefix: str, tmp_path: Path) -> None:
    env = bot_env(redis_prefix, tmp_path, DISCORD_TOKEN=WRONG_TOKEN, DISCORD_API_URL=discord.api_url,
                  DISCORD_GATEWAY_URL=discord.gateway_url)
    finished = await run_naibot("discord", env=env)
    assert_ends_with_one_line(
        finished, "naibot: Discord rejected DISCORD_TOKEN (check it in the Developer Portal, Bot tab: Reset Token)")
    assert WRONG_TOKEN not in finished.output and "wrong-discord-token" not in finished.output
    assert not discord.connected()


async def test_an_unreachable_discord_api_is_one_line_naming_the_url_and_exit_2(
        discord: DiscordSandbox, redis_prefix: str, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/v10"
    env = bot_env(redis_prefix, tmp_path, DISCORD_TOKEN=discord.token, DISCORD_API_URL=closed,
                  DISCORD_GATEWAY_URL=discord.gateway_url)
    finished = await run_naibot("discord", env=env)
    assert_ends_with_one_line(finished, f"naibot: cannot reach the Discord API at {closed} (connection refused); "
                                        "check DISCORD_API_URL and the network")
    assert discord.token not in finished.output


async def test_an_unreachable_gateway_at_start_is_one_line_naming_the_url_and_exit_2(
        discord: DiscordSandbox, redis_prefix: str, aredis: object, tmp_path: Path) -> None:
    closed = f"ws://127.0.0.1:{free_port()}"
    env = bot_env(redis_prefix, tmp_path, DISCORD_TOKEN=discord.token, DISCORD_API_URL=discord.api_url,
                  DISCORD_GATEWAY_URL=closed)
    finished = await run_naibot("discord", env=env)
    assert_ends_with_one_line(finished, f"naibot: cannot reach the Discord gateway at {closed} (connection refused); "
                                        "check DISCORD_GATEWAY_URL and the network")
    assert discord.token not in finished.output


async def _until_logged(log: Path, process: asyncio.subprocess.Process, line: str) -> None:
    """Wait for ``line`` in the bot's log file (a file, not a pipe: discord.py logs a traceback per
    reconnect attempt, and a pipe nobody reads would fill and stop the bot mid-write)."""
    while line not in log.read_text(errors="replace"):
        assert process.returncode is None, f"the bot exited before it was up:\n{log.read_text()[-3000:]}"
        await asyncio.sleep(0.05)


@pytest.mark.timeout(RECONNECT_TIMEOUT + 2 * BLIP_TIMEOUT)
async def test_a_gateway_that_goes_away_after_the_start_is_reconnected_to(
        redis_prefix: str, aredis: object, tmp_path: Path) -> None:
    """Only the *start* gives up: once ready, a gateway (and API) that vanishes is discord.py's to
    reconnect to: the same process identifies on the gateway again when it is back."""
    first = DiscordSandbox(heartbeat_interval_ms=1000)
    await first.start()
    first.add_guild(GUILD, "Artists", owner=OWNER, channels={SFW: False})
    port = int(first.api_url.split(":")[2].split("/")[0])
    env = bot_env(redis_prefix, tmp_path, DISCORD_TOKEN=first.token, DISCORD_API_URL=first.api_url,
                  DISCORD_GATEWAY_URL=first.gateway_url, NAIBOT_DISCORD__GUILDS=f"[{GUILD}]")
    log = tmp_path / "bot.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(NAIBOT), "discord", env=env, stdout=output, stderr=output, start_new_session=True)
    second = DiscordSandbox(heartbeat_interval_ms=1000)
    try:
        # Ready (discord.py waits up to 2 s for the guilds after the gateway's READY; a gateway lost
        # before that is a failed start, exit 2, by design): it goes away after the start.
        await asyncio.wait_for(_until_logged(log, process, READY_LINE), BLIP_TIMEOUT)
        await first.stop()
        await second.start(port=port)  # back after a moment, nothing remembered
        second.add_guild(GUILD, "Artists", owner=OWNER, channels={SFW: False})
        # Identified again on the new gateway. discord.py waits uniform(0, 2**n) s after its n-th
        # failed attempt while the stand-in was away, so a slow stop (a loaded machine) stretches it.
        try:
            await second.wait_for(second.connected, RECONNECT_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"not identified again; the bot's log:\n{log.read_text()[-4000:]}") from None
        assert process.returncode is None
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), BLIP_TIMEOUT)
    finally:
        if process.returncode is None:
            kill_group(process.pid)
            await process.wait()
        await second.stop()
    assert "naibot: " not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]
