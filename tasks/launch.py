"""Starting worker processes from Python (the demo, the tests, benchmarks) exactly as in production.

``python -m tasks.dramatiq_main tasks.actors`` (Dramatiq's CLI, as ``naibot worker`` runs it) with
settings passed only through the environment, in its own process group so the whole worker
(Dramatiq's parent and its children) can be stopped, or killed as a crash would, at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import redis.asyncio as aioredis

from tasks.keys import Keys

ROOT = Path(__file__).parent.parent
# Dramatiq's consumers back off to one poll a second when idle, so a wake-up could wait that long
# before a worker notices it; 100 ms keeps hand-overs quick for ~10 cheap polls a second.
WORKER_POLL_MS = "100"


def worker_environment(env: dict[str, str], threads: int | None = None) -> dict[str, str]:
    """The environment a worker process needs on top of the settings (Dramatiq reads it directly).

    With ``threads``, each process takes at most that many wake-ups at a time (Dramatiq's default
    is twice its threads): a wake-up taken is a lane this process cannot start until a thread is
    free, while another process with idle threads could run it now. It follows the threads even
    over a value already in ``env`` (one left there by an earlier ``naibot worker`` start, say)."""
    prefetch = {"dramatiq_queue_prefetch": str(threads)} if threads else {}
    return {"dramatiq_worker_timeout": WORKER_POLL_MS, **env, **prefetch}


def worker_argv(queue_name: str, *, processes: int, threads: int) -> list[str]:
    """The worker's command line (``tasks.dramatiq_main``: Dramatiq's CLI with our log format and
    start-up check), the same for ``naibot worker`` and every process started from Python."""
    return [sys.executable, "-m", "tasks.dramatiq_main", "tasks.actors", "--processes", str(processes),
            "--threads", str(threads), "--queues", queue_name]


def spawn_worker(env: dict[str, str], queue_name: str, *, processes: int = 1, threads: int = 4,
                 log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        worker_argv(queue_name, processes=processes, threads=threads),
        env=worker_environment(env, threads), cwd=ROOT, stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def wait_for_heartbeats(redis: aioredis.Redis, prefix: str, process: subprocess.Popen[bytes],
                              known: set[bytes], count: int, timeout: float = 30.0) -> None:
    """Ready = ``count`` new worker processes have beaten their hearts (their sweepers run)."""
    key = Keys(prefix).workers
    deadline = time.monotonic() + timeout
    while len(set(await redis.zrange(key, 0, -1)) - known) < count:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with status {process.returncode} while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not report ready within {timeout:.0f} s")
        await asyncio.sleep(0.05)


def stop_worker(process: subprocess.Popen[bytes], *, kill: bool = False, timeout: float = 15.0) -> None:
    """SIGTERM (Dramatiq finishes or hands back its messages), or SIGKILL for a simulated crash."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
