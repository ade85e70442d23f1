"""``naibot settings check [--connect]``: what the processes will run on, and what would stop them.

The README says to run it before ``honcho start``; so it must fail (exit 2) on everything that
would stop a process at start or is surely wrong, not only on settings that do not parse: no
``NAIBOT_SECRET_KEY`` while accounts are on (worker, api and both bots refuse to start), a value
copied from ``deploy/env.example`` and never filled in (``pst-...``, ``123456:ABC...``,
``change-me-...``), a bot token of the wrong shape, a webhook without its secret, the weak secrets
of ``naibot.secret_strength``. Each problem names the variable (or the file and key) that holds
it, never the value.

``--connect`` then asks each service once, one line per check (``bot.cli.settings_connect``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any
from urllib.parse import urlsplit

from bot.cli.common import EXIT_OK, EXIT_USAGE, run_async
from naibot.secret_strength import password_weakness, weak_secrets
from naibot.settings import Settings, Sources, secret
from naibot.settings_sections import MAKE_WEBHOOK_SECRET
from naibot.settings_source import LoadedSettings
from novelai.accounts import jwt_expiry

MASK = "**********"  # what pydantic prints for a SecretStr
# @BotFather's tokens: the bot's numeric id, a colon, 35 characters of base64url (30+ accepted).
TELEGRAM_TOKEN_SHAPE = re.compile(r"^[0-9]+:[A-Za-z0-9_-]{30,}$")
# Discord's bot tokens: three base64url parts (user id, timestamp, HMAC) joined by dots.
DISCORD_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_WEBHOOK_SECRET_FIX = f"make one with: {MAKE_WEBHOOK_SECRET}"
# (naibot.secret_strength decides what is one: the docs' examples, anything with "..." or "change-me".)
PLACEHOLDER = "is a placeholder (an example value, or one containing '...' or 'change-me'), not a real one: fill it in"

# The credentials a placeholder can hide in, each with the shape check of a filled-in value (if any).
_CREDENTIALS: list[tuple[tuple[str, ...], str | None]] = [
    (("novelai", "default_account", "token"), "novelai"),
    (("novelai", "default_account", "email"), None),
    (("novelai", "default_account", "password"), None),
    (("telegram", "token"), "telegram"),
    (("discord", "token"), "discord"),
    (("storage", "minio", "access_key"), None),
    (("storage", "minio", "secret_key"), None),
]


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


def _value(settings: Settings, path: tuple[str, ...]) -> str | None:
    node: Any = settings
    for part in path:
        node = getattr(node, part)
    return secret(node) if node is not None and not isinstance(node, str) else node


def _shape_problem(kind: str, value: str) -> str | None:
    if kind == "novelai" and not value.startswith("pst-") and jwt_expiry(value) is None:
        return ("does not look like a NovelAI persistent API token (they start with pst-): copy it from NovelAI's "
                "account settings")
    if kind == "telegram" and not TELEGRAM_TOKEN_SHAPE.match(value):
        return ("is not shaped like a Telegram bot token (<digits>:<30 or more of A-Z a-z 0-9 _ ->): copy the whole "
                "token @BotFather gave")
    if kind == "discord" and not DISCORD_TOKEN_SHAPE.match(value):
        return ("is not shaped like a Discord bot token (three dot-separated parts): copy it from the Developer "
                "Portal's Bot page (Reset Token)")
    return None


def _credential_problems(settings: Settings, sources: Sources) -> list[str]:
    found = []
    for path, kind in _CREDENTIALS:
        value = _value(settings, path)
        if not value:
            continue
        reason = PLACEHOLDER if password_weakness(value) else (_shape_problem(kind, value) if kind else None)
        if reason is not None:
            found.append(f"{sources.name(path)} {reason}")
    return found


def _webhook_problems(settings: Settings, sources: Sources) -> list[str]:
    tg = settings.telegram
    found = []
    if tg.mode == "webhook" and not tg.webhook_url:
        found.append(f"{sources.name(('telegram', 'mode'))} is webhook but {sources.name(('telegram', 'webhook_url'))}"
                     " is not set: naibot telegram will refuse to start; set it to the bot's public https:// URL")
    if tg.webhook_url and tg.webhook_secret is None:
        # (In webhook mode the settings refuse this already; in polling mode it is a webhook half set up.)
        found.append(f"{sources.name(('telegram', 'webhook_url'))} is set but "
                     f"{sources.name(('telegram', 'webhook_secret'))} is not: webhook mode refuses to start without "
                     f"it (it proves an update comes from Telegram); {_WEBHOOK_SECRET_FIX}")
    return found


def problems(settings: Settings, sources: Sources) -> list[str]:
    """Everything that would stop a process at start or is surely wrong, by variable, never by value."""
    found = []
    if settings.bot.accounts_enabled and not secret(settings.security.secret_key):
        found.append(f"{sources.name(('security', 'secret_key'))} is not set while personal and group accounts are "
                     "on: naibot worker, api, telegram and discord will refuse to start; set it (openssl rand "
                     "-base64 32), or turn accounts off with NAIBOT_BOT__ACCOUNTS_ENABLED=false")
    found += _credential_problems(settings, sources)
    found += _webhook_problems(settings, sources)
    found += [f"weak secret: {item}" for item in weak_secrets(settings, api_keys=True, secret_key=True)]
    return found


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the effective settings (secrets masked: pydantic shows a SecretStr as ****, the Redis
    URL's password is masked here), which files were read, every problem (exit 2 if any), then
    with ``--connect`` one line per service (exit 1 if one failed)."""
    loaded: LoadedSettings | None = getattr(args, "loaded_settings", None)
    sources = loaded.sources if loaded is not None else Sources()
    shown: dict[str, Any] = json.loads(settings.model_dump_json())
    shown["redis"]["url"] = mask_url_password(settings.redis.url)
    print(json.dumps(shown, indent=2))
    if loaded is not None:
        print(f"naibot: read {loaded.describe()}", file=sys.stderr)
    found = problems(settings, sources)
    for item in found:
        print(f"naibot: {item}", file=sys.stderr)
    status = EXIT_USAGE if found else EXIT_OK
    if args.connect:
        from bot.cli.settings_connect import check_all

        connected = run_async(lambda: check_all(settings, sources))
        status = status or connected
    return status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("settings", help="inspect the effective settings")
    ssub = p.add_subparsers(dest="action", required=True)
    check = ssub.add_parser("check", help="validate settings.yaml + .env + environment, print the result and "
                                          "every problem that would stop a process")
    check.add_argument("--connect", action="store_true",
                       help="also check Redis, the NovelAI token, and the Telegram and Discord tokens, one line each")
    check.set_defaults(handler=run)
