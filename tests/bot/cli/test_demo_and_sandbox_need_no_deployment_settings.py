"""``naibot demo`` and ``naibot sandbox …`` bring their own stand-ins and run on built-in defaults: a
broken ``./settings.yaml`` or a deployment variable that would stop a process (``NAIBOT_SECRET_KEY=short``)
does not keep anyone from trying them (first-run report finding 15, last point)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest

from tasks.launch import ROOT
from tests.fixtures.environment import DEPLOYMENT_VARIABLES
from tests.fixtures.redis import free_port


def broken_deployment(tmp_path: Path) -> dict[str, str]:
    """A directory whose settings.yaml does not parse, and an environment whose secret key is refused."""
    (tmp_path / "settings.yaml").write_text("redis: [unclosed\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(DEPLOYMENT_VARIABLES)}
    env.update({"PYTHONPATH": str(ROOT), "NAIBOT_SECRET_KEY": "short", "NAIBOT_QUEUE__MAX_ATTEMPTS": "abc"})
    return env


async def first_line_with(tmp_path: Path, text: str, *args: str) -> str:
    """Run ``naibot ARGS`` in ``tmp_path`` until a line of its output contains ``text``; then stop it
    (Ctrl-C, as a person would; its whole process group if it lingers)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=broken_deployment(tmp_path), cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        start_new_session=True)
    seen: list[str] = []
    try:
        assert process.stdout is not None
        async with asyncio.timeout(60):
            while raw := await process.stdout.readline():
                seen.append(raw.decode())
                if text in seen[-1]:
                    return seen[-1]
        raise AssertionError(f"naibot {' '.join(args)} ended (status {await process.wait()}):\n" + "".join(seen))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


@pytest.mark.parametrize("service", ["novelai", "telegram"])
async def test_a_sandbox_starts_whatever_the_deployment_settings_say(tmp_path: Path, service: str) -> None:
    port = free_port()
    line = await first_line_with(tmp_path, f"http://127.0.0.1:{port}", "sandbox", service, "--port", str(port))
    assert "invalid settings" not in line


async def test_the_demo_starts_whatever_the_deployment_settings_say(tmp_path: Path) -> None:
    line = await first_line_with(tmp_path, "Redis: ", "demo", "--out", str(tmp_path / "out"))
    assert line.startswith("Redis: ")
