"""The NovelAI stand-in: the image API (generate, stream, ZIP), the user API (login, subscription, Anlas) and
faults on demand; prices requests from its own table.

``server`` assembles it from the modules beside it; each module is one part of the protocol.
May import ``sandbox.control`` and ``sandbox.observed``, never ``bot``, ``tasks`` or ``novelai.cost``.
The server class and the names tests use are re-exported here, with ``running_sandbox`` (here because only
this package's ``__init__`` imports its server: tests/sandbox/test_layout.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sandbox.novelai.server import (
    DEFAULT_ACCOUNTS,
    OPUS_EMAIL,
    OPUS_PASSWORD,
    OPUS_TOKEN,
    PAPER_EMAIL,
    PAPER_PASSWORD,
    TABLET_EMAIL,
    TABLET_PASSWORD,
    ControlAPI,
    Faults,
    NovelAISandbox,
    SandboxAccount,
    parse_account_spec,
)
from sandbox.observed import run_in_thread

__all__ = [
    "DEFAULT_ACCOUNTS",
    "OPUS_EMAIL",
    "OPUS_PASSWORD",
    "OPUS_TOKEN",
    "PAPER_EMAIL",
    "PAPER_PASSWORD",
    "TABLET_EMAIL",
    "TABLET_PASSWORD",
    "ControlAPI",
    "Faults",
    "NovelAISandbox",
    "SandboxAccount",
    "parse_account_spec",
    "running_sandbox",
]


@contextlib.contextmanager
def running_sandbox(*, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Iterator[NovelAISandbox]:
    """Run the sandbox in a background thread with its own event loop (for sync code, benchmarks, the demo,
    subprocess tests). ``kwargs`` go to :class:`NovelAISandbox`."""
    async def create() -> NovelAISandbox:
        sandbox = NovelAISandbox(**kwargs)
        await sandbox.start(host, port)
        return sandbox

    with run_in_thread(create, "novelai-sandbox") as sandbox:
        yield sandbox
