"""The ``naibot`` command line: one entry point, a subcommand per process or admin task.

Settings are loaded (and validated) before any subcommand runs, so a bad ``settings.yaml``
stops every process at start with the key named, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from bot.cli import accounts, api, chat, demo, queue, rotate_key, sandbox
from bot.cli.common import EXIT_OK, EXIT_USAGE, Handler
from naibot.logs import setup_logging
from naibot.settings import Settings, SettingsError, load_settings


def _cmd_settings_check(args: argparse.Namespace, settings: Settings) -> int:
    """Print the effective settings with secrets masked (pydantic shows SecretStr as ****)."""
    print(json.dumps(json.loads(settings.model_dump_json()), indent=2))
    return EXIT_OK


def _add_settings(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("settings", help="inspect the effective settings")
    ssub = p.add_subparsers(dest="action", required=True)
    check = ssub.add_parser("check", help="validate settings.yaml + environment and print the result")
    check.set_defaults(handler=_cmd_settings_check)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="naibot", description="NovelAI image bot for Discord and Telegram")
    parser.add_argument("--settings", help="settings file (default: $NAIBOT_SETTINGS or ./settings.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_settings(sub)
    accounts.register(sub)
    rotate_key.register(sub)
    queue.register(sub)
    chat.register(sub)
    api.register(sub)
    sandbox.register(sub)
    demo.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.settings)
    except SettingsError as exc:
        print(f"naibot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    setup_logging(settings.logging.level)
    if args.settings and hasattr(args, "settings_path"):
        args.settings_path = args.settings
    handler: Handler = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
