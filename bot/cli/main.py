"""The ``naibot`` command line: one entry point, a subcommand per process or admin task.

Settings are loaded (and validated) before any subcommand runs, so a bad ``settings.yaml``, ``.env``
or variable stops every process at start with its source named, and exit status 2
(``naibot.settings_source`` says which file and which ``.env`` are read). So does a Redis password
copied from the docs' examples: every subcommand but ``settings check`` (which reports it) uses
Redis. ``demo`` and ``sandbox`` run on built-in defaults and read neither (their parsers say
``uses_settings=False``): they bring their own stand-ins, and a deployment's broken settings must
not keep a newcomer from trying them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.cli import accounts, api, chat, demo, images, info, queue, rotate_key, sandbox, settings_check
from bot.cli.common import EXIT_USAGE, Handler, refuse_weak_secrets
from naibot.logs import setup_logging
from naibot.settings import Settings, SettingsError
from naibot.settings_source import load_for_command

# Subcommands that need no deployment configuration (see the module docstring).
_WITHOUT_SETTINGS = ("demo", "sandbox")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="naibot", description="NovelAI image bot for Discord and Telegram")
    parser.add_argument("--settings", help="settings file (default: $NAIBOT_SETTINGS or ./settings.yaml); "
                                           "the .env next to it is read too")
    sub = parser.add_subparsers(dest="command", required=True)
    settings_check.register(sub)
    accounts.register(sub)
    rotate_key.register(sub)
    queue.register(sub)
    images.register(sub)
    chat.register(sub)
    api.register(sub)
    info.register(sub)
    sandbox.register(sub)
    demo.register(sub)
    for name in _WITHOUT_SETTINGS:
        # On the subcommand's own parser, so each of its subcommands (sandbox novelai, ...) inherits it.
        sub.choices[name].set_defaults(uses_settings=False)
    return parser


def _load(args: argparse.Namespace) -> Settings | int:
    """This run's settings, or EXIT_USAGE once the reason is on stderr."""
    if not getattr(args, "uses_settings", True):
        return Settings()
    try:
        loaded = load_for_command(args.settings, os.environ)
    except SettingsError as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if loaded.note is not None and args.command != "settings":  # settings check says it in its own words
        print(f"naibot: {loaded.note}", file=sys.stderr)
    args.loaded_settings = loaded
    return loaded.settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = _load(args)
    if isinstance(settings, int):
        return settings
    setup_logging(settings.logging.level)
    if args.command not in ("settings", *_WITHOUT_SETTINGS) and (refused := refuse_weak_secrets(settings)) is not None:
        return refused
    if args.settings and hasattr(args, "settings_path"):
        args.settings_path = args.settings
    handler: Handler = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
