"""``naibot …`` run as a person runs it, for the sandbox CLI tests: a real process with its stdin kept open,
its stdout read line by line as it comes (every wait bounded), and always stopped at the end."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.fixtures.deployment import ROOT

# The developer's own deployment settings must not reach the process under test.
PRIVATE = ("NAIBOT_", "NOVELAI_", "TELEGRAM_", "DISCORD_", "REDIS_", "STORAGE_")


def clean_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith(PRIVATE)}


class NaibotProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def next_line(self, timeout: float = 30) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not raw:
            raise EOFError(f"naibot ended (status {await self.process.wait()}); it printed:\n" + "\n".join(self.lines))
        line = raw.decode().rstrip("\n")
        self.lines.append(line)
        return line

    async def until(self, pattern: str, timeout: float = 30) -> str:
        """The first line from now on that matches ``pattern`` (a regex searched in the line)."""
        async with asyncio.timeout(timeout):
            while not re.search(pattern, line := await self.next_line(timeout)):
                pass
        return line

    async def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()

    async def close_input(self) -> int:
        """End of input (Ctrl-D); the process's exit status."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        return await asyncio.wait_for(self.process.wait(), 20)


@asynccontextmanager
async def naibot(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[NaibotProcess]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env or clean_env(), cwd=ROOT, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        yield NaibotProcess(process)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def run_naibot(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    """A naibot command that ends by itself: its status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=clean_env(), cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, out.decode(), err.decode()
