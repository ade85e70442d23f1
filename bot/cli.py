"""The ``naibot`` command line: one entry point, a subcommand per process or admin task.

Settings are loaded (and validated) before any subcommand runs, so a bad ``settings.yaml``
stops every process at start with the key named, and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence

from naibot.logs import setup_logging
from naibot.settings import Settings, SettingsError, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
Handler = Callable[[argparse.Namespace, Settings], int]


def _cmd_settings_check(args: argparse.Namespace, settings: Settings) -> int:
    """Print the effective settings with secrets masked (pydantic shows SecretStr as ****)."""
    print(json.dumps(json.loads(settings.model_dump_json()), indent=2))
    return EXIT_OK


def _add_settings(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settings", help="inspect the effective settings")
    ssub = p.add_subparsers(dest="action", required=True)
    check = ssub.add_parser("check", help="validate settings.yaml + environment and print the result")
    check.set_defaults(handler=_cmd_settings_check)


def build_parser() -> argparse.ArgumentParser:
    from bot import cli_accounts, cli_api, cli_chat, cli_queue, cli_sandbox, cli_security, demo

    parser = argparse.ArgumentParser(prog="naibot", description="NovelAI image bot for Discord and Telegram")
    parser.add_argument("--settings", help="settings file (default: $NAIBOT_SETTINGS or ./settings.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_settings(sub)
    cli_accounts.register(sub)
    cli_security.register(sub)
    cli_queue.register(sub)
    cli_chat.register(sub)
    cli_api.register(sub)
    cli_sandbox.register(sub)
    demo.register(sub)
    return parser


def run_async(coro_factory: Callable[[], object]) -> int:
    """Run an async subcommand; Ctrl-C ends it quietly."""
    try:
        return int(asyncio.run(coro_factory()))  # type: ignore[arg-type]
    except KeyboardInterrupt:
        return EXIT_FAILED


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
