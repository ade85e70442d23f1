"""``naibot telegram`` and ``naibot discord``: run a chat bot in the foreground.

A start that cannot succeed (no token, a token the platform rejects, an API that cannot be
reached) ends with one line on stderr and exit 2, never a traceback: the libraries' exceptions
quote the token, and the line says what to check.

``--if-configured`` is for a Procfile: one file lists every platform, a deployment runs only some,
and ``honcho start`` stops *every* process when one exits. So without its token such a process
says once that it stays idle and waits for SIGTERM/SIGINT (exit 0) instead of exiting. Without
the flag (a systemd unit, a person at a terminal) a missing token stays an error.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass

from bot.chat.startup import StartFailed
from bot.cli.common import EXIT_OK, EXIT_USAGE, refuse_without_secret_key
from naibot.settings import Settings, secret

IF_CONFIGURED_HELP = ("without the platform's token, say so once and stay idle until stopped (exit 0) "
                      "rather than fail: for a Procfile that lists platforms this deployment does not run")


@dataclass(frozen=True)
class Platform:
    """What the CLI needs to know about one chat platform: its process name, the variable holding
    its token, how to read that token from settings, and how to import its bot class."""

    name: str
    token_variable: str
    token: Callable[[Settings], str | None]
    load: Callable[[], type]


def _telegram_bot() -> type:
    from bot.telegram.adapter import TelegramBot

    return TelegramBot


def _discord_bot() -> type:
    from bot.discord.adapter import DiscordBot

    return DiscordBot


# ``load`` looks the loader up when called (tests replace the module's loaders with stand-ins).
TELEGRAM = Platform("telegram", "TELEGRAM_TOKEN", lambda s: secret(s.telegram.token), lambda: _telegram_bot())
DISCORD = Platform("discord", "DISCORD_TOKEN", lambda s: secret(s.discord.token), lambda: _discord_bot())


def stay_idle(platform: Platform) -> int:
    """Say once why this process does nothing, then wait for SIGTERM or SIGINT; EXIT_OK."""
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    # Blocked first, so a signal arriving between the message and the wait is not lost.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    print(f"naibot: {platform.token_variable} is not set; the {platform.name} process stays idle "
          "(remove the Procfile line or set the token)", file=sys.stderr, flush=True)
    signal.sigwait(stop_signals)
    return EXIT_OK


def run_bot(platform: Platform, settings: Settings, *, if_configured: bool = False) -> int:
    """Build the bot and run it until stopped; every start-up problem is one line and EXIT_USAGE."""
    if if_configured and not platform.token(settings):
        return stay_idle(platform)
    if (refused := refuse_without_secret_key(settings)) is not None:
        return refused
    try:
        bot = platform.load()(settings)  # ValueError: no token, or a webhook without its secret
    except ValueError as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        bot.run()
    except StartFailed as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    telegram = sub.add_parser("telegram", help="run the Telegram bot (polling, or webhook by setting)")
    discord = sub.add_parser("discord", help="run the Discord bot (slash commands)")
    for parser, platform in ((telegram, TELEGRAM), (discord, DISCORD)):
        parser.add_argument("--if-configured", action="store_true", help=IF_CONFIGURED_HELP)
        parser.set_defaults(handler=lambda args, settings, platform=platform: run_bot(
            platform, settings, if_configured=args.if_configured))
