"""``naibot telegram`` and ``naibot discord``: run a chat bot in the foreground."""

from __future__ import annotations

import argparse
import sys

from bot.cli import EXIT_OK, EXIT_USAGE
from naibot.settings import Settings


def _telegram(args: argparse.Namespace, settings: Settings) -> int:
    from bot.telegram_bot import TelegramBot

    try:
        bot = TelegramBot(settings)
    except ValueError as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bot.run()
    return EXIT_OK


def _discord(args: argparse.Namespace, settings: Settings) -> int:
    from bot.discord_bot import DiscordBot

    try:
        bot = DiscordBot(settings)
    except ValueError as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bot.run()
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    telegram = sub.add_parser("telegram", help="run the Telegram bot (polling, or webhook by setting)")
    telegram.set_defaults(handler=_telegram)
    discord = sub.add_parser("discord", help="run the Discord bot (slash commands)")
    discord.set_defaults(handler=_discord)
