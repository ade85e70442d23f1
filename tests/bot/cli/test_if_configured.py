"""``naibot telegram|discord --if-configured`` (the Procfile's lines): without the platform's token the
process says so once and stays idle until SIGTERM or SIGINT, then exits 0, so ``honcho start`` keeps
the other processes up. Without the flag a missing token stays an error (exit 2)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.cli.common import EXIT_OK, EXIT_USAGE
from tests.fixtures.bot_process import NAIBOT, bot_env, kill_group, run_naibot

STOP_TIMEOUT = 20.0


@pytest.mark.parametrize(("platform", "variable"), [("telegram", "TELEGRAM_TOKEN"), ("discord", "DISCORD_TOKEN")])
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_without_its_token_an_if_configured_bot_says_so_once_and_idles_until_stopped(
        platform: str, variable: str, stop_signal: signal.Signals, redis_prefix: str, tmp_path: Path) -> None:
    env = bot_env(redis_prefix, tmp_path)
    process = await asyncio.create_subprocess_exec(
        str(NAIBOT), platform, "--if-configured", env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        assert process.stderr is not None
        first = await asyncio.wait_for(process.stderr.readline(), STOP_TIMEOUT)
        assert first.decode().rstrip("\n") == (
            f"naibot: {variable} is not set; the {platform} process stays idle "
            "(remove the Procfile line or set the token)")
        assert process.returncode is None, "it stays up after saying so"
        process.send_signal(stop_signal)
        stdout, rest = await asyncio.wait_for(process.communicate(), STOP_TIMEOUT)
    finally:
        if process.returncode is None:
            kill_group(process.pid)
            await process.wait()
    assert process.returncode == EXIT_OK
    assert stdout == b"" and rest == b"", "said once, nothing more"


@pytest.mark.parametrize(("platform", "variable"), [("telegram", "TELEGRAM_TOKEN"), ("discord", "DISCORD_TOKEN")])
async def test_without_the_flag_a_missing_token_is_an_error(platform: str, variable: str, redis_prefix: str,
                                                            tmp_path: Path) -> None:
    finished = await run_naibot(platform, env=bot_env(redis_prefix, tmp_path))
    assert finished.returncode == EXIT_USAGE
    assert finished.output.strip() == f"naibot: {variable} is not set"
