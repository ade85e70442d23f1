"""The ``naibot`` command line: one entry point, a subcommand per process or admin task.

Settings are loaded (and validated) before any subcommand runs, so a bad ``settings.yaml``
stops every process at start with the key named, and exit status 2. So does a Redis password
copied from the docs' examples: every subcommand but ``settings check`` (which reports it) uses
Redis.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from bot.cli import accounts, api, chat, demo, queue, rotate_key, sandbox
from bot.cli.common import EXIT_OK, EXIT_USAGE, Handler, refuse_weak_secrets
from naibot.logs import setup_logging
from naibot.secret_strength import weak_secrets
from naibot.settings import Settings, SettingsError, load_settings

MASK = "**********"  # what pydantic prints for a SecretStr


def mask_url_password(url: str) -> str:
    """``url`` with its password (``:pw@`` or ``?password=pw``) replaced by the mask.

    ``redis.url`` is a plain string (the Redis client needs it whole), so pydantic does not mask
    it; this output reaches terminals and, under systemd-run, the journal.
    """
    parts = urlsplit(url)
    if parts.password is not None:
        userinfo, _, host = parts.netloc.rpartition("@")
        url = url.replace(parts.netloc, f"{userinfo.partition(':')[0]}:{MASK}@{host}", 1)
    return re.sub(r"(?<=[?&])password=[^&#]*", f"password={MASK}", url)


def _cmd_settings_check(args: argparse.Namespace, settings: Settings) -> int:
    """Print the effective settings with secrets masked (pydantic shows SecretStr as ****, the
    Redis URL's password is masked here), then name every weak secret (exit 2 if there is one)."""
    shown: dict[str, Any] = json.loads(settings.model_dump_json())
    shown["redis"]["url"] = mask_url_password(settings.redis.url)
    print(json.dumps(shown, indent=2))
    weak = weak_secrets(settings, api_keys=True, secret_key=True)
    for item in weak:
        print(f"naibot: weak secret: {item}", file=sys.stderr)
    return EXIT_USAGE if weak else EXIT_OK


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
    if args.command != "settings" and (refused := refuse_weak_secrets(settings)) is not None:
        return refused
    if args.settings and hasattr(args, "settings_path"):
        args.settings_path = args.settings
    handler: Handler = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
