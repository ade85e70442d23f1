"""What a failed start of the Discord bot means, as the operator's one line (``StartFailed``).

Two steps can fail. Logging in is REST (``GET /users/@me``, then ``GET /gateway/bot`` for the shard
count and how many shards may start at once): discord.py raises
``LoginFailure`` for a rejected token, ``HTTPException`` for another answer, an aiohttp or OS error
when the API cannot be reached. Then the gateway: discord.py's ``connect(reconnect=True)`` retries
every failure with a logged traceback, and on a *first* connection that never succeeded it then
trips over its own state (``self.ws`` is None: an ``AttributeError``); its sharded client (the one the
adapter runs) logs "Failed to connect for shard_id" and retries for ever. ``GatewayWatch`` sees that
first failure as it is logged, keeps its traceback out of the log, and hands the cause to the
adapter, which gives up with one line. Once the bot has been ready, failures are logged and retried
by discord.py as before.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from bot.chat.startup import StartFailed, short_reason

# The gateway close code for a token the gateway does not accept.
AUTHENTICATION_FAILED = 4004
# discord.py's loggers and the messages it logs a connection failure with before retrying (the plain
# client's, and the sharded client's for a shard that never connected or lost its connection).
CLIENT_LOGGER = "discord.client"
SHARD_LOGGER = "discord.shard"
RETRY_MESSAGES = ("Attempting a reconnect", "Failed to connect for shard_id")
REJECTED = "Discord rejected DISCORD_TOKEN (check it in the Developer Portal, Bot tab: Reset Token)"


def login_failure(exc: BaseException, api_url: str) -> StartFailed | None:
    """The one line for an exception raised while logging in (and registering the commands), or
    None when it is not one an operator can fix by configuration."""
    if isinstance(exc, discord.GatewayNotFound) and isinstance(exc.__cause__, discord.HTTPException):
        exc = exc.__cause__  # GET /gateway/bot answered with an error
    if isinstance(exc, discord.LoginFailure):
        return StartFailed(REJECTED)
    if isinstance(exc, discord.HTTPException):
        return StartFailed(f"the Discord API at {api_url} answered {exc.status} at start "
                           f"({short_reason(exc)}); check DISCORD_API_URL and the bot's permissions")
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
        return StartFailed(f"cannot reach the Discord API at {api_url} ({short_reason(exc)}); "
                           "check DISCORD_API_URL and the network")
    return None


def gateway_failure(exc: BaseException, gateway_url: str) -> StartFailed | None:
    """The one line for the gateway connection failing before the bot was ever ready."""
    if isinstance(exc, discord.ConnectionClosed) and exc.code == AUTHENTICATION_FAILED:
        return StartFailed(REJECTED)
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return StartFailed("Discord refused the bot's gateway intents; enable them in the Developer Portal")
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError, discord.GatewayNotFound,
                        discord.ConnectionClosed)):
        return StartFailed(f"cannot reach the Discord gateway at {gateway_url} ({short_reason(exc)}); "
                           "check DISCORD_GATEWAY_URL and the network")
    return None


class GatewayWatch(logging.Filter):
    """On discord.py's client logger while the bot starts: the first connection failure it logs
    (with a traceback, before retrying) is taken out of the log and set on ``failed``."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(RETRY_MESSAGES) or not record.exc_info:
            return True
        if not self.failed.done() and record.exc_info[1] is not None:
            self.failed.set_result(record.exc_info[1])
        return False

    def __enter__(self) -> GatewayWatch:
        for name in (CLIENT_LOGGER, SHARD_LOGGER):
            logging.getLogger(name).addFilter(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for name in (CLIENT_LOGGER, SHARD_LOGGER):
            logging.getLogger(name).removeFilter(self)
