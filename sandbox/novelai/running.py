"""The NovelAI stand-in in a background thread, for sync code, benchmarks, the demo and subprocess tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sandbox.novelai.server import NovelAISandbox
from sandbox.observed import run_in_thread


@contextlib.contextmanager
def running_sandbox(*, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Iterator[NovelAISandbox]:
    """Run the sandbox in a background thread with its own event loop. ``kwargs`` go to
    :class:`NovelAISandbox`."""
    async def create() -> NovelAISandbox:
        sandbox = NovelAISandbox(**kwargs)
        await sandbox.start(host, port)
        return sandbox

    with run_in_thread(create, "novelai-sandbox") as sandbox:
        yield sandbox
