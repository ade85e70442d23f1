"""The Discord stand-in: REST v10 and the gateway (websocket) so discord.py runs against it unchanged:
interactions, messages, attachments, rate-limit buckets.

``server`` assembles it from the modules beside it; each module is one part of the protocol.
May import ``sandbox.control`` and ``sandbox.observed``, never ``bot``, ``tasks`` or ``novelai.cost``.
The server class and the names tests use are re-exported here.
"""

from sandbox.discord.server import (
    DEFAULT_TOKEN,
    Call,
    ControlAPI,
    DiscordSandbox,
    DiscordUser,
    RateLimits,
    StoredMessage,
    point_discord_py_at,
    running_discord,
)

__all__ = [
    "DEFAULT_TOKEN",
    "Call",
    "ControlAPI",
    "DiscordSandbox",
    "DiscordUser",
    "RateLimits",
    "StoredMessage",
    "point_discord_py_at",
    "running_discord",
]
