"""``naibot sandbox novelai``: run the offline NovelAI stand-in as its own process."""

from __future__ import annotations

import argparse

from bot.cli.common import run_async
from naibot.settings import Settings


def _novelai(args: argparse.Namespace, settings: Settings) -> int:
    from sandbox.novelai import DEFAULT_ACCOUNTS, parse_account_spec, serve_forever

    specs = [*args.user, *args.token]
    accounts = [parse_account_spec(spec) for spec in specs] if specs else list(DEFAULT_ACCOUNTS)
    return run_async(lambda: serve_forever(args.port, accounts, args.step_latency))


async def _serve_telegram(port: int, token: str) -> int:
    import asyncio

    from sandbox.telegram import TelegramSandbox

    sandbox = TelegramSandbox(token)
    url = await sandbox.start(port=port)
    print(f"Telegram Bot API stand-in on {url} (TELEGRAM_API_URL={url}, TELEGRAM_TOKEN={token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()
    return 0


def _telegram(args: argparse.Namespace, settings: Settings) -> int:
    from sandbox.telegram import DEFAULT_TOKEN

    return run_async(lambda: _serve_telegram(args.port, args.token or DEFAULT_TOKEN))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sandbox", help="offline stand-ins for NovelAI, Telegram and Discord")
    ssub = p.add_subparsers(dest="service", required=True)
    nai = ssub.add_parser("novelai", help="a NovelAI-compatible server on 127.0.0.1")
    nai.add_argument("--port", type=int, default=8765)
    nai.add_argument("--user", action="append", default=[], metavar="EMAIL:PASSWORD[:TIER[:ANLAS]]",
                     help="an email/password account (repeatable)")
    nai.add_argument("--token", action="append", default=[], metavar="pst-...[:TIER[:ANLAS]]",
                     help="a persistent-token account (repeatable)")
    nai.add_argument("--step-latency", type=float, default=0.0, help="seconds per sampling step")
    nai.set_defaults(handler=_novelai)
    tg = ssub.add_parser("telegram", help="a Telegram Bot API server on 127.0.0.1 (with a control API)")
    tg.add_argument("--port", type=int, default=8766)
    tg.add_argument("--token", help="the bot token it accepts (default: the sandbox token)")
    tg.set_defaults(handler=_telegram)
