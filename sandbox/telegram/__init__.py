"""The Telegram Bot API stand-in: real HTTP (getUpdates long polling or pushes to a webhook, sendMessage,
sendPhoto, media groups, flood limits) so python-telegram-bot runs against it unchanged.

``server`` assembles it from the modules beside it; each module is one part of the protocol.
May import ``sandbox.control`` and ``sandbox.observed``, never ``bot``, ``tasks`` or ``novelai.cost``.
The server class and the names tests use are re-exported here.
"""

from sandbox.telegram.server import (
    DEFAULT_TOKEN,
    ApiError,
    Call,
    ControlAPI,
    FloodControl,
    FloodLimits,
    SandboxUser,
    StoredMessage,
    TelegramSandbox,
    running_telegram,
)

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Call",
    "ControlAPI",
    "FloodControl",
    "FloodLimits",
    "SandboxUser",
    "StoredMessage",
    "TelegramSandbox",
    "running_telegram",
]
