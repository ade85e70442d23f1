"""``naibot telegram`` and ``naibot discord``: run a chat bot in the foreground."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bot.cli.common import EXIT_OK, EXIT_USAGE, refuse_without_secret_key
from naibot.settings import Settings


def _run_bot(load: Callable[[], type], settings: Settings) -> int:
    """Build the bot (a missing token is a usage error, said plainly) and run it until stopped."""
    if (refused := refuse_without_secret_key(settings)) is not None:
        return refused
    try:
        bot = load()(settings)
    except ValueError as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bot.run()
    return EXIT_OK


def _telegram_bot() -> type:
    from bot.telegram.adapter import TelegramBot

    return TelegramBot


def _discord_bot() -> type:
    from bot.discord.adapter import DiscordBot

    return DiscordBot


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    telegram = sub.add_parser("telegram", help="run the Telegram bot (polling, or webhook by setting)")
    telegram.set_defaults(handler=lambda args, settings: _run_bot(_telegram_bot, settings))
    discord = sub.add_parser("discord", help="run the Discord bot (slash commands)")
    discord.set_defaults(handler=lambda args, settings: _run_bot(_discord_bot, settings))
