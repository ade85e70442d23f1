"""The NovelAI stand-in: the image API (generate, stream, ZIP), the user API (login, subscription, Anlas) and
faults on demand; prices requests from its own table.

``server`` assembles it from the modules beside it; each module is one part of the protocol.
May import ``sandbox.control`` and ``sandbox.observed``, never ``bot``, ``tasks`` or ``novelai.cost``.
The server class and the names tests use are re-exported here.
"""

from sandbox.novelai.running import running_sandbox
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
