"""Reading a test worker's log (``Deployment.start_worker`` writes ``worker-<n>.log``): lines, and
waiting for one to appear (polling the file the worker appends to, within a bounded time)."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from tests.fixtures.deployment import Deployment

# naibot.logs.LOG_FORMAT: "date LEVEL logger: message".
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [^\s:]+: ")


def log_path(deployment: Deployment, index: int = 0) -> Path:
    return deployment.storage_dir / f"worker-{index}.log"


def log_lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def matching(path: Path, pattern: str) -> list[str]:
    found = re.compile(pattern)
    return [line for line in log_lines(path) if found.search(line)]


async def wait_for_line(path: Path, pattern: str, timeout: float = 30.0) -> str:
    """The first line matching ``pattern``, once the worker has written it."""
    deadline = time.monotonic() + timeout
    while not (lines := matching(path, pattern)):
        if time.monotonic() > deadline:
            tail = "\n".join(log_lines(path)[-30:])
            raise AssertionError(f"no log line matching {pattern!r} within {timeout:.0f} s; the log ends:\n{tail}")
        await asyncio.sleep(0.05)
    return lines[0]
